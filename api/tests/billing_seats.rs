//! Seat sync: the subscription's quantity follows the tenant's active
//! internal users, set by the background job (never by the user write),
//! retried with backoff while Stripe fails; against the stub Stripe and,
//! end to end, against localstripe.

mod common;

use common::billing::{BillingApp, LocalStripe, PRICE_TEAM};
use common::*;
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;

/// `acme` subscribed to `team` for `quantity` seats (in the stub and in our state).
async fn subscribed(b: &BillingApp, quantity: u64) -> String {
    b.app.tenant("acme").await;
    let customer = b.upgrade("acme", "team").await;
    b.stripe.lock().unwrap().subscriptions.insert(
        "sub_test1".into(),
        (customer.clone(), PRICE_TEAM.into(), quantity),
    );
    let e = b.subscription_event(
        "customer.subscription.created",
        &customer,
        "active",
        PRICE_TEAM,
        quantity,
    );
    b.deliver(&e).await.expect(StatusCode::OK);
    customer
}

fn quantity_updates(b: &BillingApp) -> Vec<common::billing::Request> {
    b.stripe_requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.target == "/v1/subscriptions/sub_test1")
        .collect()
}

both_backends! {
    async fn added_users_change_the_quantity_at_the_next_sync_not_during_the_write(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, 1).await;
        let admin = b.app.token("acme", &["admin"]).await;
        for name in ["ada", "grace", "linus"] {
            b.app.user("acme", &admin, name).await;
        }
        assert!(quantity_updates(&b).is_empty(), "a user write never calls Stripe");
        let before = b.billing("acme").await;
        assert_eq!((before["seats_in_use"].as_u64(), before["seats_billed"].as_u64()), (Some(3), Some(1)));

        assert_eq!(b.app.store.run_seat_sync(b.billing.gateway.as_ref()).await.unwrap(), 1);
        let updates = quantity_updates(&b);
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].field("items[0][quantity]"), "3");
        let id = b.app.store.tenants().get("acme").await.unwrap().id;
        assert_eq!(updates[0].header("idempotency-key"), Some(format!("seats-{id}-3-0").as_str()));
        assert_eq!(b.stripe.lock().unwrap().subscriptions["sub_test1"].2, 3);
        assert_eq!(b.billing("acme").await["seats_billed"], 3);
        // Nothing changed since: the next run sends nothing.
        assert_eq!(b.app.store.run_seat_sync(b.billing.gateway.as_ref()).await.unwrap(), 0);
        assert_eq!(quantity_updates(&b).len(), 1);
    }

    async fn a_failing_stripe_is_retried_with_backoff_and_never_fails_user_creation(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, 1).await;
        let admin = b.app.token("acme", &["admin"]).await;
        b.app.user("acme", &admin, "ada").await;
        b.stripe.lock().unwrap().failing = true;
        b.app.user("acme", &admin, "grace").await;

        assert_eq!(b.app.store.run_seat_sync(b.billing.gateway.as_ref()).await.unwrap(), 0);
        let s = b.billing("acme").await;
        assert_eq!(s["seat_sync_failures"], 1);
        assert!(s["seat_sync_error"].as_str().unwrap().contains("500"), "{s}");
        assert_eq!(s["seats_billed"], 1);
        // Backing off: not retried at once.
        let tried = b.stripe_requests().len();
        b.app.store.run_seat_sync(b.billing.gateway.as_ref()).await.unwrap();
        assert_eq!(b.stripe_requests().len(), tried);

        b.stripe.lock().unwrap().failing = false;
        b.clock.advance(time::Duration::seconds(11));
        assert_eq!(b.app.store.run_seat_sync(b.billing.gateway.as_ref()).await.unwrap(), 1);
        assert_eq!(b.stripe.lock().unwrap().subscriptions["sub_test1"].2, 2);
        let s = b.billing("acme").await;
        assert_eq!((s["seats_billed"].as_u64(), s["seat_sync_failures"].as_u64()), (Some(2), Some(0)));
        let audited = b.app.get("/api/v1/tenants/acme/events", &b.app.platform).await.body;
        assert!(audited["items"].as_array().unwrap().iter()
            .any(|e| e["action"] == "billing.seats" && e["actor"] == "billing:stripe"));
    }

    async fn the_background_job_syncs_the_quantity_on_its_own(db: TestDb) {
        let b = BillingApp::start(db).await;
        subscribed(&b, 1).await;
        b.app.store.spawn_seat_sync_job(b.billing.gateway.clone(), std::time::Duration::from_millis(100));
        let admin = b.app.token("acme", &["admin"]).await;
        b.app.user("acme", &admin, "ada").await;
        b.app.user("acme", &admin, "grace").await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while b.stripe.lock().unwrap().subscriptions["sub_test1"].2 != 2 {
            assert!(std::time::Instant::now() < deadline, "the job did not set the quantity");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn a_canceled_subscription_is_not_synced(db: TestDb) {
        let b = BillingApp::start(db).await;
        let customer = subscribed(&b, 1).await;
        b.clock.advance(time::Duration::seconds(5));
        let e = b.subscription_event("customer.subscription.deleted", &customer, "canceled", PRICE_TEAM, 1);
        b.deliver(&e).await.expect(StatusCode::OK);
        let admin = b.app.token("acme", &["admin"]).await;
        b.app.user("acme", &admin, "ada").await;
        b.app.user("acme", &admin, "grace").await;
        assert_eq!(b.app.store.run_seat_sync(b.billing.gateway.as_ref()).await.unwrap(), 0);
        assert!(quantity_updates(&b).is_empty());
    }

    async fn seat_sync_sets_the_quantity_in_localstripe(db: TestDb) {
        let ls = LocalStripe::start();
        let b = BillingApp::on_api_base(db, ls.base.clone()).await;
        b.app.tenant("acme").await;
        // localstripe has no Checkout: the upgrade creates the customer
        // there, then fails on the session (503) with the customer kept.
        b.app
            .post(
                "/api/v1/tenants/acme/billing/checkout",
                &b.app.platform,
                serde_json::json!({"plan": "team", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
            )
            .await;
        let customer = b.customer_of("acme").await;
        assert_eq!(ls.get(&format!("/v1/customers/{customer}")).await.0, 200);
        // localstripe predates Prices: a plan whose id is the team price.
        let (status, _) = ls.post("/v1/plans", &[
            ("id", PRICE_TEAM), ("amount", "0"), ("currency", "eur"),
            ("interval", "month"), ("product[name]", "Team"),
        ]).await;
        assert_eq!(status, 200);
        let (status, sub) = ls.post("/v1/subscriptions", &[
            ("customer", &customer), ("items[0][plan]", PRICE_TEAM), ("items[0][quantity]", "1"),
        ]).await;
        assert_eq!(status, 200, "{sub}");
        let sub_id = sub["id"].as_str().unwrap().to_owned();
        let e = b.event("customer.subscription.created", sub);
        assert_eq!(b.deliver(&e).await.expect(StatusCode::OK).body["outcome"], "applied");
        assert_eq!(b.billing("acme").await["plan"], "team");

        let admin = b.app.token("acme", &["admin"]).await;
        b.app.user("acme", &admin, "ada").await;
        b.app.user("acme", &admin, "grace").await;
        assert_eq!(b.app.store.run_seat_sync(b.billing.gateway.as_ref()).await.unwrap(), 1);
        let (_, after) = ls.get(&format!("/v1/subscriptions/{sub_id}")).await;
        assert_eq!(after["items"]["data"][0]["quantity"], 2, "{after}");
        assert_eq!(b.billing("acme").await["seats_billed"], 2);
    }
}
