//! The installation's licences and what they add up to.
//!
//! Several licences may be installed: their seats add up, the earliest
//! expiry counts, their features join. The status is computed from the
//! stored licences (each verified again, never trusted as stored), the seats
//! in use and the clock:
//!
//! - `none`: nothing installed; `invalid`: nothing installed verifies;
//! - `valid`, or `expiring` within [`LicensePolicy::warn_before`] of the expiry;
//! - `expired`, with a grace period ([`LicensePolicy::grace`]).
//!
//! More active internal users than licensed seats is a warning for the
//! grace period too. After either grace period the installation is
//! *restricted*: licensed features are read-only and new internal users are
//! refused. Nobody is deactivated and nothing is deleted.

use std::sync::Arc;

use diesel::prelude::*;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Feature;
use super::token::{Invalid, License};
use crate::clock::{from_db, to_db};
use crate::db::schema::{installation, licenses};
use crate::db::{DbConnection, Id, on_backend};
use crate::error::{Error, Resource, Result};
use crate::store::Store;

/// How long warnings last before restrictions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicensePolicy {
    /// After expiry, and after the seats are first exceeded.
    pub grace: time::Duration,
    /// How long before expiry the status turns `expiring`.
    pub warn_before: time::Duration,
}

impl Default for LicensePolicy {
    fn default() -> Self {
        LicensePolicy {
            grace: time::Duration::days(14),
            warn_before: time::Duration::days(30),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseState {
    None,
    Valid,
    Expiring { days_left: i64 },
    Expired { grace_until: OffsetDateTime },
    Invalid { reason: String },
}

impl LicenseState {
    pub fn as_str(&self) -> &'static str {
        match self {
            LicenseState::None => "none",
            LicenseState::Valid => "valid",
            LicenseState::Expiring { .. } => "expiring",
            LicenseState::Expired { .. } => "expired",
            LicenseState::Invalid { .. } => "invalid",
        }
    }
}

/// One installed licence and the verdict on it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledLicense {
    pub id: String,
    pub installed_at: OffsetDateTime,
    pub verdict: std::result::Result<License, Invalid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LicenseStatus {
    pub installation_id: Uuid,
    pub state: LicenseState,
    /// Seats of the licences that verify; `None` without one.
    pub licensed_seats: Option<u64>,
    /// Active internal users of the whole installation.
    pub seats_used: u64,
    /// Since when more seats are used than licensed, and until when that is tolerated.
    pub over_seats_since: Option<OffsetDateTime>,
    pub seats_grace_until: Option<OffsetDateTime>,
    /// The earliest expiry of the licences that verify.
    pub expires_at: Option<OffsetDateTime>,
    /// What the licences add (known features only).
    pub features: Vec<Feature>,
    /// Past a grace period: licensed features read-only, no new internal users.
    pub restricted: bool,
    /// Warnings for operators, in words (empty when all is well).
    pub warnings: Vec<String>,
    pub licenses: Vec<InstalledLicense>,
}

impl LicenseStatus {
    /// Whether the licence's features apply at all (read-only when restricted).
    pub fn grants(&self, feature: Feature) -> bool {
        self.features.contains(&feature)
    }
}

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
        if let Some(id) = self.shared.installation.get() {
            return Ok(*id);
        }
        let now = self.now();
        let row = self
            .pool()
            .run_write(move |conn| ensure_installation(conn, now))
            .await?;
        let _ = self.shared.installation.set(row.id.0);
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
                verdict: self.shared.trusted_keys.verify(&r.token, installation, now),
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
            self.shared.license_policy,
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
        self.shared.license_cache.insert((), status.clone());
        *self.license_last() = Some((std::time::Instant::now(), status.clone()));
        Ok(status)
    }

    /// After a change to the licences: the next check waits for a new status.
    fn forget_license_status(&self) {
        self.shared.license_cache.remove_where(|_, _| true);
        *self.license_last() = None;
    }

    fn license_last(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<(std::time::Instant, Arc<LicenseStatus>)>> {
        // The value is replaced whole; a panic elsewhere cannot leave it half-written.
        self.shared
            .license_last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The status as computed at most twice the cache lifetime ago, for checks
    /// on every request (a change to the licences on this node shows at once).
    pub async fn license_status_cached(&self) -> Result<Arc<LicenseStatus>> {
        if let Some(status) = self.shared.license_cache.get(&()) {
            return Ok(status);
        }
        // Just expired: answer with it and count again in the background (the
        // seat count over a large installation takes a while; no request should
        // wait for it). Older than twice the lifetime: wait, as on a cold start.
        let recent = self
            .license_last()
            .clone()
            .filter(|(at, _)| at.elapsed() < 2 * self.shared.cache_ttl);
        if let Some((_, status)) = recent {
            if let Ok(refreshing) = self.shared.license_refresh.clone().try_lock_owned() {
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
        let _refreshing = self.shared.license_refresh.lock().await;
        // Another request may have refreshed it while this one waited.
        match self.shared.license_cache.get(&()) {
            Some(status) => Ok(status),
            None => self.license_status().await,
        }
    }
}

/// Days from `now` to `then`, a started day counting as one (9 days and 2
/// hours are 10 days left); negative once `then` has passed.
pub fn days_until(now: OffsetDateTime, then: OffsetDateTime) -> i64 {
    let secs = (then - now).whole_seconds();
    secs.div_euclid(86_400) + i64::from(secs.rem_euclid(86_400) != 0)
}

/// A time as RFC 3339, for messages.
pub fn rfc3339_public(t: OffsetDateTime) -> String {
    rfc3339(t)
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// The status from the licences' verdicts, the seats and the clock.
pub fn evaluate(
    installation_id: Uuid,
    licenses: Vec<InstalledLicense>,
    seats_used: u64,
    over_seats_since: Option<OffsetDateTime>,
    now: OffsetDateTime,
    policy: LicensePolicy,
) -> LicenseStatus {
    let valid: Vec<&License> = licenses
        .iter()
        .filter_map(|l| l.verdict.as_ref().ok())
        .collect();
    let mut status = LicenseStatus {
        installation_id,
        state: LicenseState::None,
        licensed_seats: None,
        seats_used,
        over_seats_since: None,
        seats_grace_until: None,
        expires_at: None,
        features: vec![],
        restricted: false,
        warnings: vec![],
        licenses: vec![],
    };
    if valid.is_empty() {
        if let Some(first) = licenses.iter().find_map(|l| l.verdict.as_ref().err()) {
            status.state = LicenseState::Invalid {
                reason: first.to_string(),
            };
            status
                .warnings
                .push(format!("no installed licence is valid: {first}"));
        }
        status.licenses = licenses;
        return status;
    }
    let seats: u64 = valid.iter().map(|l| l.seats).fold(0, u64::saturating_add);
    let Some(expires_at) = valid.iter().map(|l| l.expires_at).min() else {
        status.licenses = licenses;
        return status;
    };
    let mut features: Vec<Feature> = valid
        .iter()
        .flat_map(|l| l.features.iter())
        .filter_map(|f| f.parse().ok())
        .collect();
    features.sort();
    features.dedup();
    status.licensed_seats = Some(seats);
    status.expires_at = Some(expires_at);
    status.features = features;
    status.state = if now >= expires_at {
        let grace_until = expires_at + policy.grace;
        if now >= grace_until {
            status.restricted = true;
            status.warnings.push(format!(
                "the licence expired at {}; its grace period ended at {}: licensed features are read-only and new internal users are refused",
                rfc3339(expires_at),
                rfc3339(grace_until)
            ));
        } else {
            status.warnings.push(format!(
                "the licence expired at {}; licensed features keep working until {}",
                rfc3339(expires_at),
                rfc3339(grace_until)
            ));
        }
        LicenseState::Expired { grace_until }
    } else if expires_at - now <= policy.warn_before {
        let days_left = days_until(now, expires_at);
        status.warnings.push(format!(
            "the licence expires in {days_left} day(s), at {}",
            rfc3339(expires_at)
        ));
        LicenseState::Expiring { days_left }
    } else {
        LicenseState::Valid
    };
    if seats_used > seats {
        // As stored (microseconds), so the first answer equals later ones.
        let since = over_seats_since.unwrap_or_else(|| from_db(to_db(now)));
        let until = since + policy.grace;
        status.over_seats_since = Some(since);
        status.seats_grace_until = Some(until);
        if now >= until {
            status.restricted = true;
            status.warnings.push(format!(
                "{seats_used} active internal users, {seats} licensed, since {}: new internal users are refused",
                rfc3339(since)
            ));
        } else {
            status.warnings.push(format!(
                "{seats_used} active internal users, {seats} licensed; new internal users will be refused from {} unless seats are added or users deactivated",
                rfc3339(until)
            ));
        }
    }
    status.licenses = licenses;
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn license(id: &str, seats: u64, expires_in_days: i64, features: &[&str]) -> InstalledLicense {
        InstalledLicense {
            id: id.into(),
            installed_at: t0(),
            verdict: Ok(License {
                id: id.into(),
                licensee: "Acme".into(),
                issued_at: t0(),
                not_before: t0(),
                expires_at: t0() + time::Duration::days(expires_in_days),
                binding: super::super::token::Binding::Any,
                seats,
                features: features.iter().map(|f| (*f).to_owned()).collect(),
            }),
        }
    }

    fn eval(
        ls: Vec<InstalledLicense>,
        used: u64,
        over: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> LicenseStatus {
        evaluate(Uuid::nil(), ls, used, over, now, LicensePolicy::default())
    }

    #[test]
    fn nothing_installed_is_none_without_restrictions() {
        let s = eval(vec![], 10_000, None, t0());
        assert_eq!(s.state, LicenseState::None);
        assert!(!s.restricted && s.features.is_empty() && s.licensed_seats.is_none());
    }

    #[test]
    fn seats_add_up_and_the_earliest_expiry_counts() {
        let s = eval(
            vec![
                license("a", 10, 400, &["audit_export"]),
                license("b", 15, 100, &["scim_log_retention"]),
            ],
            3,
            None,
            t0(),
        );
        assert_eq!(s.state, LicenseState::Valid);
        assert_eq!(s.licensed_seats, Some(25));
        assert_eq!(s.expires_at, Some(t0() + time::Duration::days(100)));
        assert_eq!(
            s.features,
            vec![Feature::AuditExport, Feature::ScimLogRetention]
        );
    }

    #[test]
    fn a_licence_near_its_expiry_is_expiring_with_days_left() {
        let s = eval(vec![license("a", 10, 12, &[])], 0, None, t0());
        assert_eq!(s.state, LicenseState::Expiring { days_left: 12 });
        assert_eq!(s.warnings.len(), 1);
        assert!(!s.restricted);
    }

    #[test]
    fn an_expired_licence_keeps_its_features_for_the_grace_period_then_restricts() {
        let ls = || vec![license("a", 10, 1, &["audit_export"])];
        let within = eval(ls(), 0, None, t0() + time::Duration::days(5));
        let grace_until = t0() + time::Duration::days(15);
        assert_eq!(within.state, LicenseState::Expired { grace_until });
        assert!(!within.restricted && within.grants(Feature::AuditExport));
        let after = eval(ls(), 0, None, t0() + time::Duration::days(16));
        assert!(after.restricted);
    }

    #[test]
    fn over_the_seats_warns_for_the_grace_period_from_when_it_started_then_restricts() {
        let ls = || vec![license("a", 2, 400, &[])];
        let first = eval(ls(), 3, None, t0());
        assert_eq!(first.over_seats_since, Some(t0()));
        assert!(!first.restricted && !first.warnings.is_empty());
        let later = eval(ls(), 3, Some(t0()), t0() + time::Duration::days(14));
        assert!(later.restricted);
        let back_under = eval(ls(), 2, Some(t0()), t0() + time::Duration::days(20));
        assert!(!back_under.restricted && back_under.over_seats_since.is_none());
    }

    #[test]
    fn only_invalid_licences_make_the_state_invalid_with_the_reason() {
        let bad = InstalledLicense {
            id: "x".into(),
            installed_at: t0(),
            verdict: Err(Invalid::BadSignature),
        };
        let s = eval(vec![bad.clone()], 0, None, t0());
        assert_eq!(
            s.state,
            LicenseState::Invalid {
                reason: "the signature does not verify".into()
            }
        );
        let mixed = eval(vec![bad, license("a", 5, 400, &[])], 0, None, t0());
        assert_eq!(mixed.state, LicenseState::Valid);
    }
}
