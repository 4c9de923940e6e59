//! Each tenant's log of recent SCIM requests, so an admin can see why a sync
//! failed. Entries are buffered and written in batches off the request path
//! (a provisioning burst must not pay a second write per request), then the
//! log is pruned to its configured size. Best effort by design: entries still
//! buffered when a node stops are lost, the audit log is not.

use std::sync::Mutex;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::Value;
use time::OffsetDateTime;

use crate::clock::{from_db, to_db};
use crate::db::Id;
use crate::db::schema::scim_requests;
use crate::ids::TenantId;

/// Entries kept in memory at most while the database is slow or away.
const MAX_BUFFERED: usize = 10_000;
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
pub(super) struct Row {
    tenant_id: TenantId,
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

impl Row {
    /// The row of an entry logged at `at` under `id`, its body redacted and cut.
    pub(super) fn of(id: Id, at: OffsetDateTime, e: RequestLogEntry) -> Row {
        Row {
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
        }
    }
}

impl From<Row> for ScimRequestRecord {
    fn from(r: Row) -> Self {
        ScimRequestRecord {
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
        }
    }
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

/// What the HTTP layer reports about one SCIM request.
#[derive(Debug, Clone)]
pub struct RequestLogEntry {
    pub tenant_id: TenantId,
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
