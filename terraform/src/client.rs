//! The REST client: the provider speaks only the public Latchkey API.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value as Json;
use tf_provider::Diagnostics;

/// A configured connection to one Latchkey server.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    token: String,
}

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// The server answered with an RFC 9457 problem (or another error status).
    Problem {
        status: u16,
        title: String,
        code: String,
        detail: String,
    },
    /// The server could not be reached or answered something unreadable.
    Transport(String),
}

impl ApiError {
    /// Whether the server said the resource (or the tenant around it) does
    /// not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Problem { status: 404, .. })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Problem {
                status,
                title,
                code,
                detail,
            } => {
                write!(f, "{detail}")?;
                if !code.is_empty() {
                    write!(f, " (HTTP {status} {title}, code `{code}`)")
                } else {
                    write!(f, " (HTTP {status} {title})")
                }
            }
            ApiError::Transport(message) => f.write_str(message),
        }
    }
}

/// Reports a failed API call as a Terraform diagnostic: the summary says
/// what the provider was doing, the detail is the problem's `detail`.
fn report(diags: &mut Diagnostics, action: impl fmt::Display, err: &ApiError) {
    diags.root_error(format!("Latchkey: {action} failed"), err.to_string());
}

/// The answer of a call, or `None` once its failure is reported as
/// `Latchkey: {action} failed`.
pub fn answered<T>(
    diags: &mut Diagnostics,
    action: impl fmt::Display,
    result: Result<T, ApiError>,
) -> Option<T> {
    result.map_err(|e| report(diags, action, &e)).ok()
}

/// The answer of a read, or `None`. A 404 is `None` without a diagnostic:
/// the object is gone and Terraform plans its re-creation.
pub fn found<T>(
    diags: &mut Diagnostics,
    action: impl fmt::Display,
    result: Result<T, ApiError>,
) -> Option<T> {
    match result {
        Err(e) if e.is_not_found() => None,
        result => answered(diags, action, result),
    }
}

/// Escapes one path segment (slugs and ids are plain, but an import id is
/// whatever the user typed).
pub fn segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    pub fn new(endpoint: &str, token: &str) -> Result<Client, String> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(format!(
                "the endpoint must be an http:// or https:// URL, not `{endpoint}`"
            ));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "terraform-provider-latchkey/",
                env!("CARGO_PKG_VERSION")
            ))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Client {
            http,
            endpoint,
            token: token.to_owned(),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends one request; `Ok(Json::Null)` for an empty success body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, ApiError> {
        let url = format!("{}{path}", self.endpoint);
        let mut request = self.http.request(method, &url);
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::Transport(format!("cannot reach {url}: {}", chain(&e))))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            ApiError::Transport(format!("cannot read the answer of {url}: {}", chain(&e)))
        })?;
        let parsed: Option<Json> = if bytes.is_empty() {
            Some(Json::Null)
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        if status.is_success() {
            return parsed.ok_or_else(|| {
                ApiError::Transport(format!(
                    "{url} answered {status} with a body that is not JSON"
                ))
            });
        }
        Err(problem(status, parsed.unwrap_or(Json::Null)))
    }

    pub async fn get(&self, path: &str) -> Result<Json, ApiError> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Json) -> Result<Json, ApiError> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Json) -> Result<Json, ApiError> {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str) -> Result<Json, ApiError> {
        self.send(Method::PUT, path, None).await
    }

    /// Deletes; a resource that is already gone counts as deleted.
    pub async fn delete(&self, path: &str) -> Result<(), ApiError> {
        match self.send(Method::DELETE, path, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every item of a paginated list (`{"items": […], "next_cursor": …}`).
    pub async fn list_all(&self, path: &str) -> Result<Vec<Json>, ApiError> {
        let mut items = Vec::new();
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut cursor: Option<String> = None;
        loop {
            let page_path = match &cursor {
                Some(c) => format!("{path}{separator}limit=200&cursor={}", segment(c)),
                None => format!("{path}{separator}limit=200"),
            };
            let page = self.get(&page_path).await?;
            if let Some(page_items) = page["items"].as_array() {
                items.extend(page_items.iter().cloned());
            }
            match page["next_cursor"].as_str() {
                Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                _ => return Ok(items),
            }
        }
    }
}

/// An error and its causes, `outer: inner: …` (reqwest's own message alone
/// does not say why a connection failed).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn problem(status: StatusCode, body: Json) -> ApiError {
    let text = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    let title = match text("title") {
        t if t.is_empty() => status.canonical_reason().unwrap_or("Error").to_owned(),
        t => t,
    };
    let detail = match text("detail") {
        d if d.is_empty() => format!("the server answered {status}"),
        d => d,
    };
    ApiError::Problem {
        status: status.as_u16(),
        title,
        code: text("code"),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_as_its_detail_with_status_and_code() {
        let err = problem(
            StatusCode::CONFLICT,
            serde_json::json!({"title": "Conflict", "code": "slug-taken",
                "detail": "the slug `acme` is already taken", "status": 409}),
        );
        assert_eq!(
            err.to_string(),
            "the slug `acme` is already taken (HTTP 409 Conflict, code `slug-taken`)"
        );
    }

    #[test]
    fn an_error_without_a_problem_body_still_names_the_status() {
        let err = problem(StatusCode::BAD_GATEWAY, Json::Null);
        assert_eq!(
            err.to_string(),
            "the server answered 502 Bad Gateway (HTTP 502 Bad Gateway)"
        );
    }

    fn not_found() -> ApiError {
        problem(StatusCode::NOT_FOUND, Json::Null)
    }

    #[test]
    fn a_failed_call_is_reported_as_what_the_provider_was_doing() {
        let mut diags = Diagnostics::default();
        let err = problem(
            StatusCode::CONFLICT,
            serde_json::json!({"title": "Conflict", "detail": "taken"}),
        );
        let answer: Option<Json> = answered(&mut diags, "creating the tenant", Err(err));
        assert_eq!(answer, None);
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(
            diags.errors[0].summary,
            "Latchkey: creating the tenant failed"
        );
        assert!(
            diags.errors[0]
                .detail
                .starts_with("taken (HTTP 409 Conflict)"),
            "{}",
            diags.errors[0].detail
        );
    }

    #[test]
    fn a_missing_object_is_an_error_where_it_must_exist() {
        let mut diags = Diagnostics::default();
        let answer: Option<Json> = answered(&mut diags, "reading tenant `acme`", Err(not_found()));
        assert_eq!(answer, None);
        assert_eq!(diags.errors.len(), 1);
    }

    #[test]
    fn a_missing_object_reads_as_gone_without_a_diagnostic() {
        let mut diags = Diagnostics::default();
        let answer: Option<Json> = found(&mut diags, "reading tenant `acme`", Err(not_found()));
        assert_eq!(answer, None);
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn a_read_that_fails_otherwise_is_reported() {
        let mut diags = Diagnostics::default();
        let err = ApiError::Transport("cannot reach".to_owned());
        let answer: Option<Json> = found(&mut diags, "reading tenant `acme`", Err(err));
        assert_eq!(answer, None);
        assert_eq!(
            diags.errors[0].summary,
            "Latchkey: reading tenant `acme` failed"
        );
    }

    #[test]
    fn an_answer_passes_through() {
        let mut diags = Diagnostics::default();
        assert_eq!(found(&mut diags, "reading", Ok(1)), Some(1));
        assert_eq!(answered(&mut diags, "creating", Ok(2)), Some(2));
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn a_path_segment_escapes_everything_but_unreserved_characters() {
        assert_eq!(segment("acme"), "acme");
        assert_eq!(segment("a/b c?"), "a%2Fb%20c%3F");
    }

    #[test]
    fn an_endpoint_must_be_an_http_url() {
        assert!(Client::new("ftp://x", "t").is_err());
        assert_eq!(
            Client::new("http://127.0.0.1:8080/", "t")
                .map(|c| c.endpoint().to_owned())
                .ok(),
            Some("http://127.0.0.1:8080".to_owned())
        );
    }
}
