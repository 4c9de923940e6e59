//! The SCIM 2.0 endpoint of each tenant, `/t/{tenant}/scim/v2`. Every
//! operation is declared here (so the OpenAPI document shows them) and
//! delegates to one function: authenticate, hand the request to the
//! tenant's SCIM service, render its answer, log the request.

use std::time::Instant;

use latchkey_tenants::keys::tokens::{Principal, TokenKind};
use latchkey_tenants::scim::{self, Method, RequestLogEntry, ScimRequest, ScimResponse};
use latchkey_tenants::{Actor, Error, TenantScope};
use poem::http::{HeaderValue, StatusCode};
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::auth::Bearer;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaRequest, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef,
    Registry,
};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, OpenApi, SecurityScheme,
};
use serde_json::Value;

use crate::app::{ApiTags, AppState};
use crate::observe::current_request_id;

pub const CONTENT_TYPE: &str = "application/scim+json";

/// `/t/{tenant}/scim/v2/…`: where failures answer SCIM errors.
pub fn is_scim_path(path: &str) -> bool {
    path.strip_prefix("/t/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, rest)| rest == "scim/v2" || rest.starts_with("scim/v2/"))
}

/// A SCIM path with trailing slashes answers as without them
/// (`/Users/?filter=…`, as Microsoft's SCIM reference collection sends it).
pub async fn without_trailing_slash(mut req: Request) -> poem::Result<Request> {
    let path = req.uri().path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() == path.len() || !is_scim_path(trimmed) {
        return Ok(req);
    }
    let target = match req.uri().query() {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed.to_owned(),
    };
    if let Ok(pq) = target.parse() {
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = Some(pq);
        if let Ok(uri) = poem::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    Ok(req)
}

/// A SCIM token of the tenant (`lks_…`), or a platform token.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "lks_…")]
pub struct ScimToken(pub Bearer);

/// A SCIM request body: any JSON, as `application/scim+json` or
/// `application/json`. Parsed by the handler, so a malformed body gets a
/// SCIM `invalidSyntax` error and a line in the request log.
pub struct ScimBody(pub Vec<u8>);

impl<'a> ApiExtractor<'a> for ScimBody {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some("A SCIM resource or message (RFC 7643/7644)."),
            content: vec![MetaMediaType {
                content_type: CONTENT_TYPE,
                schema: object_schema(),
            }],
            required: true,
        })
    }

    async fn from_request(
        _request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = body.take()?.into_vec().await?;
        Ok(ScimBody(bytes))
    }
}

fn object_schema() -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema::new("object")))
}

/// A SCIM answer: a resource, a list, a SCIM error, or nothing.
pub struct ScimReply(pub Response);

const STATUSES: &[(u16, &str)] = &[
    (200, "The resource or list."),
    (201, "Created; `Location` and `ETag` name the new resource."),
    (204, "Done; nothing to return."),
    (304, "`If-None-Match` named the current version."),
    (
        400,
        "A SCIM error: `invalidFilter`, `invalidPath`, `invalidValue`, `invalidSyntax`, `noTarget`, `mutability` …",
    ),
    (401, "No token, or not a valid one (SCIM error)."),
    (403, "The token may not provision this tenant (SCIM error)."),
    (404, "No such resource, or no such tenant (SCIM error)."),
    (405, "The endpoint does not take this method (SCIM error)."),
    (
        409,
        "`uniqueness`: the userName or group name is taken (SCIM error).",
    ),
    (
        412,
        "`If-Match` named a version that is no longer current (SCIM error).",
    ),
    (413, "The request is too large (SCIM error)."),
    (
        429,
        "Too many requests; retry after `Retry-After` seconds (SCIM error).",
    ),
    (500, "An internal error (SCIM error)."),
    (501, "Not supported (SCIM error)."),
    (
        503,
        "The database is unreachable or the request timed out (SCIM error).",
    ),
];

impl ApiResponse for ScimReply {
    fn meta() -> MetaResponses {
        let header = |name: &str| MetaHeader {
            name: name.into(),
            description: None,
            required: false,
            deprecated: false,
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
        };
        MetaResponses {
            responses: STATUSES
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: if matches!(status, 204 | 304) {
                        vec![]
                    } else {
                        vec![MetaMediaType {
                            content_type: CONTENT_TYPE,
                            schema: object_schema(),
                        }]
                    },
                    headers: match status {
                        200 | 201 => vec![header("ETag"), header("Location")],
                        204 | 304 => vec![header("ETag")],
                        _ => vec![],
                    },
                })
                .collect(),
        }
    }

    fn register(_registry: &mut Registry) {}
}

impl IntoResponse for ScimReply {
    fn into_response(self) -> Response {
        self.0
    }
}

/// A SCIM error response for an error raised outside the SCIM service
/// (routing, rate limits, body limits), so SCIM clients see one error shape.
pub fn error_reply(status: StatusCode, scim_type: Option<&str>, detail: &str) -> Response {
    let mut body = serde_json::json!({
        "schemas": [scim::schema::ERROR],
        "status": status.as_u16().to_string(),
        "detail": detail,
    });
    if let Some(t) = scim_type {
        body["scimType"] = Value::String(t.into());
    }
    Response::builder()
        .status(status)
        .content_type(CONTENT_TYPE)
        .body(body.to_string())
}

fn render(resp: &ScimResponse) -> Response {
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status);
    if let Some(tag) = resp
        .etag
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
    {
        builder = builder.header(poem::http::header::ETAG, tag);
    }
    if resp.status == 201
        && let Some(loc) = resp
            .location
            .as_deref()
            .and_then(|l| HeaderValue::from_str(l).ok())
    {
        builder = builder.header(poem::http::header::LOCATION, loc);
    }
    match &resp.body {
        Some(body) => builder.content_type(CONTENT_TYPE).body(body.to_string()),
        None => builder.finish(),
    }
}

pub struct ScimApi {
    pub state: AppState,
}

/// Who is provisioning, for the request log.
enum Caller {
    Known {
        scope: TenantScope,
        token: String,
    },
    /// The tenant exists and the request is refused; `token` names the
    /// caller in the log (`unauthenticated` when the token opened nothing).
    Refused {
        tenant: latchkey_tenants::Id,
        token: String,
        error: Error,
    },
    /// No such tenant (or one this token must not learn about): nothing to log into.
    Unknown(Error),
}

impl AppState {
    /// A SCIM token of this tenant, or a platform token. A tenant admin
    /// token is refused: SCIM clients get tokens that can do nothing else.
    ///
    /// The token is checked before the tenant is looked up, so a caller
    /// without a valid token learns nothing about which tenants exist; the
    /// refusal is still logged in the tenant's request log when it exists.
    async fn scim_caller(&self, auth: &ScimToken, slug: &str) -> Caller {
        let authenticated = self.store.authenticate(&auth.0.token).await;
        let tenant = match self.store.tenants().get(slug).await {
            Ok(t) => t,
            Err(e) => {
                return Caller::Unknown(match authenticated {
                    Err(auth_error) => auth_error,
                    Ok(_) => e,
                });
            }
        };
        let principal = match authenticated {
            Ok(p) => p,
            Err(error) => {
                return Caller::Refused {
                    tenant: tenant.id,
                    token: "unauthenticated".into(),
                    error,
                };
            }
        };
        if let Principal::Tenant {
            tenant_id, kind, ..
        } = &principal
        {
            if *tenant_id != tenant.id {
                return Caller::Unknown(Error::NotFound(latchkey_tenants::error::Resource::Tenant));
            }
            if *kind != TokenKind::Scim {
                return Caller::Refused {
                    tenant: tenant.id,
                    token: principal.actor_id(),
                    error: Error::InsufficientScope("scim"),
                };
            }
        }
        tracing::Span::current().record("tenant", tenant.slug.as_str());
        if let Err(error) = tenant.ensure_usable() {
            return Caller::Refused {
                tenant: tenant.id,
                token: principal.actor_id(),
                error,
            };
        }
        let actor = Actor {
            id: principal.actor_id(),
            request_id: current_request_id().unwrap_or_default(),
        };
        Caller::Known {
            token: actor.id.clone(),
            scope: self.store.tenant(tenant, actor),
        }
    }

    fn scim_base(&self, req: &Request, slug: &str) -> String {
        let origin = match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = req
                    .headers()
                    .get(poem::http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                format!("http://{host}")
            }
        };
        format!("{origin}/t/{slug}/scim/v2")
    }

    async fn scim(
        &self,
        auth: ScimToken,
        slug: &str,
        method: Method,
        path: String,
        req: &Request,
        body: Option<ScimBody>,
    ) -> ScimReply {
        let started = Instant::now();
        let raw_query = req.uri().query().unwrap_or("").to_owned();
        let parsed_body: Option<Result<Value, String>> = body
            .filter(|b| !b.0.iter().all(u8::is_ascii_whitespace))
            .map(|b| serde_json::from_slice::<Value>(&b.0).map_err(|e| e.to_string()));
        let logged_body = match &parsed_body {
            Some(Ok(v)) => Some(v.clone()),
            Some(Err(_)) => Some(Value::String("<not JSON>".into())),
            None => None,
        };
        let (tenant_for_log, token, outcome) = match self.scim_caller(&auth, slug).await {
            Caller::Unknown(e) => (None, String::new(), Err(e)),
            Caller::Refused {
                tenant,
                token,
                error,
            } => (Some(tenant), token, Err(error)),
            Caller::Known { scope, token } => {
                let outcome = match parsed_body {
                    Some(Err(e)) => Err(Error::scim(
                        "invalidSyntax",
                        format!("the body is not JSON: {e}"),
                    )),
                    other => {
                        let query = req.params::<Vec<(String, String)>>().unwrap_or_default();
                        let header = |name: &str| {
                            req.headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned)
                        };
                        let request = ScimRequest {
                            method,
                            path: path.clone(),
                            query,
                            if_match: header("if-match"),
                            if_none_match: header("if-none-match"),
                            body: other.and_then(Result::ok),
                        };
                        scope
                            .scim(self.scim_base(req, slug), self.max_body_bytes)
                            .handle(request)
                            .await
                    }
                };
                (Some(scope.tenant().id), token, outcome)
            }
        };
        let (response, status, scim_type, detail) = match outcome {
            Ok(resp) => (render(&resp), resp.status, None, None),
            Err(e) => {
                if matches!(e, Error::Internal(_) | Error::Config(_)) {
                    tracing::error!(error = %e, "internal error");
                }
                let (status, body) = scim::error_response(&e);
                let scim_type = body
                    .get("scimType")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let detail = body
                    .get("detail")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let resp = render(&ScimResponse {
                    status,
                    body: Some(body),
                    etag: None,
                    location: None,
                });
                (resp, status, scim_type, detail)
            }
        };
        if let Some(tenant_id) = tenant_for_log {
            let method_name = match method {
                Method::Get => "GET",
                Method::Post => "POST",
                Method::Put => "PUT",
                Method::Patch => "PATCH",
                Method::Delete => "DELETE",
            };
            self.store.log_scim_request(RequestLogEntry {
                tenant_id,
                token_id: token,
                method: method_name.into(),
                path: if raw_query.is_empty() {
                    path
                } else {
                    format!("{path}?{raw_query}")
                },
                status,
                scim_type,
                detail,
                duration: started.elapsed(),
                request_id: current_request_id().unwrap_or_default(),
                body: logged_body,
            });
        }
        ScimReply(response)
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
        self.state
            .scim(
                auth,
                &tenant.0,
                Method::Get,
                "/ServiceProviderConfig".into(),
                req,
                None,
            )
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
        self.state
            .scim(
                auth,
                &tenant.0,
                Method::Get,
                "/ResourceTypes".into(),
                req,
                None,
            )
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
        self.state
            .scim(
                auth,
                &tenant.0,
                Method::Get,
                format!("/ResourceTypes/{}", id.0),
                req,
                None,
            )
            .await
    }

    /// SCIM: list schemas
    #[oai(
        path = "/t/:tenant/scim/v2/Schemas",
        method = "get",
        operation_id = "scimListSchemas"
    )]
    async fn schemas(&self, auth: ScimToken, tenant: Path<String>, req: &Request) -> ScimReply {
        self.state
            .scim(auth, &tenant.0, Method::Get, "/Schemas".into(), req, None)
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
        self.state
            .scim(
                auth,
                &tenant.0,
                Method::Get,
                format!("/Schemas/{}", id.0),
                req,
                None,
            )
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
        self.state
            .scim(
                auth,
                &tenant.0,
                Method::Post,
                "/Bulk".into(),
                req,
                Some(body),
            )
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
        self.state
            .scim(
                auth,
                &tenant.0,
                Method::Post,
                "/.search".into(),
                req,
                Some(body),
            )
            .await
    }
}

/// The operations of one resource type, declared once for Users and Groups.
macro_rules! resource_api {
    ($api:ident, $endpoint:literal, $search_path:literal, $item_path:literal, $kind:literal, $list:literal, $create:literal, $search:literal, $get:literal, $put:literal, $patch:literal, $delete:literal) => {
        pub struct $api {
            pub state: AppState,
        }

        #[OpenApi(tag = "ApiTags::Scim")]
        impl $api {
            /// SCIM: list or filter
            ///
            /// `filter` (RFC 7644 §3.4.2.2), `sortBy`/`sortOrder`,
            /// `startIndex` (1-based)/`count` (at most `filter.maxResults`),
            /// `attributes`/`excludedAttributes`.
            #[allow(clippy::too_many_arguments)]
            #[oai(path = $endpoint, method = "get", operation_id = $list)]
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
                // Read from the raw query by the SCIM service, which answers
                // SCIM errors; declared here for the document.
                let _ = (
                    filter,
                    sort_by,
                    sort_order,
                    start_index,
                    count,
                    attributes,
                    excluded,
                );
                self.state
                    .scim(auth, &tenant.0, Method::Get, $kind.into(), req, None)
                    .await
            }

            /// SCIM: create
            #[oai(path = $endpoint, method = "post", operation_id = $create)]
            async fn create(
                &self,
                auth: ScimToken,
                tenant: Path<String>,
                req: &Request,
                body: ScimBody,
            ) -> ScimReply {
                self.state
                    .scim(auth, &tenant.0, Method::Post, $kind.into(), req, Some(body))
                    .await
            }

            /// SCIM: search with a SearchRequest body
            #[oai(path = $search_path, method = "post", operation_id = $search)]
            async fn search(
                &self,
                auth: ScimToken,
                tenant: Path<String>,
                req: &Request,
                body: ScimBody,
            ) -> ScimReply {
                self.state
                    .scim(
                        auth,
                        &tenant.0,
                        Method::Post,
                        concat!($kind, "/.search").into(),
                        req,
                        Some(body),
                    )
                    .await
            }

            /// SCIM: get by id
            ///
            /// `If-None-Match` with the current ETag answers 304.
            #[allow(clippy::too_many_arguments)]
            #[oai(path = $item_path, method = "get", operation_id = $get)]
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
                let _ = (if_none_match, attributes, excluded);
                self.state
                    .scim(
                        auth,
                        &tenant.0,
                        Method::Get,
                        format!("{}/{}", $kind, id.0),
                        req,
                        None,
                    )
                    .await
            }

            /// SCIM: replace
            ///
            /// `If-Match` with a stale ETag answers 412.
            #[oai(path = $item_path, method = "put", operation_id = $put)]
            async fn put(
                &self,
                auth: ScimToken,
                tenant: Path<String>,
                id: Path<String>,
                req: &Request,
                #[oai(name = "If-Match")] if_match: Header<Option<String>>,
                body: ScimBody,
            ) -> ScimReply {
                let _ = if_match;
                self.state
                    .scim(
                        auth,
                        &tenant.0,
                        Method::Put,
                        format!("{}/{}", $kind, id.0),
                        req,
                        Some(body),
                    )
                    .await
            }

            /// SCIM: patch
            ///
            /// A PatchOp: `add`, `replace`, `remove` (any case), with or
            /// without `path`, value-filter paths, extension URNs.
            #[oai(path = $item_path, method = "patch", operation_id = $patch)]
            async fn patch(
                &self,
                auth: ScimToken,
                tenant: Path<String>,
                id: Path<String>,
                req: &Request,
                #[oai(name = "If-Match")] if_match: Header<Option<String>>,
                body: ScimBody,
            ) -> ScimReply {
                let _ = if_match;
                self.state
                    .scim(
                        auth,
                        &tenant.0,
                        Method::Patch,
                        format!("{}/{}", $kind, id.0),
                        req,
                        Some(body),
                    )
                    .await
            }

            /// SCIM: delete
            #[oai(path = $item_path, method = "delete", operation_id = $delete)]
            async fn delete(
                &self,
                auth: ScimToken,
                tenant: Path<String>,
                id: Path<String>,
                req: &Request,
                #[oai(name = "If-Match")] if_match: Header<Option<String>>,
            ) -> ScimReply {
                let _ = if_match;
                self.state
                    .scim(
                        auth,
                        &tenant.0,
                        Method::Delete,
                        format!("{}/{}", $kind, id.0),
                        req,
                        None,
                    )
                    .await
            }
        }
    };
}

resource_api!(
    ScimUsersApi,
    "/t/:tenant/scim/v2/Users",
    "/t/:tenant/scim/v2/Users/.search",
    "/t/:tenant/scim/v2/Users/:id",
    "/Users",
    "scimListUsers",
    "scimCreateUser",
    "scimSearchUsers",
    "scimGetUser",
    "scimReplaceUser",
    "scimPatchUser",
    "scimDeleteUser"
);
resource_api!(
    ScimGroupsApi,
    "/t/:tenant/scim/v2/Groups",
    "/t/:tenant/scim/v2/Groups/.search",
    "/t/:tenant/scim/v2/Groups/:id",
    "/Groups",
    "scimListGroups",
    "scimCreateGroup",
    "scimSearchGroups",
    "scimGetGroup",
    "scimReplaceGroup",
    "scimPatchGroup",
    "scimDeleteGroup"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tenant_scim_paths_are_scim_paths() {
        assert!(is_scim_path("/t/acme/scim/v2/Users"));
        assert!(is_scim_path("/t/acme/scim/v2"));
        assert!(!is_scim_path("/api/v1/tenants/acme/scim/requests"));
        assert!(!is_scim_path("/t/acme/.well-known/jwks.json"));
        assert!(!is_scim_path("/t/acme/scim/v20"));
    }

    async fn trimmed(target: &str) -> String {
        let req = Request::builder().uri(target.parse().unwrap()).finish();
        without_trailing_slash(req).await.unwrap().uri().to_string()
    }

    #[tokio::test]
    async fn a_scim_path_loses_its_trailing_slashes_and_keeps_its_query() {
        assert_eq!(
            trimmed("/t/acme/scim/v2/Users/?filter=x").await,
            "/t/acme/scim/v2/Users?filter=x"
        );
        assert_eq!(
            trimmed("/t/acme/scim/v2/Users/abc//").await,
            "/t/acme/scim/v2/Users/abc"
        );
    }

    #[tokio::test]
    async fn other_paths_keep_their_trailing_slash() {
        assert_eq!(trimmed("/api/v1/tenants/").await, "/api/v1/tenants/");
        assert_eq!(trimmed("/t/acme/").await, "/t/acme/");
    }
}
