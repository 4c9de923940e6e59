//! Each tenant's log of recent SCIM requests, so an admin can see why a sync
//! failed. Entries are buffered and written in batches off the request path
//! (a provisioning burst must not pay a second write per request), then the
//! log is pruned to its configured size. Best effort by design: entries still
//! buffered when a node stops are lost, the audit log is not.

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::Value;
use time::OffsetDateTime;

use super::state::RequestLogEntry;
use crate::clock::{from_db, to_db};
use crate::db::schema::scim_requests;
use crate::db::{Id, TxMode, on_backend};
use crate::error::Result;
use crate::licensing::{Access, Entitlements, Feature, LicenseStatus};
use crate::store::{Shared, TenantScope};

const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Bytes of a request body kept in an entry.
const MAX_BODY: usize = 16 * 1024;

/// One entry as stored and read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimRequestRecord {
    pub id: Id,
    pub occurred_at: OffsetDateTime,
    pub token_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub scim_type: Option<String>,
    pub detail: Option<String>,
    pub duration_ms: i32,
    pub request_id: String,
    pub request_body: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = scim_requests)]
struct Row {
    tenant_id: Id,
    id: Id,
    occurred_at: time::PrimitiveDateTime,
    token_id: String,
    method: String,
    path: String,
    status: i32,
    scim_type: Option<String>,
    detail: Option<String>,
    duration_ms: i32,
    request_id: String,
    request_body: Option<String>,
}

/// Keys whose values never reach the log, whatever resource they sit in.
fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password") || k.contains("secret") || k.contains("token")
}

/// The body with every secret replaced, including a PATCH operation's
/// `value` when its `path` names a password.
pub fn redact(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let path_is_secret = map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("path"))
                .and_then(|(_, p)| p.as_str())
                .is_some_and(is_secret);
            Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let hidden =
                            is_secret(k) || (path_is_secret && k.eq_ignore_ascii_case("value"));
                        let v = if hidden {
                            Value::String("[redacted]".into())
                        } else {
                            redact(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

fn truncated(body: &Value) -> String {
    let mut s = redact(body).to_string();
    if s.len() > MAX_BODY {
        let mut cut = MAX_BODY;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("…[truncated]");
    }
    s
}

impl crate::Store {
    /// Records a SCIM request in its tenant's log (written shortly after).
    pub fn log_scim_request(&self, entry: RequestLogEntry) {
        self.shared.scim.log.push(self.now(), entry);
        let mut started = match self.shared.scim.log.flusher.lock() {
            Ok(s) => s,
            Err(_) => return,
        };
        if !*started && tokio::runtime::Handle::try_current().is_ok() {
            *started = true;
            tokio::spawn(flush_loop(Arc::downgrade(&self.shared)));
        }
    }

    /// Returns once every request logged before the call is written (tests,
    /// and shutdown).
    pub async fn flush_scim_log(&self) -> Result<()> {
        flush(self).await
    }
}

async fn flush_loop(inner: Weak<Shared>) {
    loop {
        tokio::time::sleep(FLUSH_EVERY).await;
        let Some(inner) = inner.upgrade() else { return };
        if let Err(e) = flush(&crate::Store { shared: inner }).await {
            tracing::warn!(error = %e, "the SCIM request log could not be written");
        }
    }
}

/// Entries kept for a tenant on `plan`: the extended size when its plan or
/// the installation's licence includes `scim_log_retention` (read access is
/// enough: a licence past its grace period, or a paid plan that lapsed
/// (`billed`), never shrinks what is kept).
fn kept(inner: &Shared, plan: &str, billed: Option<&str>, license: Option<&LicenseStatus>) -> i64 {
    let extended = match license {
        Some(l) => Entitlements::compute(&inner.licensing.plans, plan, billed, l)
            .require(Feature::ScimLogRetention, Access::Read)
            .is_ok(),
        // Without a licence status, never delete what may be kept.
        None => true,
    };
    let size = if extended {
        inner.scim.log_size_extended.max(inner.scim.log_size)
    } else {
        inner.scim.log_size
    };
    i64::try_from(size).unwrap_or(i64::MAX)
}

async fn flush(store: &crate::Store) -> Result<()> {
    let inner = &store.shared;
    let _writing = inner.scim.log.writing.lock().await;
    let entries = inner.scim.log.take();
    if entries.is_empty() {
        return Ok(());
    }
    let license = store.license_status_cached().await.ok();
    let mut by_tenant: std::collections::BTreeMap<Id, Vec<Row>> = Default::default();
    for (id, at, e) in entries {
        by_tenant.entry(e.tenant_id).or_default().push(Row {
            tenant_id: e.tenant_id,
            id,
            occurred_at: to_db(at),
            token_id: e.token_id,
            method: e.method,
            path: e.path,
            status: i32::from(e.status),
            scim_type: e.scim_type,
            detail: e.detail,
            duration_ms: i32::try_from(e.duration.as_millis()).unwrap_or(i32::MAX),
            request_id: e.request_id,
            request_body: e.body.as_ref().map(truncated),
        });
    }
    for (tenant, rows) in by_tenant {
        let inner = store.shared.clone();
        let license = license.clone();
        let result = store
            .shared
            .pool
            .run_in(Some(tenant), TxMode::Write, move |conn| {
                // A tenant deleted meanwhile has nothing left to log into.
                let plan = crate::db::schema::tenants::table
                    .find(tenant)
                    .select((
                        crate::db::schema::tenants::plan,
                        crate::db::schema::tenants::billing_plan,
                    ))
                    .first::<(String, Option<String>)>(conn)
                    .optional()?;
                let Some((plan, billed)) = plan else {
                    return Ok(());
                };
                let keep = kept(&inner, &plan, billed.as_deref(), license.as_deref());
                on_backend!(conn, |c| diesel::insert_into(scim_requests::table)
                    .values(&rows)
                    .execute(c))?;
                let cutoff: Option<Id> = scim_requests::table
                    .filter(scim_requests::tenant_id.eq(tenant))
                    .order(scim_requests::id.desc())
                    .offset(keep)
                    .select(scim_requests::id)
                    .first(conn)
                    .optional()?;
                if let Some(cutoff) = cutoff {
                    diesel::delete(
                        scim_requests::table
                            .filter(scim_requests::tenant_id.eq(tenant))
                            .filter(scim_requests::id.le(cutoff)),
                    )
                    .execute(conn)?;
                }
                Ok(())
            })
            .await;
        result?;
    }
    Ok(())
}

impl TenantScope {
    /// The tenant's most recent SCIM requests with at least status
    /// `status_min`, newest first.
    pub async fn scim_requests(
        &self,
        limit: i64,
        status_min: u16,
    ) -> Result<Vec<ScimRequestRecord>> {
        let rows: Vec<Row> = self
            .read(move |tx| {
                Ok(scim_requests::table
                    .filter(scim_requests::tenant_id.eq(tx.tenant))
                    .filter(scim_requests::status.ge(i32::from(status_min)))
                    .order(scim_requests::id.desc())
                    .limit(limit)
                    .select(Row::as_select())
                    .load(tx.conn)?)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ScimRequestRecord {
                id: r.id,
                occurred_at: from_db(r.occurred_at),
                token_id: r.token_id,
                method: r.method,
                path: r.path,
                status: u16::try_from(r.status).unwrap_or(0),
                scim_type: r.scim_type,
                detail: r.detail,
                duration_ms: r.duration_ms,
                request_id: r.request_id,
                request_body: r.request_body,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn passwords_are_redacted_wherever_they_are() {
        let body = json!({
            "userName": "ada",
            "password": "hunter2",
            "Operations": [{"op": "replace", "path": "password", "value": "s3cret"},
                           {"op": "replace", "value": {"PASSWORD": "x", "title": "t"}}],
        });
        let out = redact(&body).to_string();
        assert!(!out.contains("hunter2") && !out.contains("s3cret") && !out.contains("\"x\""));
        assert!(out.contains("ada") && out.contains("\"t\""));
    }
}
