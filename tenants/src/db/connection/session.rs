//! A pooled connection's session: the tenant it is bound to, and running
//! a job bound to a tenant, in a transaction when it writes.

use std::time::Instant;

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};

use super::DbConnection;
use super::plans::PlanRefresh;
use crate::db::TENANT_SETTING;
use crate::error::Result;
use crate::ids::TenantId;

/// What the session's `latchkey.tenant_id` holds on a pooled connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    /// No tenant: row-level security shows no tenant rows at all.
    None,
    Tenant(TenantId),
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

impl PooledConnection {
    pub(super) fn new(db: DbConnection) -> Self {
        PooledConnection {
            db,
            binding: Binding::None,
            plans: PlanRefresh::new(Instant::now()),
        }
    }

    /// diesel's record of a transaction left open or failed to roll back.
    pub(super) fn transaction_broken(&mut self) -> bool {
        type Tm = <DbConnection as Connection>::TransactionManager;
        Tm::is_broken_transaction_manager(&mut self.db)
    }

    /// Runs `f` bound to `tenant` (or to none). A write runs in one
    /// transaction; on SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so it never fails upgrading a read lock. A read, and a
    /// single-statement write on PostgreSQL, run without one.
    pub(super) fn run<T>(
        &mut self,
        tenant: Option<TenantId>,
        mode: TxMode,
        f: impl FnOnce(&mut DbConnection) -> Result<T>,
    ) -> Result<T> {
        let wanted = tenant.map_or(Binding::None, Binding::Tenant);
        let pg = matches!(self.db, DbConnection::Postgresql(_));
        // Outside the transaction: the plans are dropped even if it rolls back.
        let discard = pg && self.plans.due(Instant::now());
        let rebind = self.rebind_sql(wanted);
        let discard = if discard { "DISCARD PLANS; " } else { "" };
        // SQLite writes one statement at a time anyway: a chain there is a
        // transaction of statements.
        let mode = match (&self.db, mode) {
            (DbConnection::Sqlite(_), TxMode::Statement) => TxMode::Write,
            (_, mode) => mode,
        };
        let setup = Setup {
            wanted,
            discard,
            rebind,
        };
        match mode {
            TxMode::Read | TxMode::Statement => self.run_alone(setup, f),
            TxMode::Write => self.run_in_transaction(setup, f),
        }
    }

    /// The statement that binds the session to `wanted`, unless it is bound
    /// to it already (or is SQLite's, which has no binding).
    fn rebind_sql(&self, wanted: Binding) -> Option<String> {
        match (&self.db, wanted) {
            (DbConnection::Sqlite(_), _) => None,
            (_, wanted) if wanted == self.binding => None,
            // Lowercase hex of 16 bytes: nothing to quote.
            (_, Binding::Tenant(t)) => Some(format!(
                "SET {TENANT_SETTING} = '{}'",
                hex::encode(t.0.as_bytes())
            )),
            (_, _) => Some(format!("RESET {TENANT_SETTING}")),
        }
    }

    fn run_alone<T>(
        &mut self,
        setup: Setup,
        f: impl FnOnce(&mut DbConnection) -> Result<T>,
    ) -> Result<T> {
        if let Some(sql) = setup.rebind {
            self.binding = Binding::Unknown;
            self.db.batch_execute(&format!("{}{sql}", setup.discard))?;
            self.binding = setup.wanted;
        } else if !setup.discard.is_empty() {
            self.db.batch_execute(setup.discard)?;
        }
        f(&mut self.db)
    }

    fn run_in_transaction<T>(
        &mut self,
        setup: Setup,
        f: impl FnOnce(&mut DbConnection) -> Result<T>,
    ) -> Result<T> {
        let discard = setup.discard;
        let begin = match (&self.db, setup.rebind) {
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
                    DbConnection::Postgresql(pg) => AnsiTransactionManager::commit_transaction(pg)?,
                    DbConnection::Sqlite(sqlite) => {
                        AnsiTransactionManager::commit_transaction(sqlite)?
                    }
                }
                self.binding = setup.wanted;
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

/// What a job's statements are preceded by: the binding the session is to
/// have, and the SQL (plans dropped, binding changed) that gets it there.
struct Setup {
    wanted: Binding,
    discard: &'static str,
    rebind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxMode {
    Read,
    Write,
    /// A write that PostgreSQL receives as one statement, atomic without
    /// `BEGIN … COMMIT` (saving two round trips); on SQLite, a [`TxMode::Write`].
    Statement,
}
