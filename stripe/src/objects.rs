//! Our small request and response types, and the tolerant reader that fills
//! the response types from Stripe's JSON (API responses and webhook event
//! objects alike).
//!
//! Tolerant means: every field we do not need may be missing or shaped
//! differently; of those we need, both the current Stripe shape and the older
//! one localstripe serves are accepted (`price` or `plan` on an item; the
//! period end on the items (API 2025-03-31 and later) or on the subscription
//! (before); an expandable field as an id or as the expanded object; an
//! invoice's subscription at `parent.subscription_details.subscription` or at
//! the older top-level `subscription`).

use serde_json::Value;

/// A customer to create for a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomer {
    pub name: String,
    pub email: Option<String>,
    pub metadata: Vec<(String, String)>,
    /// Sent as Stripe's `Idempotency-Key` (e.g. `customer-<tenant uuid>`):
    /// two racing first upgrades get the same customer. 1 to 255 characters.
    pub idempotency_key: String,
}

/// A Checkout Session in `subscription` mode for one recurring price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The customer (`cus_…`) the subscription will belong to.
    pub customer: String,
    /// The recurring price (`price_…`).
    pub price: String,
    pub quantity: u64,
    pub success_url: String,
    pub cancel_url: String,
    /// Comes back on `checkout.session.completed` (e.g. the tenant id).
    pub client_reference_id: String,
    /// Put on the session and on `subscription_data.metadata`, so that the
    /// subscription it creates carries it too.
    pub metadata: Vec<(String, String)>,
}

/// A created Checkout Session: redirect the user to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

/// A subscription as we need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionInfo {
    pub id: String,
    pub customer: String,
    pub status: SubscriptionStatus,
    pub items: Vec<SubscriptionItem>,
    /// Unix seconds. On the subscription in API versions before 2025-03-31,
    /// on each item from then on; the earliest item's when on items.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// Sorted by key.
    pub metadata: Vec<(String, String)>,
}

/// One item of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionItem {
    /// `si_…`
    pub id: String,
    /// The item's price id (`price_…`), or its plan id where only a plan is
    /// given (older API versions, localstripe); empty when it has neither.
    pub price_id: String,
    /// 0 when Stripe gives none (metered prices).
    pub quantity: u64,
}

/// Stripe's subscription statuses; `Other` keeps one Stripe adds later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Canceled,
    Unpaid,
    Paused,
    Other(String),
}

impl SubscriptionStatus {
    /// Stripe's spelling.
    pub fn parse(s: &str) -> SubscriptionStatus {
        match s {
            "incomplete" => Self::Incomplete,
            "incomplete_expired" => Self::IncompleteExpired,
            "trialing" => Self::Trialing,
            "active" => Self::Active,
            "past_due" => Self::PastDue,
            "canceled" => Self::Canceled,
            "unpaid" => Self::Unpaid,
            "paused" => Self::Paused,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Stripe's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
            Self::Unpaid => "unpaid",
            Self::Paused => "paused",
            Self::Other(s) => s,
        }
    }
}

/// A Checkout Session as `checkout.session.completed` delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedCheckout {
    pub id: String,
    pub customer: Option<String>,
    pub subscription: Option<String>,
    pub client_reference_id: Option<String>,
    /// Sorted by key.
    pub metadata: Vec<(String, String)>,
    /// `subscription`, `payment` or `setup`.
    pub mode: String,
    /// `paid`, `unpaid` or `no_payment_required` (absent in old shapes).
    pub payment_status: Option<String>,
}

/// An invoice as `invoice.paid` / `invoice.payment_failed` deliver it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceInfo {
    pub id: String,
    pub customer: Option<String>,
    pub subscription: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub status: Option<String>,
    /// The `paid` field where the API version still has it, else
    /// `status == "paid"`.
    pub paid: bool,
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// An expandable field: the id, or the expanded object's id.
fn id_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        obj @ Value::Object(_) => str_field(obj, "id").map(str::to_owned),
        _ => None,
    }
}

/// Metadata values are strings at Stripe; anything else is skipped.
pub(crate) fn metadata(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The elements of a list field: a Stripe list object (`{"data": [...]}`) or
/// a bare array.
fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    match v.get(key) {
        Some(Value::Array(a)) => a,
        Some(obj) => obj
            .get("data")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice),
        None => &[],
    }
}

impl SubscriptionItem {
    fn from_json(v: &Value) -> Option<SubscriptionItem> {
        Some(SubscriptionItem {
            id: str_field(v, "id")?.to_owned(),
            price_id: id_field(v, "price")
                .or_else(|| id_field(v, "plan"))
                .unwrap_or_default(),
            quantity: v.get("quantity").and_then(Value::as_u64).unwrap_or(0),
        })
    }
}

impl SubscriptionInfo {
    /// Reads a subscription object; `None` when it is not one (no `id`,
    /// `customer` or `status`).
    pub fn from_json(v: &Value) -> Option<SubscriptionInfo> {
        if str_field(v, "object").is_some_and(|o| o != "subscription") {
            return None;
        }
        let items: Vec<SubscriptionItem> = list(v, "items")
            .iter()
            .filter_map(SubscriptionItem::from_json)
            .collect();
        let current_period_end =
            v.get("current_period_end")
                .and_then(Value::as_i64)
                .or_else(|| {
                    list(v, "items")
                        .iter()
                        .filter_map(|i| i.get("current_period_end").and_then(Value::as_i64))
                        .min()
                });
        Some(SubscriptionInfo {
            id: str_field(v, "id")?.to_owned(),
            customer: id_field(v, "customer")?,
            status: SubscriptionStatus::parse(str_field(v, "status")?),
            items,
            current_period_end,
            cancel_at_period_end: v
                .get("cancel_at_period_end")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            metadata: metadata(v),
        })
    }
}

impl CompletedCheckout {
    /// Reads a Checkout Session object; `None` when it is not one.
    pub fn from_json(v: &Value) -> Option<CompletedCheckout> {
        if str_field(v, "object").is_some_and(|o| o != "checkout.session") {
            return None;
        }
        Some(CompletedCheckout {
            id: str_field(v, "id")?.to_owned(),
            customer: id_field(v, "customer"),
            subscription: id_field(v, "subscription"),
            client_reference_id: str_field(v, "client_reference_id").map(str::to_owned),
            metadata: metadata(v),
            mode: str_field(v, "mode")?.to_owned(),
            payment_status: str_field(v, "payment_status").map(str::to_owned),
        })
    }
}

impl InvoiceInfo {
    /// Reads an invoice object; `None` when it is not one.
    pub fn from_json(v: &Value) -> Option<InvoiceInfo> {
        if str_field(v, "object").is_some_and(|o| o != "invoice") {
            return None;
        }
        let status = str_field(v, "status").map(str::to_owned);
        let subscription = v
            .get("parent")
            .and_then(|p| p.get("subscription_details"))
            .and_then(|d| id_field(d, "subscription"))
            .or_else(|| id_field(v, "subscription"));
        Some(InvoiceInfo {
            id: str_field(v, "id")?.to_owned(),
            customer: id_field(v, "customer"),
            subscription,
            paid: v
                .get("paid")
                .and_then(Value::as_bool)
                .unwrap_or(status.as_deref() == Some("paid")),
            status,
        })
    }
}

impl CheckoutSession {
    pub(crate) fn from_json(v: &Value) -> Option<CheckoutSession> {
        Some(CheckoutSession {
            id: str_field(v, "id")?.to_owned(),
            url: str_field(v, "url")?.to_owned(),
        })
    }
}
