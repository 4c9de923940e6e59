//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): which parts of
//! a resource a read returns. Also tells the loaders what they may skip, so
//! `excludedAttributes=members` never reads a group's members.

use serde_json::{Map, Value};

use super::schema::{Home, ResourceType, Returned};
use crate::error::{Error, Result, ScimError};

#[derive(Debug, Clone, Default)]
pub struct Projection {
    /// Only these (plus what is always returned); `None`: the default set.
    only: Option<Vec<Vec<String>>>,
    excluded: Vec<Vec<String>>,
}

/// A path as the JSON keys leading to it: `name.givenName` → `["name",
/// "givenName"]`; an extension attribute starts with its schema URN.
fn keys(rt: &'static ResourceType, path: &str) -> Result<Vec<String>> {
    let r = rt.resolve_dotted(path.trim()).ok_or_else(|| {
        Error::scim(
            ScimError::InvalidValue,
            format!(
                "`{}` is not an attribute of {} resources",
                path.trim(),
                rt.name
            ),
        )
    })?;
    let mut out = Vec::with_capacity(3);
    if let Home::Extension(urn) = r.home {
        out.push(urn.to_owned());
    }
    out.push(r.attribute.name.to_owned());
    if let Some(sub) = r.sub {
        out.push(sub.name.to_owned());
    }
    Ok(out)
}

fn parse_list(rt: &'static ResourceType, list: &str) -> Result<Vec<Vec<String>>> {
    list.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| keys(rt, p))
        .collect()
}

impl Projection {
    pub fn from_query(
        rt: &'static ResourceType,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self> {
        let only = attributes
            .map(|a| parse_list(rt, a))
            .transpose()?
            .filter(|l| !l.is_empty());
        let excluded = excluded
            .map(|e| parse_list(rt, e))
            .transpose()?
            .unwrap_or_default();
        Ok(Projection { only, excluded })
    }

    /// As [`Projection::from_query`], ignoring names this type does not
    /// have (a search across types names attributes of either).
    pub fn lenient(rt: &'static ResourceType, attributes: &str, excluded: &str) -> Self {
        let known = |list: &str| -> Vec<Vec<String>> {
            list.split(',')
                .filter(|p| !p.trim().is_empty())
                .filter_map(|p| keys(rt, p).ok())
                .collect()
        };
        let only = known(attributes);
        Projection {
            only: (!attributes.trim().is_empty()).then_some(only),
            excluded: known(excluded),
        }
    }

    /// Whether the top-level core attribute `name` will be in the output.
    pub fn wants(&self, name: &str) -> bool {
        if self
            .excluded
            .iter()
            .any(|p| p.len() == 1 && p[..] == [name])
        {
            return false;
        }
        match &self.only {
            None => true,
            Some(only) => only.iter().any(|p| p.first().is_some_and(|k| k == name)),
        }
    }

    pub fn apply(&self, rt: &'static ResourceType, doc: Value) -> Value {
        let Value::Object(mut map) = doc else {
            return doc;
        };
        if let Some(only) = &self.only {
            let mut out = Map::new();
            for key in ["schemas", "id"] {
                if let Some(v) = map.get(key) {
                    out.insert(key.into(), v.clone());
                }
            }
            // Attributes returned `always` whatever was asked (RFC 7643 §7).
            for a in rt
                .schema
                .attributes
                .iter()
                .filter(|a| a.returned == Returned::Always)
            {
                if let Some(v) = map.get(a.name) {
                    out.insert(a.name.into(), v.clone());
                }
            }
            for path in only {
                if let Some(v) = pick(&Value::Object(map.clone()), path) {
                    merge(&mut out, path, v);
                }
            }
            map = out;
        }
        for path in &self.excluded {
            if path.len() == 1 && (path[0] == "id" || path[0] == "schemas") {
                continue;
            }
            remove(&mut map, path);
        }
        // An extension left empty is dropped, and so is its URN in `schemas`.
        let empty: Vec<String> = map
            .iter()
            .filter(|(k, v)| k.starts_with("urn:") && v.as_object().is_some_and(Map::is_empty))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &empty {
            map.remove(k);
        }
        let present: Vec<String> = map
            .keys()
            .filter(|k| k.starts_with("urn:"))
            .cloned()
            .collect();
        if let Some(Value::Array(schemas)) = map.get_mut("schemas") {
            schemas.retain(|s| {
                s.as_str()
                    .is_some_and(|s| s == rt.schema.id || present.iter().any(|p| p == s))
            });
        }
        Value::Object(map)
    }
}

/// The part of `v` at `path`, keeping the shape (arrays map over elements).
fn pick(v: &Value, path: &[String]) -> Option<Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v.clone());
    };
    match v {
        Value::Object(m) => {
            let inner = m.get(first)?;
            let picked = pick(inner, rest)?;
            let mut out = Map::new();
            out.insert(first.clone(), picked);
            Some(Value::Object(out))
        }
        Value::Array(items) => {
            let picked: Vec<Value> = items.iter().filter_map(|i| pick(i, path)).collect();
            (!picked.is_empty()).then_some(Value::Array(picked))
        }
        _ => None,
    }
}

/// Merges a picked fragment (`{"name": {"givenName": …}}`) into `out`.
fn merge(out: &mut Map<String, Value>, path: &[String], fragment: Value) {
    let Value::Object(fragment) = fragment else {
        return;
    };
    for (k, v) in fragment {
        match (out.get_mut(&k), v) {
            (Some(Value::Object(existing)), Value::Object(new)) => {
                merge(existing, path.get(1..).unwrap_or(&[]), Value::Object(new));
            }
            (Some(Value::Array(existing)), Value::Array(new)) if existing.len() == new.len() => {
                for (e, n) in existing.iter_mut().zip(new) {
                    if let (Value::Object(e), Value::Object(_)) = (e, &n) {
                        merge(e, path.get(1..).unwrap_or(&[]), n);
                    }
                }
            }
            (_, v) => {
                out.insert(k, v);
            }
        }
    }
}

fn remove(map: &mut Map<String, Value>, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            map.remove(last);
        }
        [first, rest @ ..] => match map.get_mut(first) {
            Some(Value::Object(inner)) => {
                remove(inner, rest);
                if inner.is_empty() {
                    map.remove(first);
                }
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut() {
                    if let Value::Object(inner) = item {
                        remove(inner, rest);
                    }
                }
            }
            _ => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, USER, USER_TYPE};

    fn user() -> Value {
        json!({
            "schemas": [USER, ENTERPRISE_USER],
            "id": "1",
            "userName": "ada",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "a@x", "type": "work"}],
            (ENTERPRISE_USER): {"department": "Math"},
        })
    }

    #[test]
    fn attributes_keep_only_what_was_asked_and_the_id() {
        let p =
            Projection::from_query(&USER_TYPE, Some("name.givenName,emails.value"), None).unwrap();
        let out = p.apply(&USER_TYPE, user());
        assert_eq!(
            out,
            json!({"schemas": [USER], "id": "1", "name": {"givenName": "Ada"}, "emails": [{"value": "a@x"}]})
        );
    }

    #[test]
    fn excluded_attributes_are_dropped_with_their_extension_urn() {
        let p = Projection::from_query(
            &USER_TYPE,
            None,
            Some(&format!("{ENTERPRISE_USER}:department")),
        )
        .unwrap();
        let out = p.apply(&USER_TYPE, user());
        assert!(out.get(ENTERPRISE_USER).is_none());
        assert_eq!(out["schemas"], json!([USER]));
    }

    #[test]
    fn the_id_cannot_be_excluded() {
        let p = Projection::from_query(&USER_TYPE, None, Some("id,userName")).unwrap();
        let out = p.apply(&USER_TYPE, user());
        assert_eq!(out["id"], json!("1"));
        assert!(out.get("userName").is_none());
    }

    #[test]
    fn unknown_attributes_are_refused() {
        assert!(Projection::from_query(&USER_TYPE, Some("shoeSize"), None).is_err());
    }

    #[test]
    fn excluding_members_means_not_wanting_them() {
        let p = Projection::from_query(&crate::scim::schema::GROUP_TYPE, None, Some("members"))
            .unwrap();
        assert!(!p.wants("members"));
        assert!(p.wants("displayName"));
    }
}
