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

/// The known texts of required attributes, `(value, name)` each; an error
/// names the first one that is not known.
pub fn known<const N: usize>(
    diags: &mut Diagnostics,
    values: [(&Value<String>, &'static str); N],
) -> Option<[String; N]> {
    let mut texts: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, (value, name)) in texts.iter_mut().zip(values) {
        *slot = text(diags, value, name)?.to_owned();
    }
    Some(texts)
}

/// Splits an import id `a/b[/c]` into exactly `N` non-empty parts.
pub fn import_parts<const N: usize>(
    diags: &mut Diagnostics,
    id: &str,
    shape: &str,
) -> Option<[String; N]> {
    let split: Vec<String> = id.split('/').map(str::to_owned).collect();
    if split.iter().any(String::is_empty) {
        malformed_import(diags, id, shape);
        return None;
    }
    let parts: Result<[String; N], _> = split.try_into();
    parts.map_err(|_| malformed_import(diags, id, shape)).ok()
}

fn malformed_import(diags: &mut Diagnostics, id: &str, shape: &str) {
    diags.root_error(
        "Latchkey: malformed import id",
        format!("expected an id of the form `{shape}`, got `{id}`"),
    );
}

/// The attribute, when its change replaces the object: it changed, or its
/// new value is not known yet.
pub fn changed<T: PartialEq>(
    name: &'static str,
    prior: &Value<T>,
    proposed: &Value<T>,
) -> Option<AttributePath> {
    (proposed.is_unknown() || prior != proposed).then(|| AttributePath::new(name))
}

/// A state that takes what the server reports of its object.
pub trait Fill: Sized {
    fn fill(&mut self, json: &Json);

    fn filled(mut self, json: &Json) -> Self {
        self.fill(json);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_id_splits_into_its_parts() {
        let mut diags = Diagnostics::default();
        let parts: Option<[String; 2]> = import_parts(&mut diags, "acme/42", "tenant_slug/id");
        assert_eq!(parts, Some(["acme".to_owned(), "42".to_owned()]));
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn an_import_id_with_too_few_or_too_many_parts_is_malformed() {
        for id in ["acme", "acme/42/7"] {
            let mut diags = Diagnostics::default();
            let parts: Option<[String; 2]> = import_parts(&mut diags, id, "tenant_slug/id");
            assert_eq!(parts, None);
            assert_eq!(diags.errors[0].summary, "Latchkey: malformed import id");
            assert!(
                diags.errors[0].detail.starts_with(&format!(
                    "expected an id of the form `tenant_slug/id`, got `{id}`"
                )),
                "{}",
                diags.errors[0].detail
            );
        }
    }

    #[test]
    fn an_import_id_with_an_empty_part_is_malformed() {
        let mut diags = Diagnostics::default();
        let parts: Option<[String; 2]> = import_parts(&mut diags, "acme/", "tenant_slug/id");
        assert_eq!(parts, None);
        assert_eq!(diags.errors.len(), 1);
    }

    #[test]
    fn known_texts_stop_at_the_first_unknown_one_and_name_it() {
        let mut diags = Diagnostics::default();
        let tenant = Value::Value("acme".to_owned());
        let texts = known(
            &mut diags,
            [
                (&tenant, "tenant"),
                (&Value::Unknown, "id"),
                (&Value::Null, "user_id"),
            ],
        );
        assert_eq!(texts, None);
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].summary, "`id` must be known here");
    }

    #[test]
    fn known_texts_come_in_their_order() {
        let mut diags = Diagnostics::default();
        let (tenant, id) = (
            Value::Value("acme".to_owned()),
            Value::Value("42".to_owned()),
        );
        let texts = known(&mut diags, [(&tenant, "tenant"), (&id, "id")]);
        assert_eq!(texts, Some(["acme".to_owned(), "42".to_owned()]));
    }

    #[test]
    fn an_attribute_replaces_when_it_changes_or_is_not_known_yet() {
        let acme = Value::Value("acme".to_owned());
        let other = Value::Value("other".to_owned());
        assert!(changed("tenant", &acme, &acme).is_none());
        assert!(changed("tenant", &acme, &other).is_some());
        assert!(changed("tenant", &acme, &Value::Unknown).is_some());
    }
}
