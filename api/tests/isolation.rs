//! Tenant isolation over HTTP: a tenant's token reaches its own tenant and
//! nothing else, and another tenant's existence is never revealed.
//!
//! Table-driven: every tenant-scoped endpoint is one line of [`endpoints`];
//! each test runs the whole table.

mod common;
use common::*;

use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

/// One tenant-scoped endpoint. `path` is relative to `/api/v1/tenants/{tenant}`
/// and may name `{user}`, `{group}` and `{token}` (the *target* ids, another
/// tenant's in the attacks) and `{own_group}` (a group of the tenant in the path).
struct Endpoint {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    /// For paths with ids: the 404 code when the caller's own tenant is in
    /// the path but the ids are another tenant's.
    foreign_ids: Option<&'static str>,
}

fn ep(
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    foreign_ids: Option<&'static str>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        body,
        foreign_ids,
    }
}

/// Every tenant-scoped endpoint of the REST API. Adding one is one line.
fn endpoints() -> Vec<Endpoint> {
    let user = || Some(json!({"user_name": "intruder", "email": "intruder@example.com"}));
    let rename = || Some(json!({"display_name": "pwned"}));
    vec![
        // users
        ep("GET", "/users", None, None),
        ep("GET", "/users?q=a&limit=5", None, None),
        ep("POST", "/users", user(), None),
        ep("GET", "/users/{user}", None, Some("user-not-found")),
        ep(
            "PATCH",
            "/users/{user}",
            Some(json!({"active": false, "email": null})),
            Some("user-not-found"),
        ),
        ep(
            "GET",
            "/users/{user}/sessions",
            None,
            Some("user-not-found"),
        ),
        ep(
            "DELETE",
            "/users/{user}/sessions/{token}",
            None,
            Some("user-not-found"),
        ),
        ep(
            "DELETE",
            "/users/{user}/sessions",
            None,
            Some("user-not-found"),
        ),
        ep("GET", "/users/{user}/factors", None, Some("user-not-found")),
        ep(
            "DELETE",
            "/users/{user}/factors/{token}",
            None,
            Some("user-not-found"),
        ),
        ep("DELETE", "/users/{user}", None, Some("user-not-found")),
        // groups
        ep("GET", "/groups", None, None),
        ep(
            "POST",
            "/groups",
            Some(json!({"display_name": "intruders"})),
            None,
        ),
        ep("GET", "/groups/{group}", None, Some("group-not-found")),
        ep(
            "PATCH",
            "/groups/{group}",
            rename(),
            Some("group-not-found"),
        ),
        ep("DELETE", "/groups/{group}", None, Some("group-not-found")),
        ep(
            "GET",
            "/groups/{group}/members",
            None,
            Some("group-not-found"),
        ),
        ep(
            "GET",
            "/groups/{group}/members/{user}",
            None,
            Some("group-not-found"),
        ),
        ep(
            "PUT",
            "/groups/{group}/members/{user}",
            None,
            Some("group-not-found"),
        ),
        ep(
            "DELETE",
            "/groups/{group}/members/{user}",
            None,
            Some("group-not-found"),
        ),
        ep(
            "PUT",
            "/groups/{own_group}/members/{user}",
            None,
            Some("user-not-found"),
        ),
        ep(
            "DELETE",
            "/groups/{own_group}/members/{user}",
            None,
            Some("member-not-found"),
        ),
        ep(
            "GET",
            "/groups/{own_group}/members/{user}",
            None,
            Some("member-not-found"),
        ),
        // tokens
        ep("GET", "/tokens", None, None),
        ep(
            "POST",
            "/tokens",
            Some(json!({"name": "backdoor", "scopes": ["admin"]})),
            None,
        ),
        ep("GET", "/tokens/{token}", None, Some("token-not-found")),
        ep("DELETE", "/tokens/{token}", None, Some("token-not-found")),
        // keys
        ep("GET", "/keys", None, None),
        ep("POST", "/keys/rotate", Some(json!({})), None),
        // audit
        ep("GET", "/events", None, None),
        ep("GET", "/events?action=user.create", None, None),
    ]
}

/// A tenant with an admin token, a user, a group holding the user, and a read token.
struct Tenant {
    slug: String,
    admin: String,
    admin_id: String,
    read: String,
    read_id: String,
    user: String,
    group: String,
}

async fn tenant(app: &TestApp, slug: &str) -> Tenant {
    app.tenant(slug).await;
    let tokens = format!("/api/v1/tenants/{slug}/tokens");
    let admin = app
        .post(
            &tokens,
            &app.platform,
            json!({"name": "admin", "scopes": ["admin"]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let read = app
        .post(
            &tokens,
            &app.platform,
            json!({"name": "ci", "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let admin_secret = admin["token"].as_str().unwrap().to_owned();
    let user = app.user(slug, &admin_secret, &format!("{slug}-user")).await;
    let group = app
        .group(slug, &admin_secret, &format!("{slug}-group"))
        .await;
    let s = |v: &Value| v["id"].as_str().unwrap().to_owned();
    app.put(
        &format!(
            "/api/v1/tenants/{slug}/groups/{}/members/{}",
            s(&group),
            s(&user)
        ),
        &admin_secret,
    )
    .await
    .expect(StatusCode::CREATED);
    Tenant {
        slug: slug.to_owned(),
        admin: admin_secret,
        admin_id: s(&admin),
        read: read["token"].as_str().unwrap().to_owned(),
        read_id: s(&read),
        user: s(&user),
        group: s(&group),
    }
}

impl Endpoint {
    /// The full path on tenant `slug`, with `target`'s ids and `own_group`.
    fn on(&self, slug: &str, target: &Tenant, own_group: &str) -> String {
        let rest = self
            .path
            .replace("{user}", &target.user)
            .replace("{own_group}", own_group)
            .replace("{group}", &target.group)
            .replace("{token}", &target.read_id);
        format!("/api/v1/tenants/{slug}{rest}")
    }

    fn describe(&self, path: &str) -> String {
        format!("{} {path}", self.method)
    }

    async fn call(&self, app: &TestApp, path: &str, token: &str) -> Reply {
        app.send(self.method, path, Some(token), self.body.clone(), &[])
            .await
    }
}

/// The problem without what differs between any two requests.
fn comparable(problem: &Value) -> Value {
    let mut p = problem.clone();
    if let Some(map) = p.as_object_mut() {
        map.remove("request_id");
    }
    p
}

/// Everything a tenant holds, as the operator sees it (with the platform
/// token, so that reading it changes nothing, not even `last_used_at`).
async fn snapshot(app: &TestApp, t: &Tenant) -> Value {
    let base = format!("/api/v1/tenants/{}", t.slug);
    let get = |path: String| async move {
        app.get(&path, &app.platform)
            .await
            .expect(StatusCode::OK)
            .body
    };
    json!({
        "tenant": get(base.clone()).await,
        "users": get(format!("{base}/users")).await,
        "user": get(format!("{base}/users/{}", t.user)).await,
        "groups": get(format!("{base}/groups")).await,
        "group": get(format!("{base}/groups/{}", t.group)).await,
        "members": get(format!("{base}/groups/{}/members", t.group)).await,
        "tokens": get(format!("{base}/tokens")).await,
        "keys": get(format!("{base}/keys")).await,
        "events": get(format!("{base}/events")).await,
        "jwks": app.send("GET", &format!("/t/{}/.well-known/jwks.json", t.slug), None, None, &[]).await.expect(StatusCode::OK).body,
    })
}

/// Every id and key id of `t`, to look for where it must not appear.
async fn identifiers(app: &TestApp, t: &Tenant) -> Vec<String> {
    let base = format!("/api/v1/tenants/{}", t.slug);
    let tenant = app
        .get(&base, &app.platform)
        .await
        .expect(StatusCode::OK)
        .body;
    let keys = app
        .get(&format!("{base}/keys"), &app.platform)
        .await
        .expect(StatusCode::OK)
        .body;
    let mut ids = vec![
        tenant["id"].as_str().unwrap().to_owned(),
        t.user.clone(),
        t.group.clone(),
        t.admin_id.clone(),
        t.read_id.clone(),
        t.admin.clone(),
        t.read.clone(),
    ];
    ids.extend(
        keys["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned()),
    );
    ids
}

both_backends! {
    async fn another_tenants_path_answers_exactly_like_a_tenant_that_does_not_exist(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        // The table is real: B's own token reads every GET of it.
        for e in endpoints().iter().filter(|e| e.method == "GET") {
            let path = e.on(&b.slug, &b, &b.group);
            app.get(&path, &b.read).await.expect(StatusCode::OK);
        }
        let before = snapshot(&app, &b).await;

        for e in endpoints() {
            let theirs = e.on(&b.slug, &b, &b.group);
            let nowhere = e.on("no-such-tenant", &b, &b.group);
            for token in [&a.admin, &a.read] {
                let r = e.call(&app, &theirs, token).await;
                let what = e.describe(&theirs);
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{what}: {}", r.body);
                assert_eq!(r.code(), "tenant-not-found", "{what}: {}", r.body);
                assert_eq!(
                    r.header("content-type"),
                    Some("application/problem+json"),
                    "{what}"
                );
                let missing = e.call(&app, &nowhere, token).await;
                assert_eq!(missing.status, r.status, "{}", e.describe(&nowhere));
                assert_eq!(
                    comparable(&r.body),
                    comparable(&missing.body),
                    "{what} tells B from a missing tenant"
                );
            }
        }

        let after = snapshot(&app, &b).await;
        assert_eq!(after, before, "tenant B changed");
    }

    async fn another_tenants_ids_on_ones_own_path_are_not_found(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        let before = snapshot(&app, &b).await;
        let a_before = snapshot(&app, &a).await;

        for e in endpoints() {
            let Some(code) = e.foreign_ids else { continue };
            let path = e.on(&a.slug, &b, &a.group);
            let r = e.call(&app, &path, &a.admin).await;
            let what = e.describe(&path);
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{what}: {}", r.body);
            assert_eq!(r.code(), code, "{what}: {}", r.body);
            // Not even the platform token finds B's resources under A.
            let r = e.call(&app, &path, &app.platform).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::NOT_FOUND, code),
                "{what} (platform token): {}",
                r.body
            );
        }

        assert_eq!(snapshot(&app, &b).await, before, "tenant B changed");
        // Nothing happened to A either (every attempt failed, so nothing was audited).
        assert_eq!(snapshot(&app, &a).await, a_before, "tenant A changed");
    }

    async fn a_tenants_lists_never_contain_another_tenants_ids(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        let theirs = identifiers(&app, &b).await;
        let mine = identifiers(&app, &a).await;

        for e in endpoints().iter().filter(|e| e.method == "GET") {
            let path = e.on(&a.slug, &a, &a.group);
            for token in [&a.admin, &a.read, &app.platform] {
                let r = app.get(&path, token).await.expect(StatusCode::OK);
                let text = r.body.to_string();
                for id in &theirs {
                    assert!(
                        !text.contains(id.as_str()),
                        "GET {path} shows B's {id}: {text}"
                    );
                }
            }
        }
        // And the lists do show A's own things (the check above is not vacuous).
        let (app, a) = (&app, &a);
        let text = |path: String| async move {
            app.get(&path, &a.admin)
                .await
                .expect(StatusCode::OK)
                .body
                .to_string()
        };
        let base = format!("/api/v1/tenants/{}", a.slug);
        assert!(text(format!("{base}/users")).await.contains(&a.user));
        assert!(text(format!("{base}/groups")).await.contains(&a.group));
        assert!(
            text(format!("{base}/groups/{}/members", a.group))
                .await
                .contains(&a.user)
        );
        assert!(text(format!("{base}/tokens")).await.contains(&a.read_id));
        assert!(text(format!("{base}/events")).await.contains(&a.user));
        let keys = text(format!("{base}/keys")).await;
        assert!(
            mine[7..].iter().all(|kid| keys.contains(kid.as_str())),
            "{keys}"
        );
        // And the JWKS of each tenant publishes only its own keys.
        let jwks = app
            .send(
                "GET",
                &format!("/t/{}/.well-known/jwks.json", a.slug),
                None,
                None,
                &[],
            )
            .await
            .expect(StatusCode::OK)
            .body
            .to_string();
        for id in &theirs {
            assert!(!jwks.contains(id.as_str()), "A's JWKS shows B's {id}");
        }
    }

    async fn a_tenant_token_cannot_reach_another_tenant_on_the_operator_api(db: TestDb) {
        let app = TestApp::start(db).await;
        let a = tenant(&app, "alpha").await;
        let b = tenant(&app, "bravo").await;
        let before = snapshot(&app, &b).await;
        let base = format!("/api/v1/tenants/{}", b.slug);
        for (method, path) in [
            ("GET", base.clone()),
            ("PATCH", base.clone()),
            ("POST", format!("{base}/suspend")),
            ("DELETE", base.clone()),
        ] {
            let body = (method == "PATCH").then(|| json!({"display_name": "pwned"}));
            let r = app.send(method, &path, Some(&a.admin), body, &[]).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                r.body
            );
            assert_eq!(
                r.code(),
                "insufficient-scope",
                "{method} {path}: {}",
                r.body
            );
        }
        assert_eq!(snapshot(&app, &b).await, before, "tenant B changed");
    }
}
