//! The two migration trees stay paired, and migrating is idempotent.

use latchkey_tenants::db::{migration_names, run_migrations};

use crate::support::*;

#[test]
fn the_postgres_and_sqlite_migration_trees_have_the_same_names() {
    let postgres = migration_names(Backend::Postgres);
    let sqlite = migration_names(Backend::Sqlite);
    assert!(!postgres.is_empty());
    assert_eq!(postgres, sqlite);
}

both_backends! {
    async fn migrating_an_up_to_date_database_applies_nothing(db: TestDb) {
        let first = run_migrations(&db.url()).unwrap();
        assert_eq!(first.len(), migration_names(db.backend()).len(), "{first:?}");

        let again = run_migrations(&db.url()).unwrap();
        assert!(again.is_empty(), "{again:?}");
        db.store().await.ping().await.unwrap();
    }
}
