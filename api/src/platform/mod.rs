//! The operator API: tenants and platform tokens, for platform tokens only.

mod license;
mod tenants;
mod tokens;

pub use license::LicenseApi;
pub use tenants::TenantsApi;
pub use tokens::PlatformTokensApi;
