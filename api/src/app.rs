//! Assembles the HTTP service from its parts.

use std::sync::Arc;
use std::time::Duration;

use latchkey_tenants::Store;
use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::admin::{EventsApi, GroupsApi, KeysApi, TokensApi, UsersApi};
use crate::metrics::Metrics;
use crate::observe::Observe;
use crate::ops::OpsApi;
use crate::platform::{PlatformTokensApi, TenantsApi};

#[derive(Tags)]
pub enum ApiTags {
    /// Operator API: tenants and platform tokens (platform token required).
    Tenants,
    /// The tenant's users.
    Users,
    /// The tenant's groups and their members.
    Groups,
    /// The tenant's API and SCIM tokens.
    Tokens,
    /// The tenant's signing keys and public JWKS.
    Keys,
    /// The tenant's audit log.
    Audit,
    /// Health, readiness and metrics.
    Operations,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
}

pub struct HttpLimits {
    pub max_body_bytes: usize,
    pub timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_body_bytes: 1024 * 1024,
            timeout: Duration::from_secs(30),
        }
    }
}

const DESCRIPTION: &str = "Latchkey is a multi-tenant identity control plane. \
Authenticate with `Authorization: Bearer <token>`: a platform token (`lkp_…`) for the operator API \
and any tenant, or a tenant token (`lkt_…`) for its own tenant. Errors are RFC 9457 \
`application/problem+json` documents with a stable `code`. Lists return `{items, next_cursor}`; \
pass `next_cursor` as `cursor` for the next page.";

pub fn api_service(
    state: &AppState,
) -> OpenApiService<
    (
        TenantsApi,
        PlatformTokensApi,
        UsersApi,
        GroupsApi,
        TokensApi,
        KeysApi,
        EventsApi,
        OpsApi,
    ),
    (),
> {
    let s = || state.clone();
    OpenApiService::new(
        (
            TenantsApi { state: s() },
            PlatformTokensApi { state: s() },
            UsersApi { state: s() },
            GroupsApi { state: s() },
            TokensApi { state: s() },
            KeysApi { state: s() },
            EventsApi { state: s() },
            OpsApi { state: s() },
        ),
        "Latchkey",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
    .license(poem_openapi::LicenseObject::new("Apache-2.0"))
}

/// The spec as `latchkey openapi` prints it and `openapi/openapi.json` holds it.
pub fn openapi_json(state: &AppState) -> String {
    let mut spec = api_service(state).spec();
    spec.push('\n');
    spec
}

pub fn endpoint(state: AppState, limits: HttpLimits) -> impl Endpoint {
    let api = api_service(&state);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .at("/api/v1/openapi.json", spec)
        .nest("/api/docs", docs)
        .nest("/", api)
        .with(Observe {
            metrics: state.metrics.clone(),
            max_body_bytes: limits.max_body_bytes,
            timeout: limits.timeout,
        })
}
