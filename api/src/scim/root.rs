//! The endpoints at the SCIM base that are not a resource type's:
//! discovery, Bulk and `/.search`.

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;

use super::call::Call;
use super::exchange::Operation;
use super::reply::{ScimBody, ScimReply, ScimToken};
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct ScimApi {
    pub state: AppState,
}

impl ScimApi {
    async fn serve(
        &self,
        auth: ScimToken,
        tenant: &str,
        req: &Request,
        operation: Operation,
        body: Option<ScimBody>,
    ) -> ScimReply {
        self.state
            .scim(auth, tenant, req, operation, Call::default(), body)
            .await
    }
}

#[OpenApi(tag = "ApiTags::Scim")]
impl ScimApi {
    /// SCIM: service provider configuration
    ///
    /// What this service provider supports (RFC 7644 §5): PATCH, Bulk (with
    /// its limits), filter (with `maxResults`), sort, ETags, password change.
    #[oai(
        path = "/t/:tenant/scim/v2/ServiceProviderConfig",
        method = "get",
        operation_id = "scimServiceProviderConfig"
    )]
    async fn service_provider_config(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        req: &Request,
    ) -> ScimReply {
        self.serve(auth, &tenant, req, Operation::ServiceProviderConfig, None)
            .await
    }

    /// SCIM: list resource types
    #[oai(
        path = "/t/:tenant/scim/v2/ResourceTypes",
        method = "get",
        operation_id = "scimListResourceTypes"
    )]
    async fn resource_types(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        req: &Request,
    ) -> ScimReply {
        self.serve(auth, &tenant, req, Operation::ResourceTypes, None)
            .await
    }

    /// SCIM: get a resource type (`User`, `Group`)
    #[oai(
        path = "/t/:tenant/scim/v2/ResourceTypes/:id",
        method = "get",
        operation_id = "scimGetResourceType"
    )]
    async fn resource_type(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        id: Path<String>,
        req: &Request,
    ) -> ScimReply {
        self.serve(auth, &tenant, req, Operation::ResourceType(id.0), None)
            .await
    }

    /// SCIM: list schemas
    #[oai(
        path = "/t/:tenant/scim/v2/Schemas",
        method = "get",
        operation_id = "scimListSchemas"
    )]
    async fn schemas(&self, auth: ScimToken, tenant: Path<String>, req: &Request) -> ScimReply {
        self.serve(auth, &tenant, req, Operation::Schemas, None)
            .await
    }

    /// SCIM: get a schema by its URN
    #[oai(
        path = "/t/:tenant/scim/v2/Schemas/:id",
        method = "get",
        operation_id = "scimGetSchema"
    )]
    async fn schema(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        id: Path<String>,
        req: &Request,
    ) -> ScimReply {
        self.serve(auth, &tenant, req, Operation::Schema(id.0), None)
            .await
    }

    /// SCIM: bulk operations
    ///
    /// Up to `bulk.maxOperations` POST/PUT/PATCH/DELETE operations in order;
    /// `bulkId:<id>` in a later operation names a resource created earlier;
    /// `failOnErrors` stops after that many failures.
    #[oai(
        path = "/t/:tenant/scim/v2/Bulk",
        method = "post",
        operation_id = "scimBulk"
    )]
    async fn bulk(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        req: &Request,
        body: ScimBody,
    ) -> ScimReply {
        self.serve(auth, &tenant, req, Operation::Bulk, Some(body))
            .await
    }

    /// SCIM: search across resource types
    ///
    /// A SearchRequest over Users and Groups as one list (Users first). A
    /// type that lacks an attribute the filter names contributes nothing.
    #[oai(
        path = "/t/:tenant/scim/v2/.search",
        method = "post",
        operation_id = "scimSearchAll"
    )]
    async fn search_all(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        req: &Request,
        body: ScimBody,
    ) -> ScimReply {
        self.serve(auth, &tenant, req, Operation::SearchAll, Some(body))
            .await
    }
}
