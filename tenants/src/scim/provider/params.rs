//! The list parameters of RFC 7644 §3.4.2 (`filter`, `sortBy`, `sortOrder`,
//! `startIndex`, `count`), from a query string or a SearchRequest body.

use serde_json::Value;

use crate::error::{Error, Result, ScimError};
use crate::scim::filter;
use crate::scim::query::{DEFAULT_COUNT, ListParams, MAX_COUNT};
use crate::scim::schema::ResourceType;

/// Named fields of a request, looked up ignoring case: the query of a
/// `GET`, or the members of a SearchRequest.
pub trait ListFields {
    fn field(&self, name: &str) -> Option<Value>;
}

/// A query string's pairs; every value is a string.
impl ListFields for [(String, String)] {
    fn field(&self, name: &str) -> Option<Value> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Value::String(v.clone()))
    }
}

/// A SearchRequest; `null` members count as absent.
impl ListFields for serde_json::Map<String, Value> {
    fn field(&self, name: &str) -> Option<Value> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_null())
    }
}

/// An integer field, as a JSON number or as a string (a query string
/// holds every value as a string).
pub fn integer(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        Error::scim(
            ScimError::InvalidValue,
            format!("`{name}` must be an integer"),
        )
    })
}

/// The list parameters `fields` hold for resources of type `rt`.
pub fn list_params(
    rt: &'static ResourceType,
    fields: &(impl ListFields + ?Sized),
) -> Result<ListParams> {
    let filter = match fields.field("filter") {
        None => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(filter::parse(&s)?),
        Some(_) => {
            return Err(Error::scim(
                ScimError::InvalidFilter,
                "`filter` must be a string",
            ));
        }
    };
    let sort_by = match fields.field("sortBy") {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            filter::sort_expr(rt, &s)?;
            Some(s)
        }
        Some(_) => {
            return Err(Error::scim(
                ScimError::InvalidValue,
                "`sortBy` must be a string",
            ));
        }
    };
    let descending = match fields.field("sortOrder") {
        None => false,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("ascending") => false,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("descending") => true,
        Some(_) => {
            return Err(Error::scim(
                ScimError::InvalidValue,
                "`sortOrder` must be `ascending` or `descending`",
            ));
        }
    };
    // RFC 7644 §3.4.2.4: below 1 means 1; a negative count means 0.
    let start_index = fields
        .field("startIndex")
        .map(|v| integer("startIndex", &v))
        .transpose()?
        .unwrap_or(1)
        .max(1);
    let count = fields
        .field("count")
        .map(|v| integer("count", &v))
        .transpose()?
        .unwrap_or(DEFAULT_COUNT)
        .clamp(0, MAX_COUNT);
    Ok(ListParams {
        filter,
        sort_by,
        descending,
        start_index,
        count,
    })
}
