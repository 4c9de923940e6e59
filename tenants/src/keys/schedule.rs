//! Scheduled automatic rotation of a tenant's signing keys (a gated
//! feature: `scheduled_key_rotation`).
//!
//! A background job on every node claims due tenants and rotates their
//! keys. On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED` inside a
//! function that also pushes the claimed rows' next time ahead by a lease,
//! so any number of nodes run the job and each due rotation happens once;
//! a node that dies mid-rotation hands it on when the lease ends. On SQLite
//! (one node) the claim is one write transaction.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::clock::{from_db, to_db};
use crate::db::schema::key_rotation_schedules as krs;
use crate::db::{DbConnection, Id};
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::licensing::{Access, Feature};
use crate::store::{Actor, Store};

use super::signing::SigningKeys;

/// How long a claimed rotation is reserved for the node that claimed it.
const LEASE_SECONDS: i32 = 300;
/// Tenants claimed per run.
const BATCH: i32 = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSchedule {
    pub interval_days: u32,
    pub next_rotation_at: OffsetDateTime,
    pub last_rotated_at: Option<OffsetDateTime>,
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = krs, treat_none_as_null = true)]
struct Row {
    tenant_id: TenantId,
    interval_days: i32,
    next_rotation_at: time::PrimitiveDateTime,
    last_rotated_at: Option<time::PrimitiveDateTime>,
}

impl From<Row> for RotationSchedule {
    fn from(r: Row) -> Self {
        RotationSchedule {
            interval_days: u32::try_from(r.interval_days).unwrap_or(0),
            next_rotation_at: from_db(r.next_rotation_at),
            last_rotated_at: r.last_rotated_at.map(from_db),
        }
    }
}

pub const MAX_INTERVAL_DAYS: u32 = 365;

impl SigningKeys<'_> {
    /// The tenant's rotation schedule, if any (readable whenever the
    /// feature is, even read-only).
    pub async fn schedule(&self) -> Result<Option<RotationSchedule>> {
        self.scope
            .require(Feature::ScheduledKeyRotation, Access::Read)
            .await?;
        let row: Option<Row> = self
            .scope
            .read(|tx| {
                Ok(krs::table
                    .find(tx.tenant)
                    .select(Row::as_select())
                    .first(tx.conn)
                    .optional()?)
            })
            .await?;
        Ok(row.map(Into::into))
    }

    /// Rotates every `interval_days` from now on (the first rotation one
    /// interval from now).
    pub async fn set_schedule(&self, interval_days: u32) -> Result<RotationSchedule> {
        if !(1..=MAX_INTERVAL_DAYS).contains(&interval_days) {
            return Err(Error::invalid(
                "interval_days",
                format!("must be 1 to {MAX_INTERVAL_DAYS}"),
            ));
        }
        self.scope
            .require(Feature::ScheduledKeyRotation, Access::Write)
            .await?;
        let row = self
            .scope
            .write(move |tx| {
                let last = krs::table
                    .find(tx.tenant)
                    .select(krs::last_rotated_at)
                    .first::<Option<time::PrimitiveDateTime>>(tx.conn)
                    .optional()?
                    .flatten();
                let row = Row {
                    tenant_id: tx.tenant,
                    interval_days: i32::try_from(interval_days).unwrap_or(i32::MAX),
                    next_rotation_at: to_db(
                        tx.now + time::Duration::days(i64::from(interval_days)),
                    ),
                    last_rotated_at: last,
                };
                diesel::delete(krs::table.find(tx.tenant)).execute(tx.conn)?;
                diesel::insert_into(krs::table)
                    .values(&row)
                    .execute(tx.conn)?;
                tx.audit(
                    "keys.schedule.set",
                    "tenant",
                    &tx.tenant.to_string(),
                    serde_json::json!({ "interval_days": interval_days }),
                )?;
                Ok(row)
            })
            .await?;
        Ok(row.into())
    }

    /// Stops scheduled rotation. Allowed without the feature: switching a
    /// gated feature off never needs an entitlement.
    pub async fn clear_schedule(&self) -> Result<()> {
        self.scope
            .write(|tx| {
                let n = diesel::delete(krs::table.find(tx.tenant)).execute(tx.conn)?;
                if n > 0 {
                    tx.audit(
                        "keys.schedule.clear",
                        "tenant",
                        &tx.tenant.to_string(),
                        serde_json::json!({}),
                    )?;
                }
                Ok(())
            })
            .await
    }
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    tenant_id: TenantId,
}

fn claim(conn: &mut DbConnection, now: OffsetDateTime) -> Result<Vec<TenantId>> {
    let now_db = to_db(now);
    match conn {
        DbConnection::Postgresql(pg) => Ok(diesel::sql_query(
            "SELECT tenant_id FROM latchkey_claim_key_rotations($1, $2, $3)",
        )
        .bind::<diesel::sql_types::Timestamp, _>(now_db)
        .bind::<diesel::sql_types::Integer, _>(LEASE_SECONDS)
        .bind::<diesel::sql_types::Integer, _>(BATCH)
        .load::<Claimed>(pg)?
        .into_iter()
        .map(|c| c.tenant_id)
        .collect()),
        DbConnection::Sqlite(sqlite) => {
            let due: Vec<TenantId> = krs::table
                .filter(krs::next_rotation_at.le(now_db))
                .order(krs::next_rotation_at)
                .limit(i64::from(BATCH))
                .select(krs::tenant_id)
                .load(sqlite)?;
            diesel::update(krs::table.filter(krs::tenant_id.eq_any(&due)))
                .set(krs::next_rotation_at.eq(to_db(
                    now + time::Duration::seconds(i64::from(LEASE_SECONDS)),
                )))
                .execute(sqlite)?;
            Ok(due)
        }
    }
}

impl Store {
    /// Rotates the keys of every tenant whose scheduled rotation is due and
    /// still entitled (a licence past its grace period pauses it; the
    /// schedule stays). Returns the tenants rotated. Safe to run on every
    /// node at once.
    pub async fn run_due_key_rotations(&self) -> Result<usize> {
        let now = self.now();
        let claimed = self.pool().run_write(move |conn| claim(conn, now)).await?;
        let mut rotated = 0;
        for tenant_id in claimed {
            let tenant = match self.tenants().by_id(tenant_id).await {
                Ok(t) => t,
                Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            if tenant.ensure_usable().is_err() {
                continue;
            }
            let actor = Actor {
                id: "scheduler".into(),
                request_id: Id::new().to_string(),
            };
            let scope = self.tenant(tenant, actor);
            let entitled = scope
                .require(Feature::ScheduledKeyRotation, Access::Write)
                .await
                .is_ok();
            let keys = scope.keys();
            if entitled {
                keys.rotate(vec![]).await?;
                rotated += 1;
            }
            // The next run is one interval on, rotated or paused.
            scope
                .write(move |tx| {
                    let interval: Option<i32> = krs::table
                        .find(tx.tenant)
                        .select(krs::interval_days)
                        .first(tx.conn)
                        .optional()?;
                    if let Some(days) = interval {
                        diesel::update(krs::table.find(tx.tenant))
                            .set(
                                krs::next_rotation_at
                                    .eq(to_db(tx.now + time::Duration::days(i64::from(days)))),
                            )
                            .execute(tx.conn)?;
                        if entitled {
                            diesel::update(krs::table.find(tx.tenant))
                                .set(krs::last_rotated_at.eq(Some(tx.now_db())))
                                .execute(tx.conn)?;
                        }
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(rotated)
    }

    /// Runs [`Store::run_due_key_rotations`] every `every` until the store is dropped.
    pub fn spawn_key_rotation_job(&self, every: std::time::Duration) {
        self.spawn_periodic(every, "scheduled key rotation", |store| async move {
            let rotated = store.run_due_key_rotations().await?;
            if rotated > 0 {
                tracing::info!(tenants = rotated, "scheduled key rotation");
            }
            Ok(rotated)
        });
    }
}
