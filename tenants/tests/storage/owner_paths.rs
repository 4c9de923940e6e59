//! What runs as someone other than the application role on PostgreSQL: the
//! tables' owner (migrations, maintenance) and `latchkey_cross_tenant`, which
//! owns the few reads across tenants (the seat count, the job claims, the
//! trigram view). Row-level security binds the owner too, and nothing a
//! caller does can redirect what those functions and views read.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::Text;

use crate::postgres::{Count, count_rows as count, pg, tenant_hex, two_tenants_on};
use crate::support::*;

#[derive(QueryableByName, Debug)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    detail: String,
}

fn seats_in_use(conn: &mut PgConnection) -> i64 {
    sql_query("SELECT latchkey_seats_in_use() AS n")
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

#[tokio::test]
async fn the_tables_owner_sees_no_tenants_rows_without_binding_one() {
    let db = TestDb::postgres_with_ordinary_owner();
    let (acme, _) = two_tenants_on(&db).await;
    let owner = &mut pg(db.url().establish_owner().unwrap());

    assert_eq!(
        count(owner, "users", None),
        0,
        "the owner read every tenant"
    );
    assert_eq!(count(owner, "api_tokens", None), 0);
    assert_eq!(count(owner, "users", Some(acme)), 3);
}

#[tokio::test]
async fn the_tables_owner_cannot_write_a_row_without_binding_its_tenant() {
    let db = TestDb::postgres_with_ordinary_owner();
    let (acme, _) = two_tenants_on(&db).await;
    let owner = &mut pg(db.url().establish_owner().unwrap());

    let insert = owner.batch_execute(&format!(
        "INSERT INTO audit_events (tenant_id, id, occurred_at, actor, action, target_type, \
         target_id, request_id, detail) VALUES (decode('{}', 'hex'), decode('{}', 'hex'), \
         now(), 'x', 'x', 'x', 'x', 'x', '{{}}')",
        tenant_hex(acme),
        tenant_hex(TenantId(uuid::Uuid::now_v7()))
    ));

    let message = insert.expect_err("the owner wrote unbound").to_string();
    assert!(message.contains("row-level security"), "{message}");
}

#[tokio::test]
async fn the_seat_count_sees_every_tenant_under_an_ordinary_owner() {
    let db = TestDb::postgres_with_ordinary_owner();
    two_tenants_on(&db).await;
    let app = &mut pg(db.url().establish_app().unwrap());

    assert_eq!(seats_in_use(app), 4);
}

#[tokio::test]
async fn a_temporary_table_cannot_stand_in_for_users_in_the_seat_count() {
    let db = TestDb::postgres();
    two_tenants_on(&db).await;
    let app = &mut pg(db.url().establish_app().unwrap());

    app.batch_execute(
        "CREATE TEMP TABLE users (kind TEXT, active BOOLEAN); \
         INSERT INTO users SELECT 'internal', true FROM generate_series(1, 1000)",
    )
    .unwrap();

    assert_eq!(seats_in_use(app), 4, "the function counted pg_temp.users");
}

#[tokio::test]
async fn every_security_definer_function_searches_pg_temp_last() {
    let db = TestDb::postgres();
    db.store().await;
    let owner = &mut pg(db.url().establish_owner().unwrap());

    let functions: Vec<Named> = sql_query(
        "SELECT p.proname::text AS name, coalesce(array_to_string(p.proconfig, ' '), '') AS detail \
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
          WHERE n.nspname = 'public' AND p.prosecdef ORDER BY 1",
    )
    .load(owner)
    .unwrap();

    assert!(
        functions.iter().any(|f| f.name == "latchkey_seats_in_use"),
        "{functions:?}"
    );
    for function in &functions {
        assert!(
            function
                .detail
                .contains("search_path=pg_catalog, public, pg_temp"),
            "{} runs with {:?}",
            function.name,
            function.detail
        );
    }
}

/// A view is not under row-level security itself (the trigram view exists
/// to escape it): each one with a `tenant_id` must apply the binding.
#[tokio::test]
async fn every_view_with_a_tenant_id_shows_only_the_bound_tenants_rows() {
    let db = TestDb::postgres();
    let (acme, globex) = two_tenants_on(&db).await;
    let owner = &mut pg(db.url().establish_owner().unwrap());
    let views: Vec<Named> = sql_query(
        "SELECT c.relname::text AS name, pg_get_userbyid(c.relowner)::text AS detail \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') \
            AND EXISTS (SELECT 1 FROM pg_attribute a \
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id') \
          ORDER BY 1",
    )
    .load(owner)
    .unwrap();
    assert!(
        views.iter().any(|v| v.name == "user_name_search"),
        "{views:?}"
    );

    let app = &mut pg(db.url().establish_app().unwrap());
    for view in &views {
        let name = &view.name;
        assert_eq!(count(app, name, None), 0, "{name} shows rows unbound");
        let foreign = format!(
            "{name} WHERE tenant_id <> decode('{}', 'hex')",
            tenant_hex(acme)
        );
        assert_eq!(
            count(app, &foreign, Some(acme)),
            0,
            "{name} shows others' rows"
        );
        assert!(
            count(app, name, Some(globex)) > 0,
            "{name} hides globex's own rows"
        );
    }
}
