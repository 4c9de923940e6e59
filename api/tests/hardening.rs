//! Races and hostile input that once reached a 500 or broke an invariant.

mod common;
use common::*;

use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use serde_json::json;

both_backends! {
    async fn concurrent_rotations_leave_one_active_and_one_next_key_per_algorithm(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        let rotate = || app.post("/api/v1/tenants/acme/keys/rotate", &app.platform, json!({"algs": ["ES256"]}));
        let results = futures_join(vec![rotate(), rotate(), rotate(), rotate(), rotate(), rotate()]).await;
        for r in &results {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let keys = app.get("/api/v1/tenants/acme/keys", &app.platform).await.expect(StatusCode::OK).body;
        let count = |state: &str| keys["items"].as_array().unwrap().iter().filter(|k| k["alg"] == "ES256" && k["state"] == state).count();
        assert_eq!((count("active"), count("next"), count("retired")), (1, 1, 6));
    }

    async fn concurrent_adds_of_one_member_all_succeed(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        let user = app.user("acme", &app.platform, "ada").await;
        let group = app.group("acme", &app.platform, "eng").await;
        let path = format!("/api/v1/tenants/acme/groups/{}/members/{}", group["id"].as_str().unwrap(), user["id"].as_str().unwrap());
        let results = futures_join((0..6).map(|_| app.put(&path, &app.platform)).collect()).await;
        let added = results.iter().filter(|r| r.status == StatusCode::CREATED).count();
        let already = results.iter().filter(|r| r.status == StatusCode::NO_CONTENT).count();
        assert_eq!((added, already), (1, 5), "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    }

    async fn an_expiry_beyond_the_representable_range_is_a_400(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        app.post("/api/v1/tenants/acme/tokens", &app.platform, json!({"name": "x", "scopes": ["read"], "expires_at": "9999-12-31T23:59:59-01:00"}))
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
    }

    async fn a_host_header_never_reaches_the_links_a_scim_client_stores(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        let token = app.scim_token("acme").await;
        let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"});
        let created = app
            .scim_with("POST", "acme", "/Users", &token, Some(user), &[("Host", "evil.example")])
            .await
            .expect(StatusCode::CREATED);
        let id = created.body["id"].as_str().unwrap();
        let link = format!("http://localhost/t/acme/scim/v2/Users/{id}");
        assert_eq!(created.headers["location"], link.as_str());
        assert_eq!(created.body["meta"]["location"], link.as_str());
        let listed = app
            .scim_with("GET", "acme", "/Users", &token, None, &[("Host", "evil.example"), ("X-Forwarded-Host", "evil.example")])
            .await
            .expect(StatusCode::OK);
        assert_eq!(listed.body["Resources"][0]["meta"]["location"], link.as_str());
    }

    async fn control_characters_in_paths_and_queries_are_refused_not_a_500(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        app.send("GET", "/t/%00ac/.well-known/jwks.json", None, None, &[]).await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        app.get("/api/v1/tenants/%00acme", &app.platform).await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        for path in ["/api/v1/tenants/acme/users?q=a%00b", "/api/v1/tenants/acme/groups?q=%00", "/api/v1/tenants/acme/events?action=%00", "/api/v1/tenants/acme/events?actor=x%00"] {
            app.get(path, &app.platform).await.expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        }
    }
}

/// Runs the requests concurrently and returns their replies in order.
async fn futures_join<F: std::future::Future<Output = Reply>>(requests: Vec<F>) -> Vec<Reply> {
    let mut pinned: Vec<_> = requests.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<Reply>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => out[i] = Some(r),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|r| r.expect("every request finished"))
        .collect()
}
