//! Values as the schema wants them: multi-valued elements, complex values,
//! merges, immutability, and at most one `primary`.

use super::*;

/// The values a client gave for a multi-valued attribute, in canonical
/// form: an array, or (as some clients send) one value alone.
pub(super) fn elements(attr: &Attribute, value: &Value) -> Outcome<Vec<Value>> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if !attr.is_complex() {
            out.push(item.clone());
            continue;
        }
        let mut element = complex_value(attr, item)?;
        // Entra sends `"$ref": null`: a null sub-attribute is unassigned.
        element.retain(|_, v| !v.is_null());
        if !element.is_empty() {
            out.push(Value::Object(element));
        }
    }
    Ok(out)
}

/// A complex value with its keys resolved to canonical sub-attribute names.
pub(super) fn complex_value(attr: &Attribute, value: &Value) -> Outcome<Object> {
    let value_sub = attr
        .sub("value")
        .filter(|s| s.mutability != Mutability::ReadOnly);
    match (value, value_sub) {
        (Value::Object(given), _) => {
            let mut out = Object::new();
            // Keys that name no sub-attribute (Okta's member `display`) or
            // a readOnly one (the manager's `displayName`) are dropped, not
            // refused: RFC 7644 §3.5.1 has PUT ignore readOnly values, the
            // caller ignores unknown ones in whole resources, and clients
            // echo what they read.
            for (key, v) in given {
                if let Some(sub) = attr
                    .sub(key)
                    .filter(|s| s.mutability != Mutability::ReadOnly)
                {
                    out.insert(sub.name.to_owned(), v.clone());
                }
            }
            Ok(out)
        }
        // Entra sends the manager as a bare id: a scalar stands for `value`.
        (Value::String(_) | Value::Number(_) | Value::Bool(_), Some(value_sub)) => {
            let mut out = Object::new();
            out.insert(value_sub.name.to_owned(), value.clone());
            Ok(out)
        }
        _ => fail(
            INVALID_VALUE,
            format!("`{}` takes an object of sub-attributes", attr.name),
        ),
    }
}

/// Entra's tutorial sends the (single-valued) manager as a one-element array.
pub(super) fn single(value: &Value) -> &Value {
    match value {
        Value::Array(items) => match items.as_slice() {
            [only] => only,
            _ => value,
        },
        other => other,
    }
}

/// Sets sub-attributes of the single-valued complex attribute `attr`.
pub(super) fn update_object(m: &mut Object, attr: &Attribute, new: Object) -> Outcome {
    let mut object = take_object(m, attr.name);
    merge(attr, &mut object, new)?;
    put_object(m, attr.name, object);
    Ok(())
}

/// Sets the sub-attributes in `new` (null unassigns) and keeps the others.
pub(super) fn merge(attr: &Attribute, object: &mut Object, new: Object) -> Outcome {
    for (key, value) in new {
        if let Some(sub) = attr.sub(&key) {
            guard_immutable(sub, get_ci(object, sub.name), &value)?;
        }
        take(object, &key);
        if !value.is_null() {
            object.insert(key, value);
        }
    }
    // readOnly sub-attributes (the manager's `displayName`) are derived by
    // the server from the others, and may be stale now: drop them, and let
    // the caller derive them again.
    object.retain(|key, _| {
        attr.sub(key)
            .is_none_or(|s| s.mutability != Mutability::ReadOnly)
    });
    Ok(())
}

/// An immutable attribute may be set once, then never changed (RFC 7643 §7).
pub(super) fn guard_immutable(attr: &Attribute, current: Option<&Value>, new: &Value) -> Outcome {
    match current {
        Some(current)
            if attr.mutability == Mutability::Immutable && !current.is_null() && current != new =>
        {
            fail(
                MUTABILITY,
                format!("`{}` is immutable: once set it cannot change", attr.name),
            )
        }
        _ => Ok(()),
    }
}

/// RFC 7643 §2.4: at most one value is primary. When several are, the
/// one this operation set stays primary, or else the last.
pub(super) fn one_primary(attr: &Attribute, values: &mut [Value], touched: &[usize]) {
    let Some(primary) = attr.sub("primary") else {
        return;
    };
    let is_primary = |v: &Value| {
        v.as_object()
            .and_then(|o| get_ci(o, primary.name))
            .and_then(as_bool)
            == Some(true)
    };
    let primaries: Vec<usize> = (0..values.len())
        .filter(|&i| values.get(i).is_some_and(is_primary))
        .collect();
    if primaries.len() < 2 {
        return;
    }
    let keep = touched
        .iter()
        .rev()
        .find(|i| primaries.contains(i))
        .or(primaries.last())
        .copied();
    for i in primaries {
        if Some(i) != keep
            && let Some(Value::Object(element)) = values.get_mut(i)
        {
            take(element, primary.name);
            element.insert(primary.name.to_owned(), Value::Bool(false));
        }
    }
}
