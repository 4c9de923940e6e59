//! What goes over the wire on SCIM: the token, the body as it came, and the
//! answer — a resource, a list, a SCIM error (RFC 7644 §3.12) or nothing —
//! with the statuses the OpenAPI document lists.

use latchkey_tenants::Error;
use latchkey_tenants::scim;
use poem::http::{HeaderValue, StatusCode};
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::auth::Bearer;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaRequest, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef,
    Registry,
};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, SecurityScheme,
};
use serde_json::Value;

use super::CONTENT_TYPE;
use crate::error::classify;

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
    (
        402,
        "A gated feature or a seat the tenant's plan and the licence do not include (SCIM error).",
    ),
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
    Response::builder()
        .status(status)
        .content_type(CONTENT_TYPE)
        .body(error_body(status, scim_type, detail).to_string())
}

/// An answer before it is rendered.
#[derive(Debug)]
pub struct ScimResponse {
    pub status: StatusCode,
    pub body: Option<Value>,
    /// The resource's version, as the `ETag` header.
    pub version: Option<i64>,
    /// The resource's URL: the `Location` header of a 201.
    pub location: Option<String>,
}

impl ScimResponse {
    pub fn ok(body: Value) -> Self {
        ScimResponse::with(StatusCode::OK, Some(body))
    }

    pub fn with(status: StatusCode, body: Option<Value>) -> Self {
        ScimResponse {
            status,
            body,
            version: None,
            location: None,
        }
    }

    /// `error` as a SCIM error document, with the status the one error map
    /// gives it; also what the request log records.
    pub fn failure(error: Error) -> (Self, Option<&'static str>, String) {
        let classified = classify(error);
        let status = StatusCode::from_u16(classified.problem.status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let detail = classified.problem.detail;
        let body = error_body(status, classified.scim_type, &detail);
        (
            ScimResponse::with(status, Some(body)),
            classified.scim_type,
            detail,
        )
    }

    pub fn render(&self) -> Response {
        let mut builder = Response::builder().status(self.status);
        if let Some(tag) = self
            .version
            .and_then(|v| HeaderValue::from_str(&scim::etag(v)).ok())
        {
            builder = builder.header(poem::http::header::ETAG, tag);
        }
        if self.status == StatusCode::CREATED
            && let Some(loc) = self
                .location
                .as_deref()
                .and_then(|l| HeaderValue::from_str(l).ok())
        {
            builder = builder.header(poem::http::header::LOCATION, loc);
        }
        match &self.body {
            Some(body) => builder.content_type(CONTENT_TYPE).body(body.to_string()),
            None => builder.finish(),
        }
    }
}

/// The SCIM error document (RFC 7644 §3.12).
pub fn error_body(status: StatusCode, scim_type: Option<&str>, detail: &str) -> Value {
    let mut body = serde_json::json!({
        "schemas": [scim::schema::ERROR],
        "status": status.as_u16().to_string(),
        "detail": detail,
    });
    if let Some(t) = scim_type {
        body["scimType"] = Value::String(t.into());
    }
    body
}
