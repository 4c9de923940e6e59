//! The REST API workloads: user creation, reads by id (over the REST API
//! and over SCIM) and searches, at each concurrency level.

use std::sync::Arc;

use anyhow::{Result, bail};
use serde_json::json;

use crate::Args;
use crate::load::{Stats, call, get_status, run};
use crate::server::{platform_token, start};

pub async fn bench_backend(args: &Args, backend: &str) -> Result<Vec<Stats>> {
    let platform = platform_token(args)?;
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
    let token = tenant_token(&client, &base, &platform, "admin").await?;
    let scim_token = tenant_token(&client, &base, &platform, "scim").await?;
    let scim_users_url: Arc<str> = format!("{base}/t/bench/scim/v2/Users").into();
    let users_url: Arc<str> = format!("{base}/api/v1/tenants/bench/users").into();
    let ids: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();

    let mut results = creates(args, &client, &token, &users_url, &ids).await;
    let id_list: Arc<Vec<String>> = Arc::new(ids.lock().map(|v| v.clone()).unwrap_or_default());
    if id_list.is_empty() {
        bail!("no user was created");
    }
    let reads = Reads {
        args,
        client: &client,
        ids: &id_list,
    };
    results.extend(reads.by_id("get user by id", &token, &users_url).await);
    results.extend(
        reads
            .by_id("SCIM get user by id", &scim_token, &scim_users_url)
            .await,
    );
    results.extend(searches(args, &client, &token, &users_url, id_list.len()).await);
    drop(server);
    Ok(results)
}

/// Creates users at each concurrency level, collecting their ids.
async fn creates(
    args: &Args,
    client: &reqwest::Client,
    token: &Arc<str>,
    users_url: &Arc<str>,
    ids: &Arc<std::sync::Mutex<Vec<String>>>,
) -> Vec<Stats> {
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
    results
}

/// Searches that each match one of the `total` users, at each concurrency
/// level.
async fn searches(
    args: &Args,
    client: &reqwest::Client,
    token: &Arc<str>,
    users_url: &Arc<str>,
    total: usize,
) -> Vec<Stats> {
    let mut results = Vec::new();
    for &c in &args.concurrency {
        let (client2, token2, url2) = (client.clone(), token.clone(), users_url.clone());
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
    results
}

/// A token of the bench tenant with one scope.
async fn tenant_token(
    client: &reqwest::Client,
    base: &str,
    platform: &str,
    scope: &str,
) -> Result<Arc<str>> {
    let (s, tok) = call(
        client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/tenants/bench/tokens"),
        platform,
        Some(&json!({"name": format!("bench-{scope}"), "scopes": [scope]})),
    )
    .await?;
    if s != 201 {
        bail!("creating the {scope} token answered {s}");
    }
    Ok(tok["token"].as_str().unwrap_or_default().into())
}

/// Reads of the users created, by id.
struct Reads<'a> {
    args: &'a Args,
    client: &'a reqwest::Client,
    ids: &'a Arc<Vec<String>>,
}

impl Reads<'_> {
    /// `GET {url}/{id}` for ids spread over every user created, at each
    /// concurrency level.
    async fn by_id(&self, workload: &'static str, token: &Arc<str>, url: &Arc<str>) -> Vec<Stats> {
        let mut results = Vec::new();
        for &c in &self.args.concurrency {
            let (client2, token2, url2, ids2) = (
                self.client.clone(),
                token.clone(),
                url.clone(),
                self.ids.clone(),
            );
            results.push(
                run(workload, self.args.requests, c, move |i| {
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
        results
    }
}

pub fn print(backend: &str, results: &[Stats]) {
    for s in results {
        println!(
            "| {backend} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} |",
            s.workload, s.concurrency, s.ok, s.errors, s.per_sec, s.p50_ms, s.p99_ms
        );
    }
}
