//! What a node keeps for SCIM: where each list walk continues, and the
//! request log's entries not yet written (see `log`).

use std::sync::Arc;
use std::time::Duration;

use super::log::RequestLog;
use crate::db::Id;
use crate::ids::TenantId;
use crate::ttl_cache::TtlCache;

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
pub(crate) type ContinuationKey = (TenantId, &'static str, String, i64);
