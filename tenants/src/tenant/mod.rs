//! Tenants: the unit of isolation. Operator-level operations live here; what
//! is inside a tenant is reached through [`crate::store::TenantScope`].

pub(crate) mod lifecycle;
pub(crate) mod model;

#[cfg(test)]
mod tests;

pub use lifecycle::Tenants;
pub use model::{DeletedTenant, NewTenant, Tenant, TenantStatus, validate_slug};
