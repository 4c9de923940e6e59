//! The pool: a thread per connection, and the queue SQLite's writers wait
//! in.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};

use super::{Backend, DatabaseUrl, DbConnection, PooledConnection, TxMode};
use crate::error::{Error, Result};
use crate::ids::TenantId;

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
        tenant: Option<TenantId>,
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
