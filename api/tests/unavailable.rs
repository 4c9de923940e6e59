//! An unreachable database gives a clear, quick answer — never a hang.

mod common;
use common::*;

use std::time::{Duration, Instant};

use latchkey_tenants::db::DatabaseUrl;
use latchkey_tenants::keys::sealing::MasterKey;
use latchkey_tenants::{Error, Store, StoreConfig};
use poem::http::StatusCode;
use poem::test::TestClient;

/// Nothing listens on port 1.
fn nowhere() -> StoreConfig {
    let mut config = StoreConfig::new(
        DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/latchkey").unwrap(),
        MasterKey::generate(),
    );
    config.pool_wait = Duration::from_secs(1);
    config
}

#[tokio::test]
async fn starting_without_a_database_fails_at_once_saying_why() {
    let started = Instant::now();
    let err = Store::open(nowhere())
        .await
        .err()
        .expect("no database, no store");
    assert!(matches!(err, Error::Unavailable(_)), "{err}");
    assert!(
        err.to_string().contains("cannot connect to the database"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_request_while_the_database_is_down_gets_503_problem() {
    let client = TestClient::new(node(Store::unconnected(nowhere()).unwrap()));
    let started = Instant::now();
    let resp = client
        .get("/api/v1/tenants")
        .header(
            "Authorization",
            "Bearer lkp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .send()
        .await
        .0;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = resp.into_body().into_json().await.unwrap();
    assert_eq!(body["code"], "unavailable");
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "no connection details leak: {body}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn readiness_reports_the_database_down() {
    let client = TestClient::new(node(Store::unconnected(nowhere()).unwrap()));
    client
        .get("/readyz")
        .send()
        .await
        .assert_status(StatusCode::SERVICE_UNAVAILABLE);
    client.get("/healthz").send().await.assert_status_is_ok();
}
