//! Audit streaming: each tenant may send its audit log to one HTTPS webhook,
//! as it happens (a gated feature: `audit_streaming`).
//!
//! Delivery is in order and at least once. Each webhook keeps a cursor (the
//! time and id of the last event delivered); a background job on every node
//! claims due webhooks (`FOR UPDATE SKIP LOCKED` on PostgreSQL, with a
//! lease, as the key rotation job does), posts the next events in one batch
//! and moves the cursor only on a `2xx`. A failure is retried with
//! exponential backoff (10 s doubling, at most an hour); nothing is dropped.
//!
//! Every request is signed: `Latchkey-Signature: t=<unix time>,v1=<hex>`,
//! where `v1` is HMAC-SHA256 over `"<t>.<body>"` with the webhook's secret.
//! The HTTP client is not here (this crate knows no HTTP): the caller
//! passes a [`WebhookSender`].

use std::future::Future;
use std::pin::Pin;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::json;
use sha2::Sha256;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::audit::{AuditEvent, AuditRow};
use crate::clock::{from_db, to_db};
use crate::db::schema::{audit_events, audit_webhooks as wh};
use crate::db::{DbConnection, Id};
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::keys::sealing::Place;
use crate::licensing::{Access, Feature};
use crate::store::{Actor, Store, TenantScope};

/// Events per delivery.
const BATCH: i64 = 100;
/// How long a claimed webhook is reserved for the node that claimed it.
const LEASE_SECONDS: i32 = 120;
/// Webhooks claimed per run.
const CLAIM: i32 = 50;
/// Events younger than this are not sent yet: a transaction that began
/// earlier may still commit an event with an earlier time.
pub const SETTLE: time::Duration = time::Duration::seconds(5);
/// How soon a webhook with nothing to send is looked at again.
const IDLE: time::Duration = time::Duration::seconds(5);

/// One signed delivery, for a [`WebhookSender`] to post.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    pub url: String,
    /// `application/json`.
    pub body: Vec<u8>,
    /// The `Latchkey-Signature` header value.
    pub signature: String,
}

/// Posts a delivery and answers the HTTP status, or why there was none.
pub trait WebhookSender: Send + Sync {
    fn send<'a>(
        &'a self,
        request: &'a WebhookRequest,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<u16, String>> + Send + 'a>>;
}

/// The header value signing `body` at `t` with `secret`.
pub fn signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this cannot happen.
        Hmac::<Sha256>::new_from_slice(&[0]).expect("HMAC accepts any key length")
    });
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditWebhook {
    pub url: String,
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub last_delivered_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// A webhook as created: its secret, shown this once.
pub struct CreatedWebhook {
    pub webhook: AuditWebhook,
    pub secret: Zeroizing<String>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = wh)]
struct Row {
    tenant_id: TenantId,
    url: String,
    secret_sealed: Vec<u8>,
    cursor_at: time::PrimitiveDateTime,
    cursor_id: Option<Id>,
    attempts: i32,
    next_attempt_at: time::PrimitiveDateTime,
    last_error: Option<String>,
    last_delivered_at: Option<time::PrimitiveDateTime>,
    created_at: time::PrimitiveDateTime,
}

impl From<&Row> for AuditWebhook {
    fn from(r: &Row) -> Self {
        AuditWebhook {
            url: r.url.clone(),
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            next_attempt_at: from_db(r.next_attempt_at),
            last_error: r.last_error.clone(),
            last_delivered_at: r.last_delivered_at.map(from_db),
            created_at: from_db(r.created_at),
        }
    }
}

fn place(tenant: TenantId) -> (TenantId, String) {
    (tenant, tenant.to_string())
}

fn check_url(url: &str) -> Result<()> {
    let bad = |m: &str| Error::invalid("url", m);
    if url.len() > 2048 {
        return Err(bad("is longer than 2048 characters"));
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(bad("must be an https:// URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err(bad("must name a host (and no user or password)"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain spaces or control characters"));
    }
    Ok(())
}

pub struct AuditWebhooks<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn audit_webhook(&self) -> AuditWebhooks<'_> {
        AuditWebhooks { scope: self }
    }
}

impl AuditWebhooks<'_> {
    /// Sets the tenant's webhook (replacing any): events from now on are
    /// sent to `url`. Answers a new secret, shown this once.
    pub async fn set(&self, url: &str) -> Result<CreatedWebhook> {
        check_url(url)?;
        self.scope
            .require(Feature::AuditStreaming, Access::Write)
            .await?;
        let mut raw = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(raw.as_mut());
        let secret = Zeroizing::new(format!("whsec_{}", URL_SAFE_NO_PAD.encode(raw.as_ref())));
        let data_key = self.scope.store.data_key(self.scope.tenant.id).await?;
        let (tenant, row_name) = place(self.scope.tenant.id);
        let sealed = data_key.seal(
            Place {
                tenant,
                table: "audit_webhooks",
                column: "secret_sealed",
                row: &row_name,
            },
            secret.as_bytes(),
        )?;
        let url = url.to_owned();
        let row = self
            .scope
            .write(move |tx| {
                let now = tx.now_db();
                // Events from now on: the cursor starts after the newest one.
                let newest: Option<(time::PrimitiveDateTime, Id)> = audit_events::table
                    .filter(audit_events::tenant_id.eq(tx.tenant))
                    .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
                    .select((audit_events::occurred_at, audit_events::id))
                    .first(tx.conn)
                    .optional()?;
                let row = Row {
                    tenant_id: tx.tenant,
                    url,
                    secret_sealed: sealed,
                    cursor_at: newest.map_or(now, |(at, _)| at),
                    cursor_id: newest.map(|(_, id)| id),
                    attempts: 0,
                    next_attempt_at: now,
                    last_error: None,
                    last_delivered_at: None,
                    created_at: now,
                };
                diesel::delete(wh::table.find(tx.tenant)).execute(tx.conn)?;
                diesel::insert_into(wh::table)
                    .values(&row)
                    .execute(tx.conn)?;
                tx.audit(
                    "audit.webhook.set",
                    "tenant",
                    &tx.tenant.to_string(),
                    json!({ "url": row.url }),
                )?;
                Ok(row)
            })
            .await?;
        Ok(CreatedWebhook {
            webhook: (&row).into(),
            secret,
        })
    }

    /// The webhook and how delivery goes (readable while the feature is, even read-only).
    pub async fn get(&self) -> Result<Option<AuditWebhook>> {
        self.scope
            .require(Feature::AuditStreaming, Access::Read)
            .await?;
        let row: Option<Row> = self
            .scope
            .read(|tx| {
                Ok(wh::table
                    .find(tx.tenant)
                    .select(Row::as_select())
                    .first(tx.conn)
                    .optional()?)
            })
            .await?;
        Ok(row.as_ref().map(Into::into))
    }

    /// Stops streaming. Allowed without the feature.
    pub async fn remove(&self) -> Result<()> {
        self.scope
            .write(|tx| {
                if diesel::delete(wh::table.find(tx.tenant)).execute(tx.conn)? > 0 {
                    tx.audit(
                        "audit.webhook.remove",
                        "tenant",
                        &tx.tenant.to_string(),
                        json!({}),
                    )?;
                }
                Ok(())
            })
            .await
    }
}

#[derive(QueryableByName)]
pub(crate) struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    pub(crate) tenant_id: TenantId,
}

fn claim(conn: &mut DbConnection, now: OffsetDateTime) -> Result<Vec<TenantId>> {
    let now_db = to_db(now);
    match conn {
        DbConnection::Postgresql(pg) => Ok(diesel::sql_query(
            "SELECT tenant_id FROM latchkey_claim_audit_webhooks($1, $2, $3)",
        )
        .bind::<diesel::sql_types::Timestamp, _>(now_db)
        .bind::<diesel::sql_types::Integer, _>(LEASE_SECONDS)
        .bind::<diesel::sql_types::Integer, _>(CLAIM)
        .load::<Claimed>(pg)?
        .into_iter()
        .map(|c| c.tenant_id)
        .collect()),
        DbConnection::Sqlite(sqlite) => {
            let due: Vec<TenantId> = wh::table
                .filter(wh::next_attempt_at.le(now_db))
                .order(wh::next_attempt_at)
                .limit(i64::from(CLAIM))
                .select(wh::tenant_id)
                .load(sqlite)?;
            diesel::update(wh::table.filter(wh::tenant_id.eq_any(&due)))
                .set(wh::next_attempt_at.eq(to_db(
                    now + time::Duration::seconds(i64::from(LEASE_SECONDS)),
                )))
                .execute(sqlite)?;
            Ok(due)
        }
    }
}

/// The wait before the `attempts`-th retry: 10 s doubling, at most an hour.
pub fn backoff(attempts: u32) -> time::Duration {
    let secs = 10i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    time::Duration::seconds(secs.min(3600))
}

fn event_json(e: &AuditEvent) -> serde_json::Value {
    let at = e
        .occurred_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    json!({
        "id": e.id.to_string(),
        "occurred_at": at,
        "actor": e.actor,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "request_id": e.request_id,
        "detail": e.detail,
    })
}

/// What one webhook's turn did.
enum Outcome {
    Delivered,
    Idle,
    Failed,
}

/// The body of one delivery: the tenant and its events.
fn batch_body(slug: &str, events: Vec<AuditRow>) -> Result<Vec<u8>> {
    let events: Vec<AuditEvent> = events.into_iter().map(AuditEvent::from).collect();
    serde_json::to_vec(&json!({
        "tenant": slug,
        "events": events.iter().map(event_json).collect::<Vec<_>>(),
    }))
    .map_err(|e| Error::Internal(format!("audit webhook body: {e}")))
}

/// A delivery counts only on a `2xx`; anything else is a failure, with the
/// reason kept (bounded) for operators.
fn judge(result: std::result::Result<u16, String>) -> (Outcome, Option<String>) {
    match result {
        Ok(status) if (200..300).contains(&status) => (Outcome::Delivered, None),
        Ok(status) => (
            Outcome::Failed,
            Some(format!("the webhook answered HTTP {status}")),
        ),
        Err(why) => (
            Outcome::Failed,
            Some(why.chars().take(500).collect::<String>()),
        ),
    }
}

/// Leaves the webhook (the one created at `created_at`) to be looked at
/// again at `next`, its cursor and attempts as they are.
async fn look_again_at(
    scope: &TenantScope,
    created_at: time::PrimitiveDateTime,
    next: time::PrimitiveDateTime,
) -> Result<()> {
    scope
        .write(move |tx| {
            diesel::update(
                wh::table
                    .find(tx.tenant)
                    .filter(wh::created_at.eq(created_at)),
            )
            .set(wh::next_attempt_at.eq(next))
            .execute(tx.conn)?;
            Ok(())
        })
        .await
}

impl Store {
    /// Delivers the next batch of every due webhook once. Returns the
    /// batches delivered. Safe to run on every node at once.
    pub async fn run_audit_webhooks(&self, sender: &dyn WebhookSender) -> Result<usize> {
        let now = self.now();
        let claimed = self.pool().run_write(move |conn| claim(conn, now)).await?;
        let mut delivered = 0;
        for tenant_id in claimed {
            match self.deliver(tenant_id, sender).await {
                Ok(Outcome::Delivered) => delivered += 1,
                Ok(Outcome::Idle | Outcome::Failed) => {}
                Err(e) => {
                    tracing::warn!(tenant = %tenant_id, error = %e, "audit webhook turn failed")
                }
            }
        }
        Ok(delivered)
    }

    async fn deliver(&self, tenant_id: TenantId, sender: &dyn WebhookSender) -> Result<Outcome> {
        let tenant = match self.tenants().by_id(tenant_id).await {
            Ok(t) => t,
            Err(Error::NotFound(_)) => return Ok(Outcome::Idle),
            Err(e) => return Err(e),
        };
        let usable = tenant.ensure_usable().is_ok();
        let slug = tenant.slug.clone();
        let scope = self.tenant(
            tenant,
            Actor {
                id: "audit-stream".into(),
                request_id: Id::new().to_string(),
            },
        );
        let entitled = scope
            .require(Feature::AuditStreaming, Access::Write)
            .await
            .is_ok();
        let now = self.now();
        let settled = to_db(now - SETTLE);
        let loaded = scope.read(move |tx| pending_events(tx, settled)).await?;
        let Some((row, events)) = loaded else {
            return Ok(Outcome::Idle);
        };
        let created_at = row.created_at;
        // Paused (not entitled, or the tenant suspended) or nothing new: look again later.
        if !usable || !entitled || events.is_empty() {
            look_again_at(&scope, created_at, to_db(now + IDLE)).await?;
            return Ok(Outcome::Idle);
        }
        let last = events.last().map(|e| (e.occurred_at(), e.id()));
        let body = batch_body(&slug, events)?;
        let secret = self.webhook_secret(tenant_id, &row).await?;
        let request = WebhookRequest {
            url: row.url.clone(),
            signature: signature(&secret, now.unix_timestamp(), &body),
            body,
        };
        let result = sender.send(&request).await;
        let attempts = u32::try_from(row.attempts).unwrap_or(0);
        let (outcome, error) = judge(result);
        scope
            .write(move |tx| record_attempt(tx, created_at, error, last, attempts))
            .await?;
        Ok(outcome)
    }

    /// The webhook's signing secret, opened with the tenant's data key.
    async fn webhook_secret(&self, tenant_id: TenantId, row: &Row) -> Result<Zeroizing<Vec<u8>>> {
        let data_key = self.data_key(tenant_id).await?;
        let (tenant, row_name) = place(tenant_id);
        data_key.open(
            Place {
                tenant,
                table: "audit_webhooks",
                column: "secret_sealed",
                row: &row_name,
            },
            &row.secret_sealed,
        )
    }

    /// Runs [`Store::run_audit_webhooks`] every `every` until the store is dropped.
    pub fn spawn_audit_stream_job(
        &self,
        sender: std::sync::Arc<dyn WebhookSender>,
        every: std::time::Duration,
    ) {
        self.spawn_periodic(every, "audit streaming", move |store| {
            let sender = sender.clone();
            async move { store.run_audit_webhooks(sender.as_ref()).await }
        });
    }
}

/// The tenant's webhook and its next batch of settled events after the
/// cursor; `None` without a webhook.
fn pending_events(
    tx: &mut crate::store::TenantTx<'_>,
    settled: time::PrimitiveDateTime,
) -> Result<Option<(Row, Vec<AuditRow>)>> {
    let Some(row) = wh::table
        .find(tx.tenant)
        .select(Row::as_select())
        .first::<Row>(tx.conn)
        .optional()?
    else {
        return Ok(None);
    };
    let mut q = audit_events::table
        .filter(audit_events::tenant_id.eq(tx.tenant))
        .filter(audit_events::occurred_at.le(settled))
        .select(AuditRow::as_select())
        .order((audit_events::occurred_at, audit_events::id))
        .limit(BATCH)
        .into_boxed();
    q = match row.cursor_id {
        None => q.filter(audit_events::occurred_at.ge(row.cursor_at)),
        Some(id) => q.filter(
            audit_events::occurred_at
                .gt(row.cursor_at)
                .or(audit_events::occurred_at
                    .eq(row.cursor_at)
                    .and(audit_events::id.gt(id))),
        ),
    };
    let events: Vec<AuditRow> = q.load(tx.conn)?;
    Ok(Some((row, events)))
}

/// Records a delivery attempt: on success the cursor moves past `last`;
/// on failure the attempt is counted and the next one backed off.
fn record_attempt(
    tx: &mut crate::store::TenantTx<'_>,
    created_at: time::PrimitiveDateTime,
    error: Option<String>,
    last: Option<(time::PrimitiveDateTime, Id)>,
    attempts: u32,
) -> Result<()> {
    let target = wh::table
        .find(tx.tenant)
        .filter(wh::created_at.eq(created_at));
    match (error, last) {
        (None, Some((at, id))) => {
            diesel::update(target)
                .set((
                    wh::cursor_at.eq(at),
                    wh::cursor_id.eq(Some(id)),
                    wh::attempts.eq(0),
                    wh::last_error.eq(None::<String>),
                    wh::last_delivered_at.eq(Some(tx.now_db())),
                    // More may be waiting: due again at once.
                    wh::next_attempt_at.eq(tx.now_db()),
                ))
                .execute(tx.conn)?;
        }
        (error, _) => {
            let attempts = attempts.saturating_add(1);
            diesel::update(target)
                .set((
                    wh::attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)),
                    wh::last_error.eq(error),
                    wh::next_attempt_at.eq(to_db(tx.now + backoff(attempts))),
                ))
                .execute(tx.conn)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_time_dot_body() {
        // RFC 4231 test case 2 shape: key "Jefe"; message "0.what do ya want for nothing?"
        let sig = signature(b"key", 1_700_000_000, b"{\"events\":[]}");
        assert!(sig.starts_with("t=1700000000,v1="));
        assert_eq!(sig.len(), "t=1700000000,v1=".len() + 64);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"1700000000.{\"events\":[]}");
        assert!(sig.ends_with(&hex::encode(mac.finalize().into_bytes())));
    }

    #[test]
    fn retries_back_off_from_ten_seconds_doubling_to_an_hour() {
        assert_eq!(backoff(1), time::Duration::seconds(10));
        assert_eq!(backoff(2), time::Duration::seconds(20));
        assert_eq!(backoff(5), time::Duration::seconds(160));
        assert_eq!(backoff(30), time::Duration::seconds(3600));
    }

    #[test]
    fn only_https_urls_with_a_host_are_accepted() {
        assert!(check_url("https://hooks.example.com/latchkey").is_ok());
        for bad in [
            "http://hooks.example.com",
            "https://",
            "https://u:p@h/",
            "ftp://x",
            "https://a b",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
