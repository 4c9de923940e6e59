//! Seat sync: a subscription's quantity follows the tenant's active
//! internal users.
//!
//! User writes never call Stripe (they must not wait on it or fail with
//! it). A background job on every node claims subscribed tenants that are
//! due (`FOR UPDATE SKIP LOCKED` with a lease on PostgreSQL, as the key
//! rotation and audit streaming jobs do), counts their seats and, when the
//! count differs from the quantity last known to Stripe, sets it. Changes
//! made between two runs are sent as one: the poll interval is the
//! debounce. A failure is retried on later runs with exponential backoff
//! (10 s doubling, at most an hour). The idempotency key is the tenant, the
//! quantity and the number of quantities set before, so a retry after a
//! lost answer is not applied twice and going back to an earlier quantity
//! is still a new change.

use diesel::prelude::*;
use time::OffsetDateTime;

use super::BillingGateway;
use crate::audit::AuditEvent;
use crate::audit_stream::Claimed;
use crate::clock::to_db;
use crate::db::schema::{audit_events, tenants};
use crate::db::{DbConnection, TxMode};
use crate::error::Result;
use crate::ids::TenantId;
use crate::licensing::entitlements::seats_of;
use crate::store::{Actor, Store};

const LEASE_SECONDS: i64 = 120;
const CLAIM: i64 = 50;
/// Subscription statuses whose quantity is kept in step.
const SYNCED: [&str; 4] = ["active", "trialing", "past_due", "unpaid"];

fn claim(conn: &mut DbConnection, now: OffsetDateTime) -> Result<Vec<TenantId>> {
    let now_db = to_db(now);
    let lease = to_db(now + time::Duration::seconds(LEASE_SECONDS));
    match conn {
        DbConnection::Postgresql(pg) => Ok(diesel::sql_query(
            "UPDATE tenants t SET billing_sync_at = $2 \
              WHERE t.id IN (SELECT c.id FROM tenants c \
                              WHERE c.billing_subscription_id IS NOT NULL \
                                AND c.billing_sync_at <= $1 \
                                AND c.billing_status = ANY($3) \
                              ORDER BY c.billing_sync_at LIMIT $4 \
                              FOR UPDATE SKIP LOCKED) \
             RETURNING t.id AS tenant_id",
        )
        .bind::<diesel::sql_types::Timestamp, _>(now_db)
        .bind::<diesel::sql_types::Timestamp, _>(lease)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(SYNCED.to_vec())
        .bind::<diesel::sql_types::BigInt, _>(CLAIM)
        .load::<Claimed>(pg)?
        .into_iter()
        .map(|c| c.tenant_id)
        .collect()),
        DbConnection::Sqlite(sqlite) => {
            let due: Vec<TenantId> = tenants::table
                .filter(tenants::billing_subscription_id.is_not_null())
                .filter(tenants::billing_sync_at.le(now_db))
                .filter(tenants::billing_status.eq_any(SYNCED))
                .order(tenants::billing_sync_at)
                .limit(CLAIM)
                .select(tenants::id)
                .load(sqlite)?;
            diesel::update(tenants::table.filter(tenants::id.eq_any(&due)))
                .set(tenants::billing_sync_at.eq(Some(lease)))
                .execute(sqlite)?;
            Ok(due)
        }
    }
}

/// What a claimed tenant needs synced.
#[derive(Queryable)]
struct Due {
    subscription: Option<String>,
    synced: Option<i64>,
    generation: i64,
    attempts: i32,
}

/// The wait before the `attempts`-th retry: 10 s doubling, at most an hour.
pub fn backoff(attempts: u32) -> time::Duration {
    crate::audit_stream::backoff(attempts)
}

impl Store {
    /// Brings every due subscription's quantity to its tenant's seats once.
    /// Returns the quantities set. Safe to run on every node at once.
    pub async fn run_seat_sync(&self, gateway: &dyn BillingGateway) -> Result<usize> {
        let now = self.now();
        let claimed = self.pool().run_write(move |conn| claim(conn, now)).await?;
        let mut set = 0;
        for tenant in claimed {
            match self.sync_seats(tenant, gateway).await {
                Ok(true) => set += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(tenant = %tenant, error = %e, "seat sync failed"),
            }
        }
        Ok(set)
    }

    async fn sync_seats(&self, tenant: TenantId, gateway: &dyn BillingGateway) -> Result<bool> {
        let (due, seats) = self.seats_due(tenant).await?;
        let quantity = seats.max(1);
        let Some(subscription) = due.subscription else {
            return Ok(false);
        };
        let now = self.now();
        if due.synced == i64::try_from(quantity).ok() {
            self.seats_in_step(tenant, now).await?;
            return Ok(false);
        }
        let key = format!("seats-{tenant}-{quantity}-{}", due.generation);
        let result = gateway.set_quantity(&subscription, quantity, &key).await;
        let attempts = u32::try_from(due.attempts).unwrap_or(0);
        let done = result.is_ok();
        let previous = due.synced;
        self.pool()
            .run_in(Some(tenant), TxMode::Write, move |conn| match result {
                Ok(()) => {
                    record_quantity_set(conn, tenant, &subscription, quantity, previous, &key, now)
                }
                Err(why) => record_sync_failure(conn, tenant, attempts, &why, now),
            })
            .await?;
        self.forget_tenant_id(tenant);
        Ok(done)
    }

    /// What the tenant's subscription was last synced to, and its seats now.
    async fn seats_due(&self, tenant: TenantId) -> Result<(Due, u64)> {
        self.pool()
            .run_in(Some(tenant), TxMode::Read, move |conn| {
                let due: Due = tenants::table
                    .find(tenant)
                    .select((
                        tenants::billing_subscription_id,
                        tenants::billing_seats_synced,
                        tenants::billing_sync_generation,
                        tenants::billing_sync_attempts,
                    ))
                    .first(conn)?;
                let seats = seats_of(conn, tenant)?;
                Ok((due, seats))
            })
            .await
    }

    /// The quantity already matches the seats: due again after the next
    /// interval, with the failures forgotten.
    async fn seats_in_step(&self, tenant: TenantId, now: OffsetDateTime) -> Result<()> {
        self.pool()
            .run_write(move |conn| {
                diesel::update(tenants::table.find(tenant))
                    .set((
                        tenants::billing_sync_at.eq(Some(to_db(now))),
                        tenants::billing_sync_attempts.eq(0),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    /// Runs [`Store::run_seat_sync`] every `every` until the store is dropped.
    pub fn spawn_seat_sync_job(
        &self,
        gateway: std::sync::Arc<dyn BillingGateway>,
        every: std::time::Duration,
    ) {
        self.spawn_periodic(every, "seat sync", move |store| {
            let gateway = gateway.clone();
            async move { store.run_seat_sync(gateway.as_ref()).await }
        });
    }
}

/// Stripe took the new quantity: it is the one synced now (the next change
/// gets a new idempotency key), audited.
fn record_quantity_set(
    conn: &mut DbConnection,
    tenant: TenantId,
    subscription: &str,
    quantity: u64,
    previous: Option<i64>,
    key: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let q = i64::try_from(quantity).unwrap_or(i64::MAX);
    diesel::update(tenants::table.find(tenant))
        .set((
            tenants::billing_seats_synced.eq(Some(q)),
            tenants::billing_sync_generation.eq(tenants::billing_sync_generation + 1),
            tenants::billing_sync_attempts.eq(0),
            tenants::billing_sync_error.eq(None::<String>),
            tenants::billing_sync_at.eq(Some(to_db(now))),
        ))
        .execute(conn)?;
    let actor = Actor {
        id: super::events::ACTOR.to_owned(),
        request_id: key.to_owned(),
    };
    let detail = serde_json::json!({
        "subscription": subscription,
        "quantity": quantity,
        "previous": previous,
    });
    let event = AuditEvent::row(
        tenant,
        now,
        &actor,
        "billing.seats",
        "tenant",
        &tenant.to_string(),
        &detail,
    );
    diesel::insert_into(audit_events::table)
        .values(&event)
        .execute(conn)?;
    Ok(())
}

/// Stripe refused or did not answer: retried after a backoff, the error kept
/// for operators.
fn record_sync_failure(
    conn: &mut DbConnection,
    tenant: TenantId,
    attempts: u32,
    why: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let attempts = attempts.saturating_add(1);
    diesel::update(tenants::table.find(tenant))
        .set((
            tenants::billing_sync_attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)),
            tenants::billing_sync_error.eq(Some(why.chars().take(500).collect::<String>())),
            tenants::billing_sync_at.eq(Some(to_db(now + backoff(attempts)))),
        ))
        .execute(conn)?;
    Ok(())
}
