//! A tenant's SCIM service provider as typed operations: each takes parsed
//! values (a resource kind, an id, a document, the version `If-Match` named)
//! and returns a typed result or an [`Error`]. Routing, headers, ETags on
//! the wire, status codes and the SCIM error body are the HTTP layer's.

mod create;
mod delete;
mod discovery;
mod modify;
mod params;
mod read;
mod replace;

pub use params::{ListFields, integer, list_params};
pub use read::Page;

use serde_json::Value;

use super::project::Projection;
pub use super::schema::ResourceKind;
use crate::db::Id;
use crate::error::{Error, Resource as Missing, ScimError};
use crate::store::TenantScope;

/// Operations a `/Bulk` request may carry.
pub const MAX_BULK_OPERATIONS: usize = 1000;
/// A group PATCH answers with the group, members included, up to this many
/// members; beyond, the answer would cost time proportional to the group, so
/// it is `204 No Content`, as RFC 7644 §3.5.2 allows.
pub const MAX_MEMBERS_IN_PATCH_RESPONSE: i64 = 1000;

/// One resource as stored: its document (projected as asked) and version.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id: Id,
    pub version: i64,
    pub document: Value,
}

/// What a PATCH came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Patched {
    Resource(Resource),
    /// A group with more members than an answer may carry
    /// ([`MAX_MEMBERS_IN_PATCH_RESPONSE`]): the change is made, the group is
    /// not returned.
    TooLargeToReturn {
        version: i64,
    },
}

/// A tenant's SCIM service provider.
pub struct ScimProvider<'a> {
    scope: &'a TenantScope,
    base_url: String,
}

impl TenantScope {
    /// `base_url`: the absolute SCIM base, e.g. `https://id.example.com/t/acme/scim/v2`,
    /// which every `meta.location` and `$ref` starts with.
    pub fn scim(&self, base_url: String) -> ScimProvider<'_> {
        ScimProvider {
            scope: self,
            base_url,
        }
    }
}

impl ScimProvider<'_> {
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Where resource `id` of `kind` lives.
    pub fn location(&self, kind: ResourceKind, id: Id) -> String {
        format!("{}{}/{id}", self.base_url, kind.resource_type().endpoint)
    }

    fn resource(
        &self,
        kind: ResourceKind,
        id: Id,
        version: i64,
        document: Value,
        projection: &Projection,
    ) -> Resource {
        Resource {
            id,
            version,
            document: projection.apply(kind.resource_type(), document),
        }
    }
}

/// A clash on `userName` or a group's name is SCIM's `uniqueness`; a user
/// or group that is not there is no resource at this path.
fn uniqueness(e: Error) -> Error {
    match e {
        Error::Conflict { message, .. } => Error::scim(ScimError::Uniqueness, message),
        Error::NotFound(Missing::User | Missing::Group) => no_such_resource(),
        other => other,
    }
}

pub fn no_such_resource() -> Error {
    Error::scim(ScimError::NoSuchResource, "no such resource")
}
