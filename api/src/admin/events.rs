use latchkey_tenants::audit::AuditQuery;
use latchkey_tenants::keys::tokens::Scope;
use latchkey_tenants::page::PageRequest;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::app::{ApiTags, AppState};
use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::models::AuditEventList;

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
}
