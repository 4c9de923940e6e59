//! What every resource and data source shares: the configured client,
//! schema building, and the conversions between Terraform values and JSON.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use serde_json::Value as Json;
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, Schema,
};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::client::Client;

/// The client that `configure` sets up, shared with every resource.
#[derive(Default)]
pub struct Shared {
    client: RwLock<Option<Client>>,
}

pub type Handle = Arc<Shared>;

impl Shared {
    pub fn set(&self, client: Client) {
        if let Ok(mut slot) = self.client.write() {
            *slot = Some(client);
        }
    }

    /// The configured client, or an error diagnostic when the provider has
    /// not been configured.
    pub fn client(&self, diags: &mut Diagnostics) -> Option<Client> {
        let client = self.client.read().ok().and_then(|c| c.clone());
        if client.is_none() {
            diags.root_error(
                "Latchkey: the provider is not configured",
                "Set `endpoint` and `token` in the provider block, or LATCHKEY_ENDPOINT and LATCHKEY_TOKEN.",
            );
        }
        client
    }
}

pub fn attribute(
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    description: &str,
) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(description),
        constraint,
        sensitive: false,
        deprecated: false,
    }
}

pub fn string(constraint: AttributeConstraint, description: &str) -> Attribute {
    attribute(AttributeType::String, constraint, description)
}

pub fn schema(description: &str, attributes: Vec<(&str, Attribute)>) -> Option<Schema> {
    Some(Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes: attributes
                .into_iter()
                .map(|(name, attr)| (name.to_owned(), attr))
                .collect::<HashMap<_, _>>(),
            blocks: HashMap::new(),
            description: Description::markdown(description),
            deprecated: false,
        },
    })
}

/// A JSON string (or null/absent) as a Terraform string.
pub fn string_of(json: &Json) -> Value<String> {
    match json.as_str() {
        Some(s) => Value::Value(s.to_owned()),
        None => Value::Null,
    }
}

pub fn bool_of(json: &Json) -> Value<bool> {
    match json.as_bool() {
        Some(b) => Value::Value(b),
        None => Value::Null,
    }
}

pub fn string_set_of(json: &Json) -> Value<BTreeSet<String>> {
    match json.as_array() {
        Some(items) => Value::Value(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
        ),
        None => Value::Null,
    }
}

/// A Terraform value as JSON: null when null (or unknown, which never
/// reaches an API call: Terraform resolves it before apply).
pub fn json_of<T: serde::Serialize>(value: &Value<T>) -> Json {
    match value {
        Value::Value(v) => serde_json::to_value(v).unwrap_or(Json::Null),
        Value::Null | Value::Unknown => Json::Null,
    }
}

/// The known text of a required attribute, or an error naming it.
pub fn text<'v>(
    diags: &mut Diagnostics,
    value: &'v Value<String>,
    name: &'static str,
) -> Option<&'v str> {
    match value {
        Value::Value(s) => Some(s.as_str()),
        _ => {
            diags.error_short(
                format!("`{name}` must be known here"),
                AttributePath::new(name),
            );
            None
        }
    }
}

/// Splits an import id `a/b[/c]` into exactly `parts` non-empty parts.
pub fn import_parts(
    diags: &mut Diagnostics,
    id: &str,
    shape: &str,
    parts: usize,
) -> Option<Vec<String>> {
    let split: Vec<String> = id.split('/').map(str::to_owned).collect();
    if split.len() != parts || split.iter().any(String::is_empty) {
        diags.root_error(
            "Latchkey: malformed import id",
            format!("expected an id of the form `{shape}`, got `{id}`"),
        );
        return None;
    }
    Some(split)
}
