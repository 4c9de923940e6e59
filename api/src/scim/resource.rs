//! What the operations on one resource share: its id from the path, the
//! projection the query asks for, the version `If-Match` names, and the
//! answer carrying the resource.

use latchkey_tenants::error::ScimError;
use latchkey_tenants::scim::{Projection, Resource, ResourceKind, ScimProvider, no_such_resource};
use latchkey_tenants::{Error, Id};
use poem::http::StatusCode;

use super::call::Call;
use super::reply::ScimResponse;

/// An id in the path that is not a UUID names no resource.
pub fn id(text: &str) -> Result<Id, Error> {
    text.parse::<uuid::Uuid>()
        .map(Id)
        .map_err(|_| no_such_resource())
}

/// `attributes` and `excludedAttributes` of the query.
pub fn projection(kind: ResourceKind, call: &Call) -> Result<Projection, Error> {
    Projection::from_query(
        kind.resource_type(),
        call.param("attributes"),
        call.param("excludedAttributes"),
    )
}

/// Whether the query names attributes at all.
pub fn projection_asked(call: &Call) -> bool {
    call.param("attributes").is_some() || call.param("excludedAttributes").is_some()
}

/// The version `If-Match` names, if any; a tag this server never issued
/// answers 412, as a version that is no longer current does.
pub fn expected_version(call: &Call) -> Result<Option<i64>, Error> {
    crate::etag::expected_version(call.if_match.as_deref()).map_err(|_| {
        Error::scim(
            ScimError::UnknownVersion,
            format!(
                "`{}` is not a version this server issued",
                call.if_match.as_deref().unwrap_or_default()
            ),
        )
    })
}

/// What a change to one resource (PUT, PATCH, DELETE) names, read from the
/// request in the order its errors are reported: the attributes to answer
/// with, the version `If-Match` expects, the resource.
pub struct Change {
    pub projection: Projection,
    pub expected: Option<i64>,
    pub id: Id,
}

pub fn change(kind: ResourceKind, id: &str, call: &Call) -> Result<Change, Error> {
    let projection = projection(kind, call)?;
    let expected = expected_version(call)?;
    Ok(Change {
        projection,
        expected,
        id: self::id(id)?,
    })
}

/// `resource` as the answer: its document, `ETag` and `Location`.
pub fn reply(
    provider: &ScimProvider<'_>,
    kind: ResourceKind,
    resource: Resource,
    status: StatusCode,
) -> ScimResponse {
    ScimResponse {
        status,
        version: Some(resource.version),
        location: Some(provider.location(kind, resource.id)),
        body: Some(resource.document),
    }
}
