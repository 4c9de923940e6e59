//! What every request passes through: a request id, a tracing span (joined to
//! the caller's W3C trace context), a body size limit, a timeout, metrics, and
//! the translation of stray errors into problem documents.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::error::{FieldError, Problem, problem_for_poem_error};
use crate::fields::FieldLocator;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;

pub struct Observe {
    pub metrics: Arc<Metrics>,
    pub max_body_bytes: usize,
    pub timeout: Duration,
    pub limiter: Arc<RateLimiter>,
    pub fields: Arc<FieldLocator>,
}

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ObserveEndpoint {
            inner: ep,
            metrics: self.metrics.clone(),
            max_body_bytes: self.max_body_bytes,
            timeout: self.timeout,
            limiter: self.limiter.clone(),
            fields: self.fields.clone(),
        }
    }
}

pub struct ObserveEndpoint<E> {
    inner: E,
    metrics: Arc<Metrics>,
    max_body_bytes: usize,
    timeout: Duration,
    limiter: Arc<RateLimiter>,
    fields: Arc<FieldLocator>,
}

struct HeaderExtractor<'a>(&'a poem::http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// A caller's request id is kept only when it is short and printable, so it
/// cannot smuggle anything into logs.
fn request_id_from(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// A failure outside the handlers, in the shape its caller expects: a SCIM
/// error on SCIM paths, a problem document everywhere else.
fn failure(scim: bool, problem: Problem) -> Response {
    if scim {
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let scim_type = (problem.code == "invalid-body").then_some("invalidSyntax");
        return crate::scim::error_reply(status, scim_type, &problem.detail);
    }
    problem_response(problem)
}

fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body =
        serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&problem)).unwrap_or_default();
    Response::builder()
        .status(status)
        .content_type("application/problem+json")
        .body(body)
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let request_id = request_id_from(&req);
        let method = req.method().to_string();
        let span = request_span(&req, &method, &request_id);
        let scim = crate::scim::is_scim_path(req.uri().path());
        let address = self.limiter.client_address(
            req.remote_addr().as_socket_addr().map(|a| a.ip()),
            req.headers(),
        );
        let limited = self.limiter.check(address, bearer_token(&req).as_deref());
        let refused = crate::wire::refusal::of(&req);
        let work = self.handle(req, scim, limited, refused);
        let mut resp = crate::request_id::REQUEST_ID
            .scope(request_id.clone(), work.instrument(span.clone()))
            .await;
        self.record(&span, &method, &request_id, started, &mut resp);
        Ok(resp)
    }
}

impl<E: Endpoint> ObserveEndpoint<E> {
    /// The request's answer: refused before any handler runs (rate limit,
    /// malformed request, oversized or unreadable body), or the handler's,
    /// bounded by the timeout.
    async fn handle(
        &self,
        mut req: Request,
        scim: bool,
        limited: Result<(), Duration>,
        refused: Option<crate::wire::refusal::Kind>,
    ) -> Response {
        if let Err(retry_after) = limited {
            return rate_limited(scim, retry_after);
        }
        if let Some(refused) = refused {
            return failure(scim, refused.problem());
        }
        let max = self.max_body_bytes;
        if declared_length(&req).is_some_and(|n| n > max) {
            return failure(scim, too_large(max));
        }
        // The body is read here, and handed back to the handler, so that a
        // handler's body error can be traced to the field at fault.
        let body = match req.take_body().into_bytes_limit(max).await {
            Ok(bytes) => {
                req.set_body(bytes.clone());
                bytes
            }
            Err(e) => return failure(scim, unreadable(e, max)),
        };
        match tokio::time::timeout(self.timeout, self.inner.call(req)).await {
            Ok(Ok(resp)) => resp.into_response(),
            Ok(Err(err)) if err.is_from_response() => err.into_response(),
            Ok(Err(err)) => self.handler_failure(scim, &err, &body),
            Err(_) => failure(
                scim,
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    format!(
                        "the request did not finish within {} s",
                        self.timeout.as_secs()
                    ),
                ),
            ),
        }
    }

    /// A handler's error as a response; an invalid body names the field at
    /// fault when the operation's body schema can find it.
    fn handler_failure(&self, scim: bool, err: &poem::Error, body: &[u8]) -> Response {
        let operation = err.data::<poem_openapi::OperationId>().copied();
        let mut problem = problem_for_poem_error(err);
        if problem.code == "invalid-body"
            && let Some((field, why)) = operation.and_then(|op| self.fields.locate(op.0, body))
        {
            problem.detail = format!("{field}: {why}");
            problem.errors = Some(vec![FieldError {
                field,
                message: why,
            }]);
        }
        let mut resp = failure(scim, problem);
        if let Some(op) = operation {
            resp.set_data(op);
        }
        resp
    }

    /// Records the finished request on its span, in the metrics and in the
    /// log, and gives the response its request id.
    fn record(
        &self,
        span: &tracing::Span,
        method: &str,
        request_id: &str,
        started: Instant,
        resp: &mut Response,
    ) {
        let status = resp.status().as_u16();
        let route = resp
            .data::<poem_openapi::OperationId>()
            .map(|op| op.0)
            .unwrap_or("unmatched");
        span.record("http.route", route);
        span.record("http.response.status_code", status);
        let elapsed = started.elapsed();
        self.metrics.observe_request(method, route, status, elapsed);
        if let Ok(value) = HeaderValue::from_str(request_id) {
            resp.headers_mut().insert("x-request-id", value);
        }
        span.in_scope(|| {
            tracing::info!(
                status,
                route,
                latency_ms = elapsed.as_secs_f64() * 1000.0,
                "request"
            );
        });
    }
}

/// The request's span, a child of the caller's trace when the request carries
/// a W3C trace context.
fn request_span(req: &Request, method: &str, request_id: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "http.request",
        http.request.method = %method,
        url.path = %req.uri().path(),
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        tenant = tracing::field::Empty,
        request_id = %request_id,
    );
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(req.headers()));
    let _ = span.set_parent(parent);
    span
}

fn bearer_token(req: &Request) -> Option<String> {
    req.headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

fn declared_length(req: &Request) -> Option<usize> {
    req.headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

fn rate_limited(scim: bool, retry_after: Duration) -> Response {
    let mut resp = failure(
        scim,
        Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!("too many requests; retry in {} s", retry_after.as_secs()),
        ),
    );
    resp.headers_mut().insert(
        poem::http::header::RETRY_AFTER,
        HeaderValue::from(retry_after.as_secs()),
    );
    resp
}

fn unreadable(e: poem::error::ReadBodyError, max: usize) -> Problem {
    match e {
        poem::error::ReadBodyError::PayloadTooLarge => too_large(max),
        e => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-body",
            format!("the request body could not be read: {e}"),
        ),
    }
}

fn too_large(max: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!("the request body is larger than {max} bytes"),
    )
}
