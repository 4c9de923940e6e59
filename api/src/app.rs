//! Assembles the HTTP service from its parts.

use std::sync::Arc;
use std::time::Duration;

use latchkey_tenants::Store;
use poem::{Endpoint, EndpointExt, IntoResponse, Route};
use poem_openapi::OpenApiService;

use crate::admin::{
    AuditWebhookApi, EntitlementsApi, EventsApi, GroupsApi, KeysApi, ScimLogApi, SessionsApi,
    TokensApi, UsersApi,
};
use crate::billing::api::BillingApi;
use crate::fields::FieldLocator;
use crate::observe::Observe;
use crate::ops::OpsApi;
use crate::platform::{LicenseApi, PlatformTokensApi, TenantsApi};
use crate::ratelimit::{RateLimiter, RateLimits};
use crate::scim::{ScimApi, ScimGroupsApi, ScimUsersApi};
use crate::signup::SignupApi;
use crate::state::AppState;

pub struct HttpLimits {
    pub max_body_bytes: usize,
    pub timeout: Duration,
    pub rate: RateLimits,
}

impl Default for HttpLimits {
    /// No rate limits: `latchkey serve` sets them from its settings.
    fn default() -> Self {
        HttpLimits {
            max_body_bytes: 1024 * 1024,
            timeout: Duration::from_secs(30),
            rate: RateLimits::default(),
        }
    }
}

const DESCRIPTION: &str = "Latchkey is a multi-tenant identity control plane. \
Authenticate with `Authorization: Bearer <token>`: a platform token (`lkp_…`) for the operator API \
and any tenant, or a tenant token (`lkt_…`) for its own tenant. Errors are RFC 9457 \
`application/problem+json` documents with a stable `code`. Lists return `{items, next_cursor}`; \
pass `next_cursor` as `cursor` for the next page.";

/// Every API of the service, in the order the document lists them.
pub type Apis = (
    TenantsApi,
    PlatformTokensApi,
    LicenseApi,
    // Tuples of APIs implement `OpenApi` up to 16: a user and their sessions share one.
    (UsersApi, SessionsApi),
    GroupsApi,
    TokensApi,
    KeysApi,
    EventsApi,
    AuditWebhookApi,
    EntitlementsApi,
    ScimLogApi,
    ScimApi,
    ScimUsersApi,
    ScimGroupsApi,
    // Tuples of APIs implement `OpenApi` up to 16: the public surfaces share one.
    (SignupApi, BillingApi),
    OpsApi,
);

pub fn api_service(state: &AppState) -> OpenApiService<Apis, ()> {
    let s = || state.clone();
    OpenApiService::new(
        (
            TenantsApi { state: s() },
            PlatformTokensApi { state: s() },
            LicenseApi { state: s() },
            (UsersApi { state: s() }, SessionsApi { state: s() }),
            GroupsApi { state: s() },
            TokensApi { state: s() },
            KeysApi { state: s() },
            EventsApi { state: s() },
            AuditWebhookApi { state: s() },
            EntitlementsApi { state: s() },
            ScimLogApi { state: s() },
            ScimApi { state: s() },
            ScimUsersApi { state: s() },
            ScimGroupsApi { state: s() },
            (SignupApi { state: s() }, BillingApi { state: s() }),
            OpsApi { state: s() },
        ),
        "Latchkey",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
    .license(poem_openapi::LicenseObject::new("Apache-2.0"))
}

/// The spec as `latchkey openapi` prints it and `openapi/openapi.json` holds it.
///
/// Object keys are sorted: whether serde_json keeps insertion order depends
/// on which crates are in the build (test builds differ from the binary), and
/// the checked-in file must not.
pub fn openapi_json(state: &AppState) -> String {
    let spec = api_service(state).spec();
    let value: serde_json::Value = serde_json::from_str(&spec).unwrap_or(serde_json::Value::Null);
    let mut out = serde_json::to_string_pretty(&sorted(value)).unwrap_or(spec);
    out.push('\n');
    out
}

fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

/// Header naming the licence status while a licence warning is in effect.
pub const LICENSE_STATUS_HEADER: &str = "latchkey-license-status";
/// Header carrying the licence warning itself, in words.
pub const LICENSE_WARNING_HEADER: &str = "latchkey-license-warning";

/// Header carrying the tenant's billing warning (a failed payment in its
/// grace period, a subscription ending, a lapsed plan).
pub const BILLING_WARNING_HEADER: &str = "latchkey-billing-warning";

/// A warning as a header value: printable ASCII only.
fn header_text(warning: &str) -> String {
    warning
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// The tenant a tenant-API or SCIM path names.
fn tenant_slug(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/api/v1/tenants/")
        .or_else(|| path.strip_prefix("/t/"))?;
    rest.split('/').next().filter(|s| !s.is_empty())
}

/// Adds the licence warning headers to API and SCIM responses while the
/// licence expires soon, has expired, or the seats are exceeded (from the
/// briefly cached status: no query per request).
async fn license_warning<E: Endpoint>(
    store: Store,
    ep: Arc<E>,
    req: poem::Request,
) -> poem::Result<poem::Response> {
    let path = req.uri().path();
    let applies = path.starts_with("/api/v1/") || path.starts_with("/t/");
    let tenant = tenant_slug(path).map(str::to_owned);
    let mut resp = ep.call(req).await?.into_response();
    // Billing's warning (payment failed, subscription ending) on the
    // tenant's own successful responses only: a refused caller learns nothing.
    if let Some(slug) = tenant
        && resp.status().is_success()
        && let Ok(t) = store.tenants().get(&slug).await
        && let Some(warning) = store.effective_plan(&t).warning
        && let Ok(value) = poem::http::HeaderValue::from_str(&header_text(&warning))
    {
        resp.headers_mut().insert(BILLING_WARNING_HEADER, value);
    }
    if applies
        && let Ok(status) = store.license_status_cached().await
        && let Some(warning) = status.warnings.first()
        && let (Ok(state), Ok(text)) = (
            poem::http::HeaderValue::from_str(status.state.as_str()),
            poem::http::HeaderValue::from_str(&header_text(warning)),
        )
    {
        resp.headers_mut().insert(LICENSE_STATUS_HEADER, state);
        resp.headers_mut().insert(LICENSE_WARNING_HEADER, text);
    }
    Ok(resp)
}

pub fn endpoint(state: AppState, limits: HttpLimits) -> impl Endpoint {
    let api = api_service(&state);
    let document: serde_json::Value = serde_json::from_str(&api.spec()).unwrap_or_default();
    let fields = Arc::new(FieldLocator::from_spec(&document));
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    let store = state.store.clone();
    let sign_in = crate::signin::Pages::new(state.clone(), limits.rate.proxies.clone());
    let route = Route::new()
        .nest("/signup", crate::pages::routes(state.clone()))
        .at("/assets/latchkey.css", crate::pages::stylesheet());
    crate::signin::mount(route, sign_in)
        .at(
            crate::billing::webhook::PATH,
            poem::post(crate::billing::webhook::receive).data(state.clone()),
        )
        .at("/api/v1/openapi.json", spec)
        .nest("/api/docs", docs)
        .nest("/", api)
        .before(crate::scim::without_trailing_slash)
        .around(move |ep, req| license_warning(store.clone(), ep, req))
        .with(poem::middleware::CookieJarManager::new())
        .with(Observe {
            metrics: state.metrics.clone(),
            max_body_bytes: limits.max_body_bytes,
            timeout: limits.timeout,
            limiter: Arc::new(RateLimiter::new(limits.rate)),
            fields,
        })
}
