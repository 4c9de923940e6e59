//! The PostgreSQL server the tests create their databases on.
//!
//! In order: the server named by `LATCHKEY_TEST_POSTGRES_URL`; the one at
//! [`DEFAULT_POSTGRES_URL`] when it takes the user `postgres` without a
//! password; otherwise the checkout's private cluster, which
//! `scripts/test-postgres.sh start` starts when it is not running (after
//! installing Debian's `postgresql` when it is missing and the tests run as
//! root). That script is shared with CI and the checkers in `scripts/`, so one
//! cluster serves them all; it holds a lock while it starts the cluster, so
//! the many test processes of `cargo test --workspace` start it once. The
//! cluster keeps running after the tests (the next run reuses it);
//! `scripts/test-postgres.sh stop` ends it.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use diesel::{Connection, PgConnection};

use super::{DEFAULT_POSTGRES_URL, POSTGRES_URL_VAR};

/// The script that finds or starts the private cluster.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/test-postgres.sh");

/// The setting naming the private cluster's folder (the script's default
/// otherwise: a temporary folder of this checkout's own).
const FOLDER_VAR: &str = "LATCHKEY_TEST_POSTGRES_DIR";

/// The URL of the tests' server (any database on it), decided once per
/// process: the normal case costs one connection to the default server.
///
/// # Panics
///
/// When no PostgreSQL can be had, with what the script said about why.
pub fn admin_url() -> &'static str {
    // The outcome is kept, failure included: every PostgreSQL test of the
    // process would otherwise try to install and start PostgreSQL again.
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    let url = URL.get_or_init(|| match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) => Ok(url),
        Err(_) => server_url(DEFAULT_POSTGRES_URL, None),
    });
    match url {
        Ok(url) => url,
        Err(e) => panic!(
            "PostgreSQL is required for the PostgreSQL tests and none could be had: {e}\n\
             Set {POSTGRES_URL_VAR} to a postgres:// URL of a role that may CREATE DATABASE, \
             or see scripts/test-postgres.sh."
        ),
    }
}

/// `default` when it accepts a connection, otherwise the URL of the private
/// cluster in `folder` (`None`: the script's own folder), started if need be.
fn server_url(default: &str, folder: Option<&Path>) -> Result<String, String> {
    // A bounded wait: a server that drops packets would otherwise hold every
    // test binary for libpq's default of no timeout at all.
    let separator = if default.contains('?') { '&' } else { '?' };
    if PgConnection::establish(&format!("{default}{separator}connect_timeout=5")).is_ok() {
        return Ok(default.to_owned());
    }
    let mut script = Command::new("bash");
    script.arg(SCRIPT).arg("start");
    if let Some(folder) = folder {
        script.env(FOLDER_VAR, folder);
    }
    let out = script
        .output()
        .map_err(|e| format!("cannot run {SCRIPT}: {e}"))?;
    let said = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "{default} is not reachable, and `{SCRIPT} start` failed: {}",
            said.trim()
        ));
    }
    if !said.trim().is_empty() {
        eprintln!("{}", said.trim());
    }
    let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if url.starts_with("postgres://") {
        Ok(url)
    } else {
        Err(format!("`{SCRIPT} start` printed no URL: {url:?}"))
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::path::PathBuf;

    use uuid::Uuid;

    use super::{FOLDER_VAR, SCRIPT, server_url};
    use crate::testing::{TestDb, run};

    /// Stops the test's own cluster and removes its folder, pass or fail.
    struct Stop(PathBuf);

    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = std::process::Command::new("bash")
                .arg(SCRIPT)
                .arg("stop")
                .env(FOLDER_VAR, &self.0)
                .status();
        }
    }

    #[test]
    fn without_a_server_at_the_default_a_private_cluster_is_started_and_reused() {
        // A port nothing listens on: bound, then let go.
        let unused = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let nobody = format!("postgres://postgres@127.0.0.1:{unused}/postgres");
        let folder =
            std::env::temp_dir().join(format!("latchkey-test-cluster-{}", Uuid::now_v7().simple()));
        let _stop = Stop(folder.clone());

        let url = server_url(&nobody, Some(&folder)).expect("a private cluster");
        assert_ne!(url, nobody);
        assert!(
            folder.join("data/PG_VERSION").is_file(),
            "the cluster lives in {}",
            folder.display()
        );

        // Opening a store migrates its database.
        run(TestDb::postgres_on(&url), |db| async move {
            db.store().await.ping().await.expect("the store answers");
        });

        // Later callers (other test processes) find it running.
        assert_eq!(server_url(&nobody, Some(&folder)).unwrap(), url);
    }
}
