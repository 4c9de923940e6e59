use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Backend, DatabaseUrl, DbConnection};
use crate::error::{Error, Result};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// Applies every pending migration as the owner of the tables. Returns the
/// names of the migrations that ran.
pub fn run_migrations(url: &DatabaseUrl) -> Result<Vec<String>> {
    let mut conn = url.establish_owner()?;
    let applied = match &mut conn {
        DbConnection::Postgresql(pg) => pg.run_pending_migrations(POSTGRES),
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE),
    }
    .map_err(|e| Error::Internal(format!("migration failed: {e}")))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// The names of the embedded migrations of one backend, in order. The two
/// trees must stay paired by name; a test holds them to it.
pub fn migration_names(backend: Backend) -> Vec<String> {
    use diesel::migration::MigrationSource;
    let source = match backend {
        Backend::Postgres => &POSTGRES,
        Backend::Sqlite => &SQLITE,
    };
    <EmbeddedMigrations as MigrationSource<diesel::sqlite::Sqlite>>::migrations(source)
        .map(|all| all.iter().map(|m| m.name().to_string()).collect())
        .unwrap_or_default()
}
