//! `GET /Users/{id}`, `GET /Groups/{id}`; `If-None-Match` with the current
//! version answers 304.

use latchkey_tenants::Error;
use latchkey_tenants::scim::{ResourceKind, ScimProvider};
use poem::http::StatusCode;

use super::call::Call;
use super::reply::ScimResponse;
use super::resource;

pub async fn run(
    provider: &ScimProvider<'_>,
    kind: ResourceKind,
    id: &str,
    call: &Call,
) -> Result<ScimResponse, Error> {
    let id = resource::id(id)?;
    let projection = resource::projection(kind, call)?;
    let found = provider.get(kind, id, &projection).await?;
    if call
        .if_none_match
        .as_deref()
        .is_some_and(|tags| crate::etag::none_match_hits(tags, found.version))
    {
        let mut not_modified = ScimResponse::with(StatusCode::NOT_MODIFIED, None);
        not_modified.version = Some(found.version);
        return Ok(not_modified);
    }
    Ok(resource::reply(provider, kind, found, StatusCode::OK))
}
