//! What a tenant may use: the installation's licence plus the tenant's plan.
//! [`Entitlements::require`] is the one check every gated feature calls.

use diesel::prelude::*;

use super::admission::Admission;
use super::status::{LicenseState, LicenseStatus};
use super::{Feature, Plans};
use crate::db::TxMode;
use crate::db::schema::users;
use crate::error::{Error, Result};
use crate::store::{TenantScope, TenantTx};

/// Using a feature (reading what it made) or changing it (configuring it,
/// running it). After a licence's grace period only reading is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Where an entitlement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Plan,
    License,
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Plan => "plan",
            Source::License => "license",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitled {
    pub feature: Feature,
    pub source: Source,
    /// Licensed, but the licence is past its grace period.
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct Entitlements {
    pub plan: String,
    pub features: Vec<Entitled>,
    /// The plan's limit of active internal users.
    pub max_internal_users: Option<u64>,
    pub license_state: LicenseState,
    /// The installation is past a licence grace period.
    pub restricted: bool,
    /// Warnings (licence expiring, seats exceeded …).
    pub warnings: Vec<String>,
    plans_including: Vec<(Feature, Vec<&'static str>)>,
}

impl Entitlements {
    /// `plan` is the tenant's effective plan; `lapsed_from` the paid plan it
    /// lapsed from (billing), whose features stay readable; `warnings` adds
    /// billing's warnings to the licence's.
    pub(crate) fn compute(
        plans: &Plans,
        plan: &str,
        lapsed_from: Option<&str>,
        license: &LicenseStatus,
    ) -> Entitlements {
        let mut features = Vec::new();
        for f in Feature::ALL {
            if plans.includes(plan, f) {
                features.push(Entitled {
                    feature: f,
                    source: Source::Plan,
                    read_only: false,
                });
            } else if license.grants(f) && !license.restricted {
                features.push(Entitled {
                    feature: f,
                    source: Source::License,
                    read_only: false,
                });
            } else if lapsed_from.is_some_and(|p| plans.includes(p, f)) {
                // What the lapsed plan made stays readable; nothing is deleted.
                features.push(Entitled {
                    feature: f,
                    source: Source::Plan,
                    read_only: true,
                });
            } else if license.grants(f) {
                features.push(Entitled {
                    feature: f,
                    source: Source::License,
                    read_only: true,
                });
            }
        }
        Entitlements {
            plan: plan.to_owned(),
            features,
            max_internal_users: plans.get(plan).max_internal_users,
            license_state: license.state.clone(),
            restricted: license.restricted,
            warnings: license.warnings.clone(),
            plans_including: Feature::ALL
                .into_iter()
                .map(|f| (f, plans.including(f)))
                .collect(),
        }
    }

    /// The tenant's entitlements given its billing state at `now`.
    pub(crate) fn for_tenant(
        plans: &Plans,
        tenant: &crate::tenant::Tenant,
        now: time::OffsetDateTime,
        grace: time::Duration,
        license: &LicenseStatus,
    ) -> Entitlements {
        let billed = crate::billing::effective(&tenant.plan, &tenant.billing, now, grace);
        let mut e =
            Entitlements::compute(plans, &billed.plan, billed.lapsed_from.as_deref(), license);
        e.warnings.extend(billed.warning);
        e
    }

    /// Whether `feature` may be used in this way; a refusal names the
    /// feature and what includes it.
    pub fn require(&self, feature: Feature, access: Access) -> Result<()> {
        match self.features.iter().find(|e| e.feature == feature) {
            Some(e) if !e.read_only || access == Access::Read => Ok(()),
            Some(e) if e.source == Source::Plan => Err(Error::NotEntitled {
                feature: feature.as_str(),
                message: format!(
                    "`{feature}` is read-only: the tenant's paid plan has lapsed ({}); \
                     renew the subscription to change it",
                    self.warnings.join("; ")
                ),
            }),
            Some(_) => Err(Error::NotEntitled {
                feature: feature.as_str(),
                message: format!(
                    "`{feature}` is read-only: the installation's licence is past its grace period ({}); \
                     install a renewed licence (or add seats) to change it",
                    self.warnings.join("; ")
                ),
            }),
            None => {
                let plans = self
                    .plans_including
                    .iter()
                    .find(|(f, _)| *f == feature)
                    .map(|(_, p)| p.clone())
                    .unwrap_or_default();
                let via_plan = match plans.as_slice() {
                    [] => String::new(),
                    [one] => format!("the `{one}` plan or "),
                    many => format!(
                        "the {} plans or ",
                        many.iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                };
                Err(Error::NotEntitled {
                    feature: feature.as_str(),
                    message: format!(
                        "`{feature}` is not included in the `{}` plan; it is included in {via_plan}an enterprise licence with the `{feature}` feature",
                        self.plan
                    ),
                })
            }
        }
    }

    pub fn has(&self, feature: Feature) -> bool {
        self.features.iter().any(|e| e.feature == feature)
    }
}

/// Active internal users of the transaction's tenant (an index-only count).
pub(crate) fn tenant_seats(tx: &mut TenantTx<'_>) -> Result<u64> {
    seats_of(tx.conn, tx.tenant)
}

/// [`tenant_seats`] on a connection bound to `tenant`.
pub(crate) fn seats_of(conn: &mut crate::db::DbConnection, tenant: crate::TenantId) -> Result<u64> {
    let n: i64 = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "kind = 'internal' AND active",
        ))
        .count()
        .get_result(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl TenantTx<'_> {
    /// Called before a user row is written as `now_counted` (an active
    /// internal user) when it was `was_counted` before: a new seat is
    /// refused when the installation is restricted or the plan is full.
    /// Deactivating, deleting and changing counted users are always allowed.
    pub(crate) fn admit_seat(&mut self, was_counted: bool, now_counted: bool) -> Result<()> {
        if was_counted || !now_counted {
            return Ok(());
        }
        let Some(admission) = &self.admission else {
            return Err(Error::Internal(
                "a write that adds a seat was not opened with write_admitting".into(),
            ));
        };
        if admission.is_open() {
            return Ok(());
        }
        if let Some(why) = &admission.restricted {
            return Err(Error::SeatsExhausted(format!(
                "no new active internal users: {why}. Existing users keep working; \
                 deactivate users or install a licence with more seats"
            )));
        }
        if let Some(max) = admission.max_internal_users {
            // Held to the end of the transaction: a concurrent write that
            // adds a seat counts after this one's insert is visible.
            self.lock_seats()?;
            if tenant_seats(self)? >= max {
                return Err(Error::SeatsExhausted(format!(
                    "the tenant's plan allows {max} active internal users and has them all; \
                     upgrade the plan or deactivate a user"
                )));
            }
        }
        Ok(())
    }
}

/// Writes that may add a seat: the licence and the plan's limit are looked
/// up before the transaction opens, for [`TenantTx::admit_seat`].
impl TenantScope {
    /// [`Self::write`] for a change that may add a seat: the licence and
    /// the plan's limit are looked up first, for `TenantTx::admit_seat`.
    pub(crate) async fn write_admitting<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut TenantTx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let admission = self.admission().await?;
        self.run(TxMode::Write, Some(admission), f).await
    }

    /// Runs a change that `f` makes with ONE writing statement on
    /// PostgreSQL (a [`crate::db::PgChain`] of inserts, say), atomic without
    /// a transaction; on SQLite `f` runs in a transaction as for
    /// [`Self::write`]. Reads around that statement are fine; a second write
    /// is not: the two would not be atomic. It may add a seat, as
    /// [`Self::write_admitting`].
    pub(crate) async fn write_statement<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut TenantTx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let admission = self.admission().await?;
        // A seat limit is a count then a write: atomic only in a transaction
        // that holds the tenant's seat lock (see `admit_seat`).
        let mode = if admission.is_open() {
            TxMode::Statement
        } else {
            TxMode::Write
        };
        self.run(mode, Some(admission), f).await
    }
}

impl TenantScope {
    /// The tenant's entitlements (licence status at most a cache lifetime old).
    pub async fn entitlements(&self) -> Result<Entitlements> {
        let license = self.store.license_status_cached().await?;
        Ok(Entitlements::for_tenant(
            &self.store.shared.licensing.plans,
            &self.tenant,
            self.store.now(),
            self.store.shared.licensing.billing_grace,
            &license,
        ))
    }

    /// The one entitlement check: fails with `feature-not-entitled`.
    pub async fn require(&self, feature: Feature, access: Access) -> Result<()> {
        self.entitlements().await?.require(feature, access)
    }

    /// Active internal users of this tenant, counted now.
    pub async fn seats_in_use(&self) -> Result<u64> {
        self.read(tenant_seats).await
    }

    pub(crate) async fn admission(&self) -> Result<Admission> {
        let plan = crate::billing::effective(
            &self.tenant.plan,
            &self.tenant.billing,
            self.store.now(),
            self.store.shared.licensing.billing_grace,
        )
        .plan;
        let max_internal_users = self
            .store
            .shared
            .licensing
            .plans
            .get(&plan)
            .max_internal_users;
        let license = self.store.license_status_cached().await?;
        Ok(Admission {
            restricted: license.restricted.then(|| license.warnings.join("; ")),
            max_internal_users,
        })
    }
}
