//! What only PostgreSQL enforces: row-level security under every
//! tenant-scoped table, and an application role that cannot get around it.
//! These run on PostgreSQL alone; a missing server fails them.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Bool, Text};

use crate::support::*;

#[derive(QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

#[derive(QueryableByName, Debug)]
struct TableSecurity {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Bool)]
    rls: bool,
    #[diesel(sql_type = Bool)]
    forced: bool,
    #[diesel(sql_type = BigInt)]
    policies: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct RoleFlags {
    #[diesel(sql_type = Bool)]
    rolsuper: bool,
    #[diesel(sql_type = Bool)]
    rolbypassrls: bool,
}

/// A migrated PostgreSQL database with two tenants: acme with three users,
/// globex with one.
async fn two_tenants() -> (TestDb, TenantId, TenantId) {
    let db = TestDb::postgres();
    let (acme, globex) = two_tenants_on(&db).await;
    (db, acme, globex)
}

/// acme with three users and globex with one, on `db`.
pub(crate) async fn two_tenants_on(db: &TestDb) -> (TenantId, TenantId) {
    let store = db.store().await;
    let acme = new_tenant(&store, "acme").await;
    let globex = new_tenant(&store, "globex").await;
    for name in ["ada", "grace", "katherine"] {
        create_user(&acme, name).await;
    }
    create_user(&globex, "hank").await;
    (acme.tenant().id, globex.tenant().id)
}

pub(crate) fn pg(conn: DbConnection) -> PgConnection {
    match conn {
        DbConnection::Postgresql(pg) => pg,
        DbConnection::Sqlite(_) => panic!("expected a PostgreSQL connection"),
    }
}

/// A connection as the application role, as the pool opens them.
fn app_connection(db: &TestDb) -> PgConnection {
    pg(db.url().establish_app().unwrap())
}

/// The setting's value for a tenant, as the store writes it.
pub(crate) fn tenant_hex(id: TenantId) -> String {
    id.0.simple().to_string()
}

/// `SELECT count(*) FROM users` — no `WHERE` — in a transaction bound to
/// `tenant` (or to none).
fn count_users(conn: &mut PgConnection, tenant: Option<TenantId>) -> i64 {
    count_rows(conn, "users", tenant)
}

/// `SELECT count(*) FROM <relation>`, bound to `tenant` (or to none).
pub(crate) fn count_rows(conn: &mut PgConnection, relation: &str, tenant: Option<TenantId>) -> i64 {
    conn.transaction(|c| {
        if let Some(tenant) = tenant {
            c.batch_execute(&format!(
                "SET LOCAL latchkey.tenant_id = '{}'",
                tenant_hex(tenant)
            ))?;
        }
        sql_query(format!("SELECT count(*) AS n FROM {relation}")).get_result::<Count>(c)
    })
    .unwrap()
    .n
}

#[tokio::test]
async fn an_unfiltered_query_bound_to_one_tenant_sees_only_that_tenants_rows() {
    let (db, acme, globex) = two_tenants().await;
    let conn = &mut app_connection(&db);

    assert_eq!(
        count_users(conn, Some(globex)),
        1,
        "globex sees its one user"
    );
    assert_eq!(
        count_users(conn, Some(acme)),
        3,
        "acme sees its three users"
    );
    let stranger = TenantId(uuid::Uuid::now_v7());
    assert_eq!(
        count_users(conn, Some(stranger)),
        0,
        "an unknown tenant sees nothing"
    );
}

#[tokio::test]
async fn an_unfiltered_query_bound_to_no_tenant_sees_no_rows() {
    let (db, acme, _) = two_tenants().await;

    let fresh = &mut app_connection(&db);
    assert_eq!(count_users(fresh, None), 0, "the setting was never made");

    let reused = &mut app_connection(&db);
    assert_eq!(count_users(reused, Some(acme)), 3);
    assert_eq!(
        count_users(reused, None),
        0,
        "SET LOCAL ended with its transaction"
    );
}

#[tokio::test]
async fn a_connection_bound_to_one_tenant_cannot_write_rows_of_another() {
    let (db, acme, globex) = two_tenants().await;
    let conn = &mut app_connection(&db);

    let insert = conn.transaction(|c| {
        c.batch_execute(&format!(
            "SET LOCAL latchkey.tenant_id = '{}'",
            tenant_hex(acme)
        ))?;
        c.batch_execute(&format!(
            "INSERT INTO audit_events (tenant_id, id, occurred_at, actor, action, target_type, \
             target_id, request_id, detail) VALUES (decode('{}', 'hex'), decode('{}', 'hex'), \
             now(), 'x', 'x', 'x', 'x', 'x', '{{}}')",
            tenant_hex(globex),
            tenant_hex(TenantId(uuid::Uuid::now_v7()))
        ))
    });
    let message = insert
        .expect_err("a row of another tenant was written")
        .to_string();
    assert!(message.contains("row-level security"), "{message}");

    let deleted = conn
        .transaction(|c| {
            c.batch_execute(&format!(
                "SET LOCAL latchkey.tenant_id = '{}'",
                tenant_hex(acme)
            ))?;
            sql_query("DELETE FROM users").execute(c)
        })
        .unwrap();
    assert_eq!(
        deleted, 3,
        "an unfiltered DELETE reaches only the bound tenant"
    );
    assert_eq!(count_users(conn, Some(globex)), 1, "globex keeps its user");
}

#[tokio::test]
async fn every_table_with_a_tenant_id_has_row_level_security_forced_and_a_policy() {
    let db = TestDb::postgres();
    db.store().await;
    let conn = &mut pg(db.url().establish_owner().unwrap());

    let tables: Vec<TableSecurity> = sql_query(
        "SELECT c.relname::text AS table_name, c.relrowsecurity AS rls, \
                c.relforcerowsecurity AS forced, \
                (SELECT count(*) FROM pg_policies p \
                  WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
            AND EXISTS (SELECT 1 FROM pg_attribute a \
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' \
                           AND NOT a.attisdropped) \
          ORDER BY 1",
    )
    .load(conn)
    .unwrap();

    let names: Vec<&str> = tables.iter().map(|t| t.table_name.as_str()).collect();
    for expected in [
        "api_tokens",
        "audit_events",
        "group_members",
        "groups",
        "signing_keys",
        "users",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} is missing from {names:?}"
        );
    }
    for table in &tables {
        assert!(table.rls, "{} has no row-level security", table.table_name);
        assert!(
            table.forced,
            "{}'s row-level security does not bind its owner (FORCE)",
            table.table_name
        );
        assert!(table.policies >= 1, "{} has no policy", table.table_name);
    }
}

#[tokio::test]
async fn the_application_role_is_unprivileged_and_owns_no_table() {
    let db = TestDb::postgres();
    db.store().await;

    let app = &mut app_connection(&db);
    let who: Name = sql_query("SELECT current_user::text AS name")
        .get_result(app)
        .unwrap();
    assert_eq!(who.name, "latchkey_app");

    let owner = &mut pg(db.url().establish_owner().unwrap());
    let flags: RoleFlags =
        sql_query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'latchkey_app'")
            .get_result(owner)
            .unwrap();
    assert!(!flags.rolsuper, "latchkey_app is a superuser");
    assert!(
        !flags.rolbypassrls,
        "latchkey_app bypasses row-level security"
    );
    let owned: Count = sql_query(
        "SELECT count(*) AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner \
          WHERE r.rolname = 'latchkey_app'",
    )
    .get_result(owner)
    .unwrap();
    assert_eq!(
        owned.n, 0,
        "latchkey_app owns tables, so their policies would not bind it"
    );
}

/// The pool keeps a connection bound to the tenant it last served (so a
/// repeated read of that tenant is one round trip); work that names no
/// tenant must still see none of its rows.
#[tokio::test]
async fn a_pooled_connection_shows_no_tenant_rows_outside_a_tenant_scope() {
    let db = TestDb::postgres();
    // One connection, so the one that served the tenant serves what follows.
    let store = db.store_with(|c| c.pool_size = 1).await;
    let acme = new_tenant(&store, "acme").await;
    create_user(&acme, "ada").await;
    assert_eq!(all_users(&acme, UserQuery::default(), 10).await.len(), 1);

    let unscoped = store
        .pool()
        .run(|conn| {
            Ok(sql_query("SELECT count(*) AS n FROM users")
                .get_result::<Count>(conn)?
                .n)
        })
        .await
        .unwrap();
    assert_eq!(unscoped, 0);
}

/// A tenant served after another on the same pooled connection sees only
/// its own rows, including after a write that failed and rolled back.
#[tokio::test]
async fn a_pooled_connection_rebinds_when_the_tenant_changes() {
    let db = TestDb::postgres();
    let store = db.store_with(|c| c.pool_size = 1).await;
    let acme = new_tenant(&store, "acme").await;
    let globex = new_tenant(&store, "globex").await;
    create_user(&acme, "ada").await;
    create_user(&globex, "hank").await;
    // A failed write (taken name) rolls back inside globex's binding.
    assert!(globex.users().create(new_user("hank")).await.is_err());
    for (scope, name) in [(&acme, "ada"), (&globex, "hank"), (&acme, "ada")] {
        let users = all_users(scope, UserQuery::default(), 10).await;
        let names: Vec<_> = users.iter().map(|u| u.user_name.as_str()).collect();
        assert_eq!(names, [name]);
    }
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan PostgreSQL holds for the prepared statement `probe`.
fn probe_plan(conn: &mut DbConnection) -> diesel::QueryResult<String> {
    let lines = sql_query("EXPLAIN EXECUTE probe('\\x00'::bytea, '\\x00'::bytea)")
        .load::<PlanLine>(conn)?;
    Ok(lines
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// A statement planned while `users` was empty looks a user up by key through
/// whichever `(tenant_id, …)` index came last, walking the tenant's users;
/// PostgreSQL keeps that plan until the table is analyzed. The pool drops
/// its connections' cached plans as they are used, so the plan follows the
/// table's growth even with autovacuum off.
#[tokio::test]
async fn a_plan_made_on_an_empty_table_is_made_again_once_the_table_has_grown() {
    let db = TestDb::postgres();
    let store = db.store_with(|c| c.pool_size = 1).await;
    let acme = new_tenant(&store, "acme").await;
    let before = store
        .pool()
        .run(|conn| {
            conn.batch_execute(
                "PREPARE probe(bytea, bytea) AS \
                 SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2",
            )?;
            for _ in 0..10 {
                conn.batch_execute("EXECUTE probe('\\x00'::bytea, '\\x00'::bytea)")?;
            }
            Ok(probe_plan(conn)?)
        })
        .await
        .unwrap();
    assert!(
        !before.contains("users_pkey"),
        "precondition: on an empty table the key lookup avoids the primary key:\n{before}"
    );

    let mut owner = pg(db.url().establish_owner().unwrap());
    owner
        .batch_execute(&format!(
            "INSERT INTO users (tenant_id, id, user_name, user_name_key, kind, active, version, \
                                created_at, updated_at, family_name, family_name_key) \
             SELECT '\\x{}'::bytea, uuid_send(gen_random_uuid()), 'u' || g, 'u' || g, 'internal', \
                    true, 1, now(), now(), 'Abbott', 'abbott' \
             FROM generate_series(1, 2000) AS g",
            tenant_hex(acme.tenant().id)
        ))
        .unwrap();
    for _ in 0..300 {
        store.pool().run(|_| Ok(())).await.unwrap();
    }

    let after = store
        .pool()
        .run(|conn| Ok(probe_plan(conn)?))
        .await
        .unwrap();
    assert!(after.contains("users_pkey"), "{after}");
}

/// The view `user_name_search` is not under row-level security (that is its
/// point: the trigram index is usable through it), so it must apply the
/// policy's condition itself.
#[tokio::test]
async fn the_user_name_search_view_shows_only_the_bound_tenants_names() {
    let (db, acme, globex) = two_tenants().await;
    let mut conn = app_connection(&db);

    assert_eq!(count_rows(&mut conn, "user_name_search", Some(acme)), 3);
    assert_eq!(count_rows(&mut conn, "user_name_search", Some(globex)), 1);
    assert_eq!(count_rows(&mut conn, "user_name_search", None), 0);
}

/// Under row-level security a `LIKE` (not leakproof) cannot be an index
/// condition; through the view, as the application role, it can.
#[tokio::test]
async fn a_user_name_substring_search_uses_the_trigram_index_as_the_application_role() {
    let (db, acme, _) = two_tenants().await;
    let mut owner = pg(db.url().establish_owner().unwrap());
    owner
        .batch_execute(&format!(
            "INSERT INTO users (tenant_id, id, user_name, user_name_key, kind, active, version, \
                                created_at, updated_at) \
             SELECT '\\x{}'::bytea, uuid_send(gen_random_uuid()), 'user' || g, 'user' || g, \
                    'internal', true, 1, now(), now() \
             FROM generate_series(1, 5000) AS g",
            tenant_hex(acme)
        ))
        .unwrap();
    owner.batch_execute("VACUUM ANALYZE users").unwrap();
    let mut conn = app_connection(&db);
    let plan = |conn: &mut PgConnection, sql: &str| -> String {
        conn.transaction(|c| {
            c.batch_execute(&format!(
                // Five thousand rows are still few enough for a scan to be
                // cheapest; what matters is which indexes the planner may use.
                "SET LOCAL latchkey.tenant_id = '{}'; SET LOCAL enable_seqscan = off",
                tenant_hex(acme)
            ))?;
            Ok::<_, diesel::result::Error>(
                sql_query(format!("EXPLAIN {sql}"))
                    .load::<PlanLine>(c)?
                    .into_iter()
                    .map(|l| l.line)
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })
        .unwrap()
    };

    let direct = plan(
        &mut conn,
        "SELECT id FROM users WHERE user_name_key LIKE '%race%'",
    );
    let through_view = plan(
        &mut conn,
        "SELECT id FROM user_name_search WHERE user_name_key LIKE '%race%'",
    );

    assert!(!direct.contains("users_user_name_trigrams"), "{direct}");
    assert!(
        through_view.contains("users_user_name_trigrams"),
        "{through_view}"
    );
}
