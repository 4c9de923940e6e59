//! The Stripe client: async-stripe's request builders and HTTP client, our
//! types in and out.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use stripe_billing::subscription::{
    RetrieveSubscription, UpdateSubscription, UpdateSubscriptionItems,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_client_core::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::customer::CreateCustomer;

use crate::error::BillingError;
use crate::objects::{CheckoutRequest, CheckoutSession, NewCustomer, SubscriptionInfo};

/// Each attempt's budget; the SDK's async client has none by default and a
/// hung Stripe must not hang a request handler.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Where and as whom to talk to Stripe.
#[derive(Clone)]
pub struct StripeSettings {
    /// `sk_live_…` / `sk_test_…` (or a restricted `rk_…` key).
    pub secret_key: String,
    /// Another API base (a fake Stripe in tests); `None` is Stripe's.
    pub api_base: Option<String>,
}

impl fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeSettings")
            .field("secret_key", &"<redacted>")
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// A Stripe API client. Cheap to clone (shares its connection setup).
#[derive(Clone)]
pub struct StripeClient {
    inner: stripe::Client,
    /// Only to scrub it out of error messages, should anything echo it.
    secret_key: Arc<str>,
}

impl fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeClient").finish_non_exhaustive()
    }
}

fn hash_map(pairs: &[(String, String)]) -> HashMap<String, String> {
    pairs.iter().cloned().collect()
}

fn idempotency_key(key: &str) -> Result<RequestStrategy, BillingError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| BillingError::Invalid(format!("idempotency key: {e}")))
}

/// An id that goes into a request path: Stripe ids are `[A-Za-z0-9_]`, and
/// anything else (e.g. `../`) must not reach the URL.
fn path_id<'a>(what: &str, id: &'a str) -> Result<&'a str, BillingError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(id)
    } else {
        Err(BillingError::Invalid(format!("not a Stripe {what} id")))
    }
}

impl StripeClient {
    /// # Errors
    ///
    /// [`BillingError::Invalid`] for an empty key, or a key or API base the
    /// HTTP client cannot use.
    pub fn new(settings: &StripeSettings) -> Result<Self, BillingError> {
        if settings.secret_key.trim().is_empty() {
            return Err(BillingError::Invalid(
                "the Stripe secret key is empty".into(),
            ));
        }
        let mut builder = stripe::ClientBuilder::new(settings.secret_key.as_str())
            .app_info("latchkey", Some(env!("CARGO_PKG_VERSION").to_owned()), None)
            .timeout(REQUEST_TIMEOUT);
        if let Some(base) = &settings.api_base {
            // The SDK appends `v1/...` to the base as it is.
            let base = if base.ends_with('/') {
                base.clone()
            } else {
                format!("{base}/")
            };
            builder = builder.url(base);
        }
        let client = Self {
            inner: stripe::ClientBuilder::build(builder)
                .map_err(|e| BillingError::Invalid(e.to_string()))?,
            secret_key: Arc::from(settings.secret_key.as_str()),
        };
        Ok(client)
    }

    /// Creates the tenant's customer and returns its id (`cus_…`).
    /// `idempotency_key` (e.g. `customer-<tenant uuid>`) is sent as Stripe's
    /// `Idempotency-Key`, so two racing first upgrades get one customer.
    ///
    /// # Errors
    ///
    /// [`BillingError`] as Stripe or the transport report it.
    pub async fn create_customer(&self, c: &NewCustomer) -> Result<String, BillingError> {
        let strategy = idempotency_key(&c.idempotency_key)?;
        let mut req = CreateCustomer::new().name(c.name.as_str());
        if let Some(email) = &c.email {
            req = req.email(email.as_str());
        }
        if !c.metadata.is_empty() {
            req = req.metadata(hash_map(&c.metadata));
        }
        let v = self.send(&req, strategy).await?;
        v.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| BillingError::Invalid("Stripe returned a customer without an id".into()))
    }

    /// Creates a Checkout Session in `subscription` mode.
    ///
    /// # Errors
    ///
    /// [`BillingError`] as Stripe or the transport report it;
    /// [`BillingError::Invalid`] when the session has no `url`.
    pub async fn create_checkout_session(
        &self,
        r: &CheckoutRequest,
    ) -> Result<CheckoutSession, BillingError> {
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(r.price.clone());
        item.quantity = Some(r.quantity);
        let mut req = CreateCheckoutSession::new()
            .mode(stripe_checkout::CheckoutSessionMode::Subscription)
            .customer(r.customer.as_str())
            .line_items(vec![item])
            .success_url(r.success_url.as_str())
            .cancel_url(r.cancel_url.as_str())
            .client_reference_id(r.client_reference_id.as_str());
        if !r.metadata.is_empty() {
            let mut data = CreateCheckoutSessionSubscriptionData::new();
            data.metadata = Some(hash_map(&r.metadata));
            req = req.metadata(hash_map(&r.metadata)).subscription_data(data);
        }
        let v = self.send(&req, RequestStrategy::Once).await?;
        CheckoutSession::from_json(&v).ok_or_else(|| {
            BillingError::Invalid("Stripe returned a Checkout Session without id or url".into())
        })
    }

    /// Retrieves a subscription.
    ///
    /// # Errors
    ///
    /// [`BillingError::Invalid`] for an id that is not a Stripe id or an
    /// answer that is not a subscription; else as Stripe or the transport
    /// report it (an unknown id: `Api { status: 404, .. }`).
    pub async fn subscription(&self, id: &str) -> Result<SubscriptionInfo, BillingError> {
        let req = RetrieveSubscription::new(path_id("subscription", id)?);
        let v = self.send(&req, RequestStrategy::Once).await?;
        SubscriptionInfo::from_json(&v)
            .ok_or_else(|| BillingError::Invalid("Stripe's answer is not a subscription".into()))
    }

    /// Sets the quantity of the subscription's (single) item; proration as
    /// Stripe's default (no `proration_behavior` is sent).
    ///
    /// # Errors
    ///
    /// [`BillingError::Invalid`] when the subscription has not exactly one
    /// item; else as [`StripeClient::subscription`] and Stripe report it.
    pub async fn set_subscription_quantity(
        &self,
        subscription_id: &str,
        quantity: u64,
        idempotency_key: &str,
    ) -> Result<(), BillingError> {
        let strategy = self::idempotency_key(idempotency_key)?;
        let current = self.subscription(subscription_id).await?;
        let [item] = current.items.as_slice() else {
            return Err(BillingError::Invalid(format!(
                "the subscription has {} items, not one",
                current.items.len()
            )));
        };
        let mut update = UpdateSubscriptionItems::new();
        update.id = Some(item.id.clone());
        update.quantity = Some(quantity);
        let req = UpdateSubscription::new(current.id.as_str()).items(vec![update]);
        self.send(&req, strategy).await?;
        Ok(())
    }

    /// Sends a request built by the SDK and returns the answer as JSON (see
    /// the crate docs for why not the SDK's typed structs).
    async fn send(
        &self,
        req: &impl StripeRequest,
        strategy: RequestStrategy,
    ) -> Result<Value, BillingError> {
        let answer: miniserde::json::Value = req
            .build()
            .customize::<miniserde::json::Value>()
            .request_strategy(strategy)
            .send(&self.inner)
            .await
            .map_err(|e| self.error(e))?;
        serde_json::from_str(&miniserde::json::to_string(&answer))
            .map_err(|e| BillingError::Transport(format!("unreadable answer from Stripe: {e}")))
    }

    fn error(&self, e: stripe::StripeError) -> BillingError {
        let scrub = |s: String| s.replace(&*self.secret_key, "<redacted>");
        match e {
            stripe::StripeError::Stripe(err, status) => BillingError::Api {
                status,
                code: err.code.as_ref().map(|c| c.as_str().to_owned()),
                message: scrub(err.message.clone().unwrap_or_else(|| "no message".into())),
            },
            stripe::StripeError::JSONDeserialize(m) => {
                BillingError::Transport(format!("unreadable answer from Stripe: {}", scrub(m)))
            }
            stripe::StripeError::ClientError(m) => BillingError::Transport(scrub(m)),
            stripe::StripeError::ConfigError(m) => BillingError::Invalid(scrub(m)),
            stripe::StripeError::Timeout => {
                BillingError::Transport(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))
            }
        }
    }
}
