use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use deadpool::Runtime;
use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::{Connection, PgConnection, SqliteConnection};

use super::{APP_ROLE, TENANT_SETTING};
use crate::error::{Error, Result};

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

/// What the session's `latchkey.tenant_id` holds on a pooled connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    /// No tenant: row-level security shows no tenant rows at all.
    None,
    Tenant(super::Id),
    /// After a failure or a rollback: set it again before relying on it.
    Unknown,
}

/// A pooled connection and the tenant its session is bound to.
///
/// On PostgreSQL the binding is a session setting that every row-level
/// security policy compares with. It is changed only when a request needs
/// another tenant (or none), so a read of the same tenant as the previous
/// request on that connection costs one round trip, the query itself.
/// Work that names no tenant first clears the binding: a tenant-scoped table
/// read outside a tenant's scope shows nothing, as on a fresh connection.
pub struct PooledConnection {
    db: DbConnection,
    binding: Binding,
    plans: PlanRefresh,
}

/// When a PostgreSQL connection drops its cached query plans.
///
/// PostgreSQL makes a prepared statement's generic plan once per connection
/// (and a foreign-key check's plan once per connection too) and keeps it
/// until `ANALYZE` or DDL touches its tables. A plan made while a table was
/// nearly empty can pick the wrong index for good: every index leads with
/// `tenant_id`, so on an empty `users` table an index on `(tenant_id,
/// family_name_key)` costs the same as the primary key, and the foreign-key
/// check of every later insert then walks all of the tenant's users. Inserts
/// slow down as the directory grows until autovacuum analyzes the table,
/// which may be a minute away or, where autovacuum is off, never.
///
/// `DISCARD PLANS` keeps the prepared statements (diesel's statement cache
/// stays valid) and makes PostgreSQL plan them again on next use, from the
/// tables' current size. It is sent after use 64, 128, 256, … of a
/// connection, when tables grow fastest relative to their size, and at least
/// once a minute after that; a plan costs tens of microseconds to make again.
#[derive(Debug)]
struct PlanRefresh {
    uses: u64,
    last: Instant,
}

impl PlanRefresh {
    const FIRST: u64 = 64;
    const EVERY: Duration = Duration::from_secs(60);

    fn new(now: Instant) -> Self {
        PlanRefresh { uses: 0, last: now }
    }

    /// Counts one use; true when the plans should be dropped before it.
    fn due(&mut self, now: Instant) -> bool {
        self.uses += 1;
        let due = (self.uses >= Self::FIRST && self.uses.is_power_of_two())
            || now.duration_since(self.last) >= Self::EVERY;
        if due {
            self.last = now;
        }
        due
    }
}

impl PooledConnection {
    fn new(db: DbConnection) -> Self {
        PooledConnection {
            db,
            binding: Binding::None,
            plans: PlanRefresh::new(Instant::now()),
        }
    }

    /// diesel's record of a transaction left open or failed to roll back.
    fn transaction_broken(&mut self) -> bool {
        type Tm = <DbConnection as Connection>::TransactionManager;
        Tm::is_broken_transaction_manager(&mut self.db)
    }

    /// Runs `f` bound to `tenant` (or to none). A write runs in one
    /// transaction; on SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so it never fails upgrading a read lock. A read, and a
    /// single-statement write on PostgreSQL, run without one.
    fn run<T>(
        &mut self,
        tenant: Option<super::Id>,
        mode: TxMode,
        f: impl FnOnce(&mut DbConnection) -> Result<T>,
    ) -> Result<T> {
        let wanted = tenant.map_or(Binding::None, Binding::Tenant);
        let pg = matches!(self.db, DbConnection::Postgresql(_));
        // Outside the transaction: the plans are dropped even if it rolls back.
        let discard = pg && self.plans.due(Instant::now());
        let rebind = match (&self.db, wanted) {
            (DbConnection::Sqlite(_), _) => None,
            (_, wanted) if wanted == self.binding => None,
            // Lowercase hex of 16 bytes: nothing to quote.
            (_, Binding::Tenant(t)) => Some(format!(
                "SET {TENANT_SETTING} = '{}'",
                hex::encode(t.0.as_bytes())
            )),
            (_, _) => Some(format!("RESET {TENANT_SETTING}")),
        };
        let discard = if discard { "DISCARD PLANS; " } else { "" };
        // SQLite writes one statement at a time anyway: a chain there is a
        // transaction of statements.
        let mode = match (&self.db, mode) {
            (DbConnection::Sqlite(_), TxMode::Statement) => TxMode::Write,
            (_, mode) => mode,
        };
        match mode {
            TxMode::Read | TxMode::Statement => {
                if let Some(sql) = rebind {
                    self.binding = Binding::Unknown;
                    self.db.batch_execute(&format!("{discard}{sql}"))?;
                    self.binding = wanted;
                } else if !discard.is_empty() {
                    self.db.batch_execute(discard)?;
                }
                f(&mut self.db)
            }
            TxMode::Write => {
                let begin = match (&self.db, rebind) {
                    (DbConnection::Sqlite(_), _) => "BEGIN IMMEDIATE".to_owned(),
                    // One round trip; the setting commits or rolls back with the transaction.
                    (_, Some(sql)) => format!("{discard}BEGIN; {sql}"),
                    (_, None) => format!("{discard}BEGIN"),
                };
                let before = self.binding;
                self.binding = Binding::Unknown;
                let begun = match &mut self.db {
                    DbConnection::Postgresql(pg) => {
                        AnsiTransactionManager::begin_transaction_sql(pg, &begin)
                    }
                    DbConnection::Sqlite(sqlite) => {
                        AnsiTransactionManager::begin_transaction_sql(sqlite, &begin)
                    }
                };
                if let Err(err) = begun {
                    // `BEGIN` may have run before the statement after it
                    // failed; never hand the connection back inside it.
                    let _ = self.db.batch_execute("ROLLBACK");
                    return Err(err.into());
                }
                match f(&mut self.db) {
                    Ok(value) => {
                        match &mut self.db {
                            DbConnection::Postgresql(pg) => {
                                AnsiTransactionManager::commit_transaction(pg)?
                            }
                            DbConnection::Sqlite(sqlite) => {
                                AnsiTransactionManager::commit_transaction(sqlite)?
                            }
                        }
                        self.binding = wanted;
                        Ok(value)
                    }
                    Err(err) => {
                        // The original error matters more than a failed rollback; a
                        // connection left broken is discarded by the pool's recycle check.
                        let rolled_back = match &mut self.db {
                            DbConnection::Postgresql(pg) => {
                                AnsiTransactionManager::rollback_transaction(pg)
                            }
                            DbConnection::Sqlite(sqlite) => {
                                AnsiTransactionManager::rollback_transaction(sqlite)
                            }
                        };
                        if rolled_back.is_ok() {
                            // A setting changed inside the transaction rolled back with it.
                            self.binding = before;
                        }
                        Err(err)
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxMode {
    Read,
    Write,
    /// A write that PostgreSQL receives as one statement, atomic without
    /// `BEGIN … COMMIT` (saving two round trips); on SQLite, a [`TxMode::Write`].
    Statement,
}

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

pub struct Manager {
    url: DatabaseUrl,
}

type Job = Box<dyn FnOnce(&mut PooledConnection) + Send>;

/// A pooled connection on a thread of its own: a job is handed over a
/// channel and its result comes back on a oneshot, one wake-up each way,
/// without the shared queue of tokio's blocking pool.
pub struct ConnectionThread {
    jobs: mpsc::Sender<Job>,
    /// Set by a job that panicked or left a transaction open, before its
    /// caller hears back; the thread then ends. The pool's recycle check
    /// reads it.
    broken: Arc<AtomicBool>,
}

impl ConnectionThread {
    async fn start(url: DatabaseUrl) -> Result<Self> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (opened, on_open) = tokio::sync::oneshot::channel();
        let broken = Arc::new(AtomicBool::new(false));
        let flag = broken.clone();
        std::thread::Builder::new()
            .name("latchkey-db".into())
            .spawn(move || {
                let mut conn = match url.establish_app() {
                    Ok(c) => {
                        let _ = opened.send(Ok(()));
                        PooledConnection::new(c)
                    }
                    Err(e) => {
                        let _ = opened.send(Err(e));
                        return;
                    }
                };
                // The pool dropping this connection closes the channel.
                while let Ok(job) = inbox.recv() {
                    job(&mut conn);
                    if flag.load(Ordering::Acquire) {
                        return;
                    }
                }
            })
            .map_err(|e| Error::Unavailable(format!("cannot start a database thread: {e}")))?;
        on_open
            .await
            .map_err(|_| Error::Internal("the database thread ended while connecting".into()))??;
        Ok(ConnectionThread { jobs, broken })
    }

    async fn interact<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut PooledConnection) -> T + Send + 'static,
        T: Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let broken = self.broken.clone();
        self.jobs
            .send(Box::new(move |conn| {
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
                // Marked before the caller hears back (the answer, or `done`
                // dropped on a panic): the caller then hands the connection
                // back to the pool, whose recycle check must see the mark.
                if ran.is_err() || conn.transaction_broken() {
                    broken.store(true, Ordering::Release);
                }
                if let Ok(value) = ran {
                    let _ = done.send(value);
                }
            }))
            .map_err(|_| ended_before_answering())?;
        // Dropped unanswered: the job panicked, or an earlier job queued
        // ahead of it (by a cancelled request) left the connection broken.
        result.await.map_err(|_| ended_before_answering())
    }
}

fn ended_before_answering() -> Error {
    Error::Internal("database worker failed: the connection's thread ended before answering".into())
}

impl managed::Manager for Manager {
    type Type = ConnectionThread;
    type Error = Error;

    async fn create(&self) -> Result<Self::Type> {
        ConnectionThread::start(self.url.clone()).await
    }

    async fn recycle(&self, conn: &mut Self::Type, _: &Metrics) -> RecycleResult<Error> {
        if conn.broken.load(Ordering::Acquire) {
            Err(RecycleError::message(
                "connection broken by its last job (a panic or a transaction left open)",
            ))
        } else {
            Ok(())
        }
    }
}

/// The connection pool shared by every request.
#[derive(Clone)]
pub struct Pool {
    inner: managed::Pool<Manager>,
    /// SQLite has one writer at a time. Queuing writers here, in arrival
    /// order, beats SQLite's busy handler, which polls with growing sleeps
    /// and turns contention into long tail latencies.
    sqlite_writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

#[derive(Debug, Clone, Copy)]
pub struct PoolStatus {
    pub max_size: usize,
    pub size: usize,
    pub available: usize,
    pub waiting: usize,
}

impl Pool {
    pub fn new(url: DatabaseUrl, max_size: usize, wait: Duration) -> Result<Self> {
        let sqlite = url.backend() == Backend::Sqlite;
        let inner = managed::Pool::builder(Manager { url })
            .max_size(max_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(wait))
            .create_timeout(Some(wait))
            .recycle_timeout(Some(wait))
            .build()
            .map_err(|e| Error::Config(format!("database pool: {e}")))?;
        let sqlite_writer = sqlite.then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Pool {
            inner,
            sqlite_writer,
        })
    }

    pub fn status(&self) -> PoolStatus {
        let s = self.inner.status();
        PoolStatus {
            max_size: s.max_size,
            size: s.size,
            available: s.available,
            waiting: s.waiting,
        }
    }

    /// Runs a blocking closure on a pooled connection, on a worker thread,
    /// bound to `tenant` (or to none) and, for a write, in one transaction
    /// (after the writers before it, on SQLite).
    pub(crate) async fn run_in<T, F>(
        &self,
        tenant: Option<super::Id>,
        mode: TxMode,
        f: F,
    ) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = match (&self.sqlite_writer, mode) {
            (Some(lock), TxMode::Write | TxMode::Statement) => Some(lock.lock().await),
            _ => None,
        };
        let conn = self.inner.get().await.map_err(|e| match e {
            managed::PoolError::Backend(err) => err,
            managed::PoolError::Timeout(_) => {
                Error::Unavailable("the database did not answer in time".into())
            }
            other => Error::Unavailable(format!("database pool: {other}")),
        })?;
        conn.interact(move |c| c.run(tenant, mode, f)).await?
    }

    /// A read outside any tenant (the tenants and platform tokens tables).
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_in(None, TxMode::Read, f).await
    }

    /// A write outside any tenant, in one transaction.
    pub async fn run_write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_in(None, TxMode::Write, f).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::{BigInt, Text};
    use diesel::{QueryableByName, RunQueryDsl};

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

    fn uses_when_due(plans: &mut PlanRefresh, uses: u64, at: Instant) -> Vec<u64> {
        let mut due = Vec::new();
        for _ in 0..uses {
            if plans.due(at) {
                due.push(plans.uses);
            }
        }
        due
    }

    #[test]
    fn plans_are_dropped_at_doubling_uses_from_the_64th() {
        let start = Instant::now();
        let mut plans = PlanRefresh::new(start);

        let due = uses_when_due(&mut plans, 5000, start);

        assert_eq!(due, [64, 128, 256, 512, 1024, 2048, 4096]);
    }

    #[test]
    fn plans_are_dropped_at_least_once_a_minute() {
        let start = Instant::now();
        let mut plans = PlanRefresh::new(start);
        for _ in 0..100 {
            plans.due(start);
        }

        assert!(!plans.due(start + Duration::from_secs(59)));
        assert!(plans.due(start + Duration::from_secs(60)));
        assert!(!plans.due(start + Duration::from_secs(61)));
        assert!(plans.due(start + Duration::from_secs(120)));
    }
}
