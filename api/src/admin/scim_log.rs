use latchkey_tenants::scim::ScimRequestRecord;
use latchkey_tenants::tokens::Scope;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct ScimLogApi {
    pub state: AppState,
}

/// One SCIM request, as the tenant's request log keeps it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ScimRequest")]
pub struct ScimRequestDto {
    pub id: Uuid,
    pub occurred_at: OffsetDateTime,
    /// `token:<id>` of the SCIM token used, or `unauthenticated`.
    pub token: String,
    pub method: String,
    /// The path below the SCIM base URL, with its query string.
    pub path: String,
    pub status: u16,
    /// The SCIM error type of a failure (`uniqueness`, `invalidFilter` …).
    #[oai(nullable)]
    pub scim_type: Option<String>,
    /// Why the request failed, as the client was told.
    #[oai(nullable)]
    pub detail: Option<String>,
    pub duration_ms: i32,
    pub request_id: String,
    /// The request body, with passwords and other secrets replaced by `[redacted]`.
    #[oai(nullable)]
    pub request_body: Option<String>,
}

impl From<ScimRequestRecord> for ScimRequestDto {
    fn from(r: ScimRequestRecord) -> Self {
        ScimRequestDto {
            id: r.id.as_uuid(),
            occurred_at: r.occurred_at,
            token: r.token_id,
            method: r.method,
            path: r.path,
            status: r.status,
            scim_type: r.scim_type,
            detail: r.detail,
            duration_ms: r.duration_ms,
            request_id: r.request_id,
            request_body: r.request_body,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct ScimRequestList {
    /// Newest first.
    pub items: Vec<ScimRequestDto>,
}

#[OpenApi(tag = "ApiTags::Scim")]
impl ScimLogApi {
    /// List recent SCIM requests
    ///
    /// The tenant's last SCIM requests (the log keeps `scim_request_log_size`
    /// of them, 200 by default), newest first, with status, SCIM error type
    /// and the redacted request body: where to look when a sync from Entra
    /// ID, Okta or an HR tool fails. `status_min=400` shows only failures.
    #[oai(
        path = "/api/v1/tenants/:tenant/scim/requests",
        method = "get",
        operation_id = "listScimRequests"
    )]
    async fn list(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] limit: Query<Option<u32>>,
        #[oai(validator(minimum(value = "100"), maximum(value = "599")))] status_min: Query<
            Option<u16>,
        >,
    ) -> ApiResult<Json<ScimRequestList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let limit = i64::from(limit.0.unwrap_or(50));
        let min = status_min.0.unwrap_or(0);
        let items = scope
            .scim_requests(limit, min)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(Json(ScimRequestList { items }))
    }
}
