//! `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` (RFC 7644 §4).

use latchkey_tenants::Error;
use latchkey_tenants::scim::{Page, ScimProvider, no_such_resource};
use serde_json::Value;

use super::list::list_response;
use super::reply::ScimResponse;

pub fn service_provider_config(provider: &ScimProvider<'_>, max_payload: usize) -> ScimResponse {
    ScimResponse::ok(provider.service_provider_config(max_payload))
}

pub fn resource_types(provider: &ScimProvider<'_>) -> ScimResponse {
    whole_list(provider.resource_types())
}

pub fn resource_type(provider: &ScimProvider<'_>, name: &str) -> Result<ScimResponse, Error> {
    provider
        .resource_type(name)
        .map(ScimResponse::ok)
        .ok_or_else(no_such_resource)
}

pub fn schemas(provider: &ScimProvider<'_>) -> ScimResponse {
    whole_list(provider.schemas())
}

pub fn schema(provider: &ScimProvider<'_>, id: &str) -> Result<ScimResponse, Error> {
    provider
        .schema(id)
        .map(ScimResponse::ok)
        .ok_or_else(no_such_resource)
}

fn whole_list(resources: Vec<Value>) -> ScimResponse {
    list_response(Page {
        total: i64::try_from(resources.len()).unwrap_or(i64::MAX),
        start_index: 1,
        resources,
    })
}
