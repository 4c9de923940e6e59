use latchkey_tenants::keys::signing::Alg;
use latchkey_tenants::keys::tokens::Scope;
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::app::{ApiTags, AppState};
use crate::auth::BearerToken;
use crate::error::{ApiError, ApiResult, Problem};
use crate::models::{RotateKeys, SigningKeyList};

pub struct KeysApi {
    pub state: AppState,
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
