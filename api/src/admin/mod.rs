//! The tenant API: everything inside one tenant, for its own tokens or a
//! platform token.

mod audit_webhook;
mod entitlements;
mod events;
mod groups;
mod keys;
mod scim_log;
mod sessions;
mod tokens;
mod users;

pub use audit_webhook::AuditWebhookApi;
pub use entitlements::EntitlementsApi;
pub use events::EventsApi;
pub use groups::GroupsApi;
pub use keys::KeysApi;
pub use scim_log::ScimLogApi;
pub use sessions::SessionsApi;
pub use tokens::TokensApi;
pub(crate) use tokens::issue as issue_token;
pub use users::UsersApi;
