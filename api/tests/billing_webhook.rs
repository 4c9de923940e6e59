//! Stripe's webhook: signatures, idempotency, order, each handled event
//! type, the grace period and cancellation, and isolation between tenants.

mod common;

use common::billing::{BillingApp, PRICE_ENTERPRISE, PRICE_TEAM, WEBHOOK_SECRET};
use common::*;
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use serde_json::{Value, json};

const DAY: i64 = 86_400;

async fn subscribed(b: &BillingApp, slug: &str, price: &str) -> String {
    b.app.tenant(slug).await;
    let customer = b.upgrade(slug, "team").await;
    let e = b.subscription_event(
        "customer.subscription.created",
        &customer,
        "active",
        price,
        3,
    );
    assert_eq!(
        b.deliver(&e).await.expect(StatusCode::OK).body["outcome"],
        "applied"
    );
    customer
}

async fn audit_actions(b: &BillingApp, slug: &str) -> Vec<(String, String)> {
    let r = b
        .app
        .get(&format!("/api/v1/tenants/{slug}/events"), &b.app.platform)
        .await
        .expect(StatusCode::OK);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn billing_changes(actions: &[(String, String)]) -> usize {
    actions
        .iter()
        .filter(|(a, actor)| a == "billing.subscription" && actor == "billing:stripe")
        .count()
}

both_backends! {
    async fn a_bad_signature_is_refused_with_400_and_nothing_is_stored(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let customer = b.upgrade("acme", "team").await;
        let e = b.subscription_event("customer.subscription.created", &customer, "active", PRICE_TEAM, 1);
        let body = e.to_string();
        let forged = latchkey_stripe::webhook::sign(body.as_bytes(), "whsec_someone_else", b.now());
        b.deliver_raw(&body, &forged)
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "webhook-signature-invalid");
        b.deliver_raw(&body, "")
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "webhook-signature-invalid");
        assert_eq!(b.billing("acme").await["status"], Value::Null);
        // The event id was not recorded: delivered properly, it applies.
        assert_eq!(b.deliver(&e).await.expect(StatusCode::OK).body["outcome"], "applied");
        assert_eq!(b.billing("acme").await["status"], "active");
    }

    async fn a_signature_older_than_the_tolerance_is_refused(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let customer = b.upgrade("acme", "team").await;
        let body = b
            .subscription_event("customer.subscription.created", &customer, "active", PRICE_TEAM, 1)
            .to_string();
        let old = latchkey_stripe::webhook::sign(body.as_bytes(), WEBHOOK_SECRET, b.now() - 301);
        b.deliver_raw(&body, &old)
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "webhook-signature-invalid");
        assert_eq!(b.billing("acme").await["status"], Value::Null);
    }

    async fn a_replayed_event_has_no_second_effect(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let customer = b.upgrade("acme", "team").await;
        let created = b.subscription_event("customer.subscription.created", &customer, "active", PRICE_TEAM, 1);
        b.deliver(&created).await.expect(StatusCode::OK);
        b.clock.advance(time::Duration::seconds(10));
        let past_due = b.subscription_event("customer.subscription.updated", &customer, "past_due", PRICE_TEAM, 1);
        b.deliver(&past_due).await.expect(StatusCode::OK);
        let again = b.deliver(&created).await.expect(StatusCode::OK);
        assert_eq!(again.body["outcome"], "duplicate");
        assert_eq!(b.billing("acme").await["status"], "past_due");
        assert_eq!(billing_changes(&audit_actions(&b, "acme").await), 2);
    }

    async fn subscription_created_puts_the_tenant_on_the_plan_of_its_price(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_ENTERPRISE).await;
        let s = b.billing("acme").await;
        assert_eq!(s["plan"], "enterprise");
        assert_eq!(s["status"], "active");
        assert_eq!(s["seats_billed"], 3);
        assert_eq!(b.entitlements("acme").await.body["plan"], "enterprise");
        let tenant = b.app.get("/api/v1/tenants/acme", &b.app.platform).await.expect(StatusCode::OK);
        assert_eq!(tenant.body["plan"], "enterprise");
        assert!(audit_actions(&b, "acme").await.iter().any(|(a, actor)| a == "billing.subscription" && actor == "billing:stripe"));
    }

    async fn a_subscription_with_an_unknown_price_changes_nothing(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let customer = b.upgrade("acme", "team").await;
        let e = b.subscription_event("customer.subscription.created", &customer, "active", "price_other", 1);
        assert_eq!(b.deliver(&e).await.expect(StatusCode::OK).body["outcome"], "ignored:unknown-price");
        assert_eq!(b.billing("acme").await["plan"], "free");
    }

    async fn deleted_arriving_before_an_older_update_ends_canceled(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_TEAM).await;
        let customer = b.customer_of("acme").await;
        let update = b.subscription_event("customer.subscription.updated", &customer, "active", PRICE_TEAM, 4);
        b.clock.advance(time::Duration::seconds(30));
        let deleted = b.subscription_event("customer.subscription.deleted", &customer, "canceled", PRICE_TEAM, 4);
        b.deliver(&deleted).await.expect(StatusCode::OK);
        let late = b.deliver(&update).await.expect(StatusCode::OK);
        assert_eq!(late.body["outcome"], "ignored:stale");
        let s = b.billing("acme").await;
        assert_eq!(s["status"], "canceled");
        assert_eq!(s["plan"], "free");
        assert_eq!(s["lapsed_from"], "team");
    }

    async fn an_old_subscription_ending_leaves_the_current_one_alone(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_TEAM).await;
        let customer = b.customer_of("acme").await;
        b.clock.advance(time::Duration::seconds(10));
        let old = b.event("customer.subscription.deleted", common::billing::subscription_object(
            "sub_old", &customer, "canceled", PRICE_TEAM, 1, b.now(), false));
        assert_eq!(b.deliver(&old).await.expect(StatusCode::OK).body["outcome"], "ignored:other-subscription");
        let s = b.billing("acme").await;
        assert_eq!((s["status"].as_str(), s["plan"].as_str()), (Some("active"), Some("team")));
    }

    async fn an_update_older_than_the_last_applied_one_is_ignored(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_TEAM).await;
        let customer = b.customer_of("acme").await;
        b.clock.advance(time::Duration::seconds(10));
        let older = b.subscription_event("customer.subscription.updated", &customer, "active", PRICE_TEAM, 2);
        b.clock.advance(time::Duration::seconds(10));
        let newer = b.subscription_event("customer.subscription.updated", &customer, "active", PRICE_ENTERPRISE, 7);
        b.deliver(&newer).await.expect(StatusCode::OK);
        assert_eq!(b.deliver(&older).await.expect(StatusCode::OK).body["outcome"], "ignored:stale");
        let s = b.billing("acme").await;
        assert_eq!(s["plan"], "enterprise");
        assert_eq!(s["seats_billed"], 7);
    }

    async fn checkout_completed_links_the_subscription_of_the_tenants_own_customer(db: TestDb) {
        let b = BillingApp::start(db).await;
        let tenant = b.app.tenant("acme").await;
        let customer = b.upgrade(&tenant, "team").await;
        let id = b.app.store.tenants().get("acme").await.unwrap().id.to_string();
        let e = b.event("checkout.session.completed", json!({
            "id": "cs_test_a1", "object": "checkout.session", "mode": "subscription",
            "status": "complete", "payment_status": "paid", "customer": customer,
            "subscription": "sub_test1", "client_reference_id": id, "metadata": {"tenant_id": id},
        }));
        assert_eq!(b.deliver(&e).await.expect(StatusCode::OK).body["outcome"], "applied");
        let events = b.app.get("/api/v1/tenants/acme/events", &b.app.platform).await.body;
        let linked = events["items"].as_array().unwrap().iter()
            .find(|e| e["action"] == "billing.subscription").expect("audited");
        assert_eq!(linked["detail"]["subscription"], "sub_test1");
        assert_eq!(linked["actor"], "billing:stripe");
    }

    async fn checkout_completed_naming_another_tenant_is_ignored(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        b.app.tenant("globex").await;
        let customer = b.upgrade("acme", "team").await;
        let globex = b.app.store.tenants().get("globex").await.unwrap().id.to_string();
        let e = b.event("checkout.session.completed", json!({
            "id": "cs_test_a2", "object": "checkout.session", "mode": "subscription",
            "customer": customer, "subscription": "sub_test1", "client_reference_id": globex,
        }));
        assert_eq!(b.deliver(&e).await.expect(StatusCode::OK).body["outcome"], "ignored:reference-mismatch");
        assert_eq!(billing_changes(&audit_actions(&b, "acme").await), 0);
        assert_eq!(billing_changes(&audit_actions(&b, "globex").await), 0);
    }

    async fn a_failed_payment_keeps_the_plan_with_a_warning_within_the_grace_period(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_TEAM).await;
        let customer = b.customer_of("acme").await;
        b.clock.advance(time::Duration::seconds(5));
        let failed = b.event("invoice.payment_failed", json!({
            "id": "in_1", "object": "invoice", "customer": customer, "status": "open",
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_test1"}},
        }));
        assert_eq!(b.deliver(&failed).await.expect(StatusCode::OK).body["outcome"], "applied");
        b.clock.advance(time::Duration::days(13));
        let e = b.entitlements("acme").await;
        assert_eq!(e.body["plan"], "team");
        assert!(e.body["warnings"].to_string().contains("payment failed"), "{}", e.body);
        assert!(e.header("latchkey-billing-warning").unwrap().contains("payment failed"));
        let s = b.billing("acme").await;
        assert_eq!(s["status"], "past_due");
        assert!(s["grace_until"].is_string());
    }

    async fn the_billing_warning_header_reaches_only_the_tenants_own_callers(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_TEAM).await;
        b.app.tenant("globex").await;
        let customer = b.customer_of("acme").await;
        b.clock.advance(time::Duration::seconds(5));
        let e = b.subscription_event("customer.subscription.updated", &customer, "past_due", PRICE_TEAM, 3);
        b.deliver(&e).await.expect(StatusCode::OK);
        let acme = b.app.token("acme", &["read"]).await;
        let own = b.app.get("/api/v1/tenants/acme/users", &acme).await.expect(StatusCode::OK);
        assert!(own.header("latchkey-billing-warning").is_some());
        let globex = b.app.token("globex", &["admin"]).await;
        let other = b.app.get("/api/v1/tenants/acme/users", &globex).await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        assert_eq!(other.header("latchkey-billing-warning"), None);
        let own_globex = b.app.get("/api/v1/tenants/globex/users", &globex).await.expect(StatusCode::OK);
        assert_eq!(own_globex.header("latchkey-billing-warning"), None);
    }

    async fn after_the_grace_period_the_features_are_read_only_and_nothing_is_deleted(db: TestDb) {
        let b = BillingApp::start(db).await;
        b.app.tenant("acme").await;
        let customer = b.upgrade("acme", "enterprise").await;
        let e = b.subscription_event("customer.subscription.created", &customer, "active", PRICE_ENTERPRISE, 1);
        b.deliver(&e).await.expect(StatusCode::OK);
        let hook = "/api/v1/tenants/acme/events/webhook";
        b.app.send("PUT", hook, Some(&b.app.platform), Some(json!({"url": "https://hooks.example.com/x"})), &[])
            .await
            .expect(StatusCode::OK);
        b.clock.advance(time::Duration::seconds(5));
        let failed = b.subscription_event("customer.subscription.updated", &customer, "past_due", PRICE_ENTERPRISE, 1);
        b.deliver(&failed).await.expect(StatusCode::OK);
        b.clock.advance(time::Duration::days(14) + time::Duration::seconds(1));
        let e = b.entitlements("acme").await;
        assert_eq!(e.body["plan"], "free");
        let streaming = e.body["features"].as_array().unwrap().iter()
            .find(|f| f["feature"] == "audit_streaming").expect("still listed");
        assert_eq!(streaming["read_only"], true);
        assert!(e.header("latchkey-billing-warning").unwrap().contains("read-only"));
        // Readable, not changeable; the webhook is still there.
        let kept = b.app.get(hook, &b.app.platform).await.expect(StatusCode::OK);
        assert_eq!(kept.body["url"], "https://hooks.example.com/x");
        b.app.send("PUT", hook, Some(&b.app.platform), Some(json!({"url": "https://hooks.example.com/y"})), &[])
            .await
            .expect_problem(StatusCode::PAYMENT_REQUIRED, "feature-not-entitled");
    }

    async fn a_paid_invoice_ends_past_due(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_TEAM).await;
        let customer = b.customer_of("acme").await;
        let invoice = |status: &str| json!({
            "id": "in_1", "object": "invoice", "customer": customer, "status": status,
            "subscription": "sub_test1",
        });
        b.clock.advance(time::Duration::seconds(5));
        b.deliver(&b.event("invoice.payment_failed", invoice("open"))).await.expect(StatusCode::OK);
        b.clock.advance(time::Duration::days(2));
        b.deliver(&b.event("invoice.paid", invoice("paid"))).await.expect(StatusCode::OK);
        let s = b.billing("acme").await;
        assert_eq!(s["status"], "active");
        assert_eq!(s["past_due_since"], Value::Null);
        assert_eq!(s["warnings"], json!([]));
    }

    async fn cancel_at_period_end_keeps_the_plan_until_the_period_ends(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_TEAM).await;
        let customer = b.customer_of("acme").await;
        b.clock.advance(time::Duration::seconds(5));
        let end = b.now() + 10 * DAY;
        let cancel = b.event("customer.subscription.updated", common::billing::subscription_object(
            "sub_test1", &customer, "active", PRICE_TEAM, 3, end, true));
        b.deliver(&cancel).await.expect(StatusCode::OK);
        b.clock.advance(time::Duration::days(9));
        let before = b.billing("acme").await;
        assert_eq!(before["plan"], "team");
        assert_eq!(before["cancel_at_period_end"], true);
        assert!(before["warnings"][0].as_str().unwrap().contains("ends on"));
        b.clock.advance(time::Duration::days(2));
        let after = b.billing("acme").await;
        assert_eq!(after["plan"], "free");
        assert_eq!(after["lapsed_from"], "team");
        let deleted = b.event("customer.subscription.deleted", common::billing::subscription_object(
            "sub_test1", &customer, "canceled", PRICE_TEAM, 3, end, true));
        b.deliver(&deleted).await.expect(StatusCode::OK);
        assert_eq!(b.billing("acme").await["status"], "canceled");
    }

    async fn an_event_for_an_unknown_customer_is_accepted_and_ignored(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, "acme", PRICE_TEAM).await;
        let e = b.subscription_event("customer.subscription.updated", "cus_nobody", "canceled", PRICE_TEAM, 1);
        let r = b.deliver(&e).await.expect(StatusCode::OK);
        assert_eq!(r.body["outcome"], "ignored:unknown-customer");
        assert_eq!(b.billing("acme").await["status"], "active");
        // Recorded: the same event again is a duplicate.
        assert_eq!(b.deliver(&e).await.expect(StatusCode::OK).body["outcome"], "duplicate");
    }

    async fn an_event_for_one_tenants_customer_never_touches_another(db: TestDb) {
        let b = BillingApp::start(db).await;
        let acme = subscribed(&b, "acme", PRICE_TEAM).await;
        subscribed(&b, "globex", PRICE_ENTERPRISE).await;
        let globex_before = b.billing("globex").await;
        b.clock.advance(time::Duration::seconds(5));
        let e = b.subscription_event("customer.subscription.deleted", &acme, "canceled", PRICE_TEAM, 3);
        b.deliver(&e).await.expect(StatusCode::OK);
        assert_eq!(b.billing("acme").await["status"], "canceled");
        assert_eq!(b.billing("globex").await, globex_before);
    }

    async fn a_billed_tenant_can_be_deleted_and_its_customer_is_then_unknown(db: TestDb) {
        let b = BillingApp::start(db).await;
        let customer = subscribed(&b, "acme", PRICE_TEAM).await;
        b.app.delete("/api/v1/tenants/acme", &b.app.platform).await.expect(StatusCode::OK);
        b.clock.advance(time::Duration::seconds(5));
        let e = b.subscription_event("customer.subscription.deleted", &customer, "canceled", PRICE_TEAM, 3);
        assert_eq!(b.deliver(&e).await.expect(StatusCode::OK).body["outcome"], "ignored:unknown-customer");
    }

    async fn an_unhandled_event_type_is_accepted_and_recorded(db: TestDb) {
        let b = BillingApp::start(db).await;
        let e = b.event("customer.created", json!({"id": "cus_x", "object": "customer"}));
        assert_eq!(b.deliver(&e).await.expect(StatusCode::OK).body["outcome"], "ignored:no-customer");
    }
}
