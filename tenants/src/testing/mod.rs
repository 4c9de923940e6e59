//! A test-database harness, for this crate's tests and for crates that build
//! on it (enable the `testing` feature in their `[dev-dependencies]`).
//!
//! Every [`TestDb`] is a database of its own — a fresh SQLite file in a
//! temporary folder, or a fresh PostgreSQL database — so tests run in
//! parallel without seeing each other, and each is removed when the `TestDb`
//! is dropped.
//!
//! PostgreSQL is reached at `LATCHKEY_TEST_POSTGRES_URL`; without it, at
//! [`DEFAULT_POSTGRES_URL`] when that server takes the user `postgres`;
//! otherwise the harness starts a private cluster for the checkout (and
//! installs Debian's `postgresql` first when it is missing and the tests run
//! as root): see [`server`]. A PostgreSQL that cannot be had is a test
//! *failure*, never a skip: the harness panics and says how to fix it.
//!
//! ```ignore
//! use latchkey_tenants::both_backends;
//! use latchkey_tenants::testing::TestDb;
//!
//! both_backends! {
//!     async fn a_store_opens(db: TestDb) {
//!         db.store().await.ping().await.unwrap();
//!     }
//! }
//! // -> tests `a_store_opens::sqlite` and `a_store_opens::postgres`
//! ```

pub mod server;

use std::future::Future;
use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use uuid::Uuid;

use crate::db::{Backend, DatabaseUrl};
use crate::keys::sealing::MasterKey;
use crate::store::{Store, StoreConfig};

/// The server the PostgreSQL tests use unless `LATCHKEY_TEST_POSTGRES_URL`
/// says otherwise, when it takes the user `postgres` without a password.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The setting naming the PostgreSQL server (any database on it; the harness
/// connects there only to create and drop its own databases).
pub const POSTGRES_URL_VAR: &str = "LATCHKEY_TEST_POSTGRES_URL";

/// One database, used by one test, removed on drop.
pub struct TestDb {
    url: DatabaseUrl,
    /// The master key every [`Store`] of this database is opened with, as
    /// base64 so that any number of `MasterKey` values can be made from it.
    master_key: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The temporary folder holding the SQLite file (and its WAL files).
    Folder(PathBuf),
    /// The server URL (to connect to), the name of the database to drop and
    /// the role made to own it, if one was.
    Database {
        admin_url: String,
        name: String,
        owner: Option<String>,
    },
}

impl TestDb {
    /// A fresh SQLite database in a folder of its own under the system's
    /// temporary directory.
    pub fn sqlite() -> TestDb {
        let folder =
            std::env::temp_dir().join(format!("latchkey-test-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&folder)
            .unwrap_or_else(|e| panic!("cannot create the test folder {}: {e}", folder.display()));
        let url = DatabaseUrl::sqlite_file(&folder.join("latchkey.db"));
        TestDb {
            url,
            master_key: new_master_key(),
            cleanup: Cleanup::Folder(folder),
        }
    }

    /// A fresh PostgreSQL database `latchkey_test_<uuid>` on the tests'
    /// server ([`server::admin_url`]).
    ///
    /// # Panics
    ///
    /// When no server can be had, or it refuses to create a database: a
    /// missing PostgreSQL fails the tests that need it.
    pub fn postgres() -> TestDb {
        TestDb::postgres_on(server::admin_url())
    }

    fn postgres_on(admin_url: &str) -> TestDb {
        assert!(
            admin_url.starts_with("postgres://") || admin_url.starts_with("postgresql://"),
            "{POSTGRES_URL_VAR} must be a postgres:// URL"
        );
        let admin_url = admin_url.to_owned();
        let name = format!("latchkey_test_{}", Uuid::now_v7().simple());
        let mut admin = connect_admin(&admin_url);
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let url = with_database(&admin_url, &name);
        TestDb {
            url: DatabaseUrl::Postgres(url),
            master_key: new_master_key(),
            cleanup: Cleanup::Database {
                admin_url,
                name,
                owner: None,
            },
        }
    }

    /// A fresh PostgreSQL database owned, and migrated, by an ordinary login
    /// role made for it (no superuser, no `BYPASSRLS`), as production should
    /// run: a superuser bypasses row-level security however a table is set,
    /// so only such a database shows what binds the tables' owner.
    pub fn postgres_with_ordinary_owner() -> TestDb {
        let mut db = TestDb::postgres();
        let Cleanup::Database {
            admin_url,
            name,
            owner,
        } = &mut db.cleanup
        else {
            unreachable!("TestDb::postgres cleans up a database");
        };
        let role = format!("{name}_owner");
        connect_admin(admin_url)
            .batch_execute(&format!(
                "CREATE ROLE \"{role}\" LOGIN CREATEROLE PASSWORD '{role}'; \
                 ALTER DATABASE \"{name}\" OWNER TO \"{role}\""
            ))
            .unwrap_or_else(|e| panic!("cannot make {role} own {name}: {e}"));
        let url = with_user(&with_database(admin_url, name), &role, &role);
        *owner = Some(role);
        db.url = DatabaseUrl::Postgres(url);
        db
    }

    /// A fresh database of the given backend.
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres(),
        }
    }

    pub fn url(&self) -> DatabaseUrl {
        self.url.clone()
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// The master key of this database (a new value of the same key each call).
    pub fn master_key(&self) -> MasterKey {
        MasterKey::from_base64(&self.master_key).expect("the test master key is valid")
    }

    /// This database as `DATABASE_URL` names it, for a `latchkey serve` of
    /// the test's own.
    pub fn database_url(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::Sqlite(path) => format!("sqlite://{path}"),
        }
    }

    /// The master key as `LATCHKEY_MASTER_KEY` would hold it.
    pub fn master_key_base64(&self) -> &str {
        &self.master_key
    }

    /// Makes later stores of this database open with `key` (after a rewrap).
    pub fn set_master_key(&mut self, key: &MasterKey) {
        self.master_key = key.to_base64().to_string();
    }

    /// The configuration [`TestDb::store`] opens with: this database and its
    /// master key, everything else at the defaults.
    pub fn config(&self) -> StoreConfig {
        StoreConfig::new(self.url(), self.master_key())
    }

    /// Opens a [`Store`] (another "node" each call) on this database.
    pub async fn store(&self) -> Store {
        self.store_with(|_| {}).await
    }

    /// Opens a [`Store`] after `adjust` has changed its configuration (a
    /// manual clock, a short cache lifetime …).
    pub async fn store_with(&self, adjust: impl FnOnce(&mut StoreConfig)) -> Store {
        let mut config = self.config();
        adjust(&mut config);
        match Store::open(config).await {
            Ok(store) => store,
            Err(e) => panic!(
                "cannot open a store on the {:?} test database: {e}",
                self.backend()
            ),
        }
    }
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            Cleanup::Database {
                admin_url,
                name,
                owner,
            } => {
                // A panic here would abort a test that is already failing;
                // a leftover database is only worth a warning.
                let dropped = PgConnection::establish(admin_url)
                    .map_err(|e| e.to_string())
                    .and_then(|mut admin| {
                        admin
                            .batch_execute(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .map_err(|e| e.to_string())?;
                        // After its database: a role owning one cannot go.
                        match owner {
                            Some(role) => admin
                                .batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""))
                                .map_err(|e| e.to_string()),
                            None => Ok(()),
                        }
                    });
                if let Err(e) = dropped {
                    eprintln!("warning: could not drop the test database {name}: {e}");
                }
            }
        }
    }
}

fn new_master_key() -> String {
    MasterKey::generate().to_base64().to_string()
}

fn connect_admin(admin_url: &str) -> PgConnection {
    PgConnection::establish(admin_url).unwrap_or_else(|e| {
        let e = e.to_string();
        let e = e.trim();
        panic!(
            "PostgreSQL is required for the PostgreSQL tests and {admin_url} is not \
             reachable ({e}). Unset {POSTGRES_URL_VAR} to let the harness find or start \
             one, or set it to a postgres:// URL of a role that may CREATE DATABASE."
        )
    })
}

/// The server URL with its database replaced by `database`, keeping any
/// `?parameters`.
fn with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{database}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The URL with `user:password` as its user information.
fn with_user(url: &str, user: &str, password: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let host_start = url[scheme_end..authority_end]
        .rfind('@')
        .map_or(scheme_end, |i| scheme_end + i + 1);
    format!(
        "{}{user}:{password}@{}",
        &url[..scheme_end],
        &url[host_start..]
    )
}

/// Runs one async test body on a fresh runtime, as `#[tokio::test]` does.
/// Used by [`both_backends!`](crate::both_backends).
pub fn run<F, Fut>(db: TestDb, test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the test")
        .block_on(test(db));
}

/// Writes each `async fn name(db: TestDb) { … }` once and runs it on both
/// backends: it becomes a module `name` with the tests `name::sqlite` and
/// `name::postgres`, each on a database of its own (`mut db: TestDb` works
/// too). Each test runs on its own runtime, as under `#[tokio::test]`.
///
/// The module sees everything the enclosing module imports (`use super::*`).
#[macro_export]
macro_rules! both_backends {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($($param:tt)*) $body:block
    )*) => {$(
        $(#[$meta])*
        #[allow(non_snake_case)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($($param)*) $body

            #[test]
            fn sqlite() {
                $crate::testing::run($crate::testing::TestDb::sqlite(), body);
            }

            #[test]
            fn postgres() {
                $crate::testing::run($crate::testing::TestDb::postgres(), body);
            }
        }
    )*};
}

pub use crate::both_backends;

#[cfg(test)]
mod tests {
    use super::{with_database, with_user};

    #[test]
    fn the_database_of_a_server_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://h:5432", "x"),
            "postgresql://h:5432/x"
        );
    }

    #[test]
    fn the_user_of_a_server_url_is_replaced() {
        assert_eq!(
            with_user("postgres://postgres@127.0.0.1:5432/db", "o", "p"),
            "postgres://o:p@127.0.0.1:5432/db"
        );
        assert_eq!(
            with_user("postgres://u:secret@h/db?sslmode=disable", "o", "p"),
            "postgres://o:p@h/db?sslmode=disable"
        );
        assert_eq!(
            with_user("postgresql://h:5432/db", "o", "p"),
            "postgresql://o:p@h:5432/db"
        );
    }
}
