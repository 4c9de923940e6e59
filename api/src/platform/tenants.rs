use latchkey_tenants::page::PageRequest;
use latchkey_tenants::tenant::NewTenant;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::auth::{BearerToken, parse_if_match};
use crate::error::ApiResult;
use crate::models::{
    CreateTenant, DeletedTenantDto, SetTenantPlan, TenantDto, TenantList, UpdateTenant,
};
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct TenantsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum TenantCreated {
    /// The tenant, with its data key and signing keys.
    #[oai(status = 201)]
    Created(Json<TenantDto>, #[oai(header = "Location")] String),
}

#[OpenApi(prefix_path = "/api/v1/tenants", tag = "ApiTags::Tenants")]
impl TenantsApi {
    /// Create a tenant
    ///
    /// Creates an isolated tenant with its own data key and ES256 and RS256
    /// signing keys. The slug is a DNS label; reserved and taken slugs are
    /// refused with `409 slug-taken` or `400 invalid-request`.
    #[oai(path = "/", method = "post", operation_id = "createTenant")]
    async fn create(
        &self,
        auth: BearerToken,
        body: Json<CreateTenant>,
    ) -> ApiResult<TenantCreated> {
        let actor = self.state.platform(&auth).await?;
        let Json(body) = body;
        let tenant = self
            .state
            .store
            .tenants()
            .create(
                NewTenant {
                    slug: body.slug.into(),
                    display_name: body.display_name.into(),
                },
                &actor,
            )
            .await?;
        let location = format!("/api/v1/tenants/{}", tenant.slug);
        Ok(TenantCreated::Created(Json(tenant.into()), location))
    }

    /// List tenants
    ///
    /// Oldest first, paginated with `limit` (1–200, default 50) and `cursor`.
    #[oai(path = "/", method = "get", operation_id = "listTenants")]
    async fn list(
        &self,
        auth: BearerToken,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<TenantList>> {
        self.state.platform(&auth).await?;
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        Ok(Json(self.state.store.tenants().list(page).await?.into()))
    }

    /// Get a tenant
    #[oai(path = "/:tenant", method = "get", operation_id = "getTenant")]
    async fn get(&self, auth: BearerToken, tenant: Path<String>) -> ApiResult<Json<TenantDto>> {
        self.state.platform(&auth).await?;
        Ok(Json(
            self.state.store.tenants().get(&tenant.0).await?.into(),
        ))
    }

    /// Rename a tenant
    ///
    /// Changes the display name; the slug never changes. With `If-Match`,
    /// refuses with `412` unless the tenant is still at that version.
    #[oai(path = "/:tenant", method = "patch", operation_id = "updateTenant")]
    async fn update(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<UpdateTenant>,
    ) -> ApiResult<Json<TenantDto>> {
        let actor = self.state.platform(&auth).await?;
        let version = parse_if_match(if_match.0.as_deref())?;
        let t = self
            .state
            .store
            .tenants()
            .rename(&tenant.0, &body.0.display_name, version, &actor)
            .await?;
        Ok(Json(t.into()))
    }

    /// Set a tenant's plan
    ///
    /// Puts the tenant on `free`, `team` or `enterprise` (an operator's
    /// decision, audited in the tenant's log as `tenant.plan`). What each plan
    /// includes comes from the installation's configuration; the tenant's
    /// entitlements change on every node at once.
    #[oai(path = "/:tenant/plan", method = "put", operation_id = "setTenantPlan")]
    async fn set_plan(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        body: Json<SetTenantPlan>,
    ) -> ApiResult<Json<TenantDto>> {
        let actor = self.state.platform(&auth).await?;
        let t = self
            .state
            .store
            .set_tenant_plan(&tenant.0, body.0.plan.as_str(), &actor)
            .await?;
        Ok(Json(t.into()))
    }

    /// Suspend a tenant
    ///
    /// Every tenant surface (API, SCIM, JWKS) refuses requests with
    /// `403 tenant-suspended`; nothing is deleted. Takes effect on every node
    /// within seconds.
    #[oai(
        path = "/:tenant/suspend",
        method = "post",
        operation_id = "suspendTenant"
    )]
    async fn suspend(&self, auth: BearerToken, tenant: Path<String>) -> ApiResult<Json<TenantDto>> {
        let actor = self.state.platform(&auth).await?;
        Ok(Json(
            self.state
                .store
                .tenants()
                .suspend(&tenant.0, &actor)
                .await?
                .into(),
        ))
    }

    /// Resume a suspended tenant
    #[oai(
        path = "/:tenant/resume",
        method = "post",
        operation_id = "resumeTenant"
    )]
    async fn resume(&self, auth: BearerToken, tenant: Path<String>) -> ApiResult<Json<TenantDto>> {
        let actor = self.state.platform(&auth).await?;
        Ok(Json(
            self.state
                .store
                .tenants()
                .resume(&tenant.0, &actor)
                .await?
                .into(),
        ))
    }

    /// Delete a tenant
    ///
    /// Destroys the tenant's data key first (crypto-shredding: its sealed
    /// secrets become unreadable everywhere, backups included), then deletes
    /// all its rows. Irreversible.
    #[oai(path = "/:tenant", method = "delete", operation_id = "deleteTenant")]
    async fn delete(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
    ) -> ApiResult<Json<DeletedTenantDto>> {
        let actor = self.state.platform(&auth).await?;
        let d = self.state.store.tenants().delete(&tenant.0).await?;
        // The tenant's own audit log went with it; the operator log keeps the record.
        tracing::info!(
            actor = %actor.id,
            request_id = %actor.request_id,
            tenant = %d.slug,
            tenant_id = %d.id,
            rows_deleted = d.rows_deleted,
            "tenant deleted; its data key was destroyed first"
        );
        Ok(Json(DeletedTenantDto {
            id: d.id.as_uuid(),
            slug: d.slug,
            data_key_destroyed: d.data_key_destroyed,
            rows_deleted: d.rows_deleted as u64,
        }))
    }
}
