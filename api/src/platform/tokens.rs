use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::models::{CreatedToken, TokenDto};
use crate::state::AppState;
use crate::tags::ApiTags;
use crate::text::Text;

pub struct PlatformTokensApi {
    pub state: AppState,
}

#[derive(Debug, Clone, Object)]
pub struct CreatePlatformToken {
    pub name: Text,
    #[oai(nullable)]
    pub expires_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Object)]
pub struct PlatformTokenList {
    pub items: Vec<TokenDto>,
}

#[derive(ApiResponse)]
enum Created {
    #[oai(status = 201)]
    Created(Json<CreatedToken>),
}

#[OpenApi(prefix_path = "/api/v1/platform/tokens", tag = "ApiTags::Tenants")]
impl PlatformTokensApi {
    /// Create a platform token
    ///
    /// A platform token (`lkp_…`) manages every tenant. The secret is in the
    /// response this once and never again.
    #[oai(path = "/", method = "post", operation_id = "createPlatformToken")]
    async fn create(
        &self,
        auth: BearerToken,
        body: Json<CreatePlatformToken>,
    ) -> ApiResult<Created> {
        self.state.platform(&auth).await?;
        let issued = self
            .state
            .store
            .platform_tokens()
            .create(&body.0.name, body.0.expires_at)
            .await?;
        let t = issued.token;
        Ok(Created::Created(Json(CreatedToken {
            id: t.id.as_uuid(),
            name: t.name,
            kind: t.kind.as_str().to_owned(),
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            token: issued.secret,
        })))
    }

    /// List platform tokens
    #[oai(path = "/", method = "get", operation_id = "listPlatformTokens")]
    async fn list(&self, auth: BearerToken) -> ApiResult<Json<PlatformTokenList>> {
        self.state.platform(&auth).await?;
        let items = self
            .state
            .store
            .platform_tokens()
            .list()
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(Json(PlatformTokenList { items }))
    }

    /// Revoke a platform token
    ///
    /// Refused on every node within seconds.
    #[oai(path = "/:id", method = "delete", operation_id = "revokePlatformToken")]
    async fn revoke(&self, auth: BearerToken, id: Path<Uuid>) -> ApiResult<Json<TokenDto>> {
        self.state.platform(&auth).await?;
        Ok(Json(
            self.state
                .store
                .platform_tokens()
                .revoke(id.0.into())
                .await?
                .into(),
        ))
    }
}
