//! `StripeClient` and `webhook::verify` against localstripe, a stateful fake
//! Stripe API (PyPI), for everything it knows: customers, subscriptions,
//! quantity updates, retrieval, and the webhooks it signs.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{LocalStripe, SECRET_KEY};
use latchkey_stripe::{
    BillingError, NewCustomer, StripeClient, StripeSettings, SubscriptionStatus, webhook,
};
use tokio::net::TcpListener;

fn client(ls: &LocalStripe) -> StripeClient {
    StripeClient::new(&StripeSettings {
        secret_key: SECRET_KEY.into(),
        api_base: Some(ls.base.clone()),
    })
    .expect("a client")
}

fn customer(name: &str) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        email: Some(format!("billing@{name}.example")),
        metadata: vec![("tenant_id".into(), format!("tenant-{name}"))],
        idempotency_key: format!("customer-{name}"),
    }
}

/// localstripe predates Prices: a zero-amount monthly plan (so the first
/// invoice is paid without a card) and a subscription to it, made with plain
/// form POSTs. Returns (customer id, subscription id).
async fn subscribed(ls: &LocalStripe, client: &StripeClient, quantity: u64) -> (String, String) {
    let cus = client.create_customer(&customer("acme")).await.unwrap();
    let (status, _) = ls
        .post(
            "/v1/plans",
            &[
                ("id", "seat"),
                ("amount", "0"),
                ("currency", "eur"),
                ("interval", "month"),
                ("product[name]", "Seats"),
            ],
        )
        .await;
    assert_eq!(status, 200, "create the plan");
    let quantity = quantity.to_string();
    let (status, sub) = ls
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &cus),
                ("items[0][plan]", "seat"),
                ("items[0][quantity]", &quantity),
                ("metadata[tenant_id]", "tenant-acme"),
            ],
        )
        .await;
    assert_eq!(status, 200, "create the subscription: {sub}");
    (cus, sub["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn create_customer_returns_the_id_of_a_customer_with_our_name_email_and_metadata() {
    let ls = LocalStripe::start();
    let id = client(&ls)
        .create_customer(&customer("acme"))
        .await
        .unwrap();
    assert!(id.starts_with("cus_"), "{id}");

    // Read back with a plain GET: what localstripe stored is what we sent.
    let (status, stored) = ls.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(stored["name"], "acme");
    assert_eq!(stored["email"], "billing@acme.example");
    assert_eq!(stored["metadata"]["tenant_id"], "tenant-acme");
}

#[tokio::test]
async fn subscription_reads_localstripes_legacy_shape() {
    let ls = LocalStripe::start();
    let client = client(&ls);
    let (cus, sub) = subscribed(&ls, &client, 3).await;

    let info = client.subscription(&sub).await.unwrap();
    assert_eq!(info.id, sub);
    assert_eq!(info.customer, cus);
    assert_eq!(info.status, SubscriptionStatus::Active);
    assert_eq!(info.items.len(), 1);
    assert!(info.items[0].id.starts_with("si_"), "{:?}", info.items);
    // A plan, not a price, in localstripe's shape.
    assert_eq!(info.items[0].price_id, "seat");
    assert_eq!(info.items[0].quantity, 3);
    // On the subscription in localstripe's (2017) shape: a month ahead.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let end = info.current_period_end.expect("a period end");
    assert!(end > now + 27 * 86_400 && end < now + 32 * 86_400, "{end}");
    assert!(!info.cancel_at_period_end);
    assert_eq!(
        info.metadata,
        vec![("tenant_id".to_owned(), "tenant-acme".to_owned())]
    );
}

#[tokio::test]
async fn set_subscription_quantity_changes_the_quantity_subscription_then_shows() {
    let ls = LocalStripe::start();
    let client = client(&ls);
    let (_, sub) = subscribed(&ls, &client, 3).await;

    client
        .set_subscription_quantity(&sub, 7, "seats-acme-1")
        .await
        .unwrap();

    let info = client.subscription(&sub).await.unwrap();
    assert_eq!(info.items.len(), 1);
    assert_eq!(info.items[0].quantity, 7);
    assert_eq!(info.items[0].price_id, "seat");
}

#[tokio::test]
async fn subscription_of_an_unknown_id_is_an_api_404() {
    let ls = LocalStripe::start();
    let err = client(&ls)
        .subscription("sub_doesnotexist")
        .await
        .unwrap_err();
    // localstripe's error body lacks fields the SDK's strict error type needs
    // only in part: status and message must still come through.
    match err {
        BillingError::Api { status, .. } => assert_eq!(status, 404),
        other => panic!("expected Api 404, got {other:?}"),
    }
}

#[tokio::test]
async fn webhook_verify_accepts_what_localstripe_signs_and_reads_its_subscription() {
    let ls = LocalStripe::start();
    let client = client(&ls);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/stripe/webhook", listener.local_addr().unwrap());
    let secret = "whsec_localstripe_test_secret";
    let (status, _) = ls
        .post(
            "/_config/webhooks/latchkey",
            &[
                ("url", &url),
                ("secret", secret),
                ("events[]", "customer.subscription.created"),
            ],
        )
        .await;
    assert_eq!(status, 200, "register the webhook");

    let (cus, sub) = subscribed(&ls, &client, 2).await;

    // localstripe sends a second after the event; one delivery expected.
    let delivery = tokio::time::timeout(Duration::from_secs(15), async {
        let (mut stream, _) = listener.accept().await.unwrap();
        let req = common::read_request(&mut stream).await.unwrap();
        common::write_response(&mut stream, 200, "{}").await;
        req
    })
    .await
    .expect("localstripe delivered the webhook");

    assert_eq!(delivery.method, "POST");
    assert_eq!(delivery.target, "/stripe/webhook");
    let header = delivery.header("stripe-signature").expect("signed");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let event = webhook::verify(
        &delivery.body,
        header,
        secret,
        now,
        webhook::DEFAULT_TOLERANCE_SECS,
    )
    .expect("localstripe's signature verifies");
    assert_eq!(event.kind, "customer.subscription.created");
    assert!(event.id.starts_with("evt_"), "{}", event.id);
    assert!(!event.livemode);
    let info = event.subscription().expect("a subscription event");
    assert_eq!(info.id, sub);
    assert_eq!(info.customer, cus);
    assert_eq!(info.items[0].quantity, 2);

    // And the same delivery with another secret is refused.
    assert_eq!(
        webhook::verify(
            &delivery.body,
            header,
            "whsec_other",
            now,
            webhook::DEFAULT_TOLERANCE_SECS
        )
        .unwrap_err(),
        webhook::WebhookError::NoMatchingSignature
    );
}
