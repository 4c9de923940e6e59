//! The operator's shell commands, run as the real `latchkey` binary against
//! the embedded database in a folder of their own.

use std::path::PathBuf;
use std::process::{Command, Output};

use latchkey_tenants::keys::sealing::MasterKey;

struct Install {
    dir: PathBuf,
}

impl Install {
    /// An installation as the first `latchkey serve` leaves it: a data folder
    /// holding the generated master key (commands never generate one).
    fn new() -> Self {
        let install = Install::empty();
        std::fs::create_dir_all(&install.dir).unwrap();
        std::fs::write(
            install.dir.join("master.key"),
            MasterKey::generate().to_base64(),
        )
        .unwrap();
        install
    }

    /// A folder that is not an installation: no data folder at all.
    fn empty() -> Self {
        let dir =
            std::env::temp_dir().join(format!("latchkey-cli-{}", uuid::Uuid::now_v7().simple()));
        Install { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_latchkey"));
        cmd.args(args)
            .env("LATCHKEY_DATA_DIR", &self.dir)
            .env_remove("DATABASE_URL")
            .env_remove("LATCHKEY_MASTER_KEY")
            .env("RUST_LOG", "error");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Install {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn tenants_are_created_listed_suspended_resumed_and_deleted() {
    let install = Install::new();
    assert!(
        install
            .ok(&["tenant", "create", "acme", "--name", "Acme"])
            .contains("created tenant acme")
    );
    let list = install.ok(&["tenant", "list"]);
    assert!(
        list.lines()
            .any(|l| l.contains("acme") && l.contains("active") && l.contains("Acme")),
        "{list}"
    );
    install.ok(&["tenant", "suspend", "acme"]);
    assert!(install.ok(&["tenant", "list"]).contains("suspended"));
    install.ok(&["tenant", "resume", "acme"]);
    let refused = install.run(&["tenant", "delete", "acme"]);
    assert!(!refused.status.success(), "deleting needs --yes");
    let deleted = install.ok(&["tenant", "delete", "acme", "--yes"]);
    assert!(deleted.contains("data key destroyed"), "{deleted}");
    assert!(!install.ok(&["tenant", "list"]).contains("acme"));
}

#[test]
fn a_token_is_printed_once_and_can_be_revoked() {
    let install = Install::new();
    install.ok(&["tenant", "create", "acme"]);
    let out = install.run(&[
        "token", "create", "--tenant", "acme", "--scopes", "scim", "--name", "entra",
    ]);
    assert!(out.status.success());
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("lks_"), "{secret}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let id = stderr
        .split_whitespace()
        .nth(1)
        .expect("the token id is announced")
        .to_owned();
    assert!(
        install
            .ok(&["token", "revoke", &id, "--tenant", "acme"])
            .contains("revoked")
    );
    let platform = install.ok(&["token", "create", "--name", "ops"]);
    assert!(platform.trim().starts_with("lkp_"));
}

#[test]
fn a_generated_bootstrap_token_is_a_platform_token() {
    let install = Install::new();
    assert!(
        install
            .ok(&["token", "generate"])
            .trim()
            .starts_with("lkp_")
    );
}

#[test]
fn migrate_applies_every_migration_once() {
    let install = Install::new();
    assert!(install.ok(&["migrate"]).contains("migration(s) applied"));
    assert!(install.ok(&["migrate"]).starts_with("0 migration(s)"));
}

#[test]
fn openapi_prints_the_checked_in_document() {
    let install = Install::new();
    let printed = install.ok(&["openapi"]);
    let checked_in = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .unwrap();
    assert_eq!(printed, checked_in);
}

#[test]
fn rewrap_moves_the_data_keys_to_a_new_master_key_file() {
    let install = Install::new();
    install.ok(&["tenant", "create", "acme"]);
    let before = std::fs::read_to_string(install.dir.join("master.key")).unwrap();
    let out = install.ok(&["keys", "rewrap"]);
    assert!(out.contains("re-wrapped 1 data key(s)"), "{out}");
    let after = std::fs::read_to_string(install.dir.join("master.key")).unwrap();
    assert_ne!(before, after);
    // The installation opens with the new key and still holds the tenant.
    assert!(install.ok(&["tenant", "list"]).contains("acme"));
}

/// Run outside the server's folder, a command must neither make a master key
/// (nothing would be wrapped under it) nor a database to act on.
#[test]
fn a_command_without_the_installation_creates_nothing_and_says_what_is_missing() {
    let nowhere = Install::empty();
    for args in [
        &["tenant", "list"][..],
        &["tenant", "create", "acme"],
        &["token", "create"],
        &["license", "status"],
        &["keys", "rewrap"],
    ] {
        let out = nowhere.run(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no master key") && err.contains("master.key does not exist"),
            "{args:?}: {err}"
        );
        assert!(
            !nowhere.dir.exists(),
            "{args:?} created {}",
            nowhere.dir.display()
        );
    }
}

#[test]
fn a_key_file_that_does_not_open_the_data_keys_is_named_in_the_error() {
    let install = Install::new();
    install.ok(&["tenant", "create", "acme"]);
    std::fs::write(
        install.dir.join("master.key"),
        MasterKey::generate().to_base64(),
    )
    .unwrap();
    let out = install.run(&["tenant", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let file = install.dir.join("master.key");
    assert!(
        err.contains(&format!("the master key in {} (key id ", file.display()))
            && !err.contains("LATCHKEY_MASTER_KEY ("),
        "{err}"
    );
}

#[test]
fn a_malformed_new_master_key_is_reported_as_the_flag() {
    let install = Install::new();
    install.ok(&["tenant", "create", "acme"]);
    let out = install.run(&["keys", "rewrap", "--new-master-key", "short"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--new-master-key (LATCHKEY_NEW_MASTER_KEY) must be 32 bytes"),
        "{err}"
    );
}

#[test]
fn a_bad_setting_stops_the_command_and_names_the_setting() {
    let install = Install::new();
    let out = install.run_with(&["tenant", "list"], &[("LATCHKEY_LISTEN", "nowhere")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("LATCHKEY_LISTEN"));
    let out = install.run_with(
        &["tenant", "list"],
        &[("DATABASE_URL", "host=localhost dbname=x")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

/// `latchkey serve` with nothing but a data folder: it prints the bootstrap
/// token once with the next step, serves, and stops cleanly on SIGTERM.
#[test]
fn serve_starts_with_no_configuration_and_stops_gracefully() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::time::{Duration, Instant};

    let install = Install::empty();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .arg("serve")
        .env("LATCHKEY_DATA_DIR", &install.dir)
        .env("LATCHKEY_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("DATABASE_URL")
        .env_remove("LATCHKEY_MASTER_KEY")
        .env_remove("LATCHKEY_BOOTSTRAP_TOKEN")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while !printed.contains("API docs") {
        printed.push_str(
            &lines
                .next()
                .expect("the server printed its greeting")
                .unwrap(),
        );
        printed.push('\n');
    }
    assert!(
        printed.contains("lkp_") && printed.contains("shown only this once"),
        "{printed}"
    );
    assert!(
        printed.contains("/api/v1/tenants"),
        "the next step is shown: {printed}"
    );
    assert!(
        install.dir.join("master.key").exists(),
        "the first start generates the master key"
    );

    let get = |path: &str| -> Option<String> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        Some(response)
    };
    let started = Instant::now();
    let ready = loop {
        if let Some(r) = get("/readyz") {
            break r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server did not answer"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "a graceful stop exits 0: {status:?}");
}

#[test]
fn rewrap_with_the_key_in_the_environment_requires_the_new_key() {
    let install = Install::new();
    let key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let env = [("LATCHKEY_MASTER_KEY", key)];
    assert!(
        install
            .run_with(&["tenant", "create", "acme"], &env)
            .status
            .success()
    );
    let out = install.run_with(&["keys", "rewrap"], &env);
    assert!(!out.status.success(), "a generated key could be lost");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--new-master-key"));
    let new_key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let out = install.run_with(&["keys", "rewrap", "--new-master-key", new_key], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = install.run_with(&["tenant", "list"], &[("LATCHKEY_MASTER_KEY", new_key)]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("acme"));
}
