//! The licences installed, each verified again whenever the status is
//! computed, with the installation's id and its seat count: the status of
//! [`super::status`], computed here and cached per node.

use std::sync::Arc;

use diesel::prelude::*;
use time::OffsetDateTime;
use uuid::Uuid;

use super::status::*;
use super::token::License;
use crate::clock::{from_db, to_db};
use crate::db::schema::{installation, licenses};
use crate::db::{DbConnection, Id, on_backend};
use crate::error::{Error, Resource, Result};
use crate::store::Store;

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = licenses)]
struct LicenseRow {
    id: String,
    token: String,
    installed_at: time::PrimitiveDateTime,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = installation)]
struct InstallationRow {
    singleton: i32,
    id: Id,
    created_at: time::PrimitiveDateTime,
    over_seats_since: Option<time::PrimitiveDateTime>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Active internal users of the whole installation. On PostgreSQL a
/// function owned by the tables' owner counts across tenants (row-level
/// security hides other tenants' rows from the application role).
fn installation_seats(conn: &mut DbConnection) -> Result<u64> {
    let n = match conn {
        DbConnection::Postgresql(pg) => {
            diesel::sql_query("SELECT latchkey_seats_in_use() AS n")
                .get_result::<Count>(pg)?
                .n
        }
        DbConnection::Sqlite(sqlite) => {
            diesel::sql_query("SELECT count(*) AS n FROM users WHERE kind = 'internal' AND active")
                .get_result::<Count>(sqlite)?
                .n
        }
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

fn ensure_installation(conn: &mut DbConnection, now: OffsetDateTime) -> Result<InstallationRow> {
    let fresh = InstallationRow {
        singleton: 1,
        id: Id::new(),
        created_at: to_db(now),
        over_seats_since: None,
    };
    on_backend!(conn, |c| diesel::insert_into(installation::table)
        .values(&fresh)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(installation::table
        .find(1)
        .select(InstallationRow::as_select())
        .first(conn)?)
}

impl Store {
    /// This installation's id: made once, stored in the database, so every
    /// node of one installation has the same.
    pub async fn installation_id(&self) -> Result<Uuid> {
        if let Some(id) = self.shared.licensing.installation.get() {
            return Ok(*id);
        }
        let now = self.now();
        let row = self
            .pool()
            .run_write(move |conn| ensure_installation(conn, now))
            .await?;
        let _ = self.shared.licensing.installation.set(row.id.0);
        Ok(row.id.0)
    }

    /// Verifies and installs a licence; one with the same id is replaced.
    /// A licence that does not verify, or has expired, is refused.
    pub async fn install_license(&self, token: &str) -> Result<License> {
        let token = token.trim().to_owned();
        if token.len() > 16 * 1024 {
            return Err(Error::invalid("license", "is longer than 16 KiB"));
        }
        let installation = self.installation_id().await?;
        let now = self.now();
        let license = self
            .shared
            .licensing
            .trusted_keys
            .verify(&token, installation, now)
            .map_err(|why| Error::invalid("license", why.to_string()))?;
        if license.expires_at <= now {
            return Err(Error::invalid(
                "license",
                format!("expired at {}", rfc3339(license.expires_at)),
            ));
        }
        let row = LicenseRow {
            id: license.id.clone(),
            token,
            installed_at: to_db(now),
        };
        self.pool()
            .run_write(move |conn| {
                diesel::delete(licenses::table.find(&row.id)).execute(conn)?;
                diesel::insert_into(licenses::table)
                    .values(&row)
                    .execute(conn)?;
                Ok(())
            })
            .await?;
        self.forget_license_status();
        tracing::info!(license = %license.id, licensee = %license.licensee, "licence installed");
        Ok(license)
    }

    /// Removes an installed licence.
    pub async fn remove_license(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        let removed = self
            .pool()
            .run_write(move |conn| Ok(diesel::delete(licenses::table.find(&id)).execute(conn)?))
            .await?;
        self.forget_license_status();
        if removed == 0 {
            return Err(Error::NotFound(Resource::License));
        }
        Ok(())
    }

    /// The status now, with the seats counted now.
    pub async fn license_status(&self) -> Result<Arc<LicenseStatus>> {
        let installation = self.installation_id().await?;
        let now = self.now();
        let (rows, seats_used, inst) = self
            .pool()
            .run(move |conn| {
                let rows: Vec<LicenseRow> = licenses::table
                    .select(LicenseRow::as_select())
                    .order(licenses::installed_at)
                    .load(conn)?;
                let seats = installation_seats(conn)?;
                let inst = installation::table
                    .find(1)
                    .select(InstallationRow::as_select())
                    .first(conn)?;
                Ok((rows, seats, inst))
            })
            .await?;
        let licenses: Vec<InstalledLicense> = rows
            .into_iter()
            .map(|r| InstalledLicense {
                verdict: self
                    .shared
                    .licensing
                    .trusted_keys
                    .verify(&r.token, installation, now),
                id: r.id,
                installed_at: from_db(r.installed_at),
            })
            .collect();
        let mut status = evaluate(
            installation,
            licenses,
            seats_used,
            inst.over_seats_since.map(from_db),
            now,
            self.shared.licensing.policy,
        );
        // Remember when the seats were first exceeded (and forget it once
        // they are not), so the grace period runs from then on every node.
        let over = status.over_seats_since;
        if over != inst.over_seats_since.map(from_db) {
            let stored = self
                .pool()
                .run_write(move |conn| {
                    diesel::update(installation::table.find(1))
                        .set(installation::over_seats_since.eq(over.map(to_db)))
                        .execute(conn)?;
                    Ok(())
                })
                .await;
            if let Err(e) = stored {
                status
                    .warnings
                    .push(format!("the seat count could not be recorded: {e}"));
            }
        }
        let status = Arc::new(status);
        self.shared.licensing.status.insert((), status.clone());
        *self.license_last() = Some((std::time::Instant::now(), status.clone()));
        Ok(status)
    }

    /// After a change to the licences: the next check waits for a new status.
    fn forget_license_status(&self) {
        self.shared.licensing.status.remove_where(|_, _| true);
        *self.license_last() = None;
    }

    fn license_last(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<(std::time::Instant, Arc<LicenseStatus>)>> {
        // The value is replaced whole; a panic elsewhere cannot leave it half-written.
        self.shared
            .licensing
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The status as computed at most twice the cache lifetime ago, for checks
    /// on every request (a change to the licences on this node shows at once).
    pub async fn license_status_cached(&self) -> Result<Arc<LicenseStatus>> {
        if let Some(status) = self.shared.licensing.status.get(&()) {
            return Ok(status);
        }
        // Just expired: answer with it and count again in the background (the
        // seat count over a large installation takes a while; no request should
        // wait for it). Older than twice the lifetime: wait, as on a cold start.
        let recent = self
            .license_last()
            .clone()
            .filter(|(at, _)| at.elapsed() < 2 * self.shared.licensing.ttl);
        if let Some((_, status)) = recent {
            if let Ok(refreshing) = self.shared.licensing.refresh.clone().try_lock_owned() {
                let store = self.clone();
                tokio::spawn(async move {
                    let _refreshing = refreshing;
                    if let Err(e) = store.license_status().await {
                        tracing::warn!(error = %e, "the licence status could not be refreshed");
                    }
                });
            }
            return Ok(status);
        }
        let _refreshing = self.shared.licensing.refresh.lock().await;
        // Another request may have refreshed it while this one waited.
        match self.shared.licensing.status.get(&()) {
            Some(status) => Ok(status),
            None => self.license_status().await,
        }
    }
}
