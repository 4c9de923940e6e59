//! The entry point to all data: a [`Store`] hands out handles, and the only
//! handle that reaches tenant data is a [`TenantScope`], bound to one tenant.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::caches::Caches;
use crate::clock::{Clock, SystemClock, to_db};
use crate::db::schema::tenants;
use crate::db::{DatabaseUrl, DbConnection, Id, Pool, TxMode, run_migrations};
use crate::error::{Error, Resource, Result};
use crate::ids::TenantId;
use crate::keys::sealing::{DataKey, MasterKey};
use crate::licensing::admission::Admission;
use crate::licensing::plans::Plans;
use crate::licensing::state::Licensing;
use crate::licensing::status::LicensePolicy;
use crate::licensing::token::TrustedKeys;
use crate::scim::state::ScimState;
use crate::tenant::model::Tenant;

pub struct StoreConfig {
    pub database: DatabaseUrl,
    pub pool_size: usize,
    /// How long a request may wait for a connection before it gets 503.
    pub pool_wait: Duration,
    pub master_key: MasterKey,
    pub clock: Arc<dyn Clock>,
    /// How long a node may serve a token or tenant from memory. Bounds how
    /// long a revocation or suspension made on another node takes to apply.
    pub cache_ttl: Duration,
    /// Refuse to open when a stored data key is wrapped under another master
    /// key. Only `latchkey keys rewrap` turns this off, to repair exactly that.
    pub check_master_key: bool,
    /// Where `master_key` came from (a setting, a key file), as the refusal
    /// above names it: the operator must know which key to replace.
    pub master_key_source: String,
    /// SCIM requests kept per tenant in its request log.
    pub scim_log_size: usize,
    /// SCIM requests kept for tenants entitled to `scim_log_retention`.
    pub scim_log_size_extended: usize,
    /// What the plans include.
    pub plans: Plans,
    /// Grace and warning periods of licences.
    pub license_policy: LicensePolicy,
    /// The keys licences are trusted from: the vendor's, compiled in.
    /// Only tests can construct others (`TrustedKeys::for_tests`).
    pub trusted_keys: TrustedKeys,
    /// How long a tenant whose payment failed keeps its paid plan.
    pub billing_grace: time::Duration,
}

impl StoreConfig {
    pub fn new(database: DatabaseUrl, master_key: MasterKey) -> Self {
        StoreConfig {
            database,
            pool_size: 16,
            pool_wait: Duration::from_secs(5),
            master_key,
            clock: Arc::new(SystemClock),
            cache_ttl: Duration::from_secs(2),
            check_master_key: true,
            master_key_source: "the master key".into(),
            scim_log_size: 200,
            scim_log_size_extended: 10_000,
            plans: Plans::default(),
            license_policy: LicensePolicy::default(),
            trusted_keys: TrustedKeys::vendor(),
            billing_grace: time::Duration::days(14),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pub(crate) shared: Arc<Shared>,
}

/// What every clone of a [`Store`] shares: the pool, the clock, the master
/// key and the caches, and each feature's own state, defined by the feature.
pub(crate) struct Shared {
    pub(crate) pool: Pool,
    pub(crate) master: MasterKey,
    pub(crate) clock: Arc<dyn Clock>,
    /// An `Arc` of its own: the invalidation listener holds it weakly.
    pub(crate) caches: Arc<Caches>,
    pub(crate) licensing: Licensing,
    pub(crate) scim: ScimState,
}

/// Who is acting, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `platform-token:<id>`, `token:<id>` or `cli`.
    pub id: String,
    pub request_id: String,
}

impl Actor {
    pub fn cli() -> Self {
        Actor {
            id: "cli".into(),
            request_id: Id::new().to_string(),
        }
    }
}

impl Store {
    /// Runs pending migrations, opens the pool and checks that the master key
    /// is the one the data keys were wrapped with.
    pub async fn open(config: StoreConfig) -> Result<Store> {
        let url = config.database.clone();
        tokio::task::spawn_blocking(move || run_migrations(&url))
            .await
            .map_err(|e| Error::Internal(format!("migration task: {e}")))??;
        let listen_url = match &config.database {
            DatabaseUrl::Postgres(url) => Some(url.clone()),
            DatabaseUrl::Sqlite(_) => None,
        };
        let check_master_key = config.check_master_key;
        let key_source = config.master_key_source.clone();
        let store = Store::unconnected(config)?;
        if check_master_key {
            store.check_master_key(&key_source).await?;
        }
        if let Some(url) = listen_url {
            crate::invalidation::spawn_listener(url, Arc::downgrade(&store.shared.caches));
        }
        Ok(store)
    }

    /// A store over a pool that connects on first use, without migrating or
    /// checking anything: for work that never reaches the database, such as
    /// printing the OpenAPI document.
    /// (`Store::open` builds on it once the database is migrated.)
    pub fn unconnected(config: StoreConfig) -> Result<Store> {
        let pool = Pool::new(config.database, config.pool_size, config.pool_wait)?;
        Ok(Store {
            shared: Arc::new(Shared {
                pool,
                master: config.master_key,
                clock: config.clock,
                caches: Arc::new(Caches::new(config.cache_ttl)),
                licensing: Licensing::new(
                    config.plans,
                    config.license_policy,
                    config.trusted_keys,
                    config.billing_grace,
                    config.cache_ttl,
                ),
                scim: ScimState::new(config.scim_log_size, config.scim_log_size_extended),
            }),
        })
    }

    async fn check_master_key(&self, source: &str) -> Result<()> {
        let ids: Vec<String> = self
            .pool()
            .run(|conn| {
                Ok(tenants::table
                    .filter(tenants::wrapped_data_key.is_not_null())
                    .select(tenants::master_key_id)
                    .distinct()
                    .load(conn)?)
            })
            .await?;
        let mine = self.shared.master.id();
        if let Some(other) = ids.iter().find(|id| id.as_str() != mine) {
            return Err(Error::Config(format!(
                "{source} (key id {mine}) is not the key the stored data keys are wrapped with (key id {other}); \
                 start with the old key, or run `latchkey keys rewrap`"
            )));
        }
        Ok(())
    }

    pub fn pool(&self) -> &Pool {
        &self.shared.pool
    }

    pub fn now(&self) -> OffsetDateTime {
        self.shared.clock.now()
    }

    pub fn master_key_id(&self) -> &str {
        self.shared.master.id()
    }

    /// A handle bound to one tenant; every query through it is confined to
    /// that tenant, by a `WHERE` and, on PostgreSQL, by row-level security.
    pub fn tenant(&self, tenant: Tenant, actor: Actor) -> TenantScope {
        TenantScope {
            store: self.clone(),
            tenant,
            actor,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.pool()
            .run(|conn| {
                diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    pub(crate) fn forget_tenant(&self, slug: &str, id: TenantId) {
        self.shared.caches.forget_tenant(Some(slug), id);
    }

    /// Runs `job` every `every` on this node until the store is dropped
    /// (`what` names it in the log when a run fails).
    pub(crate) fn spawn_periodic<F, Fut>(&self, every: Duration, what: &'static str, job: F)
    where
        F: Fn(Store) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<usize>> + Send,
    {
        let weak = Arc::downgrade(&self.shared);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(inner) = weak.upgrade() else { return };
                if let Err(e) = job(Store { shared: inner }).await {
                    tracing::warn!(error = %e, "{what} failed");
                }
            }
        });
    }

    /// Drops a tenant from this node's caches by id alone (other nodes hear
    /// of it through [`crate::invalidation`]).
    pub(crate) fn forget_tenant_id(&self, id: TenantId) {
        self.shared.caches.forget_tenant_record(id);
    }

    /// The tenant's data key, unwrapped (briefly cached).
    pub(crate) async fn data_key(&self, tenant: TenantId) -> Result<Arc<DataKey>> {
        let unwrap = async {
            let wrapped: Option<Vec<u8>> = self
                .pool()
                .run(move |conn| {
                    Ok(tenants::table
                        .find(tenant)
                        .select(tenants::wrapped_data_key)
                        .first::<Option<Vec<u8>>>(conn)
                        .optional()?
                        .flatten())
                })
                .await?;
            let wrapped = wrapped.ok_or(Error::NotFound(Resource::Tenant))?;
            Ok(Arc::new(self.shared.master.unwrap(tenant, &wrapped)?))
        };
        self.shared
            .caches
            .data_keys
            .get_or_fill(tenant, unwrap)
            .await
    }
}

/// Everything inside one tenant, reached only through this handle.
#[derive(Clone)]
pub struct TenantScope {
    pub(crate) store: Store,
    pub(crate) tenant: Tenant,
    pub(crate) actor: Actor,
}

impl TenantScope {
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Runs a read inside this tenant.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut TenantTx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(TxMode::Read, None, f).await
    }

    /// Runs a change inside this tenant, in one transaction with its audit
    /// events. A change that may add a seat (an active internal user) opens
    /// with `write_admitting` instead (see `licensing::entitlements`).
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut TenantTx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(TxMode::Write, None, f).await
    }

    /// Runs `f` in a transaction of `mode` (see [`TxMode`]); `admission`:
    /// whether it may add a seat (see `licensing::entitlements`).
    pub(crate) async fn run<T, F>(
        &self,
        mode: TxMode,
        admission: Option<Admission>,
        f: F,
    ) -> Result<T>
    where
        F: FnOnce(&mut TenantTx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (tenant, actor, now) = (self.tenant.id, self.actor.clone(), self.store.now());
        self.store
            .pool()
            .run_in(Some(tenant), mode, move |conn| {
                f(&mut TenantTx {
                    conn,
                    tenant,
                    actor: &actor,
                    now,
                    admission,
                })
            })
            .await
    }
}

/// A connection bound to one tenant (inside a transaction, for a write).
pub(crate) struct TenantTx<'a> {
    pub(crate) conn: &'a mut DbConnection,
    pub(crate) tenant: TenantId,
    pub(crate) actor: &'a Actor,
    pub(crate) now: OffsetDateTime,
    /// Whether a new seat may be added (see `licensing::entitlements`);
    /// `None` in a transaction not opened to add one.
    pub(crate) admission: Option<Admission>,
}

impl TenantTx<'_> {
    /// Serialises changes of this tenant that must see each other (key
    /// rotation): on PostgreSQL a row lock on the tenant, held to the end of the
    /// transaction; SQLite already runs one write transaction at a time.
    pub(crate) fn lock_tenant(&mut self) -> Result<()> {
        self.lock_tenant_row("FOR UPDATE")
    }

    /// Serialises the transactions of this tenant that add seats under a
    /// limit, so two of them never both see the last free seat. `NO KEY`:
    /// inserts of other users (which only key-share the tenant row through
    /// their foreign key) are not held up.
    pub(crate) fn lock_seats(&mut self) -> Result<()> {
        self.lock_tenant_row("FOR NO KEY UPDATE")
    }

    fn lock_tenant_row(&mut self, strength: &'static str) -> Result<()> {
        if let DbConnection::Postgresql(pg) = self.conn {
            diesel::sql_query(format!("SELECT 1 FROM tenants WHERE id = $1 {strength}"))
                .bind::<diesel::sql_types::Binary, _>(self.tenant)
                .execute(pg)?;
        }
        Ok(())
    }

    pub(crate) fn now_db(&self) -> time::PrimitiveDateTime {
        to_db(self.now)
    }
}
