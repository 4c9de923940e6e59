//! What a request carries for its operation: the query as sent, the
//! conditional headers and the body.

use latchkey_tenants::Error;
use latchkey_tenants::error::ScimError;
use serde_json::Value;

/// An operation with what the request carried for it.
#[derive(Debug, Default)]
pub struct Call {
    /// The query, as sent: SCIM's parameter names are matched ignoring case.
    pub query: Vec<(String, String)>,
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub body: Option<Value>,
}

impl Call {
    /// A call carrying the request's `If-Match`.
    pub fn if_match(tag: Option<String>) -> Call {
        Call {
            if_match: tag,
            ..Call::default()
        }
    }

    /// A call carrying the request's `If-None-Match`.
    pub fn if_none_match(tags: Option<String>) -> Call {
        Call {
            if_none_match: tags,
            ..Call::default()
        }
    }

    /// A query parameter, its name matched ignoring case.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body, which the operation needs.
    pub fn body(&self) -> Result<&Value, Error> {
        self.body
            .as_ref()
            .ok_or_else(|| Error::scim(ScimError::InvalidSyntax, "the request needs a JSON body"))
    }
}
