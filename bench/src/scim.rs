//! The SCIM workloads (`--workload scim`), per backend:
//!
//! 1. provisioning: `POST /Users` of `--scim-users` users in Entra ID's shape
//!    from `--scim-concurrency` clients, with a SCIM token (and, with
//!    `--scim-reference`, the same against `scim2-server`);
//! 2. a tenant of `--scim-seed-users` users seeded in the database, queried
//!    one request at a time: `userName eq`, `externalId eq`, `userName co`,
//!    and a walk through the pages of 100 in order;
//! 3. membership changes of one user in a group of `--scim-group-members`
//!    members and in a group of 100, in Entra's PATCH shape.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use crate::Args;
use crate::analyze::Analyzer;
use crate::load::{Stats, call, quantile_ms, run};
use crate::people::{self, FAMILY};
use crate::seed::{self, GroupSeed};
use crate::server::{Server, platform_token, start};

#[derive(clap::Args, Debug)]
pub struct ScimArgs {
    /// Users created over SCIM by the provisioning workload.
    #[arg(long, default_value_t = 100_000)]
    scim_users: u64,
    /// Concurrent SCIM clients of the provisioning workload.
    #[arg(long, default_value_t = 16)]
    scim_concurrency: usize,
    /// Also run the provisioning workload against the reference server
    /// scim2-server (from the virtualenv `--scim-venv`).
    #[arg(long)]
    scim_reference: bool,
    /// Users created in scim2-server (it is slower).
    #[arg(long, default_value_t = 10_000)]
    scim_reference_users: u64,
    /// The virtualenv holding scim2-server.
    #[arg(long, default_value = "target/ci-venv")]
    scim_venv: PathBuf,
    /// On PostgreSQL, ANALYZE the directory's tables every this many seconds
    /// while provisioning, as autovacuum does by default (0: never; the CI
    /// database runs with autovacuum off).
    #[arg(long, default_value_t = 60)]
    scim_analyze_every: u64,
    /// Users seeded in the database for the queries and group changes.
    #[arg(long, default_value_t = 1_000_000)]
    scim_seed_users: u64,
    /// Members of the large group.
    #[arg(long, default_value_t = 50_000)]
    scim_group_members: u64,
    /// Requests per query and per group change (one at a time; `co` gets a
    /// fifth of them).
    #[arg(long, default_value_t = 1000)]
    scim_samples: usize,
    /// Pages of 100 users walked in order.
    #[arg(long, default_value_t = 5000)]
    scim_walk_pages: usize,
    /// The parts to run: provision, query, groups.
    #[arg(long, value_delimiter = ',', default_value = "provision,query,groups")]
    scim_parts: Vec<String>,
}

const SMALL_GROUP: u64 = 100;

/// One measured row of the query and group tables.
struct Row {
    backend: String,
    what: String,
    requests: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Row {
    fn new(backend: &str, what: String, samples: &[Option<Duration>]) -> Row {
        let mut ok: Vec<Duration> = samples.iter().flatten().copied().collect();
        ok.sort();
        Row {
            backend: backend.into(),
            what,
            requests: samples.len(),
            errors: samples.len() - ok.len(),
            p50_ms: quantile_ms(&ok, 0.5),
            p99_ms: quantile_ms(&ok, 0.99),
            max_ms: ok.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        }
    }

    fn print(&self) {
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
            self.backend,
            self.what,
            self.requests,
            self.errors,
            self.p50_ms,
            self.p99_ms,
            self.max_ms
        );
    }
}

struct Provisioned {
    target: String,
    users: u64,
    stats: Stats,
}

#[derive(Default)]
struct Report {
    provisioning: Vec<Provisioned>,
    queries: Vec<Row>,
    pages: Vec<Row>,
    groups: Vec<Row>,
}

/// A tenant's SCIM endpoint and token.
#[derive(Clone)]
struct Endpoint {
    client: reqwest::Client,
    base: Arc<str>,
    token: Arc<str>,
}

impl Endpoint {
    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url> {
        let url = format!("{}{path}", self.base);
        Ok(if query.is_empty() {
            Url::parse(&url)?
        } else {
            Url::parse_with_params(&url, query)?
        })
    }

    /// One request, timed from sending to the last byte of the answer.
    async fn timed(
        &self,
        method: Method,
        url: Url,
        body: Option<String>,
    ) -> Result<(Duration, u16, Vec<u8>)> {
        let mut req = self
            .client
            .request(method, url)
            .header("Authorization", format!("Bearer {}", self.token));
        if let Some(b) = body {
            req = req.header("Content-Type", "application/scim+json").body(b);
        }
        let t = Instant::now();
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let elapsed = t.elapsed();
        Ok((elapsed, status, bytes.to_vec()))
    }
}

/// Reports the first few failures, so a run with errors says why.
fn complain(seen: &AtomicUsize, what: &str, status: u16, body: &[u8]) {
    if seen.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!(
            "{what}: answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(400)])
        );
    }
}

/// `POST /Users` of users `0..n` from `concurrency` clients.
async fn provision(ep: &Endpoint, n: u64, concurrency: usize) -> Stats {
    let ep = ep.clone();
    let failures = Arc::new(AtomicUsize::new(0));
    run("provision", n as usize, concurrency, move |i| {
        let (ep, failures) = (ep.clone(), failures.clone());
        async move {
            let body = people::body(i as u64).to_string();
            let Ok(url) = ep.url("/Users", &[]) else {
                return false;
            };
            match ep.timed(Method::POST, url, Some(body)).await {
                Ok((_, 201, _)) => true,
                Ok((_, status, b)) => {
                    complain(&failures, "POST /Users", status, &b);
                    false
                }
                Err(e) => {
                    complain(&failures, "POST /Users", 0, e.to_string().as_bytes());
                    false
                }
            }
        }
    })
    .await
}

/// Sends `n` requests one after another; `check(k, status, body)` says
/// whether request `k`'s answer is right.
async fn one_by_one<M, Fut>(
    ep: &Endpoint,
    what: &str,
    n: usize,
    make: M,
    check: impl Fn(usize, u16, &Value) -> bool,
) -> Vec<Option<Duration>>
where
    M: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(Method, Url, Option<String>)>>,
{
    let failures = AtomicUsize::new(0);
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let result = match make(k).await {
            Ok((method, url, body)) => ep.timed(method, url, body).await,
            Err(e) => Err(e),
        };
        out.push(match result {
            Ok((d, status, bytes)) => {
                let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if check(k, status, &v) {
                    Some(d)
                } else {
                    complain(&failures, what, status, &bytes);
                    None
                }
            }
            Err(e) => {
                complain(&failures, what, 0, e.to_string().as_bytes());
                None
            }
        });
    }
    out
}

/// A user index spread over `0..n`, different for each `k`.
fn spread(k: usize, n: u64) -> u64 {
    (k as u64 * 2_654_435_761 + 12_345) % n
}

fn total(v: &Value) -> i64 {
    v["totalResults"].as_i64().unwrap_or(-1)
}

async fn create_tenant(
    client: &reqwest::Client,
    base: &str,
    platform: &str,
    slug: &str,
) -> Result<Endpoint> {
    let (s, _) = call(
        client,
        Method::POST,
        &format!("{base}/api/v1/tenants"),
        platform,
        Some(&json!({"slug": slug, "display_name": slug})),
    )
    .await?;
    if s != 201 {
        bail!("creating tenant {slug} answered {s}");
    }
    let (s, tok) = call(
        client,
        Method::POST,
        &format!("{base}/api/v1/tenants/{slug}/tokens"),
        platform,
        Some(&json!({"name": "bench", "scopes": ["scim"]})),
    )
    .await?;
    if s != 201 {
        bail!("creating the SCIM token of {slug} answered {s}");
    }
    Ok(Endpoint {
        client: client.clone(),
        base: format!("{base}/t/{slug}/scim/v2").into(),
        token: tok["token"].as_str().unwrap_or_default().into(),
    })
}

async fn queries(ep: &Endpoint, backend: &str, a: &ScimArgs, report: &mut Report) -> Result<()> {
    let n = a.scim_seed_users;
    let samples = a.scim_samples;
    let eq = |attr: &'static str, value: fn(u64) -> String| {
        move |k: usize| {
            let f = format!("{attr} eq \"{}\"", value(spread(k, n)));
            let url = ep.url("/Users", &[("filter", &f)]);
            async move { Ok((Method::GET, url?, None)) }
        }
    };
    let one = |_: usize, s: u16, v: &Value| s == 200 && total(v) == 1;
    let rows = one_by_one(
        ep,
        "userName eq",
        samples,
        eq("userName", people::user_name),
        one,
    )
    .await;
    report.queries.push(Row::new(
        backend,
        "`userName eq` (random user)".into(),
        &rows,
    ));
    let rows = one_by_one(
        ep,
        "externalId eq",
        samples,
        eq("externalId", people::external_id),
        one,
    )
    .await;
    report.queries.push(Row::new(
        backend,
        "`externalId eq` (random user)".into(),
        &rows,
    ));

    // `co` with each family name in turn: each is one user in FAMILY.len().
    let mut expected = vec![0_i64; FAMILY.len()];
    for i in 0..n {
        expected[people::family_index(i)] += 1;
    }
    let co_samples = (samples / 5).max(1);
    let rows = one_by_one(
        ep,
        "userName co",
        co_samples,
        |k| {
            let f = format!(
                "userName co \"{}\"",
                FAMILY[k % FAMILY.len()].to_lowercase()
            );
            let url = ep.url("/Users", &[("filter", &f), ("count", "100")]);
            async move { Ok((Method::GET, url?, None)) }
        },
        |k, s, v| {
            s == 200
                && total(v) == expected[k % FAMILY.len()]
                && v["Resources"].as_array().map_or(0, Vec::len) as i64
                    == expected[k % FAMILY.len()].min(100)
        },
    )
    .await;
    let share = expected[0] as f64 * 100.0 / n as f64;
    report.queries.push(Row::new(
        backend,
        format!(
            "`userName co \"<family name>\"`, count=100 ({} matches each, {share:.2} %)",
            expected[0]
        ),
        &rows,
    ));

    // The walk: pages of 100 in order, each continuing the previous one.
    let pages = a.scim_walk_pages.min(n.div_ceil(100) as usize);
    eprintln!("walking {pages} pages");
    let started = Instant::now();
    let walk = one_by_one(
        ep,
        "page walk",
        pages,
        |p| {
            let start = (1 + 100 * p).to_string();
            let url = ep.url("/Users", &[("startIndex", &start), ("count", "100")]);
            async move { Ok((Method::GET, url?, None)) }
        },
        |p, s, v| {
            s == 200
                && v["startIndex"].as_i64() == Some(1 + 100 * p as i64)
                && v["Resources"].as_array().map_or(0, Vec::len) == (n as usize - 100 * p).min(100)
        },
    )
    .await;
    eprintln!("walked in {:.1} s", started.elapsed().as_secs_f64());
    let windows = [
        (1, 1),
        (2, 10),
        (11, 100),
        (101, 200),
        (991, 1000),
        (1991, 2000),
        (4991, 5000),
    ];
    for (from, to) in windows {
        if to <= pages {
            let label = if from == to {
                format!("page {from} (walk)")
            } else {
                format!("pages {from}–{to} (walk)")
            };
            report
                .pages
                .push(Row::new(backend, label, &walk[from - 1..to]));
        }
    }
    if pages > 200 && !windows.iter().any(|&(_, to)| to == pages) {
        report.pages.push(Row::new(
            backend,
            format!("pages {}–{pages} (walk)", pages - 9),
            &walk[pages - 10..],
        ));
    }
    // The last page walked, asked for directly at a position no walk
    // reached (one past its start): served by OFFSET, for comparison.
    let deep = 100 * (pages - 1) + 2;
    let rows = one_by_one(
        ep,
        "deep page",
        5,
        |_| {
            let start = deep.to_string();
            let url = ep.url("/Users", &[("startIndex", &start), ("count", "100")]);
            async move { Ok((Method::GET, url?, None)) }
        },
        |_, s, _| s == 200,
    )
    .await;
    report.pages.push(Row::new(
        backend,
        format!("startIndex={deep} directly (not walked: OFFSET)"),
        &rows,
    ));
    Ok(())
}

async fn group_changes(
    ep: &Endpoint,
    backend: &str,
    a: &ScimArgs,
    base_millis: u64,
    report: &mut Report,
) -> Result<()> {
    let n = a.scim_seed_users;
    let samples = a.scim_samples.min(1000);
    for (k, members) in [a.scim_group_members, SMALL_GROUP].into_iter().enumerate() {
        let group = people::hyphenate(&seed::group_hex(base_millis, n, k as u64));
        let (_, s, _) = ep
            .timed(
                Method::GET,
                ep.url(
                    &format!("/Groups/{group}"),
                    &[("excludedAttributes", "members")],
                )?,
                None,
            )
            .await?;
        if s != 200 {
            bail!("the seeded group {group} answered {s}");
        }
        // Users from the end of the directory, in no group: added, then
        // removed. As Entra sends it; then asking for an answer without the
        // members, which leaves only the change itself.
        let user = |j: usize| people::seeded_id(base_millis, n - 1 - j as u64);
        let changed = |_: usize, s: u16, _: &Value| s == 200 || s == 204;
        for (variant, query) in [
            ("", &[][..]),
            (
                ", `excludedAttributes=members`",
                &[("excludedAttributes", "members")][..],
            ),
        ] {
            let url = ep.url(&format!("/Groups/{group}"), query)?;
            let mut add = Vec::with_capacity(samples);
            let mut remove = Vec::with_capacity(samples);
            for j in 0..samples {
                for (op, out) in [("Add", &mut add), ("Remove", &mut remove)] {
                    let body = people::member_patch(op, &user(j)).to_string();
                    out.extend(
                        one_by_one(
                            ep,
                            "group PATCH",
                            1,
                            |_| {
                                let (url, body) = (url.clone(), body.clone());
                                async move { Ok((Method::PATCH, url, Some(body))) }
                            },
                            changed,
                        )
                        .await,
                    );
                }
            }
            for (op, rows) in [("add 1 member", &add), ("remove 1 member", &remove)] {
                report.groups.push(Row::new(
                    backend,
                    format!("{op}, group of {members}{variant}"),
                    rows,
                ));
            }
        }
    }
    Ok(())
}

async fn bench_backend(args: &Args, backend: &str, report: &mut Report) -> Result<()> {
    let a = &args.scim;
    let platform = platform_token(args)?;
    let server: Server = start(args, backend, &platform).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let parts = |p: &str| a.scim_parts.iter().any(|x| x == p);
    if parts("provision") {
        let ep = create_tenant(&client, &server.base, &platform, "provisioned").await?;
        eprintln!("{backend}: provisioning {} users", a.scim_users);
        let analyzer = server
            .database
            .clone()
            .filter(|_| a.scim_analyze_every > 0)
            .map(|db| Analyzer::start(db, Duration::from_secs(a.scim_analyze_every)));
        let stats = provision(&ep, a.scim_users, a.scim_concurrency).await;
        drop(analyzer);
        eprintln!(
            "{backend}: {:.0} users/s, {} errors",
            stats.per_sec, stats.errors
        );
        let analyzed = match (&server.database, a.scim_analyze_every) {
            (None, _) => String::new(),
            (Some(_), 0) => ", never analyzed".into(),
            (Some(_), secs) => format!(", ANALYZE every {secs} s"),
        };
        report.provisioning.push(Provisioned {
            target: format!("Latchkey, {backend}{analyzed}"),
            users: a.scim_users,
            stats,
        });
    }
    if parts("query") || parts("groups") {
        if a.scim_seed_users < a.scim_group_members + a.scim_samples as u64 {
            bail!("--scim-seed-users must exceed --scim-group-members + --scim-samples");
        }
        let ep = create_tenant(&client, &server.base, &platform, "directory").await?;
        // Seeded users were "created" in the two days before the run.
        let base_millis = u64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)?
                .as_millis()
                .saturating_sub(2 * 86_400_000),
        )?;
        let groups = [
            GroupSeed {
                display_name: format!("Bench {} members", a.scim_group_members),
                members: a.scim_group_members,
            },
            GroupSeed {
                display_name: format!("Bench {SMALL_GROUP} members"),
                members: SMALL_GROUP,
            },
        ];
        let secs = seed::seed(
            &server,
            "directory",
            a.scim_seed_users,
            base_millis,
            &groups,
        )
        .await
        .context("seeding the directory")?;
        eprintln!(
            "{backend}: seeded {} users in {secs:.0} s",
            a.scim_seed_users
        );
        if parts("query") {
            queries(&ep, backend, a, report).await?;
        }
        if parts("groups") {
            group_changes(&ep, backend, a, base_millis, report).await?;
        }
    }
    drop(server);
    Ok(())
}

async fn reference(a: &ScimArgs) -> Result<Provisioned> {
    let token = "bench-reference-token";
    let server = crate::reference::start(&a.scim_venv, token).await?;
    let ep = Endpoint {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?,
        base: server.base.clone().into(),
        token: token.into(),
    };
    eprintln!(
        "scim2-server: provisioning {} users",
        a.scim_reference_users
    );
    let stats = provision(&ep, a.scim_reference_users, a.scim_concurrency).await;
    drop(server);
    Ok(Provisioned {
        target: "scim2-server 0.8.3 (reference, in memory)".into(),
        users: a.scim_reference_users,
        stats,
    })
}

pub async fn bench(args: &Args, backends: &[&str]) -> Result<()> {
    let a = &args.scim;
    let mut report = Report::default();
    let reference = if a.scim_reference && a.scim_parts.iter().any(|p| p == "provision") {
        Some(reference(a).await?)
    } else {
        None
    };
    for backend in backends {
        bench_backend(args, backend, &mut report).await?;
    }
    if !report.provisioning.is_empty() || reference.is_some() {
        println!(
            "\nProvisioning (`POST /Users`, {} clients):\n",
            a.scim_concurrency
        );
        println!("| server | users | errors | users/s | p50 ms | p99 ms | ÷ scim2-server |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let reference_rate = reference.as_ref().map(|r| r.stats.per_sec);
        for p in report.provisioning.iter().chain(reference.iter()) {
            let ratio = reference_rate.map_or("".into(), |r| format!("{:.1}", p.stats.per_sec / r));
            println!(
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {ratio} |",
                p.target, p.users, p.stats.errors, p.stats.per_sec, p.stats.p50_ms, p.stats.p99_ms
            );
        }
    }
    for (title, rows) in [
        ("Queries, one at a time", &report.queries),
        (
            "Walking the pages of `GET /Users?startIndex=…&count=100`",
            &report.pages,
        ),
        (
            "Group membership changes (PATCH, Entra's shape), one at a time",
            &report.groups,
        ),
    ] {
        if rows.is_empty() {
            continue;
        }
        println!("\n{title}:\n");
        println!("| backend | request | requests | errors | p50 ms | p99 ms | max ms |");
        println!("|---|---|---:|---:|---:|---:|---:|");
        for r in rows {
            r.print();
        }
    }
    Ok(())
}
