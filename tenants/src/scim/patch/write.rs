//! Placing and removing values in the document: plain, value-filtered and
//! path-less targets, the values a `remove` lists.

use super::*;

/// Runs `f` on the object that holds the target's attribute: the resource
/// itself, or its extension's object (created when missing, and dropped
/// when left empty).
pub(super) fn with_container<T>(
    root: &mut Object,
    home: Home,
    f: impl FnOnce(&mut Object) -> Outcome<T>,
) -> Outcome<T> {
    match home {
        Home::Extension(urn) => {
            let mut extension = take_object(root, urn);
            let out = f(&mut extension);
            put_object(root, urn, extension);
            out
        }
        Home::Core | Home::Common => f(root),
    }
}

/// The document's current value at a (filter-less) target.
pub(super) fn current<'a>(root: &'a Object, target: &Target) -> Option<&'a Value> {
    let container = match target.home {
        Home::Extension(urn) => get_ci(root, urn)?.as_object()?,
        Home::Core | Home::Common => root,
    };
    let value = get_ci(container, target.attr.name)?;
    match target.sub {
        Some(sub) => get_ci(value.as_object()?, sub.name),
        None => Some(value),
    }
}

/// An add or a replace of a non-null value.
pub(super) fn write(m: &mut Object, kind: Kind, target: &Target, value: &Value) -> Outcome {
    let attr = target.attr;
    match (&target.filter, target.sub) {
        (None, None) if attr.multi_valued => {
            let new = elements(attr, value)?;
            let mut values = match kind {
                Kind::Replace => {
                    take(m, attr.name);
                    Vec::new()
                }
                _ => take_array(m, attr.name),
            };
            let mut touched = Vec::with_capacity(new.len());
            for element in new {
                // Adding a value that is already there changes nothing.
                match values.iter().position(|v| *v == element) {
                    Some(i) => touched.push(i),
                    None => {
                        touched.push(values.len());
                        values.push(element);
                    }
                }
            }
            one_primary(attr, &mut values, &touched);
            put_array(m, attr.name, values);
            Ok(())
        }
        // RFC 7644 §3.5.2.1 and §3.5.2.3: for a complex attribute, both add
        // and replace set the sub-attributes given and leave the others.
        (None, None) if attr.is_complex() => {
            let new = complex_value(attr, single(value))?;
            update_object(m, attr, new)
        }
        (None, None) => {
            guard_immutable(attr, get_ci(m, attr.name), value)?;
            take(m, attr.name);
            m.insert(attr.name.to_owned(), value.clone());
            Ok(())
        }
        (None, Some(sub)) if attr.multi_valued => fail(
            INVALID_PATH,
            format!(
                "`{}` would set `{}` on every value of `{}`; select values with a filter, as in `emails[type eq \"work\"].value`",
                target.text, sub.name, attr.name
            ),
        ),
        (None, Some(sub)) => {
            let mut new = Object::new();
            new.insert(sub.name.to_owned(), value.clone());
            update_object(m, attr, new)
        }
        (Some(filter), sub) => write_filtered(m, kind, target, filter, sub, value),
    }
}

/// An add or a replace on the values of `target.attr` that `filter` selects.
pub(super) fn write_filtered(
    m: &mut Object,
    kind: Kind,
    target: &Target,
    filter: &ValFilter,
    sub: Option<&'static Attribute>,
    value: &Value,
) -> Outcome {
    let attr = target.attr;
    let mut values = take_array(m, attr.name);
    let hits: Vec<usize> = (0..values.len())
        .filter(|&i| values.get(i).is_some_and(|v| matches(attr, filter, v)))
        .collect();
    let mut touched = hits.clone();
    if hits.is_empty() {
        // Entra replaces `emails[type eq "work"].value` whether or not the
        // user has a work e-mail, and expects one to exist afterwards. So
        // when nothing matches, a filter made of `eq` terms describes the
        // value to create: {"type": "work", "value": …}. Add is treated the
        // same way: setting part of a value that does not exist yet adds it.
        let Some((sub, mut element)) = sub.zip(seed(attr, filter)) else {
            return fail(
                NO_TARGET,
                format!("no value of `{}` matches `{filter}`", attr.name),
            );
        };
        element.insert(sub.name.to_owned(), value.clone());
        touched.push(values.len());
        values.push(Value::Object(element));
    }
    for i in hits {
        let Some(Value::Object(element)) = values.get_mut(i) else {
            continue;
        };
        match sub {
            Some(sub) => {
                let mut new = Object::new();
                new.insert(sub.name.to_owned(), value.clone());
                merge(attr, element, new)?;
            }
            None if kind == Kind::Replace => {
                let mut new = complex_value(attr, value)?;
                new.retain(|_, v| !v.is_null());
                for s in attr
                    .sub_attributes
                    .iter()
                    .filter(|s| s.mutability == Mutability::Immutable)
                {
                    guard_immutable(
                        s,
                        get_ci(element, s.name),
                        new.get(s.name).unwrap_or(&Value::Null),
                    )?;
                }
                *element = new;
            }
            None => merge(attr, element, complex_value(attr, value)?)?,
        }
    }
    one_primary(attr, &mut values, &touched);
    put_array(m, attr.name, values);
    Ok(())
}

/// The value an upsert creates from a filter of `eq` terms, or `None` when
/// the filter says anything else.
pub(super) fn seed(attr: &Attribute, filter: &ValFilter) -> Option<Object> {
    let terms: Vec<&AttrExp> = match filter {
        ValFilter::Attr(exp) => vec![exp],
        ValFilter::And(items) => items
            .iter()
            .map(|item| match item {
                ValFilter::Attr(exp) => Some(exp),
                _ => None,
            })
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let mut element = Object::new();
    for term in terms {
        let AttrExp::Comparison(path, CompareOp::Eq, value) = term else {
            return None;
        };
        let sub = attr
            .sub(&path.name)
            .filter(|s| s.mutability != Mutability::ReadOnly)?;
        let value = match value {
            CompValue::Str(s) => Value::String(s.clone()),
            CompValue::True => Value::Bool(true),
            CompValue::False => Value::Bool(false),
            CompValue::Number(n) => Value::Number(n.clone()),
            CompValue::Null => return None,
        };
        element.insert(sub.name.to_owned(), value);
    }
    Some(element)
}

pub(super) fn remove(m: &mut Object, target: &Target, value: Option<&Value>) -> Outcome {
    let attr = target.attr;
    match (&target.filter, target.sub) {
        (None, None) => {
            if attr.required {
                return fail(
                    INVALID_VALUE,
                    format!("`{}` is required and cannot be removed", attr.name),
                );
            }
            match value {
                // Entra removes group members with a list of values rather
                // than a filter (RFC 7644 gives remove no value). Honour it
                // on any multi-valued complex attribute: remove the values
                // whose `value` is listed.
                Some(listed) if !listed.is_null() && attr.multi_valued && attr.is_complex() => {
                    let gone = listed_values(attr, listed)?;
                    let exact = attr.sub("value").is_some_and(|s| s.case_exact);
                    let mut values = take_array(m, attr.name);
                    values.retain(|v| {
                        let value = v.as_object().and_then(|o| get_ci(o, "value"));
                        !gone.iter().any(|g| same(value, g, exact))
                    });
                    put_array(m, attr.name, values);
                }
                // Any other attribute goes whole, whatever value came along.
                _ => {
                    guard_immutable(attr, get_ci(m, attr.name), &Value::Null)?;
                    take(m, attr.name);
                }
            }
            Ok(())
        }
        (filter, Some(sub)) => {
            if sub.required {
                return fail(
                    INVALID_VALUE,
                    format!("`{}` is required and cannot be removed", sub.name),
                );
            }
            if !attr.multi_valued {
                let mut object = take_object(m, attr.name);
                guard_immutable(sub, get_ci(&object, sub.name), &Value::Null)?;
                take(&mut object, sub.name);
                put_object(m, attr.name, object);
                return Ok(());
            }
            // Without a filter, `emails.type` means the `type` of every value.
            let mut values = take_array(m, attr.name);
            for value in &mut values {
                let selected = filter.as_ref().is_none_or(|f| matches(attr, f, value));
                if let (true, Value::Object(element)) = (selected, value) {
                    guard_immutable(sub, get_ci(element, sub.name), &Value::Null)?;
                    take(element, sub.name);
                }
            }
            values.retain(|v| v.as_object().is_none_or(|o| !o.is_empty()));
            put_array(m, attr.name, values);
            Ok(())
        }
        // No match is no error: removing what is already gone leaves the
        // resource as the client wants it, and clients retry removals.
        (Some(filter), None) => {
            let mut values = take_array(m, attr.name);
            values.retain(|v| !matches(attr, filter, v));
            put_array(m, attr.name, values);
            Ok(())
        }
    }
}

/// The `value`s of the values listed in a remove.
pub(super) fn listed_values(attr: &Attribute, listed: &Value) -> Outcome<Vec<Value>> {
    elements(attr, listed)?
        .into_iter()
        .map(
            |element| match element.as_object().and_then(|o| o.get("value")) {
                Some(value) => Ok(value.clone()),
                None => fail(
                    INVALID_VALUE,
                    format!(
                        "to remove values of `{}` by value, give each one's `value`",
                        attr.name
                    ),
                ),
            },
        )
        .collect()
}

pub(super) fn same(current: Option<&Value>, listed: &Value, case_exact: bool) -> bool {
    match (current, listed) {
        (Some(Value::String(a)), Value::String(b)) => text_eq(a, b, case_exact),
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}
