//! Tenant isolation on SCIM: a tenant's SCIM token provisions its own
//! tenant and nothing else, and another tenant's existence (or the
//! existence of its users and groups) is never revealed.
//!
//! Table-driven, like `isolation.rs`: every SCIM endpoint is one line of
//! [`endpoints`]; each test runs the whole table.

mod common;
use common::*;

use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One SCIM endpoint. `path` is relative to `/t/{tenant}/scim/v2` and may
/// name `{user}` and `{group}` (the *target* ids: another tenant's in the
/// attacks).
struct Endpoint {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    /// The status the endpoint answers its own tenant's token, ids its own.
    own: StatusCode,
    /// Whether the path names resource ids (then another tenant's ids on
    /// one's own path must be 404).
    names_ids: bool,
}

fn ep(method: &'static str, path: &'static str, body: Option<Value>, own: StatusCode) -> Endpoint {
    Endpoint {
        method,
        path,
        body,
        own,
        names_ids: path.contains('{'),
    }
}

fn patch(ops: Value) -> Option<Value> {
    Some(json!({"schemas": [PATCH_OP], "Operations": ops}))
}

/// Every SCIM endpoint. Adding one is one line.
fn endpoints() -> Vec<Endpoint> {
    use StatusCode as S;
    let search = || Some(json!({"schemas": [SEARCH_REQUEST], "startIndex": 1, "count": 10}));
    vec![
        // discovery
        ep("GET", "/ServiceProviderConfig", None, S::OK),
        ep("GET", "/ResourceTypes", None, S::OK),
        ep("GET", "/ResourceTypes/User", None, S::OK),
        ep("GET", "/ResourceTypes/Group", None, S::OK),
        ep("GET", "/Schemas", None, S::OK),
        ep(
            "GET",
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            None,
            S::OK,
        ),
        // users
        ep("GET", "/Users", None, S::OK),
        ep("GET", "/Users?startIndex=1&count=100", None, S::OK),
        ep("GET", "/Users?filter=userName%20sw%20%22%22", None, S::OK),
        ep(
            "POST",
            "/Users",
            Some(json!({"schemas": [USER_SCHEMA], "userName": "intruder"})),
            S::CREATED,
        ),
        ep("POST", "/Users/.search", search(), S::OK),
        ep("GET", "/Users/{user}", None, S::OK),
        ep("GET", "/Users/{user}?attributes=userName", None, S::OK),
        ep(
            "PUT",
            "/Users/{user}",
            Some(json!({"schemas": [USER_SCHEMA], "userName": "pwned", "active": false})),
            S::OK,
        ),
        ep(
            "PATCH",
            "/Users/{user}",
            patch(json!([{"op": "replace", "path": "active", "value": false}])),
            S::OK,
        ),
        ep("DELETE", "/Users/{user}", None, S::NO_CONTENT),
        // groups
        ep("GET", "/Groups", None, S::OK),
        ep("GET", "/Groups?excludedAttributes=members", None, S::OK),
        ep(
            "POST",
            "/Groups",
            Some(json!({"displayName": "intruders", "members": []})),
            S::CREATED,
        ),
        ep("POST", "/Groups/.search", search(), S::OK),
        ep("GET", "/Groups/{group}", None, S::OK),
        ep(
            "GET",
            "/Groups/{group}?excludedAttributes=members",
            None,
            S::OK,
        ),
        ep(
            "PUT",
            "/Groups/{group}",
            Some(json!({"displayName": "pwned", "members": []})),
            S::OK,
        ),
        ep(
            "PATCH",
            "/Groups/{group}",
            patch(json!([{"op": "remove", "path": "members"},
                         {"op": "replace", "path": "displayName", "value": "pwned-too"}])),
            S::OK,
        ),
        ep("DELETE", "/Groups/{group}", None, S::NO_CONTENT),
        // bulk, and the search across resource types
        ep(
            "POST",
            "/Bulk",
            Some(json!({"schemas": [BULK_REQUEST], "Operations": [
                {"method": "POST", "bulkId": "u", "path": "/Users", "data": {"userName": "bulk-intruder"}},
            ]})),
            S::OK,
        ),
        ep("POST", "/.search", search(), S::OK),
    ]
}

/// A tenant with a SCIM token, a REST admin and read token, a user (with
/// an external id and a display name) and a group holding the user.
#[derive(Clone)]
struct Tenant {
    slug: String,
    scim: String,
    scim_id: String,
    admin: String,
    read: String,
    user: String,
    group: String,
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

async fn tenant(app: &TestApp, slug: &str) -> Tenant {
    app.tenant(slug).await;
    let scim = app
        .post(
            &format!("/api/v1/tenants/{slug}/tokens"),
            &app.platform,
            json!({"name": "scim", "scopes": ["scim"]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let scim_secret = scim["token"].as_str().unwrap().to_owned();
    let user = app
        .scim(
            "POST",
            slug,
            "/Users",
            &scim_secret,
            Some(json!({
                "schemas": [USER_SCHEMA],
                "userName": format!("{slug}-user"),
                "externalId": format!("{slug}-ext"),
                "displayName": format!("{slug} person"),
            })),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let group = app
        .scim(
            "POST",
            slug,
            "/Groups",
            &scim_secret,
            Some(
                json!({"displayName": format!("{slug}-group"), "members": [{"value": id(&user)}]}),
            ),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    Tenant {
        slug: slug.to_owned(),
        scim: scim_secret,
        scim_id: id(&scim),
        admin: app.token(slug, &["admin"]).await,
        read: app.token(slug, &["read"]).await,
        user: id(&user),
        group: id(&group),
    }
}

impl Endpoint {
    /// The path below the SCIM base, with `target`'s ids.
    fn with_ids(&self, target: &Tenant) -> String {
        self.path
            .replace("{user}", &target.user)
            .replace("{group}", &target.group)
    }

    fn describe(&self, slug: &str, path: &str) -> String {
        format!("{} /t/{slug}/scim/v2{path}", self.method)
    }

    async fn call(&self, app: &TestApp, slug: &str, path: &str, token: &str) -> Reply {
        app.scim(self.method, slug, path, token, self.body.clone())
            .await
    }
}

/// The SCIM error without what differs between any two requests.
fn comparable(error: &Value) -> Value {
    let mut e = error.clone();
    if let Some(map) = e.as_object_mut() {
        map.remove("request_id");
    }
    e
}

/// Everything tenant `t` holds, as its own SCIM token and the operator see it.
async fn snapshot(app: &TestApp, t: &Tenant) -> Value {
    let scim = |path: String| async move {
        app.scim("GET", &t.slug, &path, &t.scim, None)
            .await
            .expect(StatusCode::OK)
            .body
    };
    let rest = |path: String| async move {
        app.get(&format!("/api/v1/tenants/{}{path}", t.slug), &app.platform)
            .await
            .expect(StatusCode::OK)
            .body
    };
    json!({
        "users": scim("/Users?count=1000".into()).await,
        "groups": scim("/Groups?count=1000".into()).await,
        "user": scim(format!("/Users/{}", t.user)).await,
        "group": scim(format!("/Groups/{}", t.group)).await,
        "rest_users": rest("/users".into()).await,
        "rest_groups": rest("/groups".into()).await,
        "events": rest("/events".into()).await,
    })
}

/// Percent-encodes a query value.
fn q(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn resources(list: &Value) -> Vec<Value> {
    list["Resources"].as_array().cloned().unwrap_or_default()
}

/// The `status` of each operation of a BulkResponse.
fn bulk_statuses(body: &Value) -> Vec<String> {
    body["Operations"]
        .as_array()
        .unwrap_or_else(|| panic!("not a BulkResponse: {body}"))
        .iter()
        .map(|o| o["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

both_backends! {
    async fn another_tenants_scim_path_answers_exactly_like_a_tenant_that_does_not_exist(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        // The table is real: B's own token gets each read of it.
        for e in endpoints().iter().filter(|e| e.method == "GET") {
            let path = e.with_ids(&b);
            let r = e.call(&app, &b.slug, &path, &b.scim).await;
            assert_eq!(r.status, e.own, "{}: {}", e.describe(&b.slug, &path), r.body);
        }
        let before = snapshot(&app, &b).await;

        for e in endpoints() {
            let path = e.with_ids(&b);
            let what = e.describe(&b.slug, &path);
            let r = e
                .call(&app, &b.slug, &path, &a.scim)
                .await
                .expect_scim_error(StatusCode::NOT_FOUND, None);
            let missing = e
                .call(&app, "no-such-tenant", &path, &a.scim)
                .await
                .expect_scim_error(StatusCode::NOT_FOUND, None);
            assert_eq!(
                comparable(&r.body),
                comparable(&missing.body),
                "{what} tells B from a missing tenant"
            );
            let text = r.body.to_string();
            for secret in [&b.user, &b.group, "bravo-user", "bravo-group"] {
                assert!(!text.contains(secret), "{what} shows {secret}: {text}");
            }
            // A's REST tokens fare no better on B's SCIM endpoint.
            for token in [&a.admin, &a.read] {
                let r = e.call(&app, &b.slug, &path, token).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{what}: {}", r.body);
            }
        }

        assert_eq!(snapshot(&app, &b).await, before, "tenant B changed");
    }

    async fn another_tenants_ids_on_ones_own_scim_path_are_not_found(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        let b_before = snapshot(&app, &b).await;
        let a_before = snapshot(&app, &a).await;
        let nobody = Tenant {
            user: uuid::Uuid::now_v7().to_string(),
            group: uuid::Uuid::now_v7().to_string(),
            ..b.clone()
        };

        let mut tried = 0;
        for e in endpoints().iter().filter(|e| e.names_ids) {
            tried += 1;
            let path = e.with_ids(&b);
            let what = e.describe(&a.slug, &path);
            let r = e
                .call(&app, &a.slug, &path, &a.scim)
                .await
                .expect_scim_error(StatusCode::NOT_FOUND, None);
            // Exactly as for an id that exists nowhere.
            let missing = e
                .call(&app, &a.slug, &e.with_ids(&nobody), &a.scim)
                .await
                .expect_scim_error(StatusCode::NOT_FOUND, None);
            assert_eq!(comparable(&r.body), comparable(&missing.body), "{what}");
            // Not even a platform token finds B's resources under A.
            e.call(&app, &a.slug, &path, &app.platform)
                .await
                .expect_scim_error(StatusCode::NOT_FOUND, None);
        }
        assert_eq!(tried, 10);

        assert_eq!(snapshot(&app, &b).await, b_before, "tenant B changed");
        assert_eq!(snapshot(&app, &a).await, a_before, "tenant A changed");
    }

    async fn each_endpoint_works_for_its_own_tenant(db: TestDb) {
        // The other tests are not vacuous: with its own ids, each line of the
        // table succeeds for the tenant's own token.
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        for e in endpoints() {
            let a = tenant_again(&app, &a, e.method).await;
            let path = e.with_ids(&a);
            let r = e.call(&app, &a.slug, &path, &a.scim).await;
            assert_eq!(r.status, e.own, "{}: {}", e.describe(&a.slug, &path), r.body);
        }
    }

    async fn filters_and_searches_never_reach_another_tenant(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        let user_filters = [
            format!("id eq \"{}\"", b.user),
            "userName eq \"bravo-user\"".to_owned(),
            "externalId eq \"bravo-ext\"".to_owned(),
            "displayName co \"bravo\"".to_owned(),
            "userName sw \"bravo\"".to_owned(),
            format!("groups.value eq \"{}\"", b.group),
            format!("id eq \"{}\" or userName eq \"bravo-user\"", b.user),
        ];
        let group_filters = [
            format!("id eq \"{}\"", b.group),
            "displayName eq \"bravo-group\"".to_owned(),
            format!("members.value eq \"{}\"", b.user),
            format!("members eq \"{}\"", b.user),
        ];
        for (kind, filters) in [("Users", &user_filters[..]), ("Groups", &group_filters[..])] {
            for f in filters {
                let r = app
                    .scim("GET", &a.slug, &format!("/{kind}?filter={}", q(f)), &a.scim, None)
                    .await
                    .expect(StatusCode::OK);
                assert_eq!(r.body["totalResults"], 0, "{kind} {f}: {}", r.body);
                assert!(resources(&r.body).is_empty(), "{kind} {f}: {}", r.body);
                let s = app
                    .scim("POST", &a.slug, &format!("/{kind}/.search"), &a.scim,
                        Some(json!({"schemas": [SEARCH_REQUEST], "filter": f})))
                    .await
                    .expect(StatusCode::OK);
                assert_eq!(s.body["totalResults"], 0, "{kind}/.search {f}: {}", s.body);
                let all = app
                    .scim("POST", &a.slug, "/.search", &a.scim,
                        Some(json!({"schemas": [SEARCH_REQUEST], "filter": f})))
                    .await;
                if all.status == StatusCode::OK {
                    assert_eq!(all.body["totalResults"], 0, "/.search {f}: {}", all.body);
                } else {
                    all.expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"));
                }
                // The same filter on B's own endpoint finds B's resource:
                // the filters above are not vacuous.
                let own = app
                    .scim("GET", &b.slug, &format!("/{kind}?filter={}", q(f)), &b.scim, None)
                    .await
                    .expect(StatusCode::OK);
                assert_eq!(own.body["totalResults"], 1, "{kind} {f} on B: {}", own.body);
            }
        }
        // Unfiltered lists show only A's own.
        let users = app.scim("GET", &a.slug, "/Users", &a.scim, None).await.expect(StatusCode::OK);
        assert_eq!(resources(&users.body).iter().map(id).collect::<Vec<_>>(), vec![a.user.clone()]);
        let groups = app.scim("GET", &a.slug, "/Groups", &a.scim, None).await.expect(StatusCode::OK);
        assert_eq!(resources(&groups.body).iter().map(id).collect::<Vec<_>>(), vec![a.group.clone()]);
        assert!(!groups.body.to_string().contains(&b.user), "{}", groups.body);
    }

    async fn paging_continuations_belong_to_their_tenant(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        for n in 0..3 {
            app.scim_user(&b.slug, &b.scim, &format!("b{n}")).await;
            app.scim_user(&a.slug, &a.scim, &format!("a{n}")).await;
        }
        // B walks its pages; A then asks for the same positions of the same query.
        for start in 1..=4 {
            app.scim("GET", &b.slug, &format!("/Users?sortBy=userName&startIndex={start}&count=1"), &b.scim, None)
                .await
                .expect(StatusCode::OK);
        }
        let mut seen = Vec::new();
        for start in 1..=4 {
            let r = app
                .scim("GET", &a.slug, &format!("/Users?sortBy=userName&startIndex={start}&count=1"), &a.scim, None)
                .await
                .expect(StatusCode::OK);
            assert_eq!(r.body["totalResults"], 4, "{}", r.body);
            seen.extend(resources(&r.body).iter().map(|u| u["userName"].as_str().unwrap().to_owned()));
        }
        assert_eq!(seen, ["a0", "a1", "a2", "alpha-user"]);
    }

    async fn bulk_operations_naming_another_tenants_ids_fail_one_by_one(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        let b_before = snapshot(&app, &b).await;
        let a_group_before = app
            .scim("GET", &a.slug, &format!("/Groups/{}", a.group), &a.scim, None)
            .await
            .expect(StatusCode::OK)
            .body;
        let (u, g) = (&b.user, &b.group);
        let r = app
            .scim("POST", &a.slug, "/Bulk", &a.scim, Some(json!({
                "schemas": [BULK_REQUEST],
                "Operations": [
                    {"method": "PUT", "path": format!("/Users/{u}"), "data": {"userName": "pwned"}},
                    {"method": "PATCH", "path": format!("/Users/{u}"), "data":
                        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": false}]}},
                    {"method": "DELETE", "path": format!("/Users/{u}")},
                    {"method": "PUT", "path": format!("/Groups/{g}"), "data": {"displayName": "pwned"}},
                    {"method": "PATCH", "path": format!("/Groups/{g}"), "data":
                        {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "members"}]}},
                    {"method": "DELETE", "path": format!("/Groups/{g}")},
                    {"method": "POST", "bulkId": "g", "path": "/Groups", "data":
                        {"displayName": "with a stranger", "members": [{"value": u}]}},
                    {"method": "PATCH", "path": format!("/Groups/{}", a.group), "data":
                        {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": u}]}]}},
                ],
            })))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            bulk_statuses(&r.body),
            ["404", "404", "404", "404", "404", "404", "400", "400"],
            "{}",
            r.body
        );
        for (i, op) in r.body["Operations"].as_array().unwrap().iter().enumerate().skip(6) {
            assert_eq!(op["response"]["scimType"], "invalidValue", "operation {i}: {op}");
        }
        assert!(!r.body.to_string().contains("bravo-"), "{}", r.body);
        assert_eq!(snapshot(&app, &b).await, b_before, "tenant B changed");
        let a_group = app
            .scim("GET", &a.slug, &format!("/Groups/{}", a.group), &a.scim, None)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(a_group, a_group_before, "A's group changed");
        let groups = app.scim("GET", &a.slug, "/Groups", &a.scim, None).await.expect(StatusCode::OK);
        assert_eq!(groups.body["totalResults"], 1, "{}", groups.body);
    }

    async fn a_group_cannot_take_another_tenants_user_or_group_as_member(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        let b_before = snapshot(&app, &b).await;
        let group_path = format!("/Groups/{}", a.group);
        let a_group_before = app
            .scim("GET", &a.slug, &group_path, &a.scim, None)
            .await
            .expect(StatusCode::OK)
            .body;
        for stranger in [&b.user, &b.group] {
            let member = || json!([{"value": stranger}]);
            let attempts: Vec<(&str, String, Value)> = vec![
                ("POST", "/Groups".into(), json!({"displayName": "strangers", "members": member()})),
                ("PUT", group_path.clone(), json!({"displayName": "alpha-group", "members": member()})),
                ("PATCH", group_path.clone(), json!({"schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "path": "members", "value": member()}]})),
                ("PATCH", group_path.clone(), json!({"schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": "members", "value": member()}]})),
                ("PATCH", group_path.clone(), json!({"schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "value": {"members": member()}}]})),
            ];
            for (method, path, body) in attempts {
                let r = app
                    .scim(method, &a.slug, &path, &a.scim, Some(body))
                    .await
                    .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"));
                let text = r.body.to_string();
                assert!(!text.contains("bravo-"), "{method} {path}: {text}");
            }
        }
        let after = app
            .scim("GET", &a.slug, &group_path, &a.scim, None)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(after, a_group_before, "A's group changed");
        let groups = app.scim("GET", &a.slug, "/Groups", &a.scim, None).await.expect(StatusCode::OK);
        assert_eq!(groups.body["totalResults"], 1, "{}", groups.body);
        // B's user is in no group of A, and B sees nothing new.
        assert_eq!(snapshot(&app, &b).await, b_before, "tenant B changed");
        let b_user = app
            .scim("GET", &b.slug, &format!("/Users/{}", b.user), &b.scim, None)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(b_user["groups"].as_array().map(Vec::len), Some(1), "{b_user}");
        assert_eq!(b_user["groups"][0]["value"], b.group.as_str());
    }

    async fn a_manager_in_another_tenant_reveals_nothing_about_it(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        let r = app
            .scim("PATCH", &a.slug, &format!("/Users/{}", a.user), &a.scim, Some(json!({
                "schemas": [PATCH_OP],
                "Operations": [{"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": b.user}],
            })))
            .await;
        // Refusing it is fine; accepting it must not show B's user's name.
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST,
            "{}",
            r.body
        );
        let got = app
            .scim("GET", &a.slug, &format!("/Users/{}", a.user), &a.scim, None)
            .await
            .expect(StatusCode::OK)
            .body;
        for text in [r.body.to_string(), got.to_string()] {
            assert!(!text.contains("bravo person"), "{text}");
        }
        assert!(got[ENTERPRISE]["manager"].get("displayName").is_none(), "{got}");
    }

    async fn another_tenants_scim_request_log_is_not_found_and_never_shows_ones_requests(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        // A provisions itself, and tries B's path and B's ids.
        for e in endpoints() {
            e.call(&app, &a.slug, &e.with_ids(&b), &a.scim).await;
            e.call(&app, &b.slug, &e.with_ids(&b), &a.scim).await;
        }
        app.scim("GET", &b.slug, "/Users", &b.scim, None)
            .await
            .expect(StatusCode::OK);
        app.store.flush_scim_log().await.unwrap();

        let b_log = format!("/api/v1/tenants/{}/scim/requests?limit=1000", b.slug);
        for token in [&a.scim, &a.admin, &a.read] {
            let r = app.get(&b_log, token).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
            assert_eq!(r.code(), "tenant-not-found", "{}", r.body);
            let missing = app
                .get("/api/v1/tenants/no-such-tenant/scim/requests", token)
                .await;
            assert_eq!(missing.status, r.status);
        }

        let log = app.get(&b_log, &app.platform).await.expect(StatusCode::OK).body;
        let items = log["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{log}");
        for item in items {
            assert_eq!(item["token"], format!("token:{}", b.scim_id), "{item}");
        }
        let text = log.to_string();
        for secret in [a.scim_id.as_str(), &a.user, &a.group, "intruder", "pwned"] {
            assert!(!text.contains(secret), "B's log shows {secret}: {text}");
        }
        // A's own log has them (so the check above is not vacuous).
        let a_log = app
            .get(&format!("/api/v1/tenants/{}/scim/requests?limit=1000", a.slug), &a.read)
            .await
            .expect(StatusCode::OK)
            .body;
        assert!(a_log.to_string().contains(&b.user), "{a_log}");
    }
}

/// For a destructive line of the table, fresh resources of `t` to destroy
/// (so each line runs on ids that exist); otherwise `t` itself.
async fn tenant_again(app: &TestApp, t: &Tenant, method: &str) -> Tenant {
    if method == "GET" {
        return t.clone();
    }
    let n = uuid::Uuid::now_v7().simple().to_string();
    let user = app.scim_user(&t.slug, &t.scim, &format!("u-{n}")).await;
    let group = app
        .scim(
            "POST",
            &t.slug,
            "/Groups",
            &t.scim,
            Some(json!({"displayName": format!("g-{n}"), "members": [{"value": id(&user)}]})),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    // POST lines create a fixed name; free it first.
    for (kind, filter) in [
        ("Users", "userName eq \"intruder\""),
        ("Users", "userName eq \"bulk-intruder\""),
        ("Groups", "displayName eq \"intruders\""),
    ] {
        let found = app
            .scim(
                "GET",
                &t.slug,
                &format!("/{kind}?filter={}", q(filter)),
                &t.scim,
                None,
            )
            .await
            .expect(StatusCode::OK)
            .body;
        for r in resources(&found) {
            app.scim(
                "DELETE",
                &t.slug,
                &format!("/{kind}/{}", id(&r)),
                &t.scim,
                None,
            )
            .await
            .expect(StatusCode::NO_CONTENT);
        }
    }
    Tenant {
        user: id(&user),
        group: id(&group),
        ..t.clone()
    }
}
