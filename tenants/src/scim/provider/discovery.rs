//! The discovery documents (RFC 7644 §4): what this provider supports, its
//! resource types and their schemas.

use serde_json::{Value, json};

use super::{MAX_BULK_OPERATIONS, ResourceKind, ScimProvider};
use crate::scim::query::MAX_COUNT;
use crate::scim::schema;

impl ScimProvider<'_> {
    /// `max_payload`: the largest request body the server takes.
    pub fn service_provider_config(&self, max_payload: usize) -> Value {
        json!({
            "schemas": [schema::SERVICE_PROVIDER_CONFIG],
            "documentationUri": "https://github.com/latchkey/latchkey/blob/main/docs/scim.md",
            "patch": { "supported": true },
            "bulk": {
                "supported": true,
                "maxOperations": MAX_BULK_OPERATIONS,
                "maxPayloadSize": max_payload,
            },
            "filter": { "supported": true, "maxResults": MAX_COUNT },
            "changePassword": { "supported": true },
            "sort": { "supported": true },
            "etag": { "supported": true },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A tenant SCIM token (lks_…) in the Authorization header.",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", self.base_url),
            },
        })
    }

    /// Every resource type's document.
    pub fn resource_types(&self) -> Vec<Value> {
        ResourceKind::ALL
            .iter()
            .map(|k| k.resource_type().to_json(&self.base_url))
            .collect()
    }

    /// The resource type named `name` (`User`, `group` …).
    pub fn resource_type(&self, name: &str) -> Option<Value> {
        ResourceKind::ALL
            .iter()
            .map(|k| k.resource_type())
            .find(|rt| rt.name.eq_ignore_ascii_case(name))
            .map(|rt| rt.to_json(&self.base_url))
    }

    /// Every schema's document.
    pub fn schemas(&self) -> Vec<Value> {
        schema::SCHEMAS
            .iter()
            .map(|s| s.to_json(&self.base_url))
            .collect()
    }

    /// The schema whose URN is `id`, ignoring case.
    pub fn schema(&self, id: &str) -> Option<Value> {
        schema::SCHEMAS
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
            .map(|s| s.to_json(&self.base_url))
    }
}
