//! Whether a write may add a seat, decided before its transaction opens
//! (see `entitlements`: `TenantScope::write_admitting`, `TenantTx::admit_seat`).

/// What a write needs to know to admit a new seat (an active internal
/// user): whether the installation is restricted, and the plan's limit.
#[derive(Debug, Clone, Default)]
pub(crate) struct Admission {
    pub(crate) restricted: Option<String>,
    pub(crate) max_internal_users: Option<u64>,
}

impl Admission {
    pub(crate) fn is_open(&self) -> bool {
        self.restricted.is_none() && self.max_internal_users.is_none()
    }
}
