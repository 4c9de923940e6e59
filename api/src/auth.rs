//! Who is calling, and what they may touch.

use latchkey_tenants::tokens::{Principal, Scope, TokenKind};
use latchkey_tenants::{Actor, Error, TenantScope};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

use crate::error::ApiResult;
use crate::request_id::current_request_id;
use crate::state::AppState;

/// A Latchkey API token: `lkp_…` (platform operator) or `lkt_…` (tenant).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "lkp_… or lkt_…")]
pub struct BearerToken(pub Bearer);

fn actor(principal: &Principal) -> Actor {
    Actor {
        id: principal.actor_id(),
        request_id: current_request_id().unwrap_or_default(),
    }
}

impl AppState {
    /// The operator API: platform tokens only.
    pub async fn platform(&self, auth: &BearerToken) -> ApiResult<Actor> {
        let principal = self.store.authenticate(&auth.0.token).await?;
        match principal {
            Principal::Platform { .. } => Ok(actor(&principal)),
            // A tenant token learns nothing about the operator API.
            Principal::Tenant { .. } => Err(Error::InsufficientScope("platform").into()),
        }
    }

    /// The tenant API: a platform token, or a token of this very tenant with
    /// `needed`. A token of another tenant gets the same 404 as a tenant that
    /// does not exist, so existence is never revealed.
    pub async fn tenant(
        &self,
        auth: &BearerToken,
        slug: &str,
        needed: Scope,
    ) -> ApiResult<TenantScope> {
        let principal = self.store.authenticate(&auth.0.token).await?;
        let tenant = self.store.tenants().get(slug).await?;
        if let Principal::Tenant {
            tenant_id,
            kind,
            scopes,
            ..
        } = &principal
        {
            if *tenant_id != tenant.id {
                return Err(Error::NotFound(latchkey_tenants::error::Resource::Tenant).into());
            }
            if *kind == TokenKind::Scim || !scopes.allows(needed) {
                return Err(Error::InsufficientScope(needed.as_str()).into());
            }
        }
        tracing::Span::current().record("tenant", tenant.slug.as_str());
        tenant.ensure_usable()?;
        Ok(self.store.tenant(tenant, actor(&principal)))
    }
}

/// Parses an `If-Match` value: `"3"`, `W/"3"` or `3`.
pub fn parse_if_match(value: Option<&str>) -> ApiResult<Option<i64>> {
    crate::etag::expected_version(value).map_err(|_| {
        crate::error::ApiError::invalid(
            "If-Match",
            "must be a version as returned in the ETag header, e.g. \"3\"",
        )
    })
}
