//! Removing signups never verified: anyone may sign up, so what an
//! abandoned signup made (a pending tenant, its admin, its one key) must not
//! stay forever, nor hold its slug.

use std::time::Duration;

use diesel::prelude::*;

use super::Signups;
use crate::clock::to_db;
use crate::db::TxMode;
use crate::db::schema::tenants;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::tenant::TenantStatus;

/// The job's name in `job_runs`.
const JOB: &str = "signup_purge";
/// Signups removed per batch (each is a tenant deletion of its own).
const BATCH: i64 = 100;

impl Signups<'_> {
    /// Deletes every tenant still `pending` that was created more than
    /// `retention` ago, with all its rows; returns how many.
    pub async fn purge_unverified(&self, retention: Duration) -> Result<usize> {
        let retention = time::Duration::try_from(retention)
            .map_err(|e| Error::Internal(format!("signup retention: {e}")))?;
        let cutoff = to_db(self.store.now() - retention);
        let mut purged = 0;
        loop {
            let slugs: Vec<String> = self
                .store
                .pool()
                .run_in(None, TxMode::Read, move |conn| {
                    Ok(tenants::table
                        .filter(tenants::status.eq(TenantStatus::Pending.as_str()))
                        .filter(tenants::created_at.lt(cutoff))
                        .order(tenants::created_at)
                        .limit(BATCH)
                        .select(tenants::slug)
                        .load(conn)?)
                })
                .await?;
            for slug in &slugs {
                match self.store.tenants().delete(slug).await {
                    Ok(_) => purged += 1,
                    // Verified, reclaimed or purged meanwhile.
                    Err(Error::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            if i64::try_from(slugs.len()).unwrap_or(i64::MAX) < BATCH {
                return Ok(purged);
            }
        }
    }
}

impl Store {
    /// One run of the purge, if this node claims the current period (every
    /// `every`, once across the installation); `None` when another node has.
    pub async fn purge_unverified_signups_once(
        &self,
        retention: Duration,
        every: Duration,
    ) -> Result<Option<usize>> {
        if !self.claim_job(JOB, every).await? {
            return Ok(None);
        }
        self.signups().purge_unverified(retention).await.map(Some)
    }

    /// Runs [`Store::purge_unverified_signups_once`] every `every` until the
    /// store is dropped.
    pub fn spawn_signup_purge_job(&self, retention: Duration, every: Duration) {
        self.spawn_periodic(every, "signup purge", move |store| async move {
            let purged = store
                .purge_unverified_signups_once(retention, every)
                .await?
                .unwrap_or(0);
            if purged > 0 {
                tracing::info!(signups = purged, "removed signups never verified");
            }
            Ok(purged)
        });
    }
}
