//! `DELETE /Users/{id}`, `DELETE /Groups/{id}`: 204.

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
    // `attributes` are checked on every method, a delete's too.
    let change = resource::change(kind, id, call)?;
    provider.delete(kind, change.id, change.expected).await?;
    Ok(ScimResponse::with(StatusCode::NO_CONTENT, None))
}
