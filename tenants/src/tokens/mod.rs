//! API tokens: 256 bits of randomness, shown once, stored only as SHA-256.
//!
//! A token says what it is by its prefix: `lkp_` (platform operator), `lkt_`
//! (tenant API), `lks_` (SCIM). Tenant tokens carry their tenant's id in the
//! clear before the secret, so checking one is a single lookup on
//! `(tenant_id, token_hash)` under that tenant's row-level security, and a
//! token used against another tenant is recognised as such.

mod format;
mod issued;
mod platform;
pub(crate) mod principal;
mod scopes;
mod tenant;
mod verify;

#[cfg(test)]
mod tests;

pub use format::TokenKind;
pub use issued::{ApiToken, IssuedToken, NewToken};
pub use platform::PlatformTokens;
pub use principal::Principal;
pub use scopes::{Scope, Scopes};
pub use tenant::Tokens;
