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

type Node = TestClient<poem::endpoint::BoxEndpoint<'static, poem::Response>>;

/// Node A (with the harness around it) and node B, on one PostgreSQL
/// database, each trusting its caches for `cache_ttl`; with tenant `acme`.
async fn two_nodes(cache_ttl: Duration) -> (TestApp, Node) {
    let db = TestDb::postgres();
    let a = db.store_with(|c| c.cache_ttl = cache_ttl).await;
    let b = db.store_with(|c| c.cache_ttl = cache_ttl).await;
    let node_b = TestClient::new(node(b));
    let a = TestApp::on_store(db, a).await;
    a.tenant("acme").await;
    (a, node_b)
}

/// A `read` token of acme: its id and its secret.
async fn read_token(a: &TestApp) -> (String, String) {
    let created = a
        .post(
            "/api/v1/tenants/acme/tokens",
            &a.platform,
            json!({"name": "ci", "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let field = |name: &str| created[name].as_str().unwrap().to_owned();
    (field("id"), field("token"))
}

async fn revoke_on(a: &TestApp, id: &str) {
    a.delete(&format!("/api/v1/tenants/acme/tokens/{id}"), &a.platform)
        .await
        .expect(StatusCode::OK);
}

async fn status_on(node: &Node, path: &str, token: &str) -> StatusCode {
    node.get(path)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .0
        .status()
}

/// Polls until `node` answers `want`, for at most `within`.
async fn eventually(
    node: &Node,
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
    let (a, b) = two_nodes(CACHE_TTL).await;
    let (id, token) = read_token(&a).await;
    let token = token.as_str();
    let path = "/api/v1/tenants/acme/users";
    assert_eq!(
        status_on(&b, path, token).await,
        StatusCode::OK,
        "node B accepts the token and caches it"
    );

    revoke_on(&a, &id).await;
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
    let (a, b) = two_nodes(CACHE_TTL).await;
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
    let (a, b) = two_nodes(CACHE_TTL).await;
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
    let (a, b) = two_nodes(Duration::from_secs(600)).await;
    let (id, token) = read_token(&a).await;
    let token = token.as_str();
    let path = "/api/v1/tenants/acme/users";
    assert_eq!(
        status_on(&b, path, token).await,
        StatusCode::OK,
        "node B caches the token"
    );

    revoke_on(&a, &id).await;
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
