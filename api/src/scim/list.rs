//! `GET /Users`, `GET /Groups` with list parameters, their `/.search`, and
//! `POST /.search` over both kinds: a ListResponse.

use latchkey_tenants::Error;
use latchkey_tenants::error::ScimError;
use latchkey_tenants::scim::{self, Page, ResourceKind, ScimProvider, list_params};
use serde_json::{Map, Value, json};

use super::call::Call;
use super::reply::ScimResponse;
use super::resource;

pub async fn run(
    provider: &ScimProvider<'_>,
    kind: ResourceKind,
    call: &Call,
) -> Result<ScimResponse, Error> {
    let projection = resource::projection(kind, call)?;
    let params = list_params(kind.resource_type(), call.query.as_slice())?;
    let page = provider.list(kind, params, &projection).await?;
    Ok(list_response(page))
}

pub async fn search(
    provider: &ScimProvider<'_>,
    kind: ResourceKind,
    call: &Call,
) -> Result<ScimResponse, Error> {
    // The query's `attributes` are checked even though the body's apply.
    resource::projection(kind, call)?;
    let page = provider.search(kind, search_request(call.body()?)?).await?;
    Ok(list_response(page))
}

pub async fn search_all(provider: &ScimProvider<'_>, body: &Value) -> Result<ScimResponse, Error> {
    let page = provider.search_all(search_request(body)?).await?;
    Ok(list_response(page))
}

fn search_request(body: &Value) -> Result<&Map<String, Value>, Error> {
    body.as_object().ok_or_else(|| {
        Error::scim(
            ScimError::InvalidSyntax,
            "a SearchRequest must be an object",
        )
    })
}

/// A ListResponse (RFC 7644 §3.4.2).
pub fn list_response(page: Page) -> ScimResponse {
    ScimResponse::ok(json!({
        "schemas": [scim::schema::LIST_RESPONSE],
        "totalResults": page.total,
        "itemsPerPage": page.resources.len(),
        "startIndex": page.start_index,
        "Resources": page.resources,
    }))
}
