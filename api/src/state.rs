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
    /// Where clients reach this service (`Settings::origin`, no trailing
    /// `/`): links in SCIM responses start with it, whatever `Host` a
    /// request names.
    pub public_url: String,
    /// The largest request body, as `/ServiceProviderConfig` advertises it.
    pub max_body_bytes: usize,
    /// Hosted signup, when switched on.
    pub signup: Option<Arc<Signup>>,
    /// Stripe billing, when configured.
    pub billing: Option<Arc<crate::billing::Billing>>,
}
