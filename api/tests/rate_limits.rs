//! Runaway clients are slowed down with 429 and `Retry-After`.

mod common;
use common::*;

use latchkey_api::app::HttpLimits;
use latchkey_api::client_address::ProxyTrust;
use latchkey_api::ratelimit::RateLimits;
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use poem::test::TestClient;

#[tokio::test]
async fn a_token_over_its_rate_gets_429_with_retry_after() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let token = store
        .platform_tokens()
        .create("t", None)
        .await
        .unwrap()
        .secret;
    let limits = HttpLimits {
        rate: RateLimits {
            per_token: 2,
            ..RateLimits::default()
        },
        ..HttpLimits::default()
    };
    let client = TestClient::new(node_with(store, limits));
    let call = || {
        client
            .get("/api/v1/tenants")
            .header("Authorization", format!("Bearer {token}"))
            .send()
    };
    // A burst of twice the rate passes …
    for _ in 0..4 {
        call().await.assert_status_is_ok();
    }
    // … and then the token must wait.
    let resp = call().await.0;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = resp.into_body().into_json().await.unwrap();
    assert_eq!(body["code"], "rate-limited");
}

#[tokio::test]
async fn another_token_is_not_slowed_down_by_a_busy_one() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let busy = store
        .platform_tokens()
        .create("busy", None)
        .await
        .unwrap()
        .secret;
    let calm = store
        .platform_tokens()
        .create("calm", None)
        .await
        .unwrap()
        .secret;
    let limits = HttpLimits {
        rate: RateLimits {
            per_token: 1,
            ..RateLimits::default()
        },
        ..HttpLimits::default()
    };
    let client = TestClient::new(node_with(store, limits));
    for _ in 0..3 {
        client
            .get("/healthz")
            .header("Authorization", format!("Bearer {busy}"))
            .send()
            .await;
    }
    client
        .get("/api/v1/tenants")
        .header("Authorization", format!("Bearer {calm}"))
        .send()
        .await
        .assert_status_is_ok();
}

#[tokio::test]
async fn an_address_written_into_x_forwarded_for_does_not_reset_the_budget() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let limits = HttpLimits {
        rate: RateLimits {
            per_address: 1,
            proxies: ProxyTrust {
                one_proxy: true,
                networks: Vec::new(),
            },
            ..RateLimits::default()
        },
        ..HttpLimits::default()
    };
    let client = TestClient::new(node_with(store, limits));
    let from = |forwarded: String| {
        client
            .get("/healthz")
            .header("X-Forwarded-For", forwarded)
            .send()
    };
    // The proxy appended 203.0.113.7; what the client wrote before it varies.
    for spoofed in ["198.51.100.1", "198.51.100.2"] {
        from(format!("{spoofed}, 203.0.113.7"))
            .await
            .assert_status_is_ok();
    }
    from("198.51.100.3, 203.0.113.7".into())
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own budget.
    from("203.0.113.8".into()).await.assert_status_is_ok();
}
