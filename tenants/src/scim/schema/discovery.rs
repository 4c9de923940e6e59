//! The schemas and resource types as `/Schemas` and `/ResourceTypes`
//! serve them (RFC 7643 §6, §7).

use serde_json::{Value, json};

use super::{
    Attribute, Mutability, RESOURCE_TYPE, ResourceType, Returned, SCHEMA, Schema, Type, Uniqueness,
};

impl Attribute {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": match self.ty {
                Type::String => "string",
                Type::Boolean => "boolean",
                Type::DateTime => "dateTime",
                Type::Binary => "binary",
                Type::Reference => "reference",
                Type::Complex => "complex",
            },
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": match self.mutability {
                Mutability::ReadOnly => "readOnly",
                Mutability::ReadWrite => "readWrite",
                Mutability::Immutable => "immutable",
                Mutability::WriteOnly => "writeOnly",
            },
            "returned": match self.returned {
                Returned::Always => "always",
                Returned::Never => "never",
                Returned::Default => "default",
            },
            "uniqueness": match self.uniqueness {
                Uniqueness::None => "none",
                Uniqueness::Server => "server",
            },
        });
        if !self.canonical_values.is_empty() {
            v["canonicalValues"] = json!(self.canonical_values);
        }
        if !self.reference_types.is_empty() {
            v["referenceTypes"] = json!(self.reference_types);
        }
        if !self.sub_attributes.is_empty() {
            v["subAttributes"] =
                Value::Array(self.sub_attributes.iter().map(Attribute::to_json).collect());
        }
        v
    }
}

impl Schema {
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attribute::to_json).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            },
        })
    }
}

impl ResourceType {
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": self.extensions.iter()
                .map(|s| json!({"schema": s.id, "required": false}))
                .collect::<Vec<_>>(),
            "meta": {
                "resourceType": "ResourceType",
                "location": format!("{base_url}/ResourceTypes/{}", self.name),
            },
        })
    }
}
