//! The request log's table: the buffered entries written in batches off the
//! request path, each tenant's log pruned to the size it keeps, and read
//! back newest first.

use super::log::{RequestLogEntry, Row, ScimRequestRecord};
use crate::db::schema::scim_requests;
use crate::db::{Id, TxMode, on_backend};
use crate::error::Result;
use crate::ids::TenantId;
use crate::licensing::{Access, Entitlements, Feature, LicenseStatus};
use crate::store::{Shared, TenantScope};
use diesel::prelude::*;
use std::sync::{Arc, Weak};
use std::time::Duration;

const FLUSH_EVERY: Duration = Duration::from_millis(200);

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
    let mut by_tenant: std::collections::BTreeMap<TenantId, Vec<Row>> = Default::default();
    for (id, at, e) in entries {
        by_tenant
            .entry(e.tenant_id)
            .or_default()
            .push(Row::of(id, at, e));
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
        Ok(rows.into_iter().map(ScimRequestRecord::from).collect())
    }
}
