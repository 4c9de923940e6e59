//! Health, readiness and metrics, as a load balancer and Prometheus see them.

mod common;
use common::*;

use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;

both_backends! {
    async fn health_and_readiness_answer_ok_with_a_database(db: TestDb) {
        let app = TestApp::start(db).await;
        let health = app.send("GET", "/healthz", None, None, &[]).await.expect(StatusCode::OK);
        assert_eq!(health.body["status"], "ok");
        let ready = app.send("GET", "/readyz", None, None, &[]).await.expect(StatusCode::OK);
        assert_eq!(ready.body["status"], "ok");
    }

    async fn metrics_count_requests_by_operation_and_status_and_show_the_pool(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        app.post("/api/v1/tenants", &app.platform, serde_json::json!({"slug": "acme", "display_name": "again"}))
            .await
            .expect(StatusCode::CONFLICT);
        let r = app.send("GET", "/metrics", None, None, &[]).await.expect(StatusCode::OK);
        let text = r.body.as_str().expect("the metrics are text").to_owned();
        let line = |needle: &str| text.lines().any(|l| l.starts_with(needle));
        assert!(line(r#"latchkey_http_requests_total{method="POST",route="createTenant",status="201"} 1"#), "{text}");
        assert!(line(r#"latchkey_http_requests_total{method="POST",route="createTenant",status="409"} 1"#), "{text}");
        assert!(line(r#"latchkey_http_request_duration_seconds_bucket{le="+Inf",route="createTenant"} 2"#), "{text}");
        assert!(line("latchkey_db_pool_max "), "{text}");
        assert!(line("latchkey_db_pool_connections "), "{text}");
    }

    async fn the_contract_is_served_and_rendered(db: TestDb) {
        let app = TestApp::start(db).await;
        let spec = app.send("GET", "/api/v1/openapi.json", None, None, &[]).await.expect(StatusCode::OK);
        assert_eq!(spec.body["info"]["title"], "Latchkey");
        assert!(spec.body["paths"]["/api/v1/tenants/{tenant}/users"].is_object());
        let docs = app.send("GET", "/api/docs", None, None, &[]).await.expect(StatusCode::OK);
        assert!(docs.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    }

    async fn every_response_carries_a_request_id_and_keeps_a_callers(db: TestDb) {
        let app = TestApp::start(db).await;
        let generated = app.send("GET", "/healthz", None, None, &[]).await;
        assert!(generated.header("x-request-id").is_some_and(|id| !id.is_empty()));
        let kept = app.send("GET", "/healthz", None, None, &[("x-request-id", "trace-me-42")]).await;
        assert_eq!(kept.header("x-request-id"), Some("trace-me-42"));
    }
}
