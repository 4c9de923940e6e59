//! The tenant API of billing: upgrade through Stripe Checkout, and the
//! tenant's billing status.

use latchkey_tenants::billing::checkout::BillingStatus;
use latchkey_tenants::error::Error;
use latchkey_tenants::tokens::Scope;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use time::OffsetDateTime;

use super::Billing;
use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct BillingApi {
    pub state: AppState,
}

#[derive(Debug, Clone, Object)]
pub struct StartCheckout {
    /// `team` or `enterprise`.
    pub plan: String,
    /// Where Stripe sends the browser after payment (`http(s)://`).
    pub success_url: String,
    /// Where Stripe sends the browser when the customer cancels (`http(s)://`).
    pub cancel_url: String,
}

#[derive(Debug, Clone, Object)]
pub struct CheckoutSessionDto {
    /// The Checkout Session (`cs_…`).
    pub id: String,
    /// Send the customer's browser here to pay.
    pub url: String,
}

#[derive(ApiResponse)]
enum Started {
    /// The Checkout Session was created.
    #[oai(status = 201)]
    Created(Json<CheckoutSessionDto>),
}

#[derive(Debug, Clone, Object)]
pub struct BillingStatusDto {
    /// The plan in effect now (`free` once a lapsed subscription's grace is over).
    pub plan: String,
    /// The paid plan the tenant lapsed from: its features are read-only, nothing is deleted.
    #[oai(nullable)]
    pub lapsed_from: Option<String>,
    /// The subscription's paid plan.
    #[oai(nullable)]
    pub subscribed_plan: Option<String>,
    /// Stripe's subscription status (`active`, `past_due`, `canceled` …); null before the first upgrade.
    #[oai(nullable)]
    pub status: Option<String>,
    #[oai(nullable)]
    pub current_period_end: Option<OffsetDateTime>,
    /// The subscription ends at `current_period_end`; the plan stays until then.
    pub cancel_at_period_end: bool,
    /// Since when a payment has failed.
    #[oai(nullable)]
    pub past_due_since: Option<OffsetDateTime>,
    /// When a past-due tenant drops to `free` (features read-only).
    #[oai(nullable)]
    pub grace_until: Option<OffsetDateTime>,
    /// The subscription's quantity as last known to Stripe.
    #[oai(nullable)]
    pub seats_billed: Option<u64>,
    /// Active internal users now; the quantity follows them shortly.
    pub seats_in_use: u64,
    /// Failed attempts to update the quantity since the last success, and why the last one failed.
    pub seat_sync_failures: u32,
    #[oai(nullable)]
    pub seat_sync_error: Option<String>,
    pub warnings: Vec<String>,
}

impl From<BillingStatus> for BillingStatusDto {
    fn from(s: BillingStatus) -> Self {
        BillingStatusDto {
            plan: s.plan,
            lapsed_from: s.lapsed_from,
            subscribed_plan: s.billing.plan,
            status: s.billing.status,
            current_period_end: s.billing.current_period_end,
            cancel_at_period_end: s.billing.cancel_at_period_end,
            past_due_since: s.billing.past_due_since,
            grace_until: s.grace_until,
            seats_billed: s.billing.seats_billed,
            seats_in_use: s.seats_in_use,
            seat_sync_failures: s.billing.sync_attempts,
            seat_sync_error: s.billing.sync_error,
            warnings: s.warning.into_iter().collect(),
        }
    }
}

impl AppState {
    /// Billing's settings, or the problem saying it is off.
    pub fn billing(&self) -> Result<&Billing, Error> {
        self.billing.as_deref().ok_or_else(|| Error::Conflict {
            code: "billing-not-configured",
            message: "billing is not configured on this installation (LATCHKEY_STRIPE_SECRET_KEY is not set)".into(),
        })
    }
}

#[OpenApi(tag = "ApiTags::Billing")]
impl BillingApi {
    /// Upgrade through Stripe Checkout
    ///
    /// Creates a Checkout Session for a paid plan, for as many seats as the
    /// tenant has active internal users (at least one); send the customer's
    /// browser to `url`. The tenant's Stripe customer is created on the
    /// first upgrade. The plan changes when Stripe reports the subscription
    /// (webhook). Needs an `admin` token (or a platform token).
    #[oai(
        path = "/api/v1/tenants/:tenant/billing/checkout",
        method = "post",
        operation_id = "startCheckout"
    )]
    async fn checkout(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        body: Json<StartCheckout>,
    ) -> ApiResult<Started> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let billing = self.state.billing()?;
        let link = scope
            .billing()
            .checkout(
                billing.gateway.as_ref(),
                &billing.prices,
                &body.0.plan,
                &body.0.success_url,
                &body.0.cancel_url,
            )
            .await?;
        Ok(Started::Created(Json(CheckoutSessionDto {
            id: link.id,
            url: link.url,
        })))
    }

    /// The tenant's billing status
    ///
    /// The plan in effect, the subscription's state, the grace period of a
    /// failed payment, and seats billed against seats in use.
    #[oai(
        path = "/api/v1/tenants/:tenant/billing",
        method = "get",
        operation_id = "getBilling"
    )]
    async fn status(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
    ) -> ApiResult<Json<BillingStatusDto>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        self.state.billing()?;
        Ok(Json(scope.billing().status().await?.into()))
    }
}
