//! A stored record as SCIM JSON.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::records::{GroupRecord, MultiValue, UserRecord};
use crate::scim::schema::{ENTERPRISE_USER, GROUP, USER};

/// The weak ETag of a version: `W/"3"`.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

fn timestamp(t: OffsetDateTime) -> Value {
    t.format(&Rfc3339).map(Value::String).unwrap_or(Value::Null)
}

fn meta(
    kind: &str,
    location: String,
    version: i64,
    created: OffsetDateTime,
    modified: OffsetDateTime,
) -> Value {
    json!({
        "resourceType": kind,
        "created": timestamp(created),
        "lastModified": timestamp(modified),
        "location": location,
        "version": etag(version),
    })
}

fn put(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        map.insert(key.into(), Value::String(v.clone()));
    }
}

impl MultiValue {
    fn to_json(&self, attr: &str) -> Value {
        let mut m = Map::new();
        if attr == "addresses" {
            put(&mut m, "formatted", &self.formatted);
            put(&mut m, "streetAddress", &self.street_address);
            put(&mut m, "locality", &self.locality);
            put(&mut m, "region", &self.region);
            put(&mut m, "postalCode", &self.postal_code);
            put(&mut m, "country", &self.country);
        } else {
            put(&mut m, "value", &self.value);
            put(&mut m, "display", &self.display);
        }
        put(&mut m, "type", &self.kind);
        if let Some(p) = self.primary {
            m.insert("primary".into(), Value::Bool(p));
        }
        Value::Object(m)
    }
}

impl UserRecord {
    pub fn to_json(&self, base_url: &str) -> Value {
        let u = &self.input;
        let mut m = Map::new();
        let mut schemas = vec![json!(USER)];
        m.insert("id".into(), json!(self.id.to_string()));
        put(&mut m, "externalId", &u.external_id);
        m.insert("userName".into(), json!(u.user_name));
        let name = self.name_json();
        if !name.is_empty() {
            m.insert("name".into(), Value::Object(name));
        }
        put(&mut m, "displayName", &u.display_name);
        put(&mut m, "nickName", &u.nick_name);
        put(&mut m, "profileUrl", &u.profile_url);
        put(&mut m, "title", &u.title);
        put(&mut m, "userType", &u.user_type);
        put(&mut m, "preferredLanguage", &u.preferred_language);
        put(&mut m, "locale", &u.locale);
        put(&mut m, "timezone", &u.timezone);
        if let Some(active) = u.active {
            m.insert("active".into(), json!(active));
        }
        for (attr, values) in &u.values {
            if !values.is_empty() {
                m.insert(
                    (*attr).into(),
                    Value::Array(values.iter().map(|v| v.to_json(attr)).collect()),
                );
            }
        }
        if !self.groups.is_empty() {
            m.insert("groups".into(), self.groups_json(base_url));
        }
        let ent = self.enterprise_json();
        if !ent.is_empty() {
            schemas.push(json!(ENTERPRISE_USER));
            m.insert(ENTERPRISE_USER.into(), Value::Object(ent));
        }
        m.insert(
            "meta".into(),
            meta(
                "User",
                format!("{base_url}/Users/{}", self.id),
                self.version,
                self.created_at,
                self.updated_at,
            ),
        );
        m.insert("schemas".into(), Value::Array(schemas));
        Value::Object(m)
    }

    /// The `name` attribute's sub-attributes that are set.
    fn name_json(&self) -> Map<String, Value> {
        let u = &self.input;
        let mut name = Map::new();
        put(&mut name, "formatted", &u.name_formatted);
        put(&mut name, "familyName", &u.family_name);
        put(&mut name, "givenName", &u.given_name);
        put(&mut name, "middleName", &u.middle_name);
        put(&mut name, "honorificPrefix", &u.honorific_prefix);
        put(&mut name, "honorificSuffix", &u.honorific_suffix);
        name
    }

    fn groups_json(&self, base_url: &str) -> Value {
        let groups = self
            .groups
            .iter()
            .map(|(id, display)| {
                json!({
                    "value": id.to_string(),
                    "$ref": format!("{base_url}/Groups/{id}"),
                    "display": display,
                    "type": "direct",
                })
            })
            .collect();
        Value::Array(groups)
    }

    /// The enterprise extension's attributes that are set.
    fn enterprise_json(&self) -> Map<String, Value> {
        let u = &self.input;
        let mut ent = Map::new();
        put(&mut ent, "employeeNumber", &u.employee_number);
        put(&mut ent, "costCenter", &u.cost_center);
        put(&mut ent, "organization", &u.organization);
        put(&mut ent, "division", &u.division);
        put(&mut ent, "department", &u.department);
        if let Some(manager) = &u.manager {
            let mut mgr = Map::new();
            mgr.insert("value".into(), json!(manager));
            // `$ref` as the client sent it: a value read back is the value written.
            put(&mut mgr, "$ref", &u.manager_ref);
            put(&mut mgr, "displayName", &self.manager_display);
            ent.insert("manager".into(), Value::Object(mgr));
        }
        ent
    }
}

impl GroupRecord {
    pub fn to_json(&self, base_url: &str) -> Value {
        let mut m = Map::new();
        m.insert("schemas".into(), json!([GROUP]));
        m.insert("id".into(), json!(self.id.to_string()));
        put(&mut m, "externalId", &self.external_id);
        m.insert("displayName".into(), json!(self.display_name));
        if let Some(members) = &self.members {
            let members = members
                .iter()
                .map(|member| {
                    let (kind, path) = if member.is_group {
                        ("Group", "Groups")
                    } else {
                        ("User", "Users")
                    };
                    json!({
                        "value": member.id.to_string(),
                        "$ref": format!("{base_url}/{path}/{}", member.id),
                        "type": kind,
                    })
                })
                .collect();
            m.insert("members".into(), Value::Array(members));
        }
        m.insert(
            "meta".into(),
            meta(
                "Group",
                format!("{base_url}/Groups/{}", self.id),
                self.version,
                self.created_at,
                self.updated_at,
            ),
        );
        Value::Object(m)
    }
}
