//! Reading a client's JSON: keys that ignore case, bounded strings,
//! booleans in Entra's dialect, and multi-valued attributes.

use serde_json::{Map, Value};

use super::records::MultiValue;
use crate::error::{Error, Result, ScimError};
use crate::scim::schema::Attribute;

/// A JSON object whose keys are looked up ignoring case, as SCIM's
/// attribute names are.
pub(super) struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    pub(super) fn get(&self, name: &str) -> Option<&'a Value> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    pub(super) fn string(&self, attr: &Attribute, path: &str) -> Result<Option<String>> {
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

pub(super) fn string_value(v: &Value, path: &str) -> Result<String> {
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

pub(super) fn object<'a>(v: &'a Value, path: &str) -> Result<Fields<'a>> {
    v.as_object().map(Fields).ok_or_else(|| {
        Error::scim(
            ScimError::InvalidValue,
            format!("`{path}` must be an object"),
        )
    })
}

/// The resource's JSON must be an object naming (when it names any) only
/// schemas of its resource type.
pub(super) fn check_schemas(doc: &Fields<'_>) -> Result<()> {
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
pub(super) fn items_of(v: &Value, not_array: impl FnOnce() -> String) -> Result<Vec<&Value>> {
    match v {
        Value::Array(items) => Ok(items.iter().collect()),
        Value::Object(_) => Ok(vec![v]),
        _ => Err(Error::scim(ScimError::InvalidValue, not_array())),
    }
}

pub(super) fn multi_values(attr: &'static Attribute, v: &Value) -> Result<Vec<MultiValue>> {
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
