//! Connections to either backend: opening them, pooling them, and binding
//! each to the tenant a request acts for.

mod database_url;
mod plans;
mod pool;
mod session;
#[cfg(test)]
mod tests;

use diesel::{PgConnection, SqliteConnection};

pub use database_url::DatabaseUrl;
pub(crate) use database_url::redact;
pub use pool::{Pool, PoolStatus};
pub use session::PooledConnection;
pub(crate) use session::TxMode;

/// One connection type for both backends; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgresql(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}
