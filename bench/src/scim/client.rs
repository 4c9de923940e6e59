//! Talking to a tenant's SCIM endpoint: timed requests, requests one after
//! another, and the failures worth printing.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use crate::load::call;

/// A tenant's SCIM endpoint and token.
#[derive(Clone)]
pub(super) struct Endpoint {
    pub(super) client: reqwest::Client,
    pub(super) base: Arc<str>,
    pub(super) token: Arc<str>,
}

impl Endpoint {
    pub(super) fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url> {
        let url = format!("{}{path}", self.base);
        Ok(if query.is_empty() {
            Url::parse(&url)?
        } else {
            Url::parse_with_params(&url, query)?
        })
    }

    /// One request, timed from sending to the last byte of the answer.
    pub(super) async fn timed(
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
pub(super) fn complain(seen: &AtomicUsize, what: &str, status: u16, body: &[u8]) {
    if seen.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!(
            "{what}: answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(400)])
        );
    }
}
/// Sends `n` requests one after another; `check(k, status, body)` says
/// whether request `k`'s answer is right.
pub(super) async fn one_by_one<M, Fut>(
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

pub(super) async fn create_tenant(
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
