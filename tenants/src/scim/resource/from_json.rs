//! A client's User or Group JSON as a record to store.

use serde_json::Value;

use super::fields::{boolean, check_schemas, items_of, multi_values, object, string_value};
use super::records::{GroupInput, MULTI_VALUED, UserInput};
use crate::error::{Error, Result, ScimError};
use crate::scim::schema::{self, Attribute, ENTERPRISE_USER};

/// Reads a user from a client's JSON. Read-only attributes (`id`, `meta`,
/// `groups`) are ignored, as RFC 7644 §3.3 asks; so are attributes no schema
/// defines: real clients send some (Entra's misspelt extension URN, nulls
/// for unmapped attributes), and refusing them breaks a whole sync.
pub fn user_from_json(doc: &Value) -> Result<UserInput> {
    let rt = &schema::USER_TYPE;
    let f = object(doc, "resource")?;
    check_schemas(&f)?;
    let core = |name: &str| -> &'static Attribute {
        // Every name used here is in the schema; a miss is a typo caught by tests.
        rt.schema.attribute(name).unwrap_or(&schema::COMMON[0])
    };
    let user_name = f
        .string(core("userName"), "")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Error::scim(ScimError::InvalidValue, "`userName` is required"))?;
    let mut input = UserInput {
        user_name,
        external_id: f
            .get("externalId")
            .map(|v| string_value(v, "externalId"))
            .transpose()?,
        active: f.get("active").map(|v| boolean(v, "active")).transpose()?,
        ..UserInput::default()
    };
    if let Some(name) = f.get("name") {
        read_name(&mut input, core("name"), name)?;
    }
    input.display_name = f.string(core("displayName"), "")?;
    input.nick_name = f.string(core("nickName"), "")?;
    input.profile_url = f.string(core("profileUrl"), "")?;
    input.title = f.string(core("title"), "")?;
    input.user_type = f.string(core("userType"), "")?;
    input.preferred_language = f.string(core("preferredLanguage"), "")?;
    input.locale = f.string(core("locale"), "")?;
    input.timezone = f.string(core("timezone"), "")?;
    input.password = f.string(core("password"), "")?;
    for attr in MULTI_VALUED {
        if let Some(v) = f.get(attr) {
            input.values.push((attr, multi_values(core(attr), v)?));
        }
    }
    if let Some(ent) = f.get(ENTERPRISE_USER) {
        read_enterprise(&mut input, ent)?;
    }
    Ok(input)
}

fn read_name(input: &mut UserInput, name_attr: &'static Attribute, name: &Value) -> Result<()> {
    let n = object(name, "name")?;
    let sub = |s: &str| name_attr.sub(s).map(|a| n.string(a, "name")).transpose();
    input.name_formatted = sub("formatted")?.flatten();
    input.family_name = sub("familyName")?.flatten();
    input.given_name = sub("givenName")?.flatten();
    input.middle_name = sub("middleName")?.flatten();
    input.honorific_prefix = sub("honorificPrefix")?.flatten();
    input.honorific_suffix = sub("honorificSuffix")?.flatten();
    Ok(())
}

/// The enterprise extension; the manager as Entra (a plain id) or as an
/// object.
fn read_enterprise(input: &mut UserInput, ent: &Value) -> Result<()> {
    let e = object(ent, ENTERPRISE_USER)?;
    let ext = &schema::ENTERPRISE_SCHEMA;
    let s = |name: &str| {
        ext.attribute(name)
            .map(|a| e.string(a, ENTERPRISE_USER))
            .transpose()
            .map(Option::flatten)
    };
    input.employee_number = s("employeeNumber")?;
    input.cost_center = s("costCenter")?;
    input.organization = s("organization")?;
    input.division = s("division")?;
    input.department = s("department")?;
    match e.get("manager") {
        None => {}
        // Entra sends the manager as a plain id.
        Some(Value::String(id)) => input.manager = Some(id.clone()),
        Some(other) => {
            let m = object(other, "manager")?;
            input.manager = m
                .get("value")
                .map(|v| string_value(v, "manager.value"))
                .transpose()?;
            input.manager_ref = m
                .get("$ref")
                .map(|v| string_value(v, "manager.$ref"))
                .transpose()?;
        }
    }
    // An id is stored in its canonical form, so deleting that user finds it.
    if let Some(id) = input
        .manager
        .as_deref()
        .and_then(|m| m.parse::<uuid::Uuid>().ok())
    {
        input.manager = Some(id.to_string());
    }
    if input.manager.as_deref().is_none_or(str::is_empty) {
        input.manager = None;
        input.manager_ref = None;
    }
    Ok(())
}

pub fn group_from_json(doc: &Value) -> Result<GroupInput> {
    let f = object(doc, "resource")?;
    check_schemas(&f)?;
    let display_name = f
        .get("displayName")
        .map(|v| string_value(v, "displayName"))
        .transpose()?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Error::scim(ScimError::InvalidValue, "`displayName` is required"))?;
    let members = f
        .get("members")
        .map(|v| member_ids(v, "members"))
        .transpose()?;
    Ok(GroupInput {
        display_name,
        external_id: f
            .get("externalId")
            .map(|v| string_value(v, "externalId"))
            .transpose()?,
        members,
    })
}

/// The `value`s of a list of member objects.
pub fn member_ids(v: &Value, path: &str) -> Result<Vec<String>> {
    let items = items_of(v, || format!("`{path}` must be an array of members"))?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let p = format!("{path}[{i}]");
            object(item, &p)?
                .get("value")
                .map(|v| string_value(v, &format!("{p}.value")))
                .transpose()?
                .ok_or_else(|| {
                    Error::scim(ScimError::InvalidValue, format!("`{p}.value` is required"))
                })
        })
        .collect()
}
