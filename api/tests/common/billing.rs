//! Billing test harness: a node with Stripe billing on, pointed at a stub
//! Stripe (a tiny HTTP listener from `latchkey-stripe`'s own test helpers),
//! on a manual clock; and Stripe events signed exactly as Stripe signs them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use latchkey_api::app::{self, HttpLimits};
use latchkey_api::billing::Billing;
use latchkey_api::metrics::Metrics;
use latchkey_api::state::AppState;
use latchkey_stripe::StripeSettings;
use latchkey_tenants::billing::BillingPrices;
use latchkey_tenants::clock::ManualClock;
use latchkey_tenants::testing::TestDb;
use poem::EndpointExt;
use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Reply, TestApp};

#[path = "../../../stripe/tests/common/mod.rs"]
pub mod harness;

#[allow(unused_imports)]
pub use harness::{LocalStripe, Request, SECRET_KEY, Stub};

pub const WEBHOOK_SECRET: &str = "whsec_test_latchkey_stripe";
pub const PRICE_TEAM: &str = "price_team_test";
pub const PRICE_ENTERPRISE: &str = "price_enterprise_test";

/// What the stub Stripe holds.
#[derive(Default)]
pub struct StubState {
    /// Customers by idempotency key.
    pub customers: Vec<(String, String)>,
    pub sessions: usize,
    /// Subscriptions: id → (customer, price, quantity).
    pub subscriptions: HashMap<String, (String, String, u64)>,
    /// Answer every request with a Stripe error (500).
    pub failing: bool,
}

/// A stub Stripe answering customers, Checkout Sessions and subscriptions
/// the way Stripe's API reference shows them.
pub async fn stub_stripe() -> (Stub, Arc<Mutex<StubState>>) {
    let state = Arc::new(Mutex::new(StubState::default()));
    let s = state.clone();
    let stub = Stub::start(move |req: &Request| answer(&mut s.lock().unwrap(), req)).await;
    (stub, state)
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    (
        status,
        json!({"error": {"type": "invalid_request_error", "code": code, "message": message}})
            .to_string(),
    )
}

fn answer(state: &mut StubState, req: &Request) -> (u16, String) {
    if req.header("authorization") != Some(&format!("Bearer {SECRET_KEY}")) {
        return error(401, "unauthorized", "Invalid API Key provided");
    }
    if state.failing {
        return (
            500,
            json!({"error": {"type": "api_error", "message": "Stripe is having a bad day"}})
                .to_string(),
        );
    }
    let path = req.target.split('?').next().unwrap_or("");
    match (req.method.as_str(), path) {
        ("POST", "/v1/customers") => {
            let key = req.header("idempotency-key").unwrap_or("").to_owned();
            let id = match state.customers.iter().find(|(k, _)| *k == key) {
                Some((_, id)) => id.clone(),
                None => {
                    let id = format!("cus_test{}", state.customers.len() + 1);
                    state.customers.push((key, id.clone()));
                    id
                }
            };
            (
                200,
                json!({"id": id, "object": "customer", "name": req.field("name"), "livemode": false, "metadata": {}})
                    .to_string(),
            )
        }
        ("POST", "/v1/checkout/sessions") => {
            state.sessions += 1;
            let id = format!("cs_test_a1{}", state.sessions);
            (
                200,
                json!({
                    "id": id,
                    "object": "checkout.session",
                    "mode": "subscription",
                    "status": "open",
                    "customer": req.field("customer"),
                    "client_reference_id": req.field("client_reference_id"),
                    "success_url": req.field("success_url"),
                    "cancel_url": req.field("cancel_url"),
                    "url": format!("https://checkout.stripe.com/c/pay/{id}"),
                    "livemode": false,
                })
                .to_string(),
            )
        }
        (method, p) if p.starts_with("/v1/subscriptions/") => {
            let id = p.trim_start_matches("/v1/subscriptions/").to_owned();
            let Some((customer, price, quantity)) = state.subscriptions.get(&id).cloned() else {
                return error(404, "resource_missing", "No such subscription");
            };
            let quantity = if method == "POST" {
                assert_eq!(req.field("items[0][id]"), format!("si_{id}"));
                let q: u64 = req.field("items[0][quantity]").parse().unwrap();
                state
                    .subscriptions
                    .insert(id.clone(), (customer.clone(), price.clone(), q));
                q
            } else {
                quantity
            };
            (
                200,
                subscription_object(&id, &customer, "active", &price, quantity, 0, false)
                    .to_string(),
            )
        }
        _ => error(404, "resource_missing", "Unrecognized request URL"),
    }
}

/// A subscription object in the current API shape (period end on the item).
pub fn subscription_object(
    id: &str,
    customer: &str,
    status: &str,
    price: &str,
    quantity: u64,
    period_end: i64,
    cancel_at_period_end: bool,
) -> Value {
    json!({
        "id": id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "livemode": false,
        "metadata": {},
        "items": {
            "object": "list",
            "data": [{
                "id": format!("si_{id}"),
                "object": "subscription_item",
                "price": {"id": price, "object": "price", "recurring": {"interval": "month"}},
                "quantity": quantity,
                "current_period_start": period_end - 30 * 86400,
                "current_period_end": period_end,
            }],
        },
    })
}

/// A node with billing on, its manual clock and the stub Stripe.
pub struct BillingApp {
    pub app: TestApp,
    pub clock: ManualClock,
    /// The stub Stripe (none when the node talks to localstripe).
    stub: Option<Stub>,
    pub stripe: Arc<Mutex<StubState>>,
    pub billing: Arc<Billing>,
    events: Mutex<u32>,
}

impl BillingApp {
    pub async fn start(db: TestDb) -> BillingApp {
        let (stub, stripe) = stub_stripe().await;
        let base = stub.base.clone();
        Self::against(db, base, Some(stub), stripe).await
    }

    /// A node whose Stripe is at `base` (localstripe).
    pub async fn on_api_base(db: TestDb, base: String) -> BillingApp {
        Self::against(db, base, None, Arc::default()).await
    }

    async fn against(
        db: TestDb,
        base: String,
        stub: Option<Stub>,
        stripe: Arc<Mutex<StubState>>,
    ) -> BillingApp {
        let clock = ManualClock::new(OffsetDateTime::now_utc());
        let c = clock.clone();
        let store = db
            .store_with(move |config| config.clock = Arc::new(c))
            .await;
        let mut app = TestApp::on_store(db, store.clone()).await;
        let billing = Billing::new(
            &StripeSettings {
                secret_key: SECRET_KEY.into(),
                api_base: Some(base),
            },
            WEBHOOK_SECRET,
            prices(),
        )
        .expect("billing");
        let billing = Arc::new(billing);
        let state = AppState {
            store,
            metrics: Arc::new(Metrics::default()),
            public_url: "http://localhost".into(),
            max_body_bytes: 64 * 1024,
            signup: None,
            billing: Some(billing.clone()),
        };
        let limits = HttpLimits {
            max_body_bytes: 64 * 1024,
            ..HttpLimits::default()
        };
        app.client = TestClient::new(app::endpoint(state, limits).map_to_response().boxed());
        BillingApp {
            app,
            clock,
            stub,
            stripe,
            billing,
            events: Mutex::new(0),
        }
    }

    /// The stub Stripe's requests so far.
    pub fn stripe_requests(&self) -> Vec<Request> {
        self.stub.as_ref().expect("a stub Stripe").requests()
    }

    pub fn now(&self) -> i64 {
        self.app.store.now().unix_timestamp()
    }

    /// Upgrades `slug` through the checkout endpoint; returns the stored customer.
    pub async fn upgrade(&self, slug: &str, plan: &str) -> String {
        self.app
            .post(
                &format!("/api/v1/tenants/{slug}/billing/checkout"),
                &self.app.platform,
                json!({"plan": plan, "success_url": "https://app.example.com/ok", "cancel_url": "https://app.example.com/no"}),
            )
            .await
            .expect(StatusCode::CREATED);
        self.customer_of(slug).await
    }

    /// The tenant's stored Stripe customer.
    pub async fn customer_of(&self, slug: &str) -> String {
        let tenant = self.app.store.tenants().get(slug).await.expect("tenant");
        tenant
            .billing
            .customer_id
            .clone()
            .expect("the tenant has a Stripe customer")
    }

    /// Posts `body` to the webhook with `signature` as `Stripe-Signature`.
    pub async fn deliver_raw(&self, body: &str, signature: &str) -> Reply {
        let json: Value = serde_json::from_str(body).expect("a JSON event");
        // Serialised back to the same bytes: `body` came from `Value::to_string`.
        assert_eq!(json.to_string(), body);
        self.app
            .send(
                "POST",
                "/billing/stripe/webhook",
                None,
                Some(json),
                &[("Stripe-Signature", signature)],
            )
            .await
    }

    /// A Stripe event envelope around `object`, with a fresh id, created now.
    pub fn event(&self, kind: &str, object: Value) -> Value {
        let mut n = self.events.lock().unwrap();
        *n += 1;
        json!({
            "id": format!("evt_test_{}_{}", *n, self.now()),
            "object": "event",
            "api_version": "2025-09-30.clover",
            "type": kind,
            "created": self.now(),
            "livemode": false,
            "pending_webhooks": 1,
            "request": {"id": null, "idempotency_key": null},
            "data": {"object": object},
        })
    }

    /// Delivers `event`, signed as Stripe signs it (now).
    pub async fn deliver(&self, event: &Value) -> Reply {
        let body = event.to_string();
        let sig = latchkey_stripe::webhook::sign(body.as_bytes(), WEBHOOK_SECRET, self.now());
        self.deliver_raw(&body, &sig).await
    }

    /// A subscription event for `customer` on `price`.
    pub fn subscription_event(
        &self,
        kind: &str,
        customer: &str,
        status: &str,
        price: &str,
        quantity: u64,
    ) -> Value {
        let end = self.now() + 30 * 86400;
        self.event(
            kind,
            subscription_object("sub_test1", customer, status, price, quantity, end, false),
        )
    }

    /// The tenant's billing status over the API.
    pub async fn billing(&self, slug: &str) -> Value {
        self.app
            .get(
                &format!("/api/v1/tenants/{slug}/billing"),
                &self.app.platform,
            )
            .await
            .expect(StatusCode::OK)
            .body
    }

    /// The tenant's entitlements over the API (with the reply's headers).
    pub async fn entitlements(&self, slug: &str) -> Reply {
        self.app
            .get(
                &format!("/api/v1/tenants/{slug}/entitlements"),
                &self.app.platform,
            )
            .await
            .expect(StatusCode::OK)
    }
}

pub fn prices() -> BillingPrices {
    BillingPrices {
        prices: vec![
            ("team".into(), PRICE_TEAM.into()),
            ("enterprise".into(), PRICE_ENTERPRISE.into()),
        ],
    }
}
