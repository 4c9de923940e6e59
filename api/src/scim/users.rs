//! `/Users`: the operations on users, each handed to its module with the
//! path and headers poem-openapi parsed.

use latchkey_tenants::scim::ResourceKind;
use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};

use super::call::Call;
use super::exchange::Operation;
use super::reply::{ScimBody, ScimReply, ScimToken};
use crate::state::AppState;
use crate::tags::ApiTags;

const KIND: ResourceKind = ResourceKind::User;

pub struct ScimUsersApi {
    pub state: AppState,
}

#[OpenApi(tag = "ApiTags::Scim")]
impl ScimUsersApi {
    /// SCIM: list or filter
    ///
    /// `filter` (RFC 7644 §3.4.2.2), `sortBy`/`sortOrder`,
    /// `startIndex` (1-based)/`count` (at most `filter.maxResults`),
    /// `attributes`/`excludedAttributes`.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/t/:tenant/scim/v2/Users",
        method = "get",
        operation_id = "scimListUsers"
    )]
    async fn list(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        req: &Request,
        filter: Query<Option<String>>,
        #[oai(name = "sortBy")] sort_by: Query<Option<String>>,
        #[oai(name = "sortOrder")] sort_order: Query<Option<String>>,
        #[oai(name = "startIndex")] start_index: Query<Option<String>>,
        count: Query<Option<String>>,
        attributes: Query<Option<String>>,
        #[oai(name = "excludedAttributes")] excluded: Query<Option<String>>,
    ) -> ScimReply {
        // Declared for the document; read from the query as sent, because
        // SCIM clients vary the case of parameter names (`startindex`).
        let _declared = (
            filter,
            sort_by,
            sort_order,
            start_index,
            count,
            attributes,
            excluded,
        );
        let call = Call::default();
        self.state
            .scim(auth, &tenant, req, Operation::List(KIND), call, None)
            .await
    }

    /// SCIM: create
    #[oai(
        path = "/t/:tenant/scim/v2/Users",
        method = "post",
        operation_id = "scimCreateUser"
    )]
    async fn create(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        req: &Request,
        body: ScimBody,
    ) -> ScimReply {
        let call = Call::default();
        self.state
            .scim(
                auth,
                &tenant,
                req,
                Operation::Create(KIND),
                call,
                Some(body),
            )
            .await
    }

    /// SCIM: search with a SearchRequest body
    #[oai(
        path = "/t/:tenant/scim/v2/Users/.search",
        method = "post",
        operation_id = "scimSearchUsers"
    )]
    async fn search(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        req: &Request,
        body: ScimBody,
    ) -> ScimReply {
        let call = Call::default();
        self.state
            .scim(
                auth,
                &tenant,
                req,
                Operation::Search(KIND),
                call,
                Some(body),
            )
            .await
    }

    /// SCIM: get by id
    ///
    /// `If-None-Match` with the current ETag answers 304.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/t/:tenant/scim/v2/Users/:id",
        method = "get",
        operation_id = "scimGetUser"
    )]
    async fn get(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        id: Path<String>,
        req: &Request,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
        attributes: Query<Option<String>>,
        #[oai(name = "excludedAttributes")] excluded: Query<Option<String>>,
    ) -> ScimReply {
        let _declared = (attributes, excluded);
        let call = Call::if_none_match(if_none_match.0);
        self.state
            .scim(auth, &tenant, req, Operation::Get(KIND, id.0), call, None)
            .await
    }

    /// SCIM: replace
    ///
    /// `If-Match` with a stale ETag answers 412.
    #[oai(
        path = "/t/:tenant/scim/v2/Users/:id",
        method = "put",
        operation_id = "scimReplaceUser"
    )]
    async fn put(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        id: Path<String>,
        req: &Request,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: ScimBody,
    ) -> ScimReply {
        let call = Call::if_match(if_match.0);
        let operation = Operation::Replace(KIND, id.0);
        self.state
            .scim(auth, &tenant, req, operation, call, Some(body))
            .await
    }

    /// SCIM: patch
    ///
    /// A PatchOp: `add`, `replace`, `remove` (any case), with or
    /// without `path`, value-filter paths, extension URNs.
    #[oai(
        path = "/t/:tenant/scim/v2/Users/:id",
        method = "patch",
        operation_id = "scimPatchUser"
    )]
    async fn patch(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        id: Path<String>,
        req: &Request,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: ScimBody,
    ) -> ScimReply {
        let call = Call::if_match(if_match.0);
        let operation = Operation::Patch(KIND, id.0);
        self.state
            .scim(auth, &tenant, req, operation, call, Some(body))
            .await
    }

    /// SCIM: delete
    #[oai(
        path = "/t/:tenant/scim/v2/Users/:id",
        method = "delete",
        operation_id = "scimDeleteUser"
    )]
    async fn delete(
        &self,
        auth: ScimToken,
        tenant: Path<String>,
        id: Path<String>,
        req: &Request,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> ScimReply {
        let call = Call::if_match(if_match.0);
        self.state
            .scim(
                auth,
                &tenant,
                req,
                Operation::Delete(KIND, id.0),
                call,
                None,
            )
            .await
    }
}
