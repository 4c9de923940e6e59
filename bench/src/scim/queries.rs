//! The query workload: lookups by `eq`, searches by `co`, and a walk
//! through the pages.

use std::time::Instant;

use anyhow::Result;
use reqwest::Method;
use serde_json::Value;

use super::ScimArgs;
use super::client::{Endpoint, one_by_one};
use super::report::{Report, Row};
use crate::people::{self, FAMILY};

/// A user index spread over `0..n`, different for each `k`.
fn spread(k: usize, n: u64) -> u64 {
    (k as u64 * 2_654_435_761 + 12_345) % n
}

fn total(v: &Value) -> i64 {
    v["totalResults"].as_i64().unwrap_or(-1)
}

pub(super) async fn queries(
    ep: &Endpoint,
    backend: &str,
    a: &ScimArgs,
    report: &mut Report,
) -> Result<()> {
    lookups(ep, backend, a, report).await;
    contains(ep, backend, a, report).await;
    page_walk(ep, backend, a, report).await;
    Ok(())
}

/// `userName eq` and `externalId eq` of users spread over the directory.
async fn lookups(ep: &Endpoint, backend: &str, a: &ScimArgs, report: &mut Report) {
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
}

async fn contains(ep: &Endpoint, backend: &str, a: &ScimArgs, report: &mut Report) {
    let n = a.scim_seed_users;
    let samples = a.scim_samples;
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
}

async fn page_walk(ep: &Endpoint, backend: &str, a: &ScimArgs, report: &mut Report) {
    let n = a.scim_seed_users;
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
}
