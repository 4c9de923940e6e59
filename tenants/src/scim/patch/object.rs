//! Case-insensitive access to a JSON object's members.

use super::*;

/// A member of `object` by name, ignoring case (the canonical name first).
pub(super) fn get_ci<'a>(object: &'a Object, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Takes a member out of `object` by name, ignoring case, so that it can be
/// put back under its canonical name.
pub(super) fn take(object: &mut Object, name: &str) -> Option<Value> {
    if let Some(value) = object.remove(name) {
        return Some(value);
    }
    let key = object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))?
        .clone();
    object.remove(&key)
}

pub(super) fn take_array(object: &mut Object, name: &str) -> Vec<Value> {
    match take(object, name) {
        Some(Value::Array(values)) => values,
        None | Some(Value::Null) => Vec::new(),
        Some(other) => vec![other],
    }
}

pub(super) fn take_object(object: &mut Object, name: &str) -> Object {
    match take(object, name) {
        Some(Value::Object(inner)) => inner,
        _ => Object::new(),
    }
}

/// Puts an array back; an empty one is the same as none (RFC 7643 §2.5).
pub(super) fn put_array(object: &mut Object, name: &str, values: Vec<Value>) {
    if !values.is_empty() {
        object.insert(name.to_owned(), Value::Array(values));
    }
}

pub(super) fn put_object(object: &mut Object, name: &str, inner: Object) {
    if !inner.is_empty() {
        object.insert(name.to_owned(), Value::Object(inner));
    }
}
