//! What a node keeps for SCIM: where each list walk continues, and the
//! request log's entries not yet written (see `log`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use crate::db::Id;
use crate::ttl_cache::TtlCache;

/// Entries kept in memory at most while the database is slow or away.
const MAX_BUFFERED: usize = 10_000;

pub(crate) struct ScimState {
    pub(crate) pages: Arc<TtlCache<ContinuationKey, Continuation>>,
    pub(crate) log: RequestLog,
    /// Requests kept per tenant in its request log.
    pub(crate) log_size: usize,
    /// Requests kept for tenants entitled to `scim_log_retention`.
    pub(crate) log_size_extended: usize,
}

impl ScimState {
    pub(crate) fn new(log_size: usize, log_size_extended: usize) -> Self {
        ScimState {
            pages: Arc::new(TtlCache::new(Duration::from_secs(600), 10_000)),
            log: RequestLog::default(),
            log_size,
            log_size_extended,
        }
    }
}

/// Where the next page of a walk starts.
#[derive(Debug, Clone)]
pub(crate) struct Continuation {
    pub(super) sort_key: Option<String>,
    pub(super) last: Id,
    pub(super) total: i64,
}

/// The cache key of a continuation: tenant, resource type, query, position.
pub(crate) type ContinuationKey = (Id, &'static str, String, i64);

/// What the HTTP layer reports about one SCIM request.
#[derive(Debug, Clone)]
pub struct RequestLogEntry {
    pub tenant_id: Id,
    pub token_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub scim_type: Option<String>,
    pub detail: Option<String>,
    pub duration: Duration,
    pub request_id: String,
    pub body: Option<Value>,
}

#[derive(Default)]
pub(crate) struct RequestLog {
    /// Ids are taken when a request is logged, so the log's order is the
    /// order of the requests whichever batch writes them.
    buffer: Mutex<Vec<(Id, OffsetDateTime, RequestLogEntry)>>,
    pub(super) flusher: Mutex<bool>,
    /// Held from taking the buffer until its rows are written, so a flush
    /// that finds the buffer empty because the background loop just took it
    /// still returns only once those entries are in the database.
    pub(super) writing: tokio::sync::Mutex<()>,
}

impl RequestLog {
    pub(crate) fn push(&self, at: OffsetDateTime, entry: RequestLogEntry) {
        if let Ok(mut b) = self.buffer.lock() {
            if b.len() >= MAX_BUFFERED {
                b.remove(0);
            }
            b.push((Id::new(), at, entry));
        }
    }

    pub(super) fn take(&self) -> Vec<(Id, OffsetDateTime, RequestLogEntry)> {
        self.buffer
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}
