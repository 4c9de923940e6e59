//! `StripeClient` against a local stub, for what localstripe cannot serve
//! (Checkout Sessions, Idempotency-Key, current API shapes, Stripe's error
//! bodies): the stub checks each request's method, path, headers and form
//! fields against Stripe's API reference and answers with payloads from it
//! (tests/fixtures/stripe_*.json).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::{SECRET_KEY, Stub};
use latchkey_stripe::{
    API_VERSION, BillingError, CheckoutRequest, CheckoutSession, NewCustomer, StripeClient,
    StripeSettings,
};
use serde_json::{Value, json};

const SUBSCRIPTION: &str = include_str!("fixtures/stripe_subscription.json");
const CHECKOUT_SESSION: &str = include_str!("fixtures/stripe_checkout_session.json");
const ERROR: &str = include_str!("fixtures/stripe_error_resource_missing.json");

fn client(stub: &Stub) -> StripeClient {
    client_with_key(stub, SECRET_KEY)
}

fn client_with_key(stub: &Stub, key: &str) -> StripeClient {
    StripeClient::new(&StripeSettings {
        secret_key: key.into(),
        api_base: Some(stub.base.clone()),
    })
    .expect("a client")
}

fn checkout_request() -> CheckoutRequest {
    CheckoutRequest {
        customer: "cus_Na6dX7aXxi11N4".into(),
        price: "price_1MowQULkdIwHu7ixraBm864M".into(),
        quantity: 12,
        success_url: "https://latchkey.example/billing?checkout=done".into(),
        cancel_url: "https://latchkey.example/billing?checkout=cancelled".into(),
        client_reference_id: "0193a6d4-7c1e-7000-8000-000000000001".into(),
        metadata: vec![
            (
                "tenant_id".into(),
                "0193a6d4-7c1e-7000-8000-000000000001".into(),
            ),
            ("plan".into(), "team & more".into()),
        ],
    }
}

/// The session as the create call returns it: open, with its URL.
fn open_session() -> String {
    let mut v: Value = serde_json::from_str(CHECKOUT_SESSION).unwrap();
    v["status"] = json!("open");
    v["payment_status"] = json!("unpaid");
    v["subscription"] = Value::Null;
    v["url"] = json!(
        "https://checkout.stripe.com/c/pay/cs_test_a1Ux1bGcEGEy4yTrlZzdBdCjAeVAX3jpSy8hSZeQjH4LhKxyKp6MG3Ez8S"
    );
    v.to_string()
}

#[tokio::test]
async fn create_checkout_session_returns_the_sessions_id_and_url() {
    let stub = Stub::start(|_| (200, open_session())).await;
    let session = client(&stub)
        .create_checkout_session(&checkout_request())
        .await
        .unwrap();
    assert_eq!(
        session,
        CheckoutSession {
            id: "cs_test_a1Ux1bGcEGEy4yTrlZzdBdCjAeVAX3jpSy8hSZeQjH4LhKxyKp6MG3Ez8S".into(),
            url: "https://checkout.stripe.com/c/pay/cs_test_a1Ux1bGcEGEy4yTrlZzdBdCjAeVAX3jpSy8hSZeQjH4LhKxyKp6MG3Ez8S".into(),
        }
    );
}

#[tokio::test]
async fn create_checkout_session_posts_the_form_stripe_documents() {
    let stub = Stub::start(|_| (200, open_session())).await;
    client(&stub)
        .create_checkout_session(&checkout_request())
        .await
        .unwrap();

    let [req] = stub.requests().try_into().expect("one request");
    assert_eq!(req.method, "POST");
    assert_eq!(req.path(), "/v1/checkout/sessions");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(req.header("stripe-version"), Some(API_VERSION));
    let r = checkout_request();
    assert_eq!(req.field("mode"), "subscription");
    assert_eq!(req.field("customer"), r.customer);
    assert_eq!(req.field("line_items[0][price]"), r.price);
    assert_eq!(req.field("line_items[0][quantity]"), "12");
    assert_eq!(req.field("success_url"), r.success_url);
    assert_eq!(req.field("cancel_url"), r.cancel_url);
    assert_eq!(req.field("client_reference_id"), r.client_reference_id);
    assert_eq!(req.field("metadata[tenant_id]"), r.metadata[0].1);
    assert_eq!(req.field("metadata[plan]"), "team & more");
    assert_eq!(
        req.field("subscription_data[metadata][tenant_id]"),
        r.metadata[0].1
    );
    assert_eq!(
        req.field("subscription_data[metadata][plan]"),
        "team & more"
    );
    // Nothing else: no payment_method_types (Stripe picks from the
    // Dashboard), no proration or trial settings.
    assert_eq!(req.form().len(), 11, "{:?}", req.form());
}

#[tokio::test]
async fn create_checkout_session_without_url_is_invalid() {
    // A session Stripe returns without url (e.g. `ui_mode=embedded`).
    let stub = Stub::start(|_| (200, CHECKOUT_SESSION.to_owned())).await;
    let err = client(&stub)
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::Invalid(_)), "{err:?}");
}

/// A stub that keeps Stripe's idempotency promise: a repeated
/// `Idempotency-Key` gets the first answer again. localstripe ignores the
/// header, so this is where the key is shown to travel.
async fn idempotent_customers() -> (Stub, Arc<Mutex<u32>>) {
    let created = Arc::new(Mutex::new(0u32));
    let answers: Mutex<HashMap<String, String>> = Mutex::new(HashMap::new());
    let counter = created.clone();
    let stub = Stub::start(move |req| {
        let key = req.header("idempotency-key").unwrap_or_default().to_owned();
        let mut answers = answers.lock().unwrap();
        if let Some(body) = answers.get(&key).filter(|_| !key.is_empty()) {
            return (200, body.clone());
        }
        let mut n = counter.lock().unwrap();
        *n += 1;
        let body = json!({
            "id": format!("cus_stub{n}"),
            "object": "customer",
            "name": req.field("name"),
            "email": req.field("email"),
            "metadata": {"tenant_id": req.field("metadata[tenant_id]")},
            "livemode": false,
        })
        .to_string();
        answers.insert(key, body.clone());
        (200, body)
    })
    .await;
    (stub, created)
}

fn new_customer(key: &str) -> NewCustomer {
    NewCustomer {
        name: "Acme".into(),
        email: Some("billing@acme.example".into()),
        metadata: vec![("tenant_id".into(), "0193a6d4".into())],
        idempotency_key: key.into(),
    }
}

#[tokio::test]
async fn create_customer_sends_the_idempotency_key() {
    let (stub, _) = idempotent_customers().await;
    client(&stub)
        .create_customer(&new_customer("customer-0193a6d4"))
        .await
        .unwrap();
    let [req] = stub.requests().try_into().expect("one request");
    assert_eq!(req.method, "POST");
    assert_eq!(req.path(), "/v1/customers");
    assert_eq!(req.header("idempotency-key"), Some("customer-0193a6d4"));
    assert_eq!(req.field("name"), "Acme");
    assert_eq!(req.field("email"), "billing@acme.example");
    assert_eq!(req.field("metadata[tenant_id]"), "0193a6d4");
}

#[tokio::test]
async fn racing_create_customer_with_one_key_gets_one_customer() {
    let (stub, created) = idempotent_customers().await;
    let client = client(&stub);
    let c = new_customer("customer-0193a6d4");
    let (a, b) = tokio::join!(client.create_customer(&c), client.create_customer(&c));
    assert_eq!(a.unwrap(), b.as_ref().unwrap().clone());
    assert_eq!(*created.lock().unwrap(), 1);
    assert_eq!(stub.requests().len(), 2);
}

#[tokio::test]
async fn create_customer_with_an_empty_idempotency_key_is_invalid_and_sends_nothing() {
    let (stub, _) = idempotent_customers().await;
    let err = client(&stub)
        .create_customer(&new_customer(""))
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::Invalid(_)), "{err:?}");
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn subscription_reads_the_current_stripe_shape() {
    let stub = Stub::start(|_| (200, SUBSCRIPTION.to_owned())).await;
    let info = client(&stub)
        .subscription("sub_1MowQVLkdIwHu7ixeRlqHVzs")
        .await
        .unwrap();
    let [req] = stub.requests().try_into().expect("one request");
    assert_eq!(req.method, "GET");
    assert_eq!(req.path(), "/v1/subscriptions/sub_1MowQVLkdIwHu7ixeRlqHVzs");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );

    assert_eq!(info, common::current_subscription());
}

#[tokio::test]
async fn subscription_id_that_is_not_a_stripe_id_is_invalid_and_sends_nothing() {
    let stub = Stub::start(|_| (200, SUBSCRIPTION.to_owned())).await;
    let err = client(&stub)
        .subscription("../customers/cus_1")
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::Invalid(_)), "{err:?}");
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn set_subscription_quantity_posts_the_items_id_and_quantity_with_the_key() {
    let stub = Stub::start(|_| (200, SUBSCRIPTION.to_owned())).await;
    client(&stub)
        .set_subscription_quantity("sub_1MowQVLkdIwHu7ixeRlqHVzs", 15, "seats-0193a6d4-15")
        .await
        .unwrap();
    let [get, post] = stub.requests().try_into().expect("two requests");
    assert_eq!(get.method, "GET");
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.path(),
        "/v1/subscriptions/sub_1MowQVLkdIwHu7ixeRlqHVzs"
    );
    assert_eq!(post.header("idempotency-key"), Some("seats-0193a6d4-15"));
    // Proration as Stripe's default: no proration_behavior.
    let mut form = post.form();
    form.sort();
    assert_eq!(
        form,
        vec![
            ("items[0][id]".to_owned(), "si_Na6dzxczY5fwHx".to_owned()),
            ("items[0][quantity]".to_owned(), "15".to_owned()),
        ]
    );
}

#[tokio::test]
async fn set_subscription_quantity_of_a_two_item_subscription_is_invalid_and_updates_nothing() {
    let mut two: Value = serde_json::from_str(SUBSCRIPTION).unwrap();
    let item = two["items"]["data"][0].clone();
    let mut second = item.clone();
    second["id"] = json!("si_second");
    two["items"]["data"] = json!([item, second]);
    let body = two.to_string();
    let stub = Stub::start(move |_| (200, body.clone())).await;
    let err = client(&stub)
        .set_subscription_quantity("sub_1MowQVLkdIwHu7ixeRlqHVzs", 15, "seats-1")
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::Invalid(_)), "{err:?}");
    assert!(stub.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn a_stripe_error_body_is_an_api_error_with_status_code_and_message() {
    let stub = Stub::start(|_| (400, ERROR.to_owned())).await;
    let err = client(&stub)
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BillingError::Api {
            status: 400,
            code: Some("resource_missing".into()),
            message: "No such price: 'price_missing'".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "Stripe answered 400 (resource_missing): No such price: 'price_missing'"
    );
}

#[tokio::test]
async fn an_error_message_that_echoes_the_key_is_scrubbed() {
    let key = "sk_test_51EchoedKeyThatMustNotLeak";
    let body = json!({"error": {
        "message": format!("Invalid API Key provided: {key}"),
        "type": "invalid_request_error"
    }})
    .to_string();
    let stub = Stub::start(move |_| (401, body.clone())).await;
    let err = client_with_key(&stub, key)
        .subscription("sub_1")
        .await
        .unwrap_err();
    assert!(
        matches!(err, BillingError::Api { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains(key), "{err}");
    assert!(!format!("{err:?}").contains(key), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_stripe_is_a_transport_error() {
    let port = latchkey_testkit::free_port();
    let client = StripeClient::new(&StripeSettings {
        secret_key: SECRET_KEY.into(),
        api_base: Some(format!("http://127.0.0.1:{port}")),
    })
    .unwrap();
    let err = client.subscription("sub_1").await.unwrap_err();
    assert!(matches!(err, BillingError::Transport(_)), "{err:?}");
    assert!(!err.to_string().contains(SECRET_KEY));
}

#[test]
fn settings_and_client_debug_do_not_print_the_key() {
    let settings = StripeSettings {
        secret_key: SECRET_KEY.into(),
        api_base: None,
    };
    assert!(!format!("{settings:?}").contains(SECRET_KEY));
    let client = StripeClient::new(&settings).unwrap();
    assert!(!format!("{client:?}").contains(SECRET_KEY));
}

#[test]
fn an_empty_secret_key_is_invalid() {
    let err = StripeClient::new(&StripeSettings {
        secret_key: " ".into(),
        api_base: None,
    })
    .unwrap_err();
    assert!(matches!(err, BillingError::Invalid(_)), "{err:?}");
}
