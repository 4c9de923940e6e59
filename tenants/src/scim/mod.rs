//! SCIM 2.0 (RFC 7643, RFC 7644): the schemas, the filter language and its
//! translation to SQL, PATCH, and the mapping onto the tenant's directory.
//! A user created over SCIM is the user the REST API shows.

mod dialect;
mod filter;
pub(crate) mod groups;
pub mod log;
mod log_table;
pub mod patch;
mod project;
pub mod provider;
mod query;
pub mod resource;
pub mod schema;
mod sql;
pub(crate) mod state;
pub(crate) mod users;

pub use filter::parse as parse_filter;
pub use log::{RequestLogEntry, ScimRequestRecord};
pub use project::Projection;
pub use provider::{
    ListFields, MAX_BULK_OPERATIONS, MAX_MEMBERS_IN_PATCH_RESPONSE, Page, Patched, Resource,
    ResourceKind, ScimProvider, integer, list_params, no_such_resource,
};
pub use resource::etag;
