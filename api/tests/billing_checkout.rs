//! Upgrading through Stripe Checkout against a stub Stripe, the billing
//! status endpoint, billing switched off, and isolation.

mod common;

use common::billing::{BillingApp, PRICE_ENTERPRISE, PRICE_TEAM, SECRET_KEY};
use common::*;
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use serde_json::{Value, json};

fn checkout_body(plan: &str) -> Value {
    json!({"plan": plan, "success_url": "https://app.example.com/billing/ok", "cancel_url": "http://localhost:3000/billing"})
}

async fn checkout(b: &BillingApp, slug: &str, token: &str, body: Value) -> Reply {
    b.app
        .post(
            &format!("/api/v1/tenants/{slug}/billing/checkout"),
            token,
            body,
        )
        .await
}

both_backends! {
    async fn checkout_creates_a_session_for_the_plans_price_and_the_tenants_seats(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let admin = b.app.token("acme", &["admin"]).await;
        b.app.user("acme", &admin, "ada").await;
        b.app.user("acme", &admin, "grace").await;
        let r = checkout(&b, "acme", &admin, checkout_body("enterprise")).await.expect(StatusCode::CREATED);
        assert_eq!(r.body["id"], "cs_test_a11");
        assert_eq!(r.body["url"], "https://checkout.stripe.com/c/pay/cs_test_a11");

        let id = b.app.store.tenants().get("acme").await.unwrap().id.to_string();
        let seen = b.stripe_requests();
        let customer = seen.iter().find(|r| r.target == "/v1/customers").expect("customer created");
        assert_eq!(customer.header("idempotency-key"), Some(format!("customer-{id}").as_str()));
        assert_eq!(customer.field("name"), "acme");
        assert_eq!(customer.field("metadata[tenant_id]"), id);
        let session = seen.iter().find(|r| r.target == "/v1/checkout/sessions").expect("session created");
        assert_eq!(session.header("authorization"), Some(format!("Bearer {SECRET_KEY}").as_str()));
        assert_eq!(session.field("mode"), "subscription");
        assert_eq!(session.field("customer"), "cus_test1");
        assert_eq!(session.field("line_items[0][price]"), PRICE_ENTERPRISE);
        assert_eq!(session.field("line_items[0][quantity]"), "2");
        assert_eq!(session.field("success_url"), "https://app.example.com/billing/ok");
        assert_eq!(session.field("cancel_url"), "http://localhost:3000/billing");
        assert_eq!(session.field("client_reference_id"), id);
        assert_eq!(session.field("metadata[tenant_id]"), id);
        assert_eq!(session.field("subscription_data[metadata][tenant_id]"), id);
        assert_eq!(b.customer_of("acme").await, "cus_test1");
    }

    async fn the_customer_is_created_once_across_two_upgrades(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        checkout(&b, "acme", &b.app.platform, checkout_body("team")).await.expect(StatusCode::CREATED);
        checkout(&b, "acme", &b.app.platform, checkout_body("enterprise")).await.expect(StatusCode::CREATED);
        let seen = b.stripe_requests();
        assert_eq!(seen.iter().filter(|r| r.target == "/v1/customers").count(), 1);
        let sessions: Vec<_> = seen.iter().filter(|r| r.target == "/v1/checkout/sessions").collect();
        assert_eq!(sessions.len(), 2);
        assert!(sessions.iter().all(|s| s.field("customer") == "cus_test1"));
        assert_eq!(sessions[0].field("line_items[0][price]"), PRICE_TEAM);
        let audited = b.app.get("/api/v1/tenants/acme/events", &b.app.platform).await.body;
        let customers = audited["items"].as_array().unwrap().iter()
            .filter(|e| e["action"] == "billing.customer").count();
        assert_eq!(customers, 1);
    }

    async fn a_tenant_without_users_is_billed_one_seat(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        checkout(&b, "acme", &b.app.platform, checkout_body("team")).await.expect(StatusCode::CREATED);
        let session = b.stripe_requests().into_iter().find(|r| r.target == "/v1/checkout/sessions").unwrap();
        assert_eq!(session.field("line_items[0][quantity]"), "1");
    }

    async fn an_unknown_plan_or_a_bad_return_url_is_a_400_naming_it(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let p = &b.app.platform;
        let r = checkout(&b, "acme", p, checkout_body("free")).await.expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert_eq!(r.body["errors"][0]["field"], "plan");
        let mut bad = checkout_body("team");
        bad["success_url"] = json!("javascript:alert(1)");
        let r = checkout(&b, "acme", p, bad).await.expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert_eq!(r.body["errors"][0]["field"], "success_url");
        assert!(b.stripe_requests().is_empty(), "nothing sent to Stripe");
    }

    async fn a_read_token_cannot_start_a_checkout(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let read = b.app.token("acme", &["read"]).await;
        checkout(&b, "acme", &read, checkout_body("team")).await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        b.app.get("/api/v1/tenants/acme/billing", &read).await.expect(StatusCode::OK);
    }

    async fn another_tenants_token_gets_404_for_its_billing(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        b.app.tenant("globex").await;
        let acme_admin = b.app.token("acme", &["admin"]).await;
        b.app.get("/api/v1/tenants/globex/billing", &acme_admin).await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        checkout(&b, "globex", &acme_admin, checkout_body("team")).await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        assert!(b.stripe_requests().is_empty());
    }

    async fn a_stripe_failure_is_a_503_without_secrets(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        b.stripe.lock().unwrap().failing = true;
        let r = checkout(&b, "acme", &b.app.platform, checkout_body("team")).await
            .expect_problem(StatusCode::SERVICE_UNAVAILABLE, "billing-provider-unavailable");
        assert!(!r.body.to_string().contains(SECRET_KEY));
        assert_eq!(b.billing("acme").await["status"], Value::Null);
    }

    async fn the_billing_status_shows_seats_in_use_and_no_stripe_secrets(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let admin = b.app.token("acme", &["admin"]).await;
        b.app.user("acme", &admin, "ada").await;
        let s = b.billing("acme").await;
        assert_eq!(s["plan"], "free");
        assert_eq!(s["status"], Value::Null);
        assert_eq!(s["seats_in_use"], 1);
        assert_eq!(s["seats_billed"], Value::Null);
        let text = s.to_string();
        assert!(!text.contains(SECRET_KEY) && !text.contains("whsec_"), "{text}");
    }

    async fn without_stripe_settings_billing_answers_billing_not_configured(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        app.get("/api/v1/tenants/acme/billing", &app.platform).await
            .expect_problem(StatusCode::CONFLICT, "billing-not-configured");
        app.post("/api/v1/tenants/acme/billing/checkout", &app.platform, checkout_body("team")).await
            .expect_problem(StatusCode::CONFLICT, "billing-not-configured");
        app.send("POST", "/billing/stripe/webhook", None, Some(json!({})), &[("Stripe-Signature", "t=1,v1=00")]).await
            .expect_problem(StatusCode::CONFLICT, "billing-not-configured");
    }
}
