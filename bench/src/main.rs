//! Measures a real `latchkey serve` over HTTP, on SQLite and on PostgreSQL:
//!
//! - `--workload rest` (the default): user creation, reads by id and
//!   searches through the REST API, at several concurrencies;
//! - `--workload scim`: SCIM provisioning (optionally against the reference
//!   server `scim2-server` too), filters and page walks over a tenant of a
//!   million users seeded in the database, and group membership changes.
//!
//! ```text
//! cargo build --release -p latchkey-api -p latchkey-bench --bins
//! target/release/latchkey-bench --backend both
//! target/release/latchkey-bench --workload scim --backend both --scim-reference
//! ```
//!
//! The server is the release binary, started by this program on a free port
//! with a fresh database; the load comes from this process over loopback. The
//! result is Markdown tables, as pasted into docs/benchmarks.md.

mod analyze;
mod load;
mod people;
mod reference;
mod rest;
mod scim;
mod seed;
mod server;

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Parser;

#[derive(Parser, Debug)]
pub struct Args {
    /// rest or scim.
    #[arg(long, default_value = "rest")]
    workload: String,
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Requests per workload and concurrency (rest).
    #[arg(long, default_value_t = 4000)]
    requests: usize,
    /// Concurrency levels (rest).
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    concurrency: Vec<usize>,
    /// Database connections of the server under test (the server's default).
    #[arg(long, default_value_t = 16)]
    pool_size: usize,
    /// The server binary.
    #[arg(long, default_value = "target/release/latchkey")]
    server: PathBuf,
    /// PostgreSQL server for the postgres backend (a database is created and
    /// dropped). `{db}` in the URL stands for the database name, for URLs whose
    /// database is not the last path segment, e.g. the Unix socket:
    /// `postgres:///{db}?host=/var/run/postgresql&user=postgres`.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// Leave each run's database and data folder in place (for EXPLAIN).
    #[arg(long)]
    keep_database: bool,
    #[command(flatten)]
    scim: scim::ScimArgs,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if !args.server.exists() {
        bail!(
            "{} does not exist; run `cargo build --release --bin latchkey` first",
            args.server.display()
        );
    }
    let backends: Vec<&str> = match args.backend.as_str() {
        "both" => vec!["sqlite", "postgres"],
        "sqlite" => vec!["sqlite"],
        "postgres" => vec!["postgres"],
        other => bail!("unknown backend {other}"),
    };
    match args.workload.as_str() {
        "rest" => {
            println!(
                "| backend | workload | concurrency | requests | errors | req/s | p50 ms | p99 ms |"
            );
            println!("|---|---|---:|---:|---:|---:|---:|---:|");
            for backend in backends {
                rest::print(backend, &rest::bench_backend(&args, backend).await?);
            }
        }
        "scim" => scim::bench(&args, &backends).await?,
        other => bail!("unknown workload {other}"),
    }
    Ok(())
}
