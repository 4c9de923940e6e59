//! `POST /Users`, `POST /Groups`: 201 with `Location` and `ETag`.

use latchkey_tenants::Error;
use latchkey_tenants::scim::{ResourceKind, ScimProvider};
use poem::http::StatusCode;

use super::call::Call;
use super::reply::ScimResponse;
use super::resource;

pub async fn run(
    provider: &ScimProvider<'_>,
    kind: ResourceKind,
    call: &Call,
) -> Result<ScimResponse, Error> {
    let projection = resource::projection(kind, call)?;
    let created = provider.create(kind, call.body()?, &projection).await?;
    Ok(resource::reply(
        provider,
        kind,
        created,
        StatusCode::CREATED,
    ))
}
