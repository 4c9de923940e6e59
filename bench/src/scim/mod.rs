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

mod client;
mod groups;
mod queries;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use reqwest::Method;

use crate::Args;
use crate::analyze::Analyzer;
use crate::load::{Stats, run};
use crate::people;
use crate::seed::{self, GroupSeed};
use crate::server::{Server, platform_token, start};
use client::{Endpoint, complain, create_tenant};
use groups::group_changes;
use queries::queries;
use report::{Provisioned, Report};

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
        report
            .provisioning
            .push(provisioning(&ep, &server, backend, a).await);
    }
    if parts("query") || parts("groups") {
        if a.scim_seed_users < a.scim_group_members + a.scim_samples as u64 {
            bail!("--scim-seed-users must exceed --scim-group-members + --scim-samples");
        }
        let ep = create_tenant(&client, &server.base, &platform, "directory").await?;
        let base_millis = seed_directory(&server, backend, a).await?;
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

/// The provisioning workload, with the database analyzed as autovacuum
/// would while it runs.
async fn provisioning(ep: &Endpoint, server: &Server, backend: &str, a: &ScimArgs) -> Provisioned {
    eprintln!("{backend}: provisioning {} users", a.scim_users);
    let analyzer = server
        .database
        .clone()
        .filter(|_| a.scim_analyze_every > 0)
        .map(|db| Analyzer::start(db, Duration::from_secs(a.scim_analyze_every)));
    let stats = provision(ep, a.scim_users, a.scim_concurrency).await;
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
    Provisioned {
        target: format!("Latchkey, {backend}{analyzed}"),
        users: a.scim_users,
        stats,
    }
}

/// Seeds the `directory` tenant's users and its two groups; returns the
/// time the seeded ids were made from.
async fn seed_directory(server: &Server, backend: &str, a: &ScimArgs) -> Result<u64> {
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
    let secs = seed::seed(server, "directory", a.scim_seed_users, base_millis, &groups)
        .await
        .context("seeding the directory")?;
    eprintln!(
        "{backend}: seeded {} users in {secs:.0} s",
        a.scim_seed_users
    );
    Ok(base_millis)
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
    report.print(a.scim_concurrency, reference.as_ref());
    Ok(())
}
