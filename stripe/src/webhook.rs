//! Stripe webhook signatures (scheme `v1`) and the event envelope.
//!
//! Our own verifier, not async-stripe-webhook's `Webhook::construct_event`:
//! that one parses the payload into the SDK's typed events, which fails on
//! events whose object is in another API version's shape (localstripe's
//! 2017-08-15 events; an endpoint on an older version), takes the payload as
//! `&str` only, fixes the tolerance at 300 s, and would pull every object
//! crate of the SDK into the build. The scheme is small and public
//! (<https://docs.stripe.com/webhooks#verify-manually>):
//! `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`, where each `v1`
//! is HMAC-SHA256 over `"{t}.{payload}"` keyed with the endpoint secret; any
//! `v1` may match (several during a secret roll); other schemes are ignored.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::objects::{CompletedCheckout, InvoiceInfo, SubscriptionInfo};

/// Stripe's own libraries' default tolerance between the signature's
/// timestamp and now.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a webhook delivery is refused. Messages carry no secret and no payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("no Stripe-Signature header")]
    MissingHeader,
    #[error("malformed Stripe-Signature header")]
    BadHeader,
    #[error("no v1 signature matches the payload")]
    NoMatchingSignature,
    #[error("the signature's timestamp is outside the tolerance")]
    TooOld,
    #[error("the signed payload is not a Stripe event: {0}")]
    BadPayload(String),
}

/// A verified event's envelope; `object` is `data.object` as Stripe sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    /// Stripe's `type`, e.g. `customer.subscription.updated`.
    pub kind: String,
    pub created: i64,
    pub livemode: bool,
    pub object: Value,
}

impl Event {
    /// The subscription of a `customer.subscription.*` event.
    pub fn subscription(&self) -> Option<SubscriptionInfo> {
        SubscriptionInfo::from_json(&self.object)
    }

    /// The session of a `checkout.session.*` event.
    pub fn checkout_session(&self) -> Option<CompletedCheckout> {
        CompletedCheckout::from_json(&self.object)
    }

    /// The invoice of an `invoice.*` event (`invoice.paid`,
    /// `invoice.payment_failed`).
    pub fn invoice(&self) -> Option<InvoiceInfo> {
        InvoiceInfo::from_json(&self.object)
    }

    /// Reads the envelope of an (already verified) event.
    fn parse(payload: &[u8]) -> Result<Event, WebhookError> {
        let v: Value = serde_json::from_slice(payload)
            .map_err(|e| WebhookError::BadPayload(format!("not JSON ({e})")))?;
        let missing = |what: &str| WebhookError::BadPayload(format!("no {what}"));
        Ok(Event {
            id: v
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| missing("id"))?
                .to_owned(),
            kind: v
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| missing("type"))?
                .to_owned(),
            created: v
                .get("created")
                .and_then(Value::as_i64)
                .ok_or_else(|| missing("created"))?,
            livemode: v.get("livemode").and_then(Value::as_bool).unwrap_or(false),
            object: v
                .get("data")
                .and_then(|d| d.get("object"))
                .filter(|o| o.is_object())
                .cloned()
                .ok_or_else(|| missing("data.object"))?,
        })
    }
}

fn mac(payload: &[u8], secret: &str, t: i64) -> Hmac<Sha256> {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The `Stripe-Signature` header Stripe would send for `payload` at `t`
/// (tests and tools sign with it).
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    format!(
        "t={t},v1={}",
        hex::encode(mac(payload, secret, t).finalize().into_bytes())
    )
}

/// Verifies a `Stripe-Signature` header as Stripe specifies and parses the
/// event envelope; a bad signature parses nothing. The signature is checked
/// before the timestamp (as Stripe's libraries do), so a forged header is
/// always `NoMatchingSignature`; `|now_unix - t| > tolerance_secs` is
/// `TooOld` (a timestamp too far ahead too). An empty `secret` verifies
/// nothing (`NoMatchingSignature`): a header signed with the empty key must
/// not pass for an endpoint whose secret is unset.
///
/// # Errors
///
/// [`WebhookError`] with the reason.
pub fn verify(
    payload: &[u8],
    header: &str,
    secret: &str,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<Event, WebhookError> {
    if header.trim().is_empty() {
        return Err(WebhookError::MissingHeader);
    }
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(WebhookError::BadHeader)?;
        match key {
            "t" if t.is_none() => {
                t = Some(value.parse::<i64>().map_err(|_| WebhookError::BadHeader)?);
            }
            "t" => return Err(WebhookError::BadHeader),
            "v1" => v1.push(value),
            _ => {}
        }
    }
    let t = t.ok_or(WebhookError::BadHeader)?;
    // Anyone can sign with an empty key: an unset secret matches nothing.
    if secret.is_empty() {
        return Err(WebhookError::NoMatchingSignature);
    }
    let expected = mac(payload, secret, t);
    // `verify_slice` compares in constant time; a candidate that is not hex
    // (or not 32 bytes) simply does not match.
    let matches = v1.iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|sig| expected.clone().verify_slice(&sig).is_ok())
    });
    if !matches {
        return Err(WebhookError::NoMatchingSignature);
    }
    if now_unix.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return Err(WebhookError::TooOld);
    }
    Event::parse(payload)
}
