use latchkey_tenants::audit::AuditQuery;
use latchkey_tenants::page::PageRequest;
use latchkey_tenants::tokens::Scope;
use poem::Body;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, OpenApi};
use time::OffsetDateTime;

use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::models::{AuditEventDto, AuditEventList};
use crate::state::AppState;
use crate::tags::ApiTags;

#[derive(ApiResponse)]
enum Export {
    /// One audit event per line (NDJSON), oldest first, streamed; each line
    /// has the shape of an item of `listAuditEvents`.
    #[oai(status = 200, content_type = "application/x-ndjson")]
    Ok(Binary<Body>),
}

/// One line of the export.
fn line(event: latchkey_tenants::audit::AuditEvent) -> String {
    let mut s = AuditEventDto::from(event).to_json_string();
    s.push('\n');
    s
}

pub struct EventsApi {
    pub state: AppState,
}

#[OpenApi(tag = "ApiTags::Audit")]
impl EventsApi {
    /// List audit events
    ///
    /// Every change in the tenant: who (`actor`), what (`action`, target),
    /// when, and in which request. Newest first; filter by exact `action`
    /// (e.g. `user.create`) or `actor` (e.g. `token:<id>`).
    #[oai(
        path = "/api/v1/tenants/:tenant/events",
        method = "get",
        operation_id = "listAuditEvents"
    )]
    async fn list(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        action: Query<Option<String>>,
        actor: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<AuditEventList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        let query = AuditQuery {
            action: action.0,
            actor: actor.0,
        };
        Ok(Json(scope.audit().list(query, page).await?.into()))
    }

    /// Export audit events
    ///
    /// Every event with `from <= occurred_at < to` (RFC 3339 times), oldest
    /// first, streamed as NDJSON. A gated feature (`audit_export`): without
    /// it, `402 feature-not-entitled`.
    #[oai(
        path = "/api/v1/tenants/:tenant/events/export",
        method = "get",
        operation_id = "exportAuditEvents"
    )]
    async fn export(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        from: Query<OffsetDateTime>,
        to: Query<OffsetDateTime>,
    ) -> ApiResult<Export> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let mut export = scope.audit().export(from.0, to.0).await?;
        // The first batch is read before answering, so an error there is a
        // problem document, not a cut-off stream.
        let first = export.next_batch().await?;
        let head = futures_util::stream::iter([Ok::<_, std::io::Error>(
            first.into_iter().map(line).collect::<String>(),
        )]);
        let rest = futures_util::stream::unfold(Some(export), |state| async move {
            let mut export = state?;
            match export.next_batch().await {
                Ok(batch) if batch.is_empty() => None,
                Ok(batch) => Some((
                    Ok(batch.into_iter().map(line).collect::<String>()),
                    Some(export),
                )),
                Err(e) => {
                    tracing::warn!(error = %e, "audit export cut off");
                    Some((Err(std::io::Error::other("the audit export failed")), None))
                }
            }
        });
        use futures_util::StreamExt;
        Ok(Export::Ok(Binary(Body::from_bytes_stream(
            head.chain(rest),
        ))))
    }
}
