use latchkey_tenants::tokens::Scope;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct EntitlementsApi {
    pub state: AppState,
}

#[derive(Debug, Clone, Object)]
pub struct EntitledFeatureDto {
    /// e.g. `audit_export`.
    pub feature: String,
    /// `plan` or `license`.
    pub source: String,
    /// Licensed, but the licence is past its grace period: readable, not changeable.
    pub read_only: bool,
}

#[derive(Debug, Clone, Object)]
pub struct EntitlementsDto {
    /// `free`, `team` or `enterprise`.
    pub plan: String,
    pub features: Vec<EntitledFeatureDto>,
    /// The plan's limit of active internal users (null: none).
    #[oai(nullable)]
    pub max_internal_users: Option<u64>,
    /// Active internal users of this tenant, counted now.
    pub internal_users: u64,
    /// The installation's licence status (`valid`, `expiring`, `expired`, `invalid`, `none`).
    pub license_status: String,
    /// The installation's licence is past its grace period.
    pub restricted: bool,
    pub warnings: Vec<String>,
}

#[OpenApi(tag = "ApiTags::License")]
impl EntitlementsApi {
    /// A tenant's entitlements
    ///
    /// What the tenant may use: its plan's features plus those of the
    /// installation's licence, its plan's user limit and its usage.
    #[oai(
        path = "/api/v1/tenants/:tenant/entitlements",
        method = "get",
        operation_id = "getEntitlements"
    )]
    async fn get(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
    ) -> ApiResult<Json<EntitlementsDto>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let e = scope.entitlements().await?;
        let internal_users = scope.seats_in_use().await?;
        Ok(Json(EntitlementsDto {
            plan: e.plan,
            features: e
                .features
                .iter()
                .map(|f| EntitledFeatureDto {
                    feature: f.feature.as_str().to_owned(),
                    source: f.source.as_str().to_owned(),
                    read_only: f.read_only,
                })
                .collect(),
            max_internal_users: e.max_internal_users,
            internal_users,
            license_status: e.license_state.as_str().to_owned(),
            restricted: e.restricted,
            warnings: e.warnings,
        }))
    }
}
