//! `POST /billing/stripe/webhook`: Stripe's events, outside `/api/v1` and
//! without a token. The raw body is verified against `Stripe-Signature`
//! (scheme v1, 5 minutes' tolerance) before anything is parsed or stored;
//! the domain then applies the event once (see
//! `latchkey_tenants::billing::events`).

use latchkey_stripe::webhook::{DEFAULT_TOLERANCE_SECS, verify};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use serde_json::json;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub const PATH: &str = "/billing/stripe/webhook";

#[handler]
pub async fn receive(req: &Request, body: poem::Body, state: Data<&AppState>) -> Response {
    match handle(req, body, &state).await {
        Ok(outcome) => poem::web::Json(json!({ "received": true, "outcome": outcome }))
            .with_status(StatusCode::OK)
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn handle(req: &Request, body: poem::Body, state: &AppState) -> Result<String, ApiError> {
    let billing = state.billing()?;
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let payload = body.into_vec().await.map_err(|_| {
        ApiError::from_problem(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-body",
            "the request body could not be read",
        ))
    })?;
    let now = state.store.now().unix_timestamp();
    let event = verify(
        &payload,
        header,
        &billing.webhook_secret,
        now,
        DEFAULT_TOLERANCE_SECS,
    )
    .map_err(|e| {
        tracing::warn!(error = %e, "Stripe webhook refused");
        ApiError::from_problem(Problem::new(
            StatusCode::BAD_REQUEST,
            "webhook-signature-invalid",
            format!("{e}"),
        ))
    })?;
    let applied = state
        .store
        .apply_billing_event(super::to_domain(&event), &billing.prices)
        .await?;
    tracing::info!(event = %event.id, kind = %event.kind, outcome = applied.as_str(), "Stripe event");
    Ok(applied.as_str().to_owned())
}
