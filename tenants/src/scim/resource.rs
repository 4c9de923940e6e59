//! The User and Group resources: how a stored record reads as SCIM JSON, and
//! how a client's JSON (in the dialects Entra ID and Okta speak) becomes a
//! record to store.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::schema::{self, Attribute, ENTERPRISE_USER, GROUP, Type, USER};
use crate::db::Id;
use crate::error::{Error, Result, ScimError};

/// The multi-valued attributes stored one row per value, in schema order.
pub const MULTI_VALUED: [&str; 8] = [
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// One value of a multi-valued attribute. Addresses use the address fields
/// instead of `value`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MultiValue {
    pub value: Option<String>,
    pub display: Option<String>,
    pub kind: Option<String>,
    pub primary: Option<bool>,
    pub formatted: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// Everything a client may write on a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserInput {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub name_formatted: Option<String>,
    pub middle_name: Option<String>,
    pub honorific_prefix: Option<String>,
    pub honorific_suffix: Option<String>,
    pub nick_name: Option<String>,
    pub profile_url: Option<String>,
    pub title: Option<String>,
    pub user_type: Option<String>,
    pub preferred_language: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    /// `None` when the client did not send it (the directory then treats
    /// the user as active).
    pub active: Option<bool>,
    /// Cleartext, only on its way to being hashed.
    pub password: Option<String>,
    pub employee_number: Option<String>,
    pub cost_center: Option<String>,
    pub organization: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub manager: Option<String>,
    pub manager_ref: Option<String>,
    /// `(attribute, values)` for each of [`MULTI_VALUED`] the client sent.
    pub values: Vec<(&'static str, Vec<MultiValue>)>,
}

impl UserInput {
    /// The value of `users.email`: the primary email, else the first.
    pub fn primary_email(&self) -> Option<String> {
        let emails = self.values.iter().find(|(a, _)| *a == "emails")?;
        emails
            .1
            .iter()
            .find(|v| v.primary == Some(true))
            .or_else(|| emails.1.first())
            .and_then(|v| v.value.clone())
    }
}

/// A stored user, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: Id,
    pub input: UserInput,
    pub has_password: bool,
    pub manager_display: Option<String>,
    pub groups: Vec<(Id, String)>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A member of a group: a user or a group.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRef {
    pub id: Id,
    pub is_group: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    /// `None` when the client did not send `members` (PATCH keeps them).
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    pub id: Id,
    pub display_name: String,
    pub external_id: Option<String>,
    /// `None` when the read skipped them (`excludedAttributes=members`).
    pub members: Option<Vec<MemberRef>>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

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
        let mut name = Map::new();
        put(&mut name, "formatted", &u.name_formatted);
        put(&mut name, "familyName", &u.family_name);
        put(&mut name, "givenName", &u.given_name);
        put(&mut name, "middleName", &u.middle_name);
        put(&mut name, "honorificPrefix", &u.honorific_prefix);
        put(&mut name, "honorificSuffix", &u.honorific_suffix);
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
            m.insert("groups".into(), Value::Array(groups));
        }
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

/// A JSON object whose keys are looked up ignoring case, as SCIM's
/// attribute names are.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    fn string(&self, attr: &Attribute, path: &str) -> Result<Option<String>> {
        self.get(attr.name)
            .map(|v| string_value(v, &join(path, attr.name)))
            .transpose()
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

const MAX_STRING: usize = 2048;

fn string_value(v: &Value, path: &str) -> Result<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        // Some clients send numbers for employeeNumber and the like.
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(Error::scim(
                ScimError::InvalidValue,
                format!("`{path}` must be a string"),
            ));
        }
    };
    if s.len() > MAX_STRING {
        return Err(Error::scim(
            ScimError::InvalidValue,
            format!("`{path}` is longer than {MAX_STRING} bytes"),
        ));
    }
    if s.chars().any(|c| c == '\0') {
        return Err(Error::scim(
            ScimError::InvalidValue,
            format!("`{path}` contains a NUL character"),
        ));
    }
    Ok(s)
}

/// A boolean, also as Entra sends it: the strings `"True"` and `"False"`.
pub fn boolean(v: &Value, path: &str) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(Error::scim(
            ScimError::InvalidValue,
            format!("`{path}` must be a boolean"),
        )),
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<Fields<'a>> {
    v.as_object().map(Fields).ok_or_else(|| {
        Error::scim(
            ScimError::InvalidValue,
            format!("`{path}` must be an object"),
        )
    })
}

/// The resource's JSON must be an object naming (when it names any) only
/// schemas of its resource type.
fn check_schemas(doc: &Fields<'_>) -> Result<()> {
    let Some(schemas) = doc.get("schemas") else {
        return Ok(());
    };
    let Some(list) = schemas.as_array() else {
        return Err(Error::scim(
            ScimError::InvalidValue,
            "`schemas` must be an array of URNs",
        ));
    };
    // Other URNs are tolerated: Entra adds a schema of its own to groups.
    if list.iter().any(|s| !s.is_string()) {
        return Err(Error::scim(
            ScimError::InvalidValue,
            "`schemas` must be an array of URNs",
        ));
    }
    Ok(())
}

/// The values of a multi-valued attribute; a lone object where an array
/// belongs is accepted as one value.
fn items_of(v: &Value, not_array: impl FnOnce() -> String) -> Result<Vec<&Value>> {
    match v {
        Value::Array(items) => Ok(items.iter().collect()),
        Value::Object(_) => Ok(vec![v]),
        _ => Err(Error::scim(ScimError::InvalidValue, not_array())),
    }
}

fn multi_values(attr: &'static Attribute, v: &Value) -> Result<Vec<MultiValue>> {
    let items = items_of(v, || format!("`{}` must be an array", attr.name))?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = format!("{}[{i}]", attr.name);
        let f = object(item, &path)?;
        let s = |name: &str| -> Result<Option<String>> {
            match attr.sub(name) {
                Some(sub) => f.string(sub, &path),
                None => Ok(None),
            }
        };
        let value = MultiValue {
            value: s("value")?,
            display: s("display")?,
            kind: s("type")?,
            primary: f
                .get("primary")
                .map(|p| boolean(p, &format!("{path}.primary")))
                .transpose()?,
            formatted: s("formatted")?,
            street_address: s("streetAddress")?,
            locality: s("locality")?,
            region: s("region")?,
            postal_code: s("postalCode")?,
            country: s("country")?,
        };
        if attr.name == "emails" && value.value.is_none() {
            return Err(Error::scim(
                ScimError::InvalidValue,
                format!("`{path}.value` is required"),
            ));
        }
        out.push(value);
    }
    // At most one primary (RFC 7643 §2.4): the last one marked wins.
    if let Some(last) = out.iter().rposition(|v| v.primary == Some(true)) {
        for (i, v) in out.iter_mut().enumerate() {
            if i != last && v.primary == Some(true) {
                v.primary = Some(false);
            }
        }
    }
    Ok(out)
}

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
        let n = object(name, "name")?;
        let name_attr = core("name");
        let sub = |s: &str| name_attr.sub(s).map(|a| n.string(a, "name")).transpose();
        input.name_formatted = sub("formatted")?.flatten();
        input.family_name = sub("familyName")?.flatten();
        input.given_name = sub("givenName")?.flatten();
        input.middle_name = sub("middleName")?.flatten();
        input.honorific_prefix = sub("honorificPrefix")?.flatten();
        input.honorific_suffix = sub("honorificSuffix")?.flatten();
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
    }
    Ok(input)
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

/// Whether a stored attribute type compares as text.
pub fn is_textual(ty: Type) -> bool {
    matches!(ty, Type::String | Type::Reference | Type::Binary)
}
