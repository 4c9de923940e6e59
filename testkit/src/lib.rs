//! Test support shared by crates that cannot depend on each other (the API's
//! tests run aiosmtpd, the stripe crate's run localstripe): Python tools
//! installed from PyPI into a virtualenv under `target/`, and child processes
//! waited for until they listen. Tools that cannot be installed or started
//! fail the test; they are never skipped.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The workspace's `target/` folder.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The python of the virtualenv `target/<venv>`, in which `import` works;
/// the virtualenv is created and `requirement` installed from PyPI when it
/// does not.
///
/// # Panics
///
/// When the virtualenv cannot be made (Debian: `apt-get install
/// python3-venv`) or the package cannot be installed.
pub fn python_venv(venv: &str, requirement: &str, import: &str) -> PathBuf {
    // One setup at a time within a test binary; concurrent binaries are kept
    // apart by building aside and renaming into place.
    static SETUP: Mutex<()> = Mutex::new(());
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let dir = target_dir().join(venv);
    let python = dir.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {import}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if ready(&python) {
        return python;
    }
    let building = target_dir().join(format!("{venv}.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let run = |cmd: &mut Command, what: &str| {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot {what}: {e}"));
        assert!(
            out.status.success(),
            "cannot {what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&building),
        &format!(
            "create the virtualenv {venv} (python3 -m venv; Debian: apt-get install python3-venv)"
        ),
    );
    run(
        Command::new(building.join("bin/pip")).args([
            "install",
            "-q",
            "--disable-pip-version-check",
            requirement,
        ]),
        &format!("install {requirement} from PyPI into {venv}"),
    );
    if !ready(&python) {
        let _ = std::fs::remove_dir_all(&dir);
        if std::fs::rename(&building, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&building);
        }
    } else {
        let _ = std::fs::remove_dir_all(&building);
    }
    // A venv's scripts name their own path; python itself works from anywhere.
    assert!(
        ready(&python),
        "{import} is not importable from {}",
        python.display()
    );
    python
}

/// A local port nothing listens on right now, and never handed out before
/// in this process. The port is free only until someone binds it: the kernel
/// may give the same one to two tests that run at once, and the second
/// server would then fail to bind while `wait_listening` saw the first one
/// listening (a test talking to another test's server).
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free local port");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Waits until `child` (started with `stderr(Stdio::piped())`) accepts
/// connections on 127.0.0.1:`port`.
///
/// # Panics
///
/// When it exits first (with its stderr in the message) or does not listen
/// `within`; it is killed then.
pub fn wait_listening(child: &mut Child, port: u16, what: &str, within: Duration) {
    let started = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("{what} exited ({status}): {err}");
        }
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("{what} did not accept connections on port {port} within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
