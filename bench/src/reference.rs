//! The reference SCIM server `scim2-server` (Python, in memory, from PyPI),
//! for a provisioning rate to compare with. It lives in the virtualenv that
//! `scripts/scim-tester.sh` sets up:
//!
//! ```text
//! target/ci-venv/bin/pip install -r scripts/scim-tester-requirements.txt
//! ```

use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::server::{free_port, wait_ready};

pub struct Reference {
    child: Child,
    /// The SCIM base URL, `http://127.0.0.1:{port}/v2`.
    pub base: String,
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start(venv: &Path, token: &str) -> Result<Reference> {
    let bin = venv.join("bin/scim2-server");
    if !bin.exists() {
        bail!(
            "{} does not exist; run `{}/bin/pip install -r scripts/scim-tester-requirements.txt`",
            bin.display(),
            venv.display()
        );
    }
    let port = free_port()?;
    let child = Command::new(&bin)
        .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
        .args(["--bearer-token", token])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let server = Reference {
        child,
        base: format!("http://127.0.0.1:{port}/v2"),
    };
    // Unauthenticated, it answers 401: listening is all this waits for.
    wait_ready(&format!("{}/ServiceProviderConfig", server.base), true).await?;
    Ok(server)
}
