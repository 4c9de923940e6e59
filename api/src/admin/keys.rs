use latchkey_tenants::keys::schedule::RotationSchedule;
use latchkey_tenants::keys::signing::Alg;
use latchkey_tenants::tokens::Scope;
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use time::OffsetDateTime;

use crate::auth::BearerToken;
use crate::error::{ApiError, ApiResult, Problem};
use crate::models::{RotateKeys, SigningKeyList};
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct KeysApi {
    pub state: AppState,
}

#[derive(Debug, Clone, Object)]
pub struct SetRotationSchedule {
    /// Days between rotations, 1 to 365.
    pub interval_days: u32,
}

#[derive(Debug, Clone, Object)]
pub struct RotationScheduleDto {
    pub interval_days: u32,
    pub next_rotation_at: OffsetDateTime,
    #[oai(nullable)]
    pub last_rotated_at: Option<OffsetDateTime>,
}

impl From<RotationSchedule> for RotationScheduleDto {
    fn from(s: RotationSchedule) -> Self {
        RotationScheduleDto {
            interval_days: s.interval_days,
            next_rotation_at: s.next_rotation_at,
            last_rotated_at: s.last_rotated_at,
        }
    }
}

#[derive(ApiResponse)]
enum ScheduleCleared {
    /// No rotation is scheduled any more.
    #[oai(status = 204)]
    Cleared,
}

#[derive(ApiResponse)]
enum Jwks {
    /// The tenant's public keys (RFC 7517). Cacheable for five minutes; a key
    /// is published before it signs and for a day after it retires, so a
    /// cached copy is always good enough.
    #[oai(status = 200)]
    Ok(
        Json<serde_json::Value>,
        #[oai(header = "Cache-Control")] String,
    ),
}

#[OpenApi(tag = "ApiTags::Keys")]
impl KeysApi {
    /// List signing keys
    ///
    /// Public halves only, newest first: for each of ES256 and RS256 one
    /// `active` key, one `next` key (already published), and `retired` ones.
    #[oai(
        path = "/api/v1/tenants/:tenant/keys",
        method = "get",
        operation_id = "listSigningKeys"
    )]
    async fn list(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
    ) -> ApiResult<Json<SigningKeyList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        Ok(Json(SigningKeyList {
            items: scope
                .keys()
                .list()
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        }))
    }

    /// Rotate signing keys
    ///
    /// For each algorithm: the active key retires (still published for a
    /// day), the next key — already in the JWKS — becomes active, and a new
    /// next key is published.
    #[oai(
        path = "/api/v1/tenants/:tenant/keys/rotate",
        method = "post",
        operation_id = "rotateSigningKeys"
    )]
    async fn rotate(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        body: Json<Option<RotateKeys>>,
    ) -> ApiResult<Json<SigningKeyList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let algs = body.0.and_then(|b| b.algs).unwrap_or_default();
        let algs = algs
            .iter()
            .map(|a| a.parse::<Alg>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Json(SigningKeyList {
            items: scope
                .keys()
                .rotate(algs)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        }))
    }

    /// Get the rotation schedule
    ///
    /// The tenant's automatic key rotation, if scheduled (`null` if not).
    /// A gated feature (`scheduled_key_rotation`).
    #[oai(
        path = "/api/v1/tenants/:tenant/keys/schedule",
        method = "get",
        operation_id = "getKeyRotationSchedule"
    )]
    async fn get_schedule(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
    ) -> ApiResult<Json<Option<RotationScheduleDto>>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        Ok(Json(scope.keys().schedule().await?.map(Into::into)))
    }

    /// Schedule automatic rotation
    ///
    /// Rotates every key of the tenant every `interval_days` (1–365), the
    /// first time one interval from now. A gated feature
    /// (`scheduled_key_rotation`); a licence past its grace period pauses
    /// the schedule and makes it read-only.
    #[oai(
        path = "/api/v1/tenants/:tenant/keys/schedule",
        method = "put",
        operation_id = "setKeyRotationSchedule"
    )]
    async fn set_schedule(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        body: Json<SetRotationSchedule>,
    ) -> ApiResult<Json<RotationScheduleDto>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        Ok(Json(
            scope
                .keys()
                .set_schedule(body.0.interval_days)
                .await?
                .into(),
        ))
    }

    /// Stop automatic rotation
    ///
    /// Always allowed, entitled or not.
    #[oai(
        path = "/api/v1/tenants/:tenant/keys/schedule",
        method = "delete",
        operation_id = "clearKeyRotationSchedule"
    )]
    async fn clear_schedule(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
    ) -> ApiResult<ScheduleCleared> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        scope.keys().clear_schedule().await?;
        Ok(ScheduleCleared::Cleared)
    }

    /// The tenant's JWKS
    ///
    /// Public, no token needed: what relying parties fetch to verify tokens
    /// the tenant signs.
    #[oai(
        path = "/t/:tenant/.well-known/jwks.json",
        method = "get",
        operation_id = "getJwks"
    )]
    async fn jwks(&self, tenant: Path<String>) -> ApiResult<Jwks> {
        let t = self.state.store.tenants().get(&tenant.0).await?;
        tracing::Span::current().record("tenant", t.slug.as_str());
        t.ensure_usable()?;
        let scope = self.state.store.tenant(
            t,
            latchkey_tenants::Actor {
                id: "anonymous".into(),
                request_id: String::new(),
            },
        );
        let doc = scope.keys().jwks().await?;
        if doc["keys"].as_array().is_none_or(Vec::is_empty) {
            return Err(ApiError::from_problem(Problem::new(
                StatusCode::NOT_FOUND,
                "signing-key-not-found",
                "the tenant has no published keys",
            )));
        }
        Ok(Jwks::Ok(Json(doc), "public, max-age=300".into()))
    }
}
