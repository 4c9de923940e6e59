use latchkey_tenants::page::PageRequest;
use latchkey_tenants::tokens::{NewToken, Scope};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::models::{CreateToken, CreatedToken, TokenDto, TokenList};
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct TokensApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Created {
    /// The token; `token` is the secret, shown this once.
    #[oai(status = 201)]
    Created(Json<CreatedToken>),
}

#[OpenApi(tag = "ApiTags::Tokens")]
impl TokensApi {
    /// Create a token
    ///
    /// Scopes: `admin` (read and change everything in the tenant), `read`,
    /// or `scim` alone (a SCIM token, `lks_…`, for an HR or identity system).
    /// The secret is returned once; only its SHA-256 is stored.
    #[oai(
        path = "/api/v1/tenants/:tenant/tokens",
        method = "post",
        operation_id = "createToken"
    )]
    async fn create(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        body: Json<CreateToken>,
    ) -> ApiResult<Created> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        Ok(Created::Created(Json(issue(&scope, body.0).await?)))
    }

    /// List tokens
    ///
    /// Never shows secrets.
    #[oai(
        path = "/api/v1/tenants/:tenant/tokens",
        method = "get",
        operation_id = "listTokens"
    )]
    async fn list(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<TokenList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        Ok(Json(scope.tokens().list(page).await?.into()))
    }

    /// Get a token
    #[oai(
        path = "/api/v1/tenants/:tenant/tokens/:id",
        method = "get",
        operation_id = "getToken"
    )]
    async fn get(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<TokenDto>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        Ok(Json(scope.tokens().get(id.0.into()).await?.into()))
    }

    /// Revoke a token
    ///
    /// Refused at once on this node and within seconds on every other node.
    #[oai(
        path = "/api/v1/tenants/:tenant/tokens/:id",
        method = "delete",
        operation_id = "revokeToken"
    )]
    async fn revoke(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<TokenDto>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        Ok(Json(scope.tokens().revoke(id.0.into()).await?.into()))
    }
}

/// Creates a tenant token and answers it with its secret, shown this once
/// (the tenant API and the signup console both issue tokens this way).
pub(crate) async fn issue(
    scope: &latchkey_tenants::TenantScope,
    b: CreateToken,
) -> ApiResult<CreatedToken> {
    let scopes = b
        .scopes
        .iter()
        .map(|s| s.parse())
        .collect::<Result<Vec<Scope>, _>>()?;
    let issued = scope
        .tokens()
        .create(NewToken {
            name: b.name.into(),
            scopes,
            expires_at: b.expires_at,
        })
        .await?;
    let t: TokenDto = issued.token.into();
    Ok(CreatedToken {
        id: t.id,
        name: t.name,
        kind: t.kind,
        scopes: t.scopes,
        created_at: t.created_at,
        expires_at: t.expires_at,
        token: issued.secret,
    })
}
