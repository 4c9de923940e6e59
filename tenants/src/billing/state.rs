//! A tenant's billing state as stored, and the plan it is effectively on
//! now: computed at read time from the state and the clock, so a grace
//! period or a cancellation at period end takes effect exactly on time, with
//! no job to flip it and nothing to lag.

use diesel::prelude::*;
use time::{Duration, OffsetDateTime};

use crate::clock::from_db;
use crate::db::schema::tenants;

/// What billing knows about a tenant (every field empty for a tenant that
/// never upgraded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantBilling {
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    /// The paid plan of the subscription (`team` or `enterprise`).
    pub plan: Option<String>,
    /// Stripe's subscription status.
    pub status: Option<String>,
    pub current_period_end: Option<OffsetDateTime>,
    pub cancel_at_period_end: bool,
    pub past_due_since: Option<OffsetDateTime>,
    /// The subscription quantity last known to Stripe.
    pub seats_billed: Option<u64>,
    /// Seat sync failures in a row, and the last one's message.
    pub sync_attempts: u32,
    pub sync_error: Option<String>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub(crate) struct BillingRow {
    billing_customer_id: Option<String>,
    billing_subscription_id: Option<String>,
    billing_plan: Option<String>,
    billing_status: Option<String>,
    billing_period_end: Option<time::PrimitiveDateTime>,
    billing_cancel_at_period_end: bool,
    billing_past_due_since: Option<time::PrimitiveDateTime>,
    billing_seats_synced: Option<i64>,
    billing_sync_attempts: i32,
    billing_sync_error: Option<String>,
}

impl From<BillingRow> for TenantBilling {
    fn from(r: BillingRow) -> Self {
        TenantBilling {
            customer_id: r.billing_customer_id,
            subscription_id: r.billing_subscription_id,
            plan: r.billing_plan,
            status: r.billing_status,
            current_period_end: r.billing_period_end.map(from_db),
            cancel_at_period_end: r.billing_cancel_at_period_end,
            past_due_since: r.billing_past_due_since.map(from_db),
            seats_billed: r.billing_seats_synced.and_then(|n| u64::try_from(n).ok()),
            sync_attempts: u32::try_from(r.billing_sync_attempts).unwrap_or(0),
            sync_error: r.billing_sync_error,
        }
    }
}

/// The plan a tenant is on now, once billing is taken into account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePlan {
    pub plan: String,
    /// The paid plan the tenant lapsed from (payment failed past the grace
    /// period, or the subscription ended): its features stay readable, not
    /// changeable, and nothing is deleted.
    pub lapsed_from: Option<String>,
    /// Said on the entitlements response and in the `Latchkey-Billing-Warning` header.
    pub warning: Option<String>,
}

/// Subscription statuses in which the customer has paid (or is trialing).
fn is_paying(status: &str) -> bool {
    matches!(status, "active" | "trialing")
}

/// Statuses in which a payment is owed: the grace period applies.
fn is_owing(status: &str) -> bool {
    matches!(status, "past_due" | "unpaid")
}

fn day(t: OffsetDateTime) -> String {
    t.date().to_string()
}

/// The effective plan of a tenant whose own (operator-set) plan is
/// `assigned`, given its billing state, the time and the grace period.
pub fn effective(
    assigned: &str,
    billing: &TenantBilling,
    now: OffsetDateTime,
    grace: Duration,
) -> EffectivePlan {
    let unchanged = || EffectivePlan {
        plan: assigned.to_owned(),
        lapsed_from: None,
        warning: None,
    };
    let (Some(status), Some(paid)) = (billing.status.as_deref(), billing.plan.as_deref()) else {
        return unchanged();
    };
    let lapsed = |why: String| EffectivePlan {
        plan: "free".to_owned(),
        lapsed_from: Some(paid.to_owned()),
        warning: Some(format!(
            "{why}: the `{paid}` plan's features are read-only until the subscription is renewed; nothing was deleted"
        )),
    };
    if is_paying(status) {
        match (billing.cancel_at_period_end, billing.current_period_end) {
            // Stripe's `customer.subscription.deleted` normally ends it; the
            // period end ends it on time even when that event is late.
            (true, Some(end)) if now >= end => {
                lapsed(format!("the subscription ended on {}", day(end)))
            }
            (true, end) => EffectivePlan {
                plan: paid.to_owned(),
                lapsed_from: None,
                warning: Some(match end {
                    Some(end) => format!(
                        "the subscription is canceled and ends on {}; the `{paid}` plan stays until then",
                        day(end)
                    ),
                    None => "the subscription is canceled at the end of its period".to_owned(),
                }),
            },
            (false, _) => EffectivePlan {
                plan: paid.to_owned(),
                lapsed_from: None,
                warning: None,
            },
        }
    } else if is_owing(status) {
        let since = billing.past_due_since.unwrap_or(now);
        let until = since + grace;
        if now < until {
            EffectivePlan {
                plan: paid.to_owned(),
                lapsed_from: None,
                warning: Some(format!(
                    "a payment failed on {}; update the payment method before {} or the `{paid}` plan's features become read-only",
                    day(since),
                    day(until)
                )),
            }
        } else {
            lapsed(format!(
                "a payment failed on {} and the grace period ended on {}",
                day(since),
                day(until)
            ))
        }
    } else if status == "canceled" || status == "incomplete_expired" {
        lapsed("the subscription has ended".to_owned())
    } else {
        // `incomplete` (first payment pending), `paused`, anything newer:
        // not paid for, but nothing was ever granted by it either.
        unchanged()
    }
}

/// When a past-due tenant drops to `free`.
pub fn grace_until(billing: &TenantBilling, grace: Duration) -> Option<OffsetDateTime> {
    match billing.status.as_deref() {
        Some(s) if is_owing(s) => billing.past_due_since.map(|t| t + grace),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(days: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000 + days)
    }

    fn sub(status: &str) -> TenantBilling {
        TenantBilling {
            customer_id: Some("cus_1".into()),
            subscription_id: Some("sub_1".into()),
            plan: Some("team".into()),
            status: Some(status.into()),
            current_period_end: Some(t(30)),
            ..Default::default()
        }
    }

    const GRACE: Duration = Duration::days(14);

    #[test]
    fn without_a_subscription_the_assigned_plan_holds() {
        let e = effective("enterprise", &TenantBilling::default(), t(0), GRACE);
        assert_eq!(e.plan, "enterprise");
        assert_eq!(e.lapsed_from, None);
    }

    #[test]
    fn an_active_subscription_gives_its_plan() {
        let e = effective("free", &sub("active"), t(0), GRACE);
        assert_eq!((e.plan.as_str(), e.warning), ("team", None));
    }

    #[test]
    fn past_due_keeps_the_plan_with_a_warning_until_the_grace_period_ends() {
        let mut b = sub("past_due");
        b.past_due_since = Some(t(0));
        let within = effective("free", &b, t(13), GRACE);
        assert_eq!(within.plan, "team");
        assert!(within.warning.unwrap().contains("payment failed"));
        let after = effective("free", &b, t(14), GRACE);
        assert_eq!(after.plan, "free");
        assert_eq!(after.lapsed_from.as_deref(), Some("team"));
    }

    #[test]
    fn cancel_at_period_end_keeps_the_plan_until_the_period_ends() {
        let mut b = sub("active");
        b.cancel_at_period_end = true;
        let before = effective("free", &b, t(29), GRACE);
        assert_eq!(before.plan, "team");
        assert!(before.warning.unwrap().contains("ends on"));
        let after = effective("free", &b, t(30), GRACE);
        assert_eq!(after.plan, "free");
        assert_eq!(after.lapsed_from.as_deref(), Some("team"));
    }

    #[test]
    fn a_canceled_subscription_lapses_to_free_read_only() {
        let e = effective("team", &sub("canceled"), t(0), GRACE);
        assert_eq!(e.plan, "free");
        assert_eq!(e.lapsed_from.as_deref(), Some("team"));
    }

    #[test]
    fn an_incomplete_subscription_grants_nothing_yet() {
        let e = effective("free", &sub("incomplete"), t(0), GRACE);
        assert_eq!((e.plan.as_str(), e.lapsed_from), ("free", None));
    }
}
