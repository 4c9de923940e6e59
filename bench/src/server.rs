//! The server under test: the release binary of `latchkey serve`, started on
//! a free port with a fresh database (a SQLite file in a temporary folder,
//! or a PostgreSQL database created for the run and dropped afterwards).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use latchkey_tenants::db::DatabaseUrl;
use latchkey_tenants::keys::sealing::MasterKey;

use crate::Args;

pub struct Server {
    child: Child,
    pub base: String,
    pub dir: PathBuf,
    /// The PostgreSQL database, on the postgres backend.
    pub database: Option<String>,
    /// The URL the server was given for it, on the postgres backend.
    database_url: Option<String>,
    /// The server's master key (base64), given to it rather than generated
    /// into its data folder, so that the benchmark can open the same store.
    pub master_key: String,
    /// Leave the database (and data folder) in place when done.
    keep: bool,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.keep {
            eprintln!(
                "kept the data folder {} and the database {}",
                self.dir.display(),
                self.database
                    .as_deref()
                    .unwrap_or("(SQLite, in the folder)")
            );
            return;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(db) = &self.database {
            let _ = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
        }
    }
}

impl Server {
    /// The database the server runs on: the PostgreSQL database created for
    /// it, or the SQLite file in its data folder (where `latchkey serve`
    /// puts it when no `DATABASE_URL` is set).
    pub fn database_url(&self) -> DatabaseUrl {
        match &self.database_url {
            Some(url) => DatabaseUrl::Postgres(url.clone()),
            None => DatabaseUrl::sqlite_file(&self.dir.join("latchkey.db")),
        }
    }
}

/// Runs one statement as the `postgres` user on the local server.
pub fn psql(sql: &str) -> Result<bool> {
    Ok(Command::new("psql")
        .args(["-q", "-h", "127.0.0.1", "-U", "postgres", "-c", sql])
        .status()?
        .success())
}

/// Runs a script in database `db` as the `postgres` user, stopping at the
/// first error.
pub fn psql_script(db: &str, script: &str) -> Result<()> {
    let mut child = Command::new("psql")
        .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
        .args(["-U", "postgres", "-d", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("cannot run psql")?;
    child
        .stdin
        .take()
        .context("psql has no stdin")?
        .write_all(script.as_bytes())?;
    if !child.wait()?.success() {
        bail!("psql failed");
    }
    Ok(())
}

pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A new platform token, from the server binary.
pub fn platform_token(args: &Args) -> Result<String> {
    Ok(String::from_utf8(
        Command::new(&args.server)
            .args(["token", "generate"])
            .output()?
            .stdout,
    )?
    .trim()
    .to_owned())
}

/// Waits until `url` answers 2xx (or, with `any_answer`, answers at all).
pub async fn wait_ready(url: &str, any_answer: bool) -> Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client.get(url).send().await
            && (any_answer || r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{url} did not become ready")
}

pub async fn start(args: &Args, backend: &str, token: &str) -> Result<Server> {
    let port = free_port()?;
    let dir = std::env::temp_dir().join(format!("latchkey-bench-{port}"));
    std::fs::create_dir_all(&dir)?;
    let master_key = MasterKey::generate().to_base64().to_string();
    let mut cmd = Command::new(&args.server);
    cmd.arg("serve")
        .env("LATCHKEY_MASTER_KEY", &master_key)
        .env("LATCHKEY_LISTEN", format!("127.0.0.1:{port}"))
        .env("LATCHKEY_DATA_DIR", &dir)
        .env("LATCHKEY_BOOTSTRAP_TOKEN", token)
        .env("LATCHKEY_POOL_SIZE", args.pool_size.to_string())
        .env("LATCHKEY_RATE_LIMIT_PER_ADDRESS", "0")
        .env("LATCHKEY_RATE_LIMIT_PER_TOKEN", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let (mut database, mut database_url) = (None, None);
    if backend == "postgres" {
        let name = format!("latchkey_bench_{port}");
        if !psql(&format!("CREATE DATABASE {name}"))? {
            bail!("cannot create the benchmark database");
        }
        let url = if args.postgres.contains("{db}") {
            args.postgres.replace("{db}", &name)
        } else {
            format!("{}/{name}", args.postgres.trim_end_matches('/'))
        };
        cmd.env("DATABASE_URL", &url);
        database = Some(name);
        database_url = Some(url);
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", args.server.display()))?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        dir,
        database,
        database_url,
        master_key,
        keep: args.keep_database,
    };
    wait_ready(&format!("{}/readyz", server.base), false).await?;
    Ok(server)
}
