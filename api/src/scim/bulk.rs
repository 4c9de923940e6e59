//! `POST /Bulk` (RFC 7644 §3.7): operations in order, `bulkId` references
//! resolved to the ids created before them, stopping after `failOnErrors`
//! errors. Each operation is its own transaction, as it would be on its own,
//! and is answered as it would be on its own.

use std::collections::HashMap;

use latchkey_tenants::Error;
use latchkey_tenants::error::ScimError;
use latchkey_tenants::scim::{self, MAX_BULK_OPERATIONS, ResourceKind, ScimProvider};
use poem::http::StatusCode;
use serde_json::{Map, Value, json};

use super::call::Call;
use super::reply::ScimResponse;
use super::{create, delete, patch, replace};

fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub async fn run(provider: &ScimProvider<'_>, body: &Value) -> Result<ScimResponse, Error> {
    let request = body
        .as_object()
        .ok_or_else(|| Error::scim(ScimError::InvalidSyntax, "a BulkRequest must be an object"))?;
    let ops = field(request, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::scim(
                ScimError::InvalidSyntax,
                "a BulkRequest needs an `Operations` array",
            )
        })?;
    if ops.len() > MAX_BULK_OPERATIONS {
        return Err(Error::scim(
            ScimError::TooManyOperations,
            format!("a bulk request may carry at most {MAX_BULK_OPERATIONS} operations"),
        ));
    }
    let fail_on_errors = match field(request, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(scim::integer("failOnErrors", v)?.max(1)),
    };
    let mut created: HashMap<String, String> = HashMap::new();
    let mut results = Vec::with_capacity(ops.len());
    let mut errors = 0;
    for op in ops {
        if fail_on_errors.is_some_and(|n| errors >= n) {
            break;
        }
        let (result, failed) = operation(provider, op, &mut created).await;
        if failed {
            errors += 1;
        }
        results.push(result);
    }
    Ok(ScimResponse::ok(json!({
        "schemas": [scim::schema::BULK_RESPONSE],
        "Operations": results,
    })))
}

/// One operation's result, and whether it failed.
async fn operation(
    provider: &ScimProvider<'_>,
    op: &Value,
    created: &mut HashMap<String, String>,
) -> (Value, bool) {
    let empty = Map::new();
    let op = op.as_object().unwrap_or(&empty);
    let method = field(op, "method")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let bulk_id = field(op, "bulkId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut result = Map::new();
    result.insert("method".into(), json!(method));
    if let Some(b) = &bulk_id {
        result.insert("bulkId".into(), json!(b));
    }
    let outcome = match parse(op, &method, bulk_id.is_some(), created) {
        Ok((operation, call)) => operation.run(provider, &call).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(resp) => {
            if let (Some(b), Some(loc)) = (&bulk_id, &resp.location)
                && resp.status == StatusCode::CREATED
            {
                let id = loc.rsplit('/').next().unwrap_or_default().to_owned();
                created.insert(b.clone(), id);
            }
            if let Some(loc) = resp.location {
                result.insert("location".into(), json!(loc));
            }
            if let Some(v) = resp.version {
                result.insert("version".into(), json!(scim::etag(v)));
            }
            result.insert("status".into(), json!(resp.status.as_u16().to_string()));
            (Value::Object(result), false)
        }
        Err(e) => {
            let (resp, _, _) = ScimResponse::failure(e);
            result.insert("status".into(), json!(resp.status.as_u16().to_string()));
            result.insert("response".into(), resp.body.unwrap_or(Value::Null));
            (Value::Object(result), true)
        }
    }
}

/// What a Bulk operation may do.
enum BulkOperation {
    Create(ResourceKind),
    Replace(ResourceKind, String),
    Patch(ResourceKind, String),
    Delete(ResourceKind, String),
}

impl BulkOperation {
    /// Runs as the same request on its own would run.
    async fn run(&self, provider: &ScimProvider<'_>, call: &Call) -> Result<ScimResponse, Error> {
        match self {
            BulkOperation::Create(kind) => create::run(provider, *kind, call).await,
            BulkOperation::Replace(kind, id) => replace::run(provider, *kind, id, call).await,
            BulkOperation::Patch(kind, id) => patch::run(provider, *kind, id, call).await,
            BulkOperation::Delete(kind, id) => delete::run(provider, *kind, id, call).await,
        }
    }
}

/// The operation a Bulk operation names, with its version and data.
fn parse(
    op: &Map<String, Value>,
    method: &str,
    has_bulk_id: bool,
    created: &HashMap<String, String>,
) -> Result<(BulkOperation, Call), Error> {
    let verb = method.to_ascii_uppercase();
    if !matches!(verb.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
        return Err(Error::scim(
            ScimError::InvalidSyntax,
            "each operation needs a `method`: POST, PUT, PATCH or DELETE",
        ));
    }
    if verb == "POST" && !has_bulk_id {
        return Err(Error::scim(
            ScimError::InvalidSyntax,
            "a POST operation needs a `bulkId`",
        ));
    }
    let path = field(op, "path")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::scim(ScimError::InvalidSyntax, "each operation needs a `path`"))?;
    let path = resolve_bulk_ids(&Value::String(path.to_owned()), created)?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let body = field(op, "data")
        .map(|d| resolve_bulk_ids(d, created))
        .transpose()?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let operation = match (segments.as_slice(), verb.as_str()) {
        ([k], "POST") => ResourceKind::of_endpoint(k).map(BulkOperation::Create),
        ([k, id], verb) => ResourceKind::of_endpoint(k).and_then(|kind| {
            let id = (*id).to_owned();
            match verb {
                "PUT" => Some(BulkOperation::Replace(kind, id)),
                "PATCH" => Some(BulkOperation::Patch(kind, id)),
                "DELETE" => Some(BulkOperation::Delete(kind, id)),
                _ => None,
            }
        }),
        _ => None,
    }
    .ok_or_else(|| {
        Error::scim(
            ScimError::InvalidPath,
            format!("`{method} {path}` is not a bulk operation"),
        )
    })?;
    let call = Call {
        if_match: field(op, "version")
            .and_then(Value::as_str)
            .map(str::to_owned),
        body,
        ..Call::default()
    };
    Ok((operation, call))
}

/// Replaces every `"bulkId:<id>"` string with the id created for it.
fn resolve_bulk_ids(v: &Value, created: &HashMap<String, String>) -> Result<Value, Error> {
    Ok(match v {
        Value::String(s) => {
            let mut out = s.clone();
            while let Some(start) = out.find("bulkId:") {
                let rest = &out[start + 7..];
                let end = rest
                    .find(|c: char| c == '/' || c == '"' || c.is_whitespace())
                    .unwrap_or(rest.len());
                let key = &rest[..end];
                let id = created.get(key).ok_or_else(|| {
                    Error::scim(
                        ScimError::UnresolvedBulkId,
                        format!("`bulkId:{key}` names no resource created earlier in this request"),
                    )
                })?;
                out = format!("{}{}{}", &out[..start], id, &rest[end..]);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| resolve_bulk_ids(i, created))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve_bulk_ids(v, created)?)))
                .collect::<Result<_, Error>>()?,
        ),
        other => other.clone(),
    })
}
