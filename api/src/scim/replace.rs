//! `PUT /Users/{id}`, `PUT /Groups/{id}`; a stale `If-Match` answers 412.

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
    let projection = resource::projection(kind, call)?;
    let expected = resource::expected_version(call)?;
    let id = resource::id(id)?;
    let replaced = provider
        .replace(kind, id, call.body()?, expected, &projection)
        .await?;
    Ok(resource::reply(provider, kind, replaced, StatusCode::OK))
}
