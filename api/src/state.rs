//! What every handler can reach.

use std::sync::Arc;

use latchkey_tenants::Store;

use crate::metrics::Metrics;
use crate::signup::service::Signup;

/// The state shared by every handler of a node.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// The URL clients reach this service at; links in SCIM responses use
    /// it (else the request's `Host`).
    pub public_url: Option<String>,
    /// The largest request body, as `/ServiceProviderConfig` advertises it.
    pub max_body_bytes: usize,
    /// Hosted signup, when switched on.
    pub signup: Option<Arc<Signup>>,
    /// Stripe billing, when configured.
    pub billing: Option<Arc<crate::billing::Billing>>,
}
