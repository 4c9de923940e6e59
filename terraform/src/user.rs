//! `latchkey_user`: a user of a tenant's directory.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{Attribute, AttributeConstraint, AttributeConstraint::*, AttributeType};
use tf_provider::value::Value;

use crate::common::{Fill, attribute, bool_of, json_of, string, string_of};
use crate::in_tenant::{DirectoryObject, InTenant, keyed};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserState {
    pub id: Value<String>,
    pub tenant: Value<String>,
    pub user_name: Value<String>,
    pub email: Value<String>,
    pub display_name: Value<String>,
    pub given_name: Value<String>,
    pub family_name: Value<String>,
    pub external_id: Value<String>,
    pub active: Value<bool>,
    pub kind: Value<String>,
}

impl Fill for UserState {
    fn fill(&mut self, user: &Json) {
        self.id = string_of(&user["id"]);
        self.user_name = string_of(&user["user_name"]);
        self.email = string_of(&user["email"]);
        self.display_name = string_of(&user["display_name"]);
        self.given_name = string_of(&user["given_name"]);
        self.family_name = string_of(&user["family_name"]);
        self.external_id = string_of(&user["external_id"]);
        self.active = bool_of(&user["active"]);
        self.kind = string_of(&user["kind"]);
    }
}

keyed!(UserState);

impl DirectoryObject for UserState {
    const KIND: InTenant = InTenant {
        collection: "users",
        noun: "user",
        removal: "deleting",
    };

    const DESCRIPTION: &'static str =
        "A user in a tenant's directory. Import with `tenant_slug/user_id`.";
    const DATA_DESCRIPTION: &'static str =
        "Looks up a user of a tenant by `id` or by `user_name` (ignoring case).";
    const BY: &'static str = "user_name";
    const BY_DESCRIPTION: &'static str = "The user name, unique in the tenant ignoring case.";
    const BY_IGNORES_CASE: bool = true;

    fn by(&self) -> &Value<String> {
        &self.user_name
    }

    /// The data source reads all of them.
    fn more_attributes(data_source: bool) -> Vec<(&'static str, Attribute)> {
        let field = |c: AttributeConstraint| if data_source { Computed } else { c };
        vec![
            (
                "email",
                string(field(Optional), "The user's email address."),
            ),
            ("display_name", string(field(Optional), "The name to show.")),
            ("given_name", string(field(Optional), "Given name.")),
            ("family_name", string(field(Optional), "Family name.")),
            (
                "external_id",
                string(
                    field(Optional),
                    "An identifier from the system the user comes from.",
                ),
            ),
            (
                "active",
                attribute(
                    AttributeType::Bool,
                    field(OptionalComputed),
                    "Whether the user may sign in; `true` when left out.",
                ),
            ),
            (
                "kind",
                string(
                    field(OptionalComputed),
                    "`internal` (counts as a seat; the value when left out) or `external`.",
                ),
            ),
        ]
    }

    fn body(&self) -> Json {
        json!({
            "user_name": json_of(&self.user_name),
            "email": json_of(&self.email),
            "display_name": json_of(&self.display_name),
            "given_name": json_of(&self.given_name),
            "family_name": json_of(&self.family_name),
            "external_id": json_of(&self.external_id),
            "active": json_of(&self.active),
            "kind": json_of(&self.kind),
        })
    }

    /// `active` and `kind` left out of the configuration mean their
    /// defaults (`true`, `internal`), so that a user deactivated outside
    /// Terraform is planned back to active.
    fn with_defaults(mut self, config: &UserState) -> UserState {
        if config.active.is_null() {
            self.active = Value::Value(true);
        }
        if config.kind.is_null() {
            self.kind = Value::Value("internal".to_owned());
        }
        self
    }
}
