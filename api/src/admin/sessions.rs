//! A user's browser sessions and second factors, for admins: list the
//! sessions and end one or all; list the factors and remove one.

use latchkey_tenants::page::PageRequest;
use latchkey_tenants::tokens::Scope;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::ApiResult;
use crate::models::{FactorList, SessionList};
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct SessionsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum SessionsEnded {
    /// Ended: the next request with the session's cookie is refused, on
    /// every node.
    #[oai(status = 204)]
    Ended,
}

#[derive(ApiResponse)]
enum FactorRemoved {
    /// Removed.
    #[oai(status = 204)]
    Removed,
}

#[OpenApi(tag = "ApiTags::Users")]
impl SessionsApi {
    /// List a user's sessions
    ///
    /// The user's current browser sessions, oldest first, paginated with
    /// `limit` and `cursor`.
    #[oai(
        path = "/api/v1/tenants/:tenant/users/:id/sessions",
        method = "get",
        operation_id = "listUserSessions"
    )]
    async fn list(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<SessionList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        Ok(Json(scope.sessions().list(id.0.into(), page).await?.into()))
    }

    /// End a user's session
    #[oai(
        path = "/api/v1/tenants/:tenant/users/:id/sessions/:session_id",
        method = "delete",
        operation_id = "endUserSession"
    )]
    async fn end(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        session_id: Path<Uuid>,
    ) -> ApiResult<SessionsEnded> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        scope
            .sessions()
            .end(id.0.into(), session_id.0.into())
            .await?;
        Ok(SessionsEnded::Ended)
    }

    /// End all of a user's sessions
    ///
    /// Signs the user out everywhere.
    #[oai(
        path = "/api/v1/tenants/:tenant/users/:id/sessions",
        method = "delete",
        operation_id = "endUserSessions"
    )]
    async fn end_all(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<SessionsEnded> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        scope.sessions().end_all(id.0.into()).await?;
        Ok(SessionsEnded::Ended)
    }

    /// List a user's second factors
    ///
    /// The authenticator apps the user turned on; never their secrets.
    #[oai(
        path = "/api/v1/tenants/:tenant/users/:id/factors",
        method = "get",
        operation_id = "listUserFactors"
    )]
    async fn factors(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<FactorList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let items = scope.factors().list(id.0.into()).await?;
        Ok(Json(FactorList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Remove a user's second factor
    ///
    /// For a lost phone: the user signs in without it, and can set up
    /// another from their account page.
    #[oai(
        path = "/api/v1/tenants/:tenant/users/:id/factors/:factor_id",
        method = "delete",
        operation_id = "removeUserFactor"
    )]
    async fn remove_factor(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        factor_id: Path<Uuid>,
    ) -> ApiResult<FactorRemoved> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        scope
            .factors()
            .remove(id.0.into(), factor_id.0.into())
            .await?;
        Ok(FactorRemoved::Removed)
    }
}
