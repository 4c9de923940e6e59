//! The measurements of a run, printed as Markdown tables.

use std::time::Duration;

use crate::load::{Stats, quantile_ms};

/// One measured row of the query and group tables.
pub(super) struct Row {
    backend: String,
    what: String,
    requests: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Row {
    pub(super) fn new(backend: &str, what: String, samples: &[Option<Duration>]) -> Row {
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

pub(super) struct Provisioned {
    pub(super) target: String,
    pub(super) users: u64,
    pub(super) stats: Stats,
}

#[derive(Default)]
pub(super) struct Report {
    pub(super) provisioning: Vec<Provisioned>,
    pub(super) queries: Vec<Row>,
    pub(super) pages: Vec<Row>,
    pub(super) groups: Vec<Row>,
}

impl Report {
    /// The tables, each with rows; provisioning compared with the reference
    /// server's rate when it ran.
    pub(super) fn print(&self, concurrency: usize, reference: Option<&Provisioned>) {
        if !self.provisioning.is_empty() || reference.is_some() {
            println!("\nProvisioning (`POST /Users`, {concurrency} clients):\n");
            println!("| server | users | errors | users/s | p50 ms | p99 ms | ÷ scim2-server |");
            println!("|---|---:|---:|---:|---:|---:|---:|");
            let reference_rate = reference.map(|r| r.stats.per_sec);
            for p in self.provisioning.iter().chain(reference) {
                let ratio =
                    reference_rate.map_or("".into(), |r| format!("{:.1}", p.stats.per_sec / r));
                println!(
                    "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {ratio} |",
                    p.target,
                    p.users,
                    p.stats.errors,
                    p.stats.per_sec,
                    p.stats.p50_ms,
                    p.stats.p99_ms
                );
            }
        }
        for (title, rows) in [
            ("Queries, one at a time", &self.queries),
            (
                "Walking the pages of `GET /Users?startIndex=…&count=100`",
                &self.pages,
            ),
            (
                "Group membership changes (PATCH, Entra's shape), one at a time",
                &self.groups,
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
    }
}
