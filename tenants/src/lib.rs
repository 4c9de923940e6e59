//! Everything that lives inside a Latchkey tenant, and the storage under it.
//!
//! No HTTP here: the `latchkey-api` crate maps these types to the wire.

pub mod audit;
pub mod audit_stream;
pub mod billing;
mod caches;
pub mod clock;
pub mod db;
pub mod directory;
pub mod error;
pub mod ids;
mod invalidation;
mod jobs;
pub mod keys;
pub mod licensing;
pub mod page;
pub mod password;
pub mod scim;
mod session_secret;
pub mod signin;
pub mod signup;
pub mod store;
pub mod tenant;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokens;
mod ttl_cache;
mod validate;

pub use db::Id;
pub use error::{Error, Result};
pub use ids::{FactorId, GroupId, SessionId, TenantId, TokenId, UserId};
pub use store::{Actor, Store, StoreConfig, TenantScope};
