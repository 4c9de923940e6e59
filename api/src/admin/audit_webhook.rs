use latchkey_tenants::audit_stream::AuditWebhook;
use latchkey_tenants::tokens::Scope;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use time::OffsetDateTime;

use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct AuditWebhookApi {
    pub state: AppState,
}

#[derive(Debug, Clone, Object)]
pub struct SetAuditWebhook {
    /// An `https://` URL that accepts `POST` with a JSON body.
    pub url: String,
}

#[derive(Debug, Clone, Object)]
pub struct AuditWebhookDto {
    pub url: String,
    /// Failed deliveries since the last success.
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    /// Why the last delivery failed, if it did.
    #[oai(nullable)]
    pub last_error: Option<String>,
    #[oai(nullable)]
    pub last_delivered_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

impl From<AuditWebhook> for AuditWebhookDto {
    fn from(w: AuditWebhook) -> Self {
        AuditWebhookDto {
            url: w.url,
            attempts: w.attempts,
            next_attempt_at: w.next_attempt_at,
            last_error: w.last_error,
            last_delivered_at: w.last_delivered_at,
            created_at: w.created_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct CreatedAuditWebhookDto {
    #[oai(flatten)]
    pub webhook: AuditWebhookDto,
    /// The HMAC-SHA256 key of `Latchkey-Signature`. Shown only this once.
    pub secret: String,
}

#[derive(ApiResponse)]
enum Removed {
    /// Streaming stopped.
    #[oai(status = 204)]
    Removed,
}

#[OpenApi(tag = "ApiTags::Audit")]
impl AuditWebhookApi {
    /// Stream the audit log to a webhook
    ///
    /// From now on every audit event of the tenant is `POST`ed to `url`, in
    /// order, in batches (`{"tenant","events":[…]}`), each signed with
    /// `Latchkey-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
    /// Failures are retried with backoff. Replaces any webhook (and its
    /// secret). A gated feature (`audit_streaming`).
    #[oai(
        path = "/api/v1/tenants/:tenant/events/webhook",
        method = "put",
        operation_id = "setAuditWebhook"
    )]
    async fn set(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        body: Json<SetAuditWebhook>,
    ) -> ApiResult<Json<CreatedAuditWebhookDto>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let created = scope.audit_webhook().set(&body.0.url).await?;
        Ok(Json(CreatedAuditWebhookDto {
            webhook: created.webhook.into(),
            secret: created.secret.to_string(),
        }))
    }

    /// The audit webhook and its delivery state
    ///
    /// `null` when none is set.
    #[oai(
        path = "/api/v1/tenants/:tenant/events/webhook",
        method = "get",
        operation_id = "getAuditWebhook"
    )]
    async fn get(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
    ) -> ApiResult<Json<Option<AuditWebhookDto>>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        Ok(Json(scope.audit_webhook().get().await?.map(Into::into)))
    }

    /// Stop streaming the audit log
    ///
    /// Always allowed, entitled or not.
    #[oai(
        path = "/api/v1/tenants/:tenant/events/webhook",
        method = "delete",
        operation_id = "removeAuditWebhook"
    )]
    async fn remove(&self, auth: BearerToken, tenant: Path<String>) -> ApiResult<Removed> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        scope.audit_webhook().remove().await?;
        Ok(Removed::Removed)
    }
}
