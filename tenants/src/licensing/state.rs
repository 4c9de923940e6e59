//! What a node keeps for licensing: the settings entitlements are computed
//! from, and the installation's licence status, cached.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::plans::Plans;
use super::status::{LicensePolicy, LicenseStatus};
use super::token::TrustedKeys;
use crate::ttl_cache::TtlCache;

pub(crate) struct Licensing {
    pub(crate) plans: Plans,
    pub(crate) policy: LicensePolicy,
    pub(crate) trusted_keys: TrustedKeys,
    /// How long a tenant whose payment failed keeps its paid plan.
    pub(crate) billing_grace: time::Duration,
    pub(crate) status: TtlCache<(), Arc<LicenseStatus>>,
    /// One refresh of the cached status at a time per node: requests that
    /// find it expired together wait for one count, not one each.
    pub(crate) refresh: Arc<tokio::sync::Mutex<()>>,
    /// The last status computed and when: served while a newer one is being
    /// counted in the background, so no request waits on the seat count.
    pub(crate) last: Mutex<Option<(Instant, Arc<LicenseStatus>)>>,
    /// How long a cached status is fresh.
    pub(crate) ttl: Duration,
    pub(crate) installation: OnceLock<uuid::Uuid>,
}

impl Licensing {
    pub(crate) fn new(
        plans: Plans,
        policy: LicensePolicy,
        trusted_keys: TrustedKeys,
        billing_grace: time::Duration,
        ttl: Duration,
    ) -> Self {
        Licensing {
            plans,
            policy,
            trusted_keys,
            billing_grace,
            status: TtlCache::new(ttl, 1),
            refresh: Arc::new(tokio::sync::Mutex::new(())),
            last: Mutex::new(None),
            ttl,
            installation: OnceLock::new(),
        }
    }
}
