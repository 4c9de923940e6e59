//! Billing: paid plans through Stripe subscriptions.
//!
//! - [`state`]: a tenant's stored billing state and the plan it is
//!   effectively on now (grace period, cancellation at period end).
//! - [`events`]: Stripe's webhook events applied to tenants, once each, in
//!   any order; the job pruning the ids of old ones.
//! - [`checkout`]: an upgrade: the tenant's Stripe customer (created once)
//!   and a Checkout Session for the plan.
//! - [`seats`]: the background job that keeps each subscription's quantity
//!   at the tenant's active internal users.
//!
//! This crate knows no HTTP and no Stripe SDK: the calls to Stripe go through
//! a [`BillingGateway`] the caller provides (the API adapts `latchkey-stripe`).

pub mod checkout;
pub mod events;
pub mod pruning;
pub mod seats;
pub mod state;

use std::future::Future;
use std::pin::Pin;

pub(crate) use state::BillingRow;
pub use state::{EffectivePlan, TenantBilling, effective};

/// The Stripe price of each paid plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingPrices {
    /// `(plan, price id)`: `team` and `enterprise`.
    pub prices: Vec<(String, String)>,
}

impl BillingPrices {
    pub fn price_of(&self, plan: &str) -> Option<&str> {
        self.prices
            .iter()
            .find(|(p, _)| p == plan)
            .map(|(_, price)| price.as_str())
    }

    pub fn plan_of(&self, price: &str) -> Option<&str> {
        self.prices
            .iter()
            .find(|(_, p)| p == price)
            .map(|(plan, _)| plan.as_str())
    }
}

/// A customer to create for a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRequest {
    pub name: String,
    pub metadata: Vec<(String, String)>,
    /// Sent as Stripe's `Idempotency-Key`: two racing first upgrades get one customer.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    pub customer: String,
    pub price: String,
    pub quantity: u64,
    pub success_url: String,
    pub cancel_url: String,
    /// The tenant's id: the completed session names it back.
    pub client_reference_id: String,
    pub metadata: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLink {
    pub id: String,
    pub url: String,
}

pub type GatewayFuture<'a, T> =
    Pin<Box<dyn Future<Output = std::result::Result<T, String>> + Send + 'a>>;

/// The calls billing makes to Stripe. Errors are messages safe to log and
/// show (never a key).
pub trait BillingGateway: Send + Sync {
    fn create_customer<'a>(&'a self, customer: &'a CustomerRequest) -> GatewayFuture<'a, String>;
    fn create_checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> GatewayFuture<'a, CheckoutLink>;
    fn set_quantity<'a>(
        &'a self,
        subscription: &'a str,
        quantity: u64,
        idempotency_key: &'a str,
    ) -> GatewayFuture<'a, ()>;
}

impl crate::Store {
    /// The plan `tenant` is effectively on now (its billing state applied).
    pub fn effective_plan(&self, tenant: &crate::tenant::Tenant) -> EffectivePlan {
        effective(
            &tenant.plan,
            &tenant.billing,
            self.now(),
            self.shared.licensing.billing_grace,
        )
    }
}
