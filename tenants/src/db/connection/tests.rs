use std::time::Duration;

use diesel::connection::TransactionManager;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};

use super::*;
use crate::error::{Error, Result};

#[derive(QueryableByName)]
struct ForeignKeys {
    #[diesel(sql_type = BigInt)]
    foreign_keys: i64,
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[test]
fn an_sqlite_connection_is_in_wal_mode_with_foreign_keys_checked() {
    let db = crate::testing::TestDb::sqlite();

    let DbConnection::Sqlite(mut conn) = db.url().establish_app().unwrap() else {
        panic!("an sqlite URL opens an SQLite connection");
    };
    let keys: ForeignKeys = diesel::sql_query("PRAGMA foreign_keys")
        .get_result(&mut conn)
        .unwrap();
    let journal: JournalMode = diesel::sql_query("PRAGMA journal_mode")
        .get_result(&mut conn)
        .unwrap();

    assert_eq!(keys.foreign_keys, 1);
    assert_eq!(journal.journal_mode, "wal");
}

fn one_connection_pool(db: &crate::testing::TestDb) -> Pool {
    Pool::new(db.url(), 1, Duration::from_secs(5)).unwrap()
}

fn transaction_depth(c: &mut DbConnection) -> Option<u32> {
    type Tm = <DbConnection as Connection>::TransactionManager;
    Tm::transaction_manager_status_mut(c)
        .transaction_depth()
        .ok()
        .flatten()
        .map(|d| d.get())
}

#[tokio::test]
async fn a_query_that_panics_fails_its_request_and_its_connection_is_replaced() {
    let db = crate::testing::TestDb::sqlite();
    let pool = one_connection_pool(&db);

    let failed = pool
        .run(|_| -> Result<()> { panic!("a bug in a query closure") })
        .await;
    let after = pool.run(|_| Ok(1)).await;

    assert!(matches!(failed, Err(Error::Internal(_))), "{failed:?}");
    assert_eq!(after.unwrap(), 1);
}

#[tokio::test]
async fn a_connection_left_inside_a_transaction_is_replaced() {
    let db = crate::testing::TestDb::sqlite();
    let pool = one_connection_pool(&db);

    pool.run(|c| {
        type Tm = <DbConnection as Connection>::TransactionManager;
        Tm::begin_transaction(c)?;
        Ok(())
    })
    .await
    .unwrap();
    let depth = pool.run(|c| Ok(transaction_depth(c))).await.unwrap();

    assert_eq!(depth, None);
}
