//! Latchkey's Stripe client and webhook verification.
//!
//! A crate of its own because async-stripe is the heaviest part of the build:
//! it depends on no other Latchkey crate, so everyday edits elsewhere never
//! rebuild it. Nothing of async-stripe leaks out of the public API: callers
//! see [`StripeClient`], the small request/response types below, one error
//! type ([`BillingError`]) and [`webhook`].
//!
//! How the SDK is used: its typed request builders (paths, form encoding as
//! Stripe's API reference specifies) and its client (bearer key, the pinned
//! `Stripe-Version`, `Idempotency-Key`, TLS, Stripe's error bodies) send every
//! request, but responses are read by our own tolerant reader
//! ([`SubscriptionInfo::from_json`] and friends) rather than the SDK's strict
//! typed structs. Why: the same reader serves webhook event objects (which
//! carry the endpoint's API version, not necessarily the SDK's), it accepts
//! both current Stripe shapes and older ones (localstripe, the fake Stripe
//! the tests run against, speaks API 2017-08-15: `plan` instead of `price`,
//! the period end on the subscription instead of on its items), and a field
//! Stripe adds or moves in a later API version cannot fail a whole call.
//!
//! What is exercised where is listed in `stripe/README.md`.

mod client;
mod error;
mod objects;
pub mod webhook;

pub use client::{StripeClient, StripeSettings};
pub use error::BillingError;
pub use objects::{
    CheckoutRequest, CheckoutSession, CompletedCheckout, InvoiceInfo, NewCustomer,
    SubscriptionInfo, SubscriptionItem, SubscriptionStatus,
};

/// The Stripe API version the SDK is generated for and sends as
/// `Stripe-Version` on every request. Create the webhook endpoint with the
/// same version (`api_version` on `POST /v1/webhook_endpoints`, or in the
/// Dashboard) so events arrive in the shapes our requests see.
///
/// A literal (the SDK's value is not a `const` string); a test checks that it
/// is the SDK's.
pub const API_VERSION: &str = "2026-09-30.endive";

#[cfg(test)]
mod tests {
    #[test]
    fn api_version_is_the_sdks() {
        assert_eq!(super::API_VERSION, stripe_client_core::VERSION.as_str());
    }
}
