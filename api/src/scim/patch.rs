//! `PATCH /Users/{id}`, `PATCH /Groups/{id}`; a group too large to return
//! answers 204 with its new `ETag`.

use latchkey_tenants::Error;
use latchkey_tenants::scim::{Patched, ResourceKind, ScimProvider};
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
    let patched = provider
        .patch(
            kind,
            change.id,
            call.body()?,
            change.expected,
            &change.projection,
            resource::projection_asked(call),
        )
        .await?;
    Ok(match patched {
        Patched::Resource(r) => resource::reply(provider, kind, r, StatusCode::OK),
        Patched::TooLargeToReturn { version } => {
            let mut done = ScimResponse::with(StatusCode::NO_CONTENT, None);
            done.version = Some(version);
            done
        }
    })
}
