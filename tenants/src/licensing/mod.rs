//! Licences (self-hosted), plans and the one entitlement check every gated
//! feature goes through.
//!
//! - [`token`]: the licence format, its verification and the vendor's signing key.
//! - [`status`]: the installation's licences, its id, seats in use and the
//!   resulting status (valid, expiring, expired, invalid, none).
//! - [`plans`]: the plans `free`, `team` and `enterprise`, from configuration.
//! - [`entitlements`]: what a tenant may use = the installation's licence
//!   plus the tenant's plan; [`entitlements::Entitlements::require`] is the check.

pub(crate) mod admission;
mod assign;
pub mod entitlements;
mod installed;
pub mod plans;
pub(crate) mod state;
pub mod status;
pub mod token;

pub use entitlements::{Access, Entitlements};
pub use plans::{Feature, Plan, Plans};
pub use status::{LicensePolicy, LicenseState, LicenseStatus};
pub use token::{License, LicenseClaims, SigningKeyPair, TrustedKeys};
