//! Storage: one diesel schema over SQLite (embedded default) and PostgreSQL.
//!
//! Everything that touches SQL lives under this crate; the rest of the code sees
//! [`Pool`] and the tenant-bound handles in [`crate::store`].

mod chain;
mod connection;
mod migrations;
pub mod schema;
mod types;

pub(crate) use chain::Chain;
pub use connection::{Backend, DatabaseUrl, DbConnection, Pool, PoolStatus, PooledConnection};
pub(crate) use connection::{TxMode, redact};
pub use migrations::{migration_names, run_migrations};
pub use types::Id;

/// The PostgreSQL role every pooled connection switches to. It owns nothing and
/// is not a superuser, so row-level security applies to it.
pub const APP_ROLE: &str = "latchkey_app";

/// The setting the row-level security policies compare `tenant_id` with.
pub const TENANT_SETTING: &str = "latchkey.tenant_id";

/// Runs `$body` on the inner connection of either backend, for what
/// `MultiConnection` does not carry (batch inserts, `ON CONFLICT`), and for
/// hot queries: `MultiConnection` renders a query's SQL text again on every
/// execution, while a backend's own connection finds a cached statement by
/// its type (docs/architecture.md, "One connection type for two
/// databases"). The body is type-checked once per backend.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;
