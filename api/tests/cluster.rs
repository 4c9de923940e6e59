//! Several stateless nodes on one PostgreSQL database: what one node changes,
//! every other node honours within seconds.

mod common;
use common::*;

use std::time::Duration;

use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::json;

/// How long a node may trust its cache; a revocation must reach every node
/// within this (plus a margin).
const CACHE_TTL: Duration = Duration::from_millis(500);

async fn two_nodes() -> (
    TestApp,
    TestClient<poem::endpoint::BoxEndpoint<'static, poem::Response>>,
) {
    let db = TestDb::postgres();
    let a = db.store_with(|c| c.cache_ttl = CACHE_TTL).await;
    let b = db.store_with(|c| c.cache_ttl = CACHE_TTL).await;
    let node_b = TestClient::new(node(b));
    (TestApp::on_store(db, a).await, node_b)
}

async fn status_on(
    node: &TestClient<poem::endpoint::BoxEndpoint<'static, poem::Response>>,
    path: &str,
    token: &str,
) -> StatusCode {
    node.get(path)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .0
        .status()
}

/// Polls until `node` answers `want`, for at most `within`.
async fn eventually(
    node: &TestClient<poem::endpoint::BoxEndpoint<'static, poem::Response>>,
    path: &str,
    token: &str,
    want: StatusCode,
    within: Duration,
) -> Duration {
    let started = std::time::Instant::now();
    loop {
        let got = status_on(node, path, token).await;
        if got == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "node still answers {got} after {within:?}, expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_token_revoked_on_one_node_is_refused_by_the_other_within_seconds() {
    let (a, b) = two_nodes().await;
    a.tenant("acme").await;
    let created = a
        .post(
            "/api/v1/tenants/acme/tokens",
            &a.platform,
            json!({"name": "ci", "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let token = created["token"].as_str().unwrap();
    let path = "/api/v1/tenants/acme/users";
    assert_eq!(
        status_on(&b, path, token).await,
        StatusCode::OK,
        "node B accepts the token and caches it"
    );

    a.delete(
        &format!(
            "/api/v1/tenants/acme/tokens/{}",
            created["id"].as_str().unwrap()
        ),
        &a.platform,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        a.get(path, token).await.status,
        StatusCode::UNAUTHORIZED,
        "node A refuses at once"
    );
    let took = eventually(
        &b,
        path,
        token,
        StatusCode::UNAUTHORIZED,
        Duration::from_secs(3),
    )
    .await;
    assert!(
        took <= CACHE_TTL + Duration::from_millis(300),
        "took {took:?}"
    );
}

#[tokio::test]
async fn a_tenant_suspended_on_one_node_is_refused_by_the_other_within_seconds() {
    let (a, b) = two_nodes().await;
    a.tenant("acme").await;
    let token = a.token("acme", &["admin"]).await;
    let path = "/api/v1/tenants/acme/users";
    assert_eq!(status_on(&b, path, &token).await, StatusCode::OK);

    a.post("/api/v1/tenants/acme/suspend", &a.platform, json!({}))
        .await
        .expect(StatusCode::OK);
    eventually(
        &b,
        path,
        &token,
        StatusCode::FORBIDDEN,
        Duration::from_secs(3),
    )
    .await;

    a.post("/api/v1/tenants/acme/resume", &a.platform, json!({}))
        .await
        .expect(StatusCode::OK);
    eventually(&b, path, &token, StatusCode::OK, Duration::from_secs(3)).await;
}

#[tokio::test]
async fn a_user_created_on_one_node_is_read_on_the_other() {
    let (a, b) = two_nodes().await;
    a.tenant("acme").await;
    let user = a.user("acme", &a.platform, "ada").await;
    let path = format!(
        "/api/v1/tenants/acme/users/{}",
        user["id"].as_str().unwrap()
    );
    assert_eq!(status_on(&b, &path, &a.platform).await, StatusCode::OK);
}

/// With caches that would trust a token for ten minutes, the revocation still
/// reaches the other node at once: it is pushed over LISTEN/NOTIFY.
#[tokio::test]
async fn a_revocation_is_pushed_to_the_other_node_without_waiting_for_its_cache() {
    let db = TestDb::postgres();
    let long = Duration::from_secs(600);
    let a = db.store_with(|c| c.cache_ttl = long).await;
    let b = TestClient::new(node(db.store_with(|c| c.cache_ttl = long).await));
    let a = TestApp::on_store(db, a).await;
    a.tenant("acme").await;
    let created = a
        .post(
            "/api/v1/tenants/acme/tokens",
            &a.platform,
            json!({"name": "ci", "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let token = created["token"].as_str().unwrap();
    let path = "/api/v1/tenants/acme/users";
    assert_eq!(
        status_on(&b, path, token).await,
        StatusCode::OK,
        "node B caches the token"
    );

    a.delete(
        &format!(
            "/api/v1/tenants/acme/tokens/{}",
            created["id"].as_str().unwrap()
        ),
        &a.platform,
    )
    .await
    .expect(StatusCode::OK);
    eventually(
        &b,
        path,
        token,
        StatusCode::UNAUTHORIZED,
        Duration::from_secs(1),
    )
    .await;

    a.post("/api/v1/tenants/acme/suspend", &a.platform, json!({}))
        .await
        .expect(StatusCode::OK);
    eventually(
        &b,
        path,
        &a.platform,
        StatusCode::FORBIDDEN,
        Duration::from_secs(1),
    )
    .await;
}
