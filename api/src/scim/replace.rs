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
    let change = resource::change(kind, id, call)?;
    let replaced = provider
        .replace(
            kind,
            change.id,
            call.body()?,
            change.expected,
            &change.projection,
        )
        .await?;
    Ok(resource::reply(provider, kind, replaced, StatusCode::OK))
}
