//! Measures a real `latchkey serve` over HTTP: user creation, reads by id and
//! searches, at several concurrencies, on SQLite and on PostgreSQL.
//!
//!     cargo build --release --bin latchkey
//!     cargo run --release -p latchkey-bench -- --backend both
//!
//! The server is the release binary, started by this program on a free port
//! with a fresh database; the load comes from this process over loopback. The
//! result is a Markdown table, as pasted into docs/benchmarks.md.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser, Debug)]
struct Args {
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Requests per workload and concurrency.
    #[arg(long, default_value_t = 4000)]
    requests: usize,
    /// Concurrency levels.
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
}

struct Server {
    child: Child,
    base: String,
    dir: PathBuf,
    database: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(db) = &self.database {
            let _ = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
        }
    }
}

/// Runs one statement as the `postgres` user on the local server.
fn psql(sql: &str) -> Result<bool> {
    Ok(Command::new("psql")
        .args(["-q", "-h", "127.0.0.1", "-U", "postgres", "-c", sql])
        .status()?
        .success())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn start(args: &Args, backend: &str, token: &str) -> Result<Server> {
    let port = free_port()?;
    let dir = std::env::temp_dir().join(format!("latchkey-bench-{port}"));
    std::fs::create_dir_all(&dir)?;
    let mut cmd = Command::new(&args.server);
    cmd.arg("serve")
        .env("LATCHKEY_LISTEN", format!("127.0.0.1:{port}"))
        .env("LATCHKEY_DATA_DIR", &dir)
        .env("LATCHKEY_BOOTSTRAP_TOKEN", token)
        .env("LATCHKEY_POOL_SIZE", args.pool_size.to_string())
        .env("LATCHKEY_RATE_LIMIT_PER_ADDRESS", "0")
        .env("LATCHKEY_RATE_LIMIT_PER_TOKEN", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut database = None;
    if backend == "postgres" {
        let name = format!("latchkey_bench_{port}");
        if !psql(&format!("CREATE DATABASE {name}"))? {
            bail!("cannot create the benchmark database");
        }
        cmd.env(
            "DATABASE_URL",
            if args.postgres.contains("{db}") {
                args.postgres.replace("{db}", &name)
            } else {
                format!("{}/{name}", args.postgres.trim_end_matches('/'))
            },
        );
        database = Some(name);
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", args.server.display()))?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        dir,
        database,
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not become ready")
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<(u16, Value)> {
    let mut req = client
        .request(method, url)
        .header("Authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// A GET whose answer is only counted: the body is read (so the connection
/// is reused) but not parsed, to keep the load generator's own cost down.
async fn get_status(client: &reqwest::Client, url: &str, token: &str) -> Result<u16> {
    let resp = client
        .get(url)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await?;
    let status = resp.status().as_u16();
    resp.bytes().await?;
    Ok(status)
}

struct Stats {
    workload: &'static str,
    concurrency: usize,
    ok: usize,
    errors: usize,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Runs `n` requests from `concurrency` tasks; `make(i)` issues request `i`.
async fn run<F, Fut>(workload: &'static str, n: usize, concurrency: usize, make: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (make, next) = (make.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                if make(i).await {
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::with_capacity(n);
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Stats {
        workload,
        concurrency,
        ok: all.len(),
        errors,
        per_sec: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

async fn bench_backend(args: &Args, backend: &str) -> Result<Vec<Stats>> {
    let platform = String::from_utf8(
        Command::new(&args.server)
            .args(["token", "generate"])
            .output()?
            .stdout,
    )?
    .trim()
    .to_owned();
    let server = start(args, backend, &platform).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let base = server.base.clone();
    let (s, _) = call(
        &client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/tenants"),
        &platform,
        Some(&json!({"slug": "bench", "display_name": "Bench"})),
    )
    .await?;
    if s != 201 {
        bail!("creating the tenant answered {s}");
    }
    let (s, tok) = call(
        &client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/tenants/bench/tokens"),
        &platform,
        Some(&json!({"name": "bench", "scopes": ["admin"]})),
    )
    .await?;
    if s != 201 {
        bail!("creating the token answered {s}");
    }
    let token: Arc<str> = tok["token"].as_str().unwrap_or_default().into();
    let users_url: Arc<str> = format!("{base}/api/v1/tenants/bench/users").into();
    let ids: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();

    let mut results = Vec::new();
    for &c in &args.concurrency {
        let (client2, token2, url2, ids2) = (
            client.clone(),
            token.clone(),
            users_url.clone(),
            ids.clone(),
        );
        let run_id = format!("c{c}");
        results.push(
            run("create user", args.requests, c, move |i| {
                let (client, token, url, ids, run_id) = (client2.clone(), token2.clone(), url2.clone(), ids2.clone(), run_id.clone());
                async move {
                    let body = json!({"user_name": format!("user-{run_id}-{i:07}"), "email": format!("user{i}.{run_id}@example.com"), "given_name": format!("Given{i}"), "family_name": "Bench"});
                    match call(&client, reqwest::Method::POST, &url, &token, Some(&body)).await {
                        Ok((201, v)) => {
                            if let (Some(id), Ok(mut ids)) = (v["id"].as_str(), ids.lock()) {
                                ids.push(id.to_owned());
                            }
                            true
                        }
                        _ => false,
                    }
                }
            })
            .await,
        );
    }
    let id_list: Arc<Vec<String>> = Arc::new(ids.lock().map(|v| v.clone()).unwrap_or_default());
    if id_list.is_empty() {
        bail!("no user was created");
    }
    for &c in &args.concurrency {
        let (client2, token2, url2, ids2) = (
            client.clone(),
            token.clone(),
            users_url.clone(),
            id_list.clone(),
        );
        results.push(
            run("get user by id", args.requests, c, move |i| {
                let (client, token, url, ids) =
                    (client2.clone(), token2.clone(), url2.clone(), ids2.clone());
                async move {
                    let id = &ids[(i * 7919) % ids.len()];
                    matches!(
                        get_status(&client, &format!("{url}/{id}"), &token).await,
                        Ok(200)
                    )
                }
            })
            .await,
        );
    }
    for &c in &args.concurrency {
        let (client2, token2, url2) = (client.clone(), token.clone(), users_url.clone());
        let total = id_list.len();
        results.push(
            run("search users (q=, limit=20)", args.requests, c, move |i| {
                let (client, token, url) = (client2.clone(), token2.clone(), url2.clone());
                async move {
                    // A substring that matches exactly one user among all of them.
                    let q = format!("user{}.", (i * 7919) % total);
                    matches!(
                        get_status(&client, &format!("{url}?q={q}&limit=20"), &token).await,
                        Ok(200)
                    )
                }
            })
            .await,
        );
    }
    drop(server);
    Ok(results)
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
    println!("| backend | workload | concurrency | requests | errors | req/s | p50 ms | p99 ms |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for backend in backends {
        for s in bench_backend(&args, backend).await? {
            println!(
                "| {backend} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} |",
                s.workload, s.concurrency, s.ok, s.errors, s.per_sec, s.p50_ms, s.p99_ms
            );
        }
    }
    Ok(())
}
