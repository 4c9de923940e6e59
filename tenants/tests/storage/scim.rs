//! SCIM data in storage: deleting a tenant removes all of it, and user-name
//! substring searches find exactly the tenant's matches through the trigram index.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use latchkey_tenants::db::schema::{group_subgroups, scim_requests, user_profiles, user_values};
use latchkey_tenants::scim::{Projection, RequestLogEntry, ResourceKind, list_params};
use serde_json::{Value, json};

use crate::support::*;

/// Creates a resource of `kind` through the tenant's SCIM provider.
async fn create(scope: &TenantScope, kind: ResourceKind, body: Value) -> Value {
    let projection = Projection::from_query(kind.resource_type(), None, None).unwrap();
    scope
        .scim("http://test/t/x/scim/v2".into())
        .create(kind, &body, &projection)
        .await
        .unwrap()
        .document
}

fn scim_rows(db: &TestDb, tenant: TenantId) -> i64 {
    let conn = &mut db.url().establish_owner().unwrap();
    let counts: [QueryResult<i64>; 4] = [
        user_profiles::table
            .filter(user_profiles::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
        user_values::table
            .filter(user_values::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
        group_subgroups::table
            .filter(group_subgroups::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
        scim_requests::table
            .filter(scim_requests::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
    ];
    counts.into_iter().map(|c| c.unwrap()).sum()
}

both_backends! {
    async fn deleting_a_tenant_removes_its_scim_profiles_values_nested_groups_and_request_log(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        let id = scope.tenant().id;
        let user = create(&scope, ResourceKind::User, json!({
            "userName": "ada", "title": "Countess",
            "emails": [{"value": "ada@example.com", "type": "work"}],
        })).await;
        let inner = create(&scope, ResourceKind::Group, json!({
            "displayName": "Inner", "members": [{"value": user["id"]}],
        })).await;
        create(&scope, ResourceKind::Group, json!({
            "displayName": "Outer", "members": [{"value": inner["id"]}],
        })).await;
        store.log_scim_request(RequestLogEntry {
            tenant_id: id,
            token_id: "token:x".into(),
            method: "POST".into(),
            path: "/Users".into(),
            status: 201,
            scim_type: None,
            detail: None,
            duration: std::time::Duration::from_millis(1),
            request_id: "r".into(),
            body: None,
        });
        store.flush_scim_log().await.unwrap();
        // A profile, an email value, a nested group, a logged request.
        assert_eq!(scim_rows(&db, id), 4);

        store.tenants().delete("acme").await.unwrap();

        assert_eq!(scim_rows(&db, id), 0);
    }
}

/// `GET /Users` with `query`, as a ListResponse's members.
async fn list_users(scope: &TenantScope, query: &[(&str, &str)]) -> Value {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let kind = ResourceKind::User;
    let params = list_params(kind.resource_type(), query.as_slice()).unwrap();
    let projection = Projection::from_query(kind.resource_type(), None, None).unwrap();
    let page = scope
        .scim("http://test/t/x/scim/v2".into())
        .list(kind, params, &projection)
        .await
        .unwrap_or_else(|e| panic!("{query:?}: {e}"));
    json!({"totalResults": page.total, "Resources": page.resources})
}

/// The user names a SCIM filter finds, sorted.
async fn names_found(scope: &TenantScope, filter: &str) -> Vec<String> {
    let body = list_users(scope, &[("filter", filter)]).await;
    let mut names: Vec<String> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(body["totalResults"], names.len(), "{filter}");
    names
}

/// `totalResults` of a user filter (no resources asked for).
async fn total_found(scope: &TenantScope, filter: &str) -> i64 {
    let body = list_users(scope, &[("filter", filter), ("count", "0")]).await;
    body["totalResults"].as_i64().unwrap()
}

both_backends! {
    async fn user_name_co_and_ew_find_the_tenants_users_by_substring_ignoring_case(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let globex = new_tenant(&store, "globex").await;
        for name in ["ada.lovelace", "Adam.Smith", "grace.hopper"] {
            create_user(&acme, name).await;
        }
        create_user(&globex, "ada.byron").await;

        assert_eq!(names_found(&acme, r#"userName co "ADA""#).await, ["Adam.Smith", "ada.lovelace"]);
        assert_eq!(names_found(&acme, r#"userName ew "hopper""#).await, ["grace.hopper"]);
        assert!(names_found(&acme, r#"userName ew "ada""#).await.is_empty());
        assert_eq!(names_found(&acme, r#"userName co "ada" and userName co "smith""#).await, ["Adam.Smith"]);
        assert_eq!(names_found(&acme, r#"not (userName co "ada")"#).await, ["grace.hopper"]);
        assert_eq!(names_found(&globex, r#"userName co "ada""#).await, ["ada.byron"]);
        // Too short for a trigram, or holding a `LIKE` wildcard: tested name by name.
        assert_eq!(names_found(&acme, r#"userName co "ad""#).await, ["Adam.Smith", "ada.lovelace"]);
        assert!(names_found(&acme, r#"userName co "a%a""#).await.is_empty());
        assert!(names_found(&acme, r#"userName co "ada_""#).await.is_empty());
    }

    async fn a_user_name_search_counts_every_match_on_any_page(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let globex = new_tenant(&store, "globex").await;
        for i in 1..=5 {
            create_user(&acme, &format!("ada{i}")).await;
        }
        create_user(&acme, "grace").await;
        create_user(&globex, "ada.byron").await;
        let page = |start: &'static str, count: &'static str| {
            let acme = &acme;
            async move {
                let query = [("filter", r#"userName co "ada""#), ("startIndex", start), ("count", count)];
                let body = list_users(acme, &query).await;
                let shown = body["Resources"].as_array().map_or(0, Vec::len);
                (body["totalResults"].as_i64().unwrap(), shown)
            }
        };

        assert_eq!(page("1", "2").await, (5, 2));
        // Continues the walk.
        assert_eq!(page("3", "2").await, (5, 2));
        // Reached by no walk: an offset.
        assert_eq!(page("4", "10").await, (5, 2));
        // Past the last match: no row to carry the count.
        assert_eq!(page("7", "2").await, (5, 0));
        assert_eq!(page("1", "0").await, (5, 0));
        let none = list_users(&acme, &[("filter", r#"userName co "hopper""#)]).await;
        assert_eq!(none["totalResults"], 0);
    }

    async fn a_user_name_search_takes_quotes_and_operators_literally(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        create_user(&acme, r#"o"neil AND*co-ops@example.com"#).await;
        create_user(&acme, "oneil@example.com").await;

        for filter in [r#"userName co "o\"neil""#, r#"userName co "and*co""#, r#"userName co "neil and""#] {
            assert_eq!(names_found(&acme, filter).await, [r#"o"neil AND*co-ops@example.com"#], "{filter}");
        }
        assert!(names_found(&acme, r#"userName co "neil OR co""#).await.is_empty());
    }

    async fn like_wildcards_in_a_user_name_search_match_only_themselves(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        for name in ["john_smith", "john.smith", "cut 50% off", "cut 500 off", r"back\slash", "backxslash"] {
            create_user(&acme, name).await;
        }

        assert_eq!(names_found(&acme, r#"userName co "n_s""#).await, ["john_smith"]);
        assert_eq!(names_found(&acme, r#"userName co "50%""#).await, ["cut 50% off"]);
        assert_eq!(names_found(&acme, r#"userName co "k\\s""#).await, [r"back\slash"]);
        assert_eq!(names_found(&acme, r#"userName ew "_smith""#).await, ["john_smith"]);
    }

    async fn user_name_co_follows_renames_and_deletes(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = create_user(&acme, "ada.lovelace").await;

        acme.users()
            .update(
                ada.id,
                UserPatch { user_name: Some("countess.of.lovelace".into()), ..Default::default() },
                None,
            )
            .await
            .unwrap();
        assert!(names_found(&acme, r#"userName co "ada""#).await.is_empty());
        assert_eq!(names_found(&acme, r#"userName co "countess""#).await, ["countess.of.lovelace"]);

        acme.users().delete(ada.id, None).await.unwrap();
        assert!(names_found(&acme, r#"userName co "countess""#).await.is_empty());
    }
}

both_backends! {
    async fn a_user_name_search_matching_most_of_a_big_tenant_finds_every_match(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let globex = new_tenant(&store, "globex").await;
        create_user(&globex, "hank@contoso.com").await;
        let many = 20_001;
        let tenant = acme.tenant().id.0.simple().to_string();
        let seed = match db.backend() {
            Backend::Postgres => format!(
                "INSERT INTO users (tenant_id, id, user_name, user_name_key, kind, active, version, \
                                    created_at, updated_at) \
                 SELECT decode('{tenant}', 'hex'), uuid_send(gen_random_uuid()), \
                        'user' || g || '@contoso.com', 'user' || g || '@contoso.com', 'internal', \
                        true, 1, now(), now() \
                 FROM generate_series(1, {many}) AS g"
            ),
            Backend::Sqlite => format!(
                "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {many}) \
                 INSERT INTO users (tenant_id, id, user_name, user_name_key, kind, active, version, \
                                    created_at, updated_at) \
                 SELECT X'{tenant}', randomblob(16), 'user' || i || '@contoso.com', \
                        'user' || i || '@contoso.com', 'internal', 1, 1, \
                        '2026-11-29 00:00:00', '2026-11-29 00:00:00' \
                 FROM g"
            ),
        };
        db.url().establish_owner().unwrap().batch_execute(&seed).unwrap();
        create_user(&acme, "ada.lovelace").await;

        assert_eq!(total_found(&acme, r#"userName co "contoso""#).await, many);
        let page = list_users(&acme, &[("filter", r#"userName co "contoso""#), ("count", "100")]).await;
        assert_eq!(page["totalResults"], many);
        assert_eq!(page["Resources"].as_array().unwrap().len(), 100);
        assert_eq!(total_found(&acme, r#"userName ew "@contoso.com" and userName sw "user1""#).await, 11_111);
        assert_eq!(total_found(&acme, r#"userName co "lovelace""#).await, 1);
    }
}
