//! The operator API: tenants and platform tokens, for platform tokens only.

mod tenants;
mod tokens;

pub use tenants::TenantsApi;
pub use tokens::PlatformTokensApi;
