//! One mapping from every failure to HTTP: RFC 9457 `application/problem+json`
//! with a stable `code`. Domain errors, request-parsing errors of poem-openapi
//! and routing errors all end here, so clients see one error shape.

use latchkey_tenants::Error;
use latchkey_tenants::error::{AuthFailure, LinkFailure, Resource, ScimError};
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct Problem {
    /// A URI naming the kind of problem; stable, one per `code`.
    #[oai(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence, in words meant for a person.
    pub detail: String,
    /// The stable machine-readable code, e.g. `slug-taken`.
    pub code: String,
    /// The request id; quote it when reporting a problem.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
    /// For validation errors: the offending fields.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldError>>,
    /// For `feature-not-entitled`: the feature refused, e.g. `audit_export`.
    #[oai(skip_serializing_if_is_none)]
    pub feature: Option<String>,
}

impl poem_openapi::types::Example for Problem {
    fn example() -> Self {
        Problem::new(
            StatusCode::CONFLICT,
            "slug-taken",
            "the slug `acme` is already taken",
        )
    }
}

#[derive(Debug, Clone, Object)]
pub struct FieldError {
    /// The field, as named in the request (`slug`, `limit`, `If-Match` …).
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://latchkey.dev/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            request_id: crate::request_id::current_request_id(),
            errors: None,
            feature: None,
        }
    }

    pub fn with_field(mut self, field: &str, message: &str) -> Self {
        self.errors = Some(vec![FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        }]);
        self
    }
}

/// Every error an operation can answer with.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed or breaks a rule; `errors` names the field.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No token, or a token that is unknown, expired or revoked.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The token is valid but may not do this, or the tenant is suspended.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource for this caller.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The change collides with stored state.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// A gated feature the tenant's plan and the installation's licence do
    /// not include (`feature-not-entitled`), or no seat is left for a new
    /// active internal user (`seats-exhausted`).
    #[oai(status = 402, content_type = "application/problem+json")]
    PaymentRequired(Json<Problem>),
    /// `If-Match` named a version that is no longer current.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Problem>),
    /// The request body is larger than the configured limit.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (or no `Content-Type` was sent).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Too many requests from this address or with this token; see `Retry-After`.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>),
    /// A fault on our side; the detail never carries internals.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// The database is unreachable or overloaded; retry later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

impl ApiError {
    pub fn from_problem(problem: Problem) -> Self {
        let p = Json(problem);
        match p.0.status {
            400 => ApiError::BadRequest(p),
            401 => ApiError::Unauthorized(p),
            402 => ApiError::PaymentRequired(p),
            403 => ApiError::Forbidden(p),
            404 => ApiError::NotFound(p),
            409 => ApiError::Conflict(p),
            412 => ApiError::PreconditionFailed(p),
            413 => ApiError::PayloadTooLarge(p),
            415 => ApiError::UnsupportedMediaType(p),
            429 => ApiError::TooManyRequests(p),
            503 => ApiError::Unavailable(p),
            _ => ApiError::Internal(p),
        }
    }

    pub fn invalid(field: &str, message: &str) -> Self {
        ApiError::from_problem(
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-request",
                format!("{field}: {message}"),
            )
            .with_field(field, message),
        )
    }
}

fn not_found_code(resource: Resource) -> &'static str {
    match resource {
        Resource::Tenant => "tenant-not-found",
        Resource::User => "user-not-found",
        Resource::Group => "group-not-found",
        Resource::Member => "member-not-found",
        Resource::Token => "token-not-found",
        Resource::SigningKey => "signing-key-not-found",
        Resource::License => "license-not-found",
        Resource::Session => "session-not-found",
        Resource::Factor => "factor-not-found",
    }
}

fn auth_code(failure: AuthFailure) -> &'static str {
    match failure {
        AuthFailure::Missing => "token-missing",
        AuthFailure::Malformed | AuthFailure::Unknown => "token-invalid",
        AuthFailure::Expired => "token-expired",
        AuthFailure::Revoked => "token-revoked",
        AuthFailure::Credentials => "credentials-invalid",
        AuthFailure::Session => "session-invalid",
        AuthFailure::Code => "code-invalid",
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError::from_problem(classify(err).problem)
    }
}

/// An error as both surfaces answer it: the problem document (status, code,
/// words) and, for SCIM's error body, the `scimType`.
pub struct Classified {
    pub problem: Problem,
    pub scim_type: Option<&'static str>,
}

fn scim_status(kind: ScimError) -> (StatusCode, &'static str) {
    match kind {
        ScimError::Uniqueness => (StatusCode::CONFLICT, "uniqueness"),
        ScimError::TooManyOperations => (StatusCode::PAYLOAD_TOO_LARGE, "too-many"),
        ScimError::UnresolvedBulkId => (StatusCode::CONFLICT, "invalid-value"),
        ScimError::NoSuchResource => (StatusCode::NOT_FOUND, "not-found"),
        ScimError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed"),
        ScimError::UnknownVersion => (StatusCode::PRECONDITION_FAILED, "version-mismatch"),
        ScimError::InvalidFilter => (StatusCode::BAD_REQUEST, "invalid-filter"),
        ScimError::InvalidSyntax => (StatusCode::BAD_REQUEST, "invalid-syntax"),
        ScimError::InvalidPath => (StatusCode::BAD_REQUEST, "invalid-path"),
        ScimError::NoTarget => (StatusCode::BAD_REQUEST, "no-target"),
        ScimError::InvalidValue => (StatusCode::BAD_REQUEST, "invalid-value"),
        ScimError::Mutability => (StatusCode::BAD_REQUEST, "mutability"),
    }
}

/// The code of a sign-in attempt refused by the throttle.
const THROTTLED: &str = "sign-in-throttled";

/// The one map from domain errors to HTTP: every error has one status on
/// the REST API and on SCIM.
pub fn classify(err: Error) -> Classified {
    let detail = err.to_string();
    let scim_type = match &err {
        Error::Scim { kind, .. } => kind.scim_type(),
        Error::Invalid { .. } => Some("invalidValue"),
        Error::Conflict { .. } => Some("uniqueness"),
        _ => None,
    };
    let problem = match err {
        Error::Invalid { field, message } => {
            Problem::new(StatusCode::BAD_REQUEST, "invalid-request", detail)
                .with_field(&field, &message)
        }
        Error::NotFound(r) => Problem::new(StatusCode::NOT_FOUND, not_found_code(r), detail),
        Error::Scim { kind, .. } => {
            let (status, code) = scim_status(kind);
            Problem::new(status, code, detail)
        }
        Error::Conflict { code, .. } => Problem::new(StatusCode::CONFLICT, code, detail),
        Error::VersionMismatch { .. } => {
            Problem::new(StatusCode::PRECONDITION_FAILED, "version-mismatch", detail)
        }
        Error::Unauthenticated(f) => Problem::new(StatusCode::UNAUTHORIZED, auth_code(f), detail),
        Error::Throttled { .. } => Problem::new(StatusCode::TOO_MANY_REQUESTS, THROTTLED, detail),
        Error::InsufficientScope(_) => {
            Problem::new(StatusCode::FORBIDDEN, "insufficient-scope", detail)
        }
        Error::TenantSuspended(_) => {
            Problem::new(StatusCode::FORBIDDEN, "tenant-suspended", detail)
        }
        Error::TenantDeleting(_) => Problem::new(StatusCode::FORBIDDEN, "tenant-deleting", detail),
        Error::TenantPending(_) => Problem::new(StatusCode::FORBIDDEN, "tenant-pending", detail),
        Error::LinkRefused(f) => Problem::new(
            StatusCode::BAD_REQUEST,
            match f {
                LinkFailure::Invalid => "link-invalid",
                LinkFailure::Expired => "link-expired",
            },
            detail,
        ),
        Error::NotEntitled { feature, .. } => {
            let mut p = Problem::new(StatusCode::PAYMENT_REQUIRED, "feature-not-entitled", detail);
            p.feature = Some(feature.to_owned());
            p
        }
        Error::SeatsExhausted(_) => {
            Problem::new(StatusCode::PAYMENT_REQUIRED, "seats-exhausted", detail)
        }
        Error::Upstream(_) => {
            // 503 like the database's unavailability (every operation
            // already documents it); the code and detail say it is Stripe.
            tracing::warn!(error = %detail, "upstream service failed");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "billing-provider-unavailable",
                detail,
            )
        }
        Error::Unavailable(_) => {
            // The cause (host, port, driver message) is for the log only.
            tracing::warn!(error = %detail, "service unavailable");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service cannot reach its database right now; retry later",
            )
        }
        Error::Config(_) | Error::Internal(_) => {
            // Internals go to the log, tied to the request id; never to the client.
            tracing::error!(error = %detail, "internal error");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred; quote the request id when reporting it",
            )
        }
    };
    Classified { problem, scim_type }
}

/// Turns errors raised outside our handlers (unparsable bodies and
/// parameters, missing credentials, unknown routes) into problem documents.
pub fn problem_for_poem_error(err: &poem::Error) -> Problem {
    use poem_openapi::error::{
        AuthorizationError, ContentTypeError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        return Problem::new(StatusCode::BAD_REQUEST, "invalid-request", e.to_string())
            .with_field(e.name, &e.reason);
    }
    if let Some(e) = err.downcast_ref::<ParsePathError>() {
        // A path that does not parse names no resource that exists.
        return Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no resource at this path ({})", e.reason),
        );
    }
    if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-body",
            format!("the request body is not valid: {}", e.reason),
        )
        .with_field(&payload_field(&e.reason), &e.reason);
    }
    if err.is::<AuthorizationError>() {
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "token-missing",
            "send a token as `Authorization: Bearer <token>`",
        );
    }
    if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        return Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            e.to_string(),
        );
    }
    let status = err.status();
    match status {
        StatusCode::NOT_FOUND => Problem::new(status, "not-found", "no resource at this path"),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            status,
            "method-not-allowed",
            "this path does not support the method",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(status, "payload-too-large", err.to_string()),
        StatusCode::SERVICE_UNAVAILABLE => Problem::new(status, "unavailable", err.to_string()),
        s if s.is_client_error() => Problem::new(s, "invalid-request", err.to_string()),
        s => {
            tracing::error!(error = %err, status = s.as_u16(), "unhandled error");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred; quote the request id when reporting it",
            )
        }
    }
}

/// poem-openapi reports payload errors as `failed to parse "T": … (occurred
/// while parsing "field")`; pull out the innermost field name when present.
fn payload_field(reason: &str) -> String {
    reason
        .rsplit("occurred while parsing \"")
        .next()
        .filter(|_| reason.contains("occurred while parsing"))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .unwrap_or_else(|| "body".to_owned())
}

pub type ApiResult<T> = Result<T, ApiError>;
