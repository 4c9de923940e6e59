//! Applying Stripe's webhook events to tenants.
//!
//! Each event is recorded in `stripe_events` by its id in the same
//! transaction as its effects (and their audit events): a replay finds the
//! id and changes nothing; a crash leaves neither.
//!
//! Order: Stripe does not deliver events in order. Every event that sets
//! subscription state carries its `created` time; the tenant keeps the
//! `created` of the last one applied and ignores older ones (a
//! `customer.subscription.updated` created before a `…deleted` that already
//! arrived cannot bring a subscription back). We do not re-fetch the
//! subscription from Stripe instead: the webhook stays a local transaction
//! that answers quickly and works while Stripe's API is slow, and the events
//! carry the whole subscription. Two events created in the same second keep
//! arrival order, except that a cancellation is never undone by an event of
//! the same second.
//!
//! Pruning: ids are kept for a retention period ([`super::pruning`]), long
//! enough that Stripe can no longer deliver the event again, then deleted,
//! so the table stays bounded.

use diesel::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use super::BillingPrices;
use crate::audit::AuditEvent;
use crate::clock::to_db;
use crate::db::schema::{audit_events, stripe_events, tenants};
use crate::db::{DbConnection, TxMode, on_backend};
use crate::error::Result;
use crate::ids::TenantId;
use crate::invalidation::Invalidation;
use crate::store::{Actor, Store};

/// The actor billing's changes are audited as.
pub const ACTOR: &str = "billing:stripe";

pub use super::pruning::PRUNE_BATCH;

/// A verified Stripe event, reduced to what the domain uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingEvent {
    pub id: String,
    /// Stripe's `type`, e.g. `customer.subscription.updated`.
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    pub object: EventObject,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventObject {
    Subscription(SubscriptionState),
    CheckoutCompleted {
        customer: Option<String>,
        subscription: Option<String>,
        client_reference_id: Option<String>,
    },
    Invoice {
        customer: Option<String>,
        subscription: Option<String>,
    },
    /// An event type we do not handle (recorded, nothing changed).
    Other,
}

/// A subscription as an event carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    pub id: String,
    pub customer: String,
    pub status: String,
    /// The price of its (single) item.
    pub price_id: Option<String>,
    pub quantity: Option<u64>,
    /// Unix seconds.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// What became of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Changed the tenant's billing state.
    Applied,
    /// Recorded and deliberately left without effect (why).
    Ignored(&'static str),
    /// Seen before: nothing done again.
    Duplicate,
}

impl Applied {
    /// `applied`, `duplicate` or `ignored:<why>`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Applied::Applied => "applied",
            Applied::Ignored(why) => why,
            Applied::Duplicate => "duplicate",
        }
    }
}

impl EventObject {
    fn customer(&self) -> Option<&str> {
        match self {
            EventObject::Subscription(s) => Some(&s.customer),
            EventObject::CheckoutCompleted { customer, .. }
            | EventObject::Invoice { customer, .. } => customer.as_deref(),
            EventObject::Other => None,
        }
    }
}

/// The tenant's row as far as event application needs it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = tenants)]
struct Current {
    id: TenantId,
    #[diesel(column_name = billing_subscription_id)]
    subscription_id: Option<String>,
    #[diesel(column_name = billing_status)]
    status: Option<String>,
    #[diesel(column_name = billing_event_created)]
    event_created: Option<i64>,
    #[diesel(column_name = billing_past_due_since)]
    past_due_since: Option<time::PrimitiveDateTime>,
}

fn unix(t: i64) -> Option<time::PrimitiveDateTime> {
    OffsetDateTime::from_unix_timestamp(t).ok().map(to_db)
}

/// Records the event id; false when it was there already.
fn record(
    conn: &mut DbConnection,
    event: &BillingEvent,
    tenant: Option<TenantId>,
    outcome: &Applied,
    now: OffsetDateTime,
) -> Result<bool> {
    let inserted = on_backend!(conn, |c| diesel::insert_into(stripe_events::table)
        .values((
            stripe_events::id.eq(&event.id),
            stripe_events::kind.eq(&event.kind),
            stripe_events::created.eq(event.created),
            stripe_events::applied_to.eq(tenant),
            stripe_events::outcome.eq(outcome.as_str()),
            stripe_events::received_at.eq(to_db(now)),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

fn seen(conn: &mut DbConnection, id: &str) -> Result<bool> {
    Ok(stripe_events::table
        .find(id)
        .select(stripe_events::id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// The change one event makes to a tenant, decided from its current row.
enum Change {
    Subscription {
        state: SubscriptionState,
        plan: String,
        past_due_since: Option<time::PrimitiveDateTime>,
    },
    LinkSubscription(String),
    PaymentFailed {
        since: time::PrimitiveDateTime,
    },
    Paid,
}

fn decide(
    event: &BillingEvent,
    current: &Current,
    prices: &BillingPrices,
    now: OffsetDateTime,
) -> std::result::Result<Change, &'static str> {
    match &event.object {
        EventObject::Subscription(s) => decide_subscription(event, s, current, prices, now),
        EventObject::CheckoutCompleted { subscription, .. } => match subscription {
            Some(sub) if current.subscription_id.is_none() => {
                Ok(Change::LinkSubscription(sub.clone()))
            }
            Some(_) => Err("ignored:subscription-known"),
            None => Err("ignored:no-subscription"),
        },
        EventObject::Invoice { subscription, .. } => {
            decide_invoice(event, subscription.as_deref(), current, now)
        }
        EventObject::Other => Err("ignored:event-type"),
    }
}

impl Current {
    /// Whether the tenant has applied an event created after this one.
    fn is_newer_than(&self, event: &BillingEvent) -> bool {
        self.event_created.is_some_and(|c| event.created < c)
    }

    /// When the tenant started owing: the grace period runs from the first
    /// failure, so a tenant already past due keeps its date.
    fn past_due_from(&self, event: &BillingEvent, now: OffsetDateTime) -> time::PrimitiveDateTime {
        self.past_due_since
            .or_else(|| unix(event.created))
            .unwrap_or(to_db(now))
    }
}

fn decide_subscription(
    event: &BillingEvent,
    s: &SubscriptionState,
    current: &Current,
    prices: &BillingPrices,
    now: OffsetDateTime,
) -> std::result::Result<Change, &'static str> {
    check_subscription_order(event, s, current)?;
    let plan = match &s.price_id {
        Some(price) => prices.plan_of(price).ok_or("ignored:unknown-price")?,
        None => return Err("ignored:no-price"),
    };
    let status = if event.kind == "customer.subscription.deleted" {
        "canceled".to_owned()
    } else {
        s.status.clone()
    };
    let owing = matches!(status.as_str(), "past_due" | "unpaid");
    let past_due_since = owing.then(|| current.past_due_from(event, now));
    Ok(Change::Subscription {
        state: SubscriptionState {
            status,
            ..s.clone()
        },
        plan: plan.to_owned(),
        past_due_since,
    })
}

/// Refuses a subscription event that arrives out of order: older than the
/// last one applied, ending a subscription the tenant has replaced, or
/// reviving one that was canceled.
fn check_subscription_order(
    event: &BillingEvent,
    s: &SubscriptionState,
    current: &Current,
) -> std::result::Result<(), &'static str> {
    let same_second = current.event_created == Some(event.created);
    let stored_other = current
        .subscription_id
        .as_deref()
        .is_some_and(|id| id != s.id);
    if current.is_newer_than(event) {
        return Err("ignored:stale");
    }
    let ending = event.kind == "customer.subscription.deleted"
        || matches!(s.status.as_str(), "canceled" | "incomplete_expired");
    let live = matches!(
        current.status.as_deref(),
        Some("active" | "trialing" | "past_due" | "unpaid")
    );
    if stored_other && live && ending {
        // An old subscription ending must not end the one the tenant has now.
        return Err("ignored:other-subscription");
    }
    let ended_here = current.status.as_deref() == Some("canceled") && !stored_other;
    if ended_here && (same_second || event.kind != "customer.subscription.deleted") {
        // A canceled subscription never comes back; a new one has a new id.
        return Err("ignored:stale");
    }
    Ok(())
}

fn decide_invoice(
    event: &BillingEvent,
    subscription: Option<&str>,
    current: &Current,
    now: OffsetDateTime,
) -> std::result::Result<Change, &'static str> {
    let ours = match (subscription, current.subscription_id.as_deref()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    if !ours {
        return Err("ignored:other-subscription");
    }
    if current.is_newer_than(event) {
        return Err("ignored:stale");
    }
    match (event.kind.as_str(), current.status.as_deref()) {
        (_, Some("canceled")) => Err("ignored:canceled"),
        ("invoice.payment_failed", _) => Ok(Change::PaymentFailed {
            since: current.past_due_from(event, now),
        }),
        ("invoice.paid", _) => Ok(Change::Paid),
        _ => Err("ignored:event-type"),
    }
}

fn apply(
    conn: &mut DbConnection,
    tenant: TenantId,
    change: Change,
    event: &BillingEvent,
    now: OffsetDateTime,
) -> Result<serde_json::Value> {
    let row = tenants::table.find(tenant);
    let touch = (
        tenants::version.eq(tenants::version + 1),
        tenants::updated_at.eq(to_db(now)),
    );
    let detail = match change {
        Change::Subscription {
            state,
            plan,
            past_due_since,
        } => {
            let assigned = assigned_plan(&state, &plan);
            diesel::update(row)
                .set((
                    tenants::billing_subscription_id.eq(Some(&state.id)),
                    tenants::billing_plan.eq(Some(&plan)),
                    tenants::billing_status.eq(Some(&state.status)),
                    tenants::billing_period_end.eq(state.current_period_end.and_then(unix)),
                    tenants::billing_cancel_at_period_end.eq(state.cancel_at_period_end),
                    tenants::billing_past_due_since.eq(past_due_since),
                    tenants::billing_event_created.eq(Some(event.created)),
                    tenants::plan.eq(&assigned),
                    touch,
                ))
                .execute(conn)?;
            schedule_seat_check(conn, tenant, &state, now)?;
            json!({
                "subscription": state.id,
                "status": state.status,
                "plan": plan,
                "quantity": state.quantity,
                "cancel_at_period_end": state.cancel_at_period_end,
            })
        }
        Change::LinkSubscription(sub) => {
            diesel::update(row)
                .set((
                    tenants::billing_subscription_id.eq(Some(&sub)),
                    tenants::billing_sync_at.eq(Some(to_db(now))),
                    touch,
                ))
                .execute(conn)?;
            json!({ "subscription": sub })
        }
        Change::PaymentFailed { since } => {
            diesel::update(row)
                .set((
                    tenants::billing_status.eq(Some("past_due")),
                    tenants::billing_past_due_since.eq(Some(since)),
                    tenants::billing_event_created.eq(Some(event.created)),
                    touch,
                ))
                .execute(conn)?;
            json!({ "status": "past_due" })
        }
        Change::Paid => {
            diesel::update(row)
                .set((
                    tenants::billing_status.eq(Some("active")),
                    tenants::billing_past_due_since.eq(None::<time::PrimitiveDateTime>),
                    tenants::billing_event_created.eq(Some(event.created)),
                    touch,
                ))
                .execute(conn)?;
            json!({ "status": "active" })
        }
    };
    Ok(detail)
}

/// The tenant's own plan under a subscription: its plan while it is paid
/// for, `free` otherwise. The tenant's plan follows the subscription, so the
/// tenant resource shows it; the grace period and period end are applied on
/// top of it at read time (see `state::effective`).
fn assigned_plan(state: &SubscriptionState, plan: &str) -> String {
    let paid = matches!(
        state.status.as_str(),
        "active" | "trialing" | "past_due" | "unpaid"
    );
    if paid {
        plan.to_owned()
    } else {
        "free".to_owned()
    }
}

/// After a subscription change: the seats it is paid for are the seats
/// synced, and the tenant is due for a seat check at once (the sync job
/// holds no lease on it now).
fn schedule_seat_check(
    conn: &mut DbConnection,
    tenant: TenantId,
    state: &SubscriptionState,
    now: OffsetDateTime,
) -> Result<()> {
    let row = tenants::table.find(tenant);
    if let Some(seats) = state.quantity.and_then(|q| i64::try_from(q).ok()) {
        diesel::update(row)
            .set(tenants::billing_seats_synced.eq(Some(seats)))
            .execute(conn)?;
    }
    diesel::update(row.filter(tenants::billing_sync_at.is_null()))
        .set(tenants::billing_sync_at.eq(Some(to_db(now))))
        .execute(conn)?;
    Ok(())
}

/// A checkout names the tenant it was made for; it counts only when that is
/// the tenant owning the session's customer.
fn names_another_tenant(event: &BillingEvent, tenant: TenantId) -> bool {
    matches!(
        &event.object,
        EventObject::CheckoutCompleted {
            client_reference_id: Some(reference),
            ..
        } if *reference != tenant.to_string()
    )
}

/// Applies the event to the tenant, in the tenant's write transaction, unless
/// its id is recorded already; records it either way.
fn apply_once(
    conn: &mut DbConnection,
    tenant: TenantId,
    event: &BillingEvent,
    prices: &BillingPrices,
    now: OffsetDateTime,
) -> Result<Applied> {
    // Decided under the tenant's row lock (PostgreSQL), from its
    // current state: two events of one tenant apply one after the other.
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Binary, _>(tenant)
            .execute(pg)?;
    }
    if seen(conn, &event.id)? {
        return Ok(Applied::Duplicate);
    }
    let current: Current = tenants::table
        .find(tenant)
        .select(Current::as_select())
        .first(conn)?;
    let outcome = match decide(event, &current, prices, now) {
        Err(why) => Applied::Ignored(why),
        Ok(change) => {
            apply_audited(conn, tenant, change, event, now)?;
            Applied::Applied
        }
    };
    if !record(conn, event, Some(tenant), &outcome, now)? {
        // Recorded by a racing delivery between `seen` and here:
        // roll this one back.
        return Err(crate::error::Error::Conflict {
            code: "duplicate-event",
            message: "the event is being applied by another delivery".into(),
        });
    }
    Ok(outcome)
}

/// [`apply`], with its audit event and the invalidation of the tenant's
/// cached copies.
fn apply_audited(
    conn: &mut DbConnection,
    tenant: TenantId,
    change: Change,
    event: &BillingEvent,
    now: OffsetDateTime,
) -> Result<()> {
    let mut detail = apply(conn, tenant, change, event, now)?;
    detail["event"] = json!(event.id);
    detail["event_type"] = json!(event.kind);
    let actor = Actor {
        id: ACTOR.to_owned(),
        request_id: event.id.clone(),
    };
    let audit = AuditEvent::row(
        tenant,
        now,
        &actor,
        "billing.subscription",
        "tenant",
        &tenant.to_string(),
        &detail,
    );
    diesel::insert_into(audit_events::table)
        .values(&audit)
        .execute(conn)?;
    Invalidation::Tenant(tenant).send(conn)?;
    Ok(())
}

impl Store {
    /// Applies one verified Stripe event: at most once per event id, to the
    /// one tenant whose stored customer it names, in one transaction.
    pub async fn apply_billing_event(
        &self,
        event: BillingEvent,
        prices: &BillingPrices,
    ) -> Result<Applied> {
        let found = self.billing_tenant_of(&event).await?;
        let now = self.now();
        let Some(found) = found else {
            let why = if event.object.customer().is_some() {
                "ignored:unknown-customer"
            } else {
                "ignored:no-customer"
            };
            return self.record_only(event, None, Applied::Ignored(why)).await;
        };
        let tenant = found.id;
        if names_another_tenant(&event, tenant) {
            return self
                .record_only(event, None, Applied::Ignored("ignored:reference-mismatch"))
                .await;
        }
        let prices = prices.clone();
        let outcome = self
            .pool()
            .run_in(Some(tenant), TxMode::Write, move |conn| {
                apply_once(conn, tenant, &event, &prices, now)
            })
            .await;
        match outcome {
            Err(crate::error::Error::Conflict {
                code: "duplicate-event",
                ..
            }) => Ok(Applied::Duplicate),
            Err(e) => Err(e),
            Ok(applied) => {
                if applied == Applied::Applied {
                    self.forget_tenant_id(tenant);
                }
                Ok(applied)
            }
        }
    }

    /// The tenant whose stored customer the event names, if any.
    async fn billing_tenant_of(&self, event: &BillingEvent) -> Result<Option<Current>> {
        let Some(customer) = event.object.customer().map(str::to_owned) else {
            return Ok(None);
        };
        self.pool()
            .run(move |conn| {
                Ok(tenants::table
                    .filter(tenants::billing_customer_id.eq(customer))
                    .select(Current::as_select())
                    .first::<Current>(conn)
                    .optional()?)
            })
            .await
    }

    async fn record_only(
        &self,
        event: BillingEvent,
        tenant: Option<TenantId>,
        outcome: Applied,
    ) -> Result<Applied> {
        let now = self.now();
        self.pool()
            .run_write(move |conn| {
                Ok(if record(conn, &event, tenant, &outcome, now)? {
                    outcome
                } else {
                    Applied::Duplicate
                })
            })
            .await
    }
}
