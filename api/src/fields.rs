//! Names the offending field of a request body that failed to parse.
//!
//! poem-openapi reports a body of the wrong shape by type name only
//! ("occurred while parsing CreateUser"). The generated OpenAPI document knows
//! every operation's body schema, so the field at fault is found by checking
//! the body against it, top-level field by field (our bodies are flat).

use std::collections::HashMap;

use serde_json::Value;

pub struct FieldLocator {
    /// operationId → the body's object schema, references resolved.
    bodies: HashMap<String, Value>,
    schemas: Value,
}

impl FieldLocator {
    pub fn from_spec(spec: &Value) -> Self {
        let schemas = spec["components"]["schemas"].clone();
        let mut bodies = HashMap::new();
        for ops in spec["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for op in ops.as_object().into_iter().flat_map(|o| o.values()) {
                let (Some(id), Some(schema)) = (
                    op["operationId"].as_str(),
                    op.pointer("/requestBody/content/application~1json; charset=utf-8/schema")
                        .or_else(|| op.pointer("/requestBody/content/application~1json/schema")),
                ) else {
                    continue;
                };
                bodies.insert(id.to_owned(), resolve(&schemas, schema).clone());
            }
        }
        FieldLocator { bodies, schemas }
    }

    /// The first field of `body` that breaks the operation's schema, and why.
    pub fn locate(&self, operation: &str, body: &[u8]) -> Option<(String, String)> {
        let schema = self.bodies.get(operation)?;
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return Some(("body".into(), "is not valid JSON".into()));
        };
        let Some(object) = value.as_object() else {
            return Some(("body".into(), "must be a JSON object".into()));
        };
        let properties = schema["properties"].as_object()?;
        for name in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if object.get(name).is_none_or(Value::is_null) {
                return Some((name.into(), "is required".into()));
            }
        }
        for (name, value) in object {
            let Some(field) = properties.get(name) else {
                continue;
            };
            if let Some(problem) = self.mismatch(field, value) {
                return Some((name.clone(), problem));
            }
        }
        None
    }

    fn mismatch(&self, schema: &Value, value: &Value) -> Option<String> {
        let schema = resolve(&self.schemas, schema);
        let schema = schema["allOf"]
            .get(0)
            .map(|s| resolve(&self.schemas, s))
            .unwrap_or(schema);
        if value.is_null() {
            return (!schema["nullable"].as_bool().unwrap_or(false))
                .then(|| "must not be null".into());
        }
        if let Some(allowed) = schema["enum"].as_array() {
            return (!allowed.contains(value)).then(|| format!("must be one of {}", join(allowed)));
        }
        let ok = match schema["type"].as_str() {
            Some("string") => value.is_string(),
            Some("boolean") => value.is_boolean(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("object") => value.is_object(),
            Some("array") => {
                return match value.as_array() {
                    None => Some("must be an array".into()),
                    Some(items) => items
                        .iter()
                        .find_map(|item| self.mismatch(&schema["items"], item))
                        .map(|p| format!("items {p}")),
                };
            }
            _ => true,
        };
        (!ok).then(|| {
            format!(
                "must be {}",
                article(schema["type"].as_str().unwrap_or("value"))
            )
        })
    }
}

fn resolve<'a>(schemas: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &schemas[name],
        None => schema,
    }
}

fn join(values: &[Value]) -> String {
    values
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn article(ty: &str) -> String {
    match ty {
        "integer" | "object" | "array" => format!("an {ty}"),
        other => format!("a {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn locator() -> FieldLocator {
        let spec: Value = serde_json::from_str(&crate::cli::openapi_document().unwrap()).unwrap();
        FieldLocator::from_spec(&spec)
    }

    fn locate(op: &str, body: Value) -> Option<(String, String)> {
        locator().locate(op, body.to_string().as_bytes())
    }

    #[test]
    fn a_missing_required_field_is_named() {
        assert_eq!(
            locate("createTenant", json!({"slug": "acme"})),
            Some(("display_name".into(), "is required".into()))
        );
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        assert_eq!(
            locate("createUser", json!({"user_name": 42})),
            Some(("user_name".into(), "must be a string".into()))
        );
        assert_eq!(
            locate("createUser", json!({"user_name": "ada", "active": "yes"})),
            Some(("active".into(), "must be a boolean".into()))
        );
    }

    #[test]
    fn a_value_outside_an_enum_is_named_with_the_allowed_ones() {
        assert_eq!(
            locate("createUser", json!({"user_name": "ada", "kind": "robot"})),
            Some(("kind".into(), "must be one of internal, external".into()))
        );
    }

    #[test]
    fn array_items_are_checked() {
        assert_eq!(
            locate("createToken", json!({"name": "ci", "scopes": [1]})),
            Some(("scopes".into(), "items must be a string".into()))
        );
    }

    #[test]
    fn a_body_that_is_no_object_is_the_bodys_fault() {
        assert_eq!(
            locate("createTenant", json!(["acme"])),
            Some(("body".into(), "must be a JSON object".into()))
        );
    }
}
