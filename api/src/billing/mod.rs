//! Stripe billing on the HTTP side: the tenant API's upgrade and status
//! (`api`), Stripe's webhook (`webhook`), and the adapter that gives the
//! domain (`latchkey_tenants::billing`) its Stripe calls through
//! `latchkey-stripe`.

pub mod api;
pub mod webhook;

use std::sync::Arc;

use latchkey_stripe::webhook::Event;
use latchkey_stripe::{StripeClient, StripeSettings};
use latchkey_tenants::billing::events::{BillingEvent, EventObject, SubscriptionState};
use latchkey_tenants::billing::{
    BillingGateway, BillingPrices, CheckoutLink, CheckoutRequest, CustomerRequest, GatewayFuture,
};
use zeroize::Zeroizing;

/// Billing, when `LATCHKEY_STRIPE_SECRET_KEY` is set.
pub struct Billing {
    pub gateway: Arc<StripeGateway>,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: Zeroizing<String>,
    pub prices: BillingPrices,
}

impl Billing {
    pub fn new(
        settings: &StripeSettings,
        webhook_secret: &str,
        prices: BillingPrices,
    ) -> anyhow::Result<Billing> {
        let client = StripeClient::new(settings)
            .map_err(|e| anyhow::anyhow!("the Stripe client cannot be set up: {e}"))?;
        Ok(Billing {
            gateway: Arc::new(StripeGateway(client)),
            webhook_secret: Zeroizing::new(webhook_secret.to_owned()),
            prices,
        })
    }
}

/// `latchkey-stripe`'s client as the domain's [`BillingGateway`].
pub struct StripeGateway(pub StripeClient);

impl BillingGateway for StripeGateway {
    fn create_customer<'a>(&'a self, c: &'a CustomerRequest) -> GatewayFuture<'a, String> {
        Box::pin(async move {
            self.0
                .create_customer(&latchkey_stripe::NewCustomer {
                    name: c.name.clone(),
                    email: None,
                    metadata: c.metadata.clone(),
                    idempotency_key: c.idempotency_key.clone(),
                })
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn create_checkout<'a>(&'a self, r: &'a CheckoutRequest) -> GatewayFuture<'a, CheckoutLink> {
        Box::pin(async move {
            let s = self
                .0
                .create_checkout_session(&latchkey_stripe::CheckoutRequest {
                    customer: r.customer.clone(),
                    price: r.price.clone(),
                    quantity: r.quantity,
                    success_url: r.success_url.clone(),
                    cancel_url: r.cancel_url.clone(),
                    client_reference_id: r.client_reference_id.clone(),
                    metadata: r.metadata.clone(),
                })
                .await
                .map_err(|e| e.to_string())?;
            Ok(CheckoutLink {
                id: s.id,
                url: s.url,
            })
        })
    }

    fn set_quantity<'a>(
        &'a self,
        subscription: &'a str,
        quantity: u64,
        idempotency_key: &'a str,
    ) -> GatewayFuture<'a, ()> {
        Box::pin(async move {
            self.0
                .set_subscription_quantity(subscription, quantity, idempotency_key)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// A verified Stripe event in the domain's terms.
pub fn to_domain(event: &Event) -> BillingEvent {
    let kind = event.kind.as_str();
    let object = if kind.starts_with("customer.subscription.") {
        match event.subscription() {
            Some(s) => {
                let item = s.items.first();
                EventObject::Subscription(SubscriptionState {
                    status: s.status.as_str().to_owned(),
                    price_id: item.map(|i| i.price_id.clone()).filter(|p| !p.is_empty()),
                    quantity: item.map(|i| i.quantity),
                    current_period_end: s.current_period_end,
                    cancel_at_period_end: s.cancel_at_period_end,
                    id: s.id,
                    customer: s.customer,
                })
            }
            None => EventObject::Other,
        }
    } else if kind == "checkout.session.completed" {
        match event.checkout_session() {
            Some(c) if c.mode == "subscription" => EventObject::CheckoutCompleted {
                customer: c.customer,
                subscription: c.subscription,
                client_reference_id: c.client_reference_id,
            },
            _ => EventObject::Other,
        }
    } else if kind == "invoice.paid" || kind == "invoice.payment_failed" {
        match event.invoice() {
            Some(i) => EventObject::Invoice {
                customer: i.customer,
                subscription: i.subscription,
            },
            None => EventObject::Other,
        }
    } else {
        EventObject::Other
    };
    BillingEvent {
        id: event.id.clone(),
        kind: event.kind.clone(),
        created: event.created,
        object,
    }
}
