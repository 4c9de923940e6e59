//! The master key: configured, or generated once into the data folder,
//! and the secret files it is kept in.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use latchkey_tenants::keys::sealing::MasterKey;

use super::Settings;

impl Settings {
    /// The master key of an existing installation: the configured one, or
    /// the one the first `latchkey serve` generated into the data folder.
    /// Never generates one: a command run outside the server's folder would
    /// otherwise make a key that nothing is wrapped under and act on a new,
    /// empty installation (or fail on the real one, naming the wrong key).
    pub fn master_key(&self) -> Result<MasterKey> {
        if let Some(key) = &self.master_key {
            return parse_master_key(key, MASTER_KEY_SETTING);
        }
        let path = self.master_key_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_master_key(&text, &self.master_key_source()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "no master key: LATCHKEY_MASTER_KEY is not set and {} does not exist. Run the command \
                 with the server's settings (in the folder it runs in, or with its LATCHKEY_DATA_DIR), \
                 or set LATCHKEY_MASTER_KEY; `latchkey serve` generates the key file on its first start",
                path.display()
            ),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// For `latchkey serve`: the master key, generated into the data folder
    /// on the first start (with a warning: fine for one machine, not for a
    /// cluster, whose nodes must share one key).
    pub fn master_key_or_generate(&self) -> Result<MasterKey> {
        let path = self.master_key_path();
        if self.master_key.is_some() || path.exists() {
            return self.master_key();
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!("cannot create the data folder {}", self.data_dir.display())
        })?;
        let key = MasterKey::generate();
        write_secret_file(&path, key.to_base64().as_bytes())?;
        tracing::warn!(
            path = %path.display(),
            "no LATCHKEY_MASTER_KEY set: generated a master key into the data folder; \
             back it up, and set LATCHKEY_MASTER_KEY when running more than one node"
        );
        Ok(key)
    }

    /// Where the master key comes from, as errors about it name it.
    pub fn master_key_source(&self) -> String {
        match self.master_key {
            Some(_) => "LATCHKEY_MASTER_KEY".to_owned(),
            None => format!("the master key in {}", self.master_key_path().display()),
        }
    }

    fn master_key_path(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }

    pub fn master_key_file(&self) -> Option<PathBuf> {
        self.master_key.is_none().then(|| self.master_key_path())
    }
}

pub(super) const MASTER_KEY_SETTING: &str = "LATCHKEY_MASTER_KEY (master_key)";

/// Parses a master key, naming where it came from (`what`) when it is not one.
pub fn parse_master_key(value: &str, what: &str) -> Result<MasterKey> {
    MasterKey::from_base64(value).map_err(|_| {
        anyhow::anyhow!(
            "{what} must be 32 bytes in standard base64 (try `openssl rand -base64 32`)"
        )
    })
}

/// Writes a file readable by its owner only.
pub fn write_secret_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}
