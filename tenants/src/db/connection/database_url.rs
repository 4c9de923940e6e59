//! The database URL: checked at start, and opening connections as the
//! owner (for migrations) or as the application's role.

use std::fmt;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use super::{Backend, DbConnection};
use crate::db::APP_ROLE;
use crate::error::{Error, Result};

/// A database URL that was checked at start. Only `postgres://`,
/// `postgresql://` and `sqlite://` are accepted: diesel would otherwise treat
/// any string (a mistyped DSN, say) as an SQLite file name and silently create it.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(Error::Config(
                    "DATABASE_URL: `sqlite://` needs a file path, e.g. sqlite://./latchkey-data/latchkey.db".into(),
                ));
            }
            Ok(DatabaseUrl::Sqlite(path.to_owned()))
        } else {
            Err(Error::Config(
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite://".into(),
            ))
        }
    }

    pub fn sqlite_file(path: &std::path::Path) -> Self {
        DatabaseUrl::Sqlite(path.display().to_string())
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Opens one connection without switching role: used for migrations,
    /// which must run as the owner of the tables.
    pub fn establish_owner(&self) -> Result<DbConnection> {
        match self {
            DatabaseUrl::Postgres(url) => Ok(DbConnection::Postgresql(
                PgConnection::establish(url).map_err(unreachable_database)?,
            )),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path).map_err(unreachable_database)?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    /// Opens one connection for the application: on PostgreSQL it switches to
    /// the unprivileged role, so row-level security applies even when the URL
    /// names a superuser.
    pub fn establish_app(&self) -> Result<DbConnection> {
        let mut conn = self.establish_owner()?;
        if let DbConnection::Postgresql(pg) = &mut conn {
            pg.batch_execute(&format!("SET ROLE {APP_ROLE}"))?;
        }
        Ok(conn)
    }
}

impl fmt::Debug for DatabaseUrl {
    // The URL may carry a password; only the backend is worth printing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Postgres(_) => f.write_str("DatabaseUrl::Postgres(..)"),
            DatabaseUrl::Sqlite(path) => write!(f, "DatabaseUrl::Sqlite({path})"),
        }
    }
}

// `busy_timeout` comes first: switching to WAL needs a lock too, and without
// the timeout a connection opened while another one closes (and checkpoints)
// fails at once with "database is locked".
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

fn unreachable_database(err: diesel::ConnectionError) -> Error {
    Error::Unavailable(format!(
        "cannot connect to the database: {}",
        redact(&err.to_string())
    ))
}

/// libpq repeats the connection string in some messages.
pub(crate) fn redact(message: &str) -> String {
    message
        .split_whitespace()
        .map(|word| if word.contains("://") { "<url>" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}
