//! `latchkey_group`: a group of a tenant's directory.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::Attribute;
use tf_provider::value::Value;

use crate::common::{Fill, json_of, string_of};
use crate::in_tenant::{DirectoryObject, InTenant, keyed};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    pub id: Value<String>,
    pub tenant: Value<String>,
    pub display_name: Value<String>,
}

impl Fill for GroupState {
    fn fill(&mut self, group: &Json) {
        self.id = string_of(&group["id"]);
        self.display_name = string_of(&group["display_name"]);
    }
}

keyed!(GroupState);

impl DirectoryObject for GroupState {
    const KIND: InTenant = InTenant {
        collection: "groups",
        noun: "group",
        removal: "deleting",
    };
    const DESCRIPTION: &'static str =
        "A group in a tenant's directory. Import with `tenant_slug/group_id`.";
    const DATA_DESCRIPTION: &'static str =
        "Looks up a group of a tenant by `id` or by `display_name`.";
    const BY: &'static str = "display_name";
    const BY_DESCRIPTION: &'static str = "The group's name.";
    const BY_IGNORES_CASE: bool = false;

    fn by(&self) -> &Value<String> {
        &self.display_name
    }

    fn more_attributes(_data_source: bool) -> Vec<(&'static str, Attribute)> {
        Vec::new()
    }

    fn body(&self) -> Json {
        json!({"display_name": json_of(&self.display_name)})
    }
}
