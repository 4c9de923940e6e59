//! Group members kept out of the document: operations on `members` as
//! [`MemberChange`]s, in every shape Entra and Okta send them.

use super::*;

/// The membership change an operation on `members` stands for.
pub(super) fn member_change(
    kind: Kind,
    target: &Target,
    value: Option<&Value>,
) -> Outcome<Option<MemberChange>> {
    if target.sub.is_some() {
        return fail(
            INVALID_PATH,
            format!(
                "`{}`: a member cannot be edited; remove it or add another",
                target.text
            ),
        );
    }
    let value = value.filter(|v| !v.is_null());
    Ok(match (kind, &target.filter) {
        (Kind::Remove, Some(filter)) => Some(MemberChange::Remove(filter_ids(filter)?)),
        (Kind::Remove, None) => match value {
            None => Some(MemberChange::RemoveAll),
            Some(listed) => non_empty(member_ids(listed)?).map(MemberChange::Remove),
        },
        (Kind::Add, None) => match value {
            None => None,
            Some(listed) => non_empty(member_ids(listed)?).map(MemberChange::Add),
        },
        (Kind::Replace, None) => Some(MemberChange::Replace(match value {
            None => Vec::new(),
            Some(listed) => member_ids(listed)?,
        })),
        // A member is nothing but its id (`value`, immutable): replacing a
        // selected member would mean swapping one member for another, which
        // is a remove and an add.
        (Kind::Add | Kind::Replace, Some(_)) => {
            return fail(
                INVALID_PATH,
                format!(
                    "`{}`: members cannot be edited in place; remove the member and add the other",
                    target.text
                ),
            );
        }
    })
}

pub(super) fn non_empty(ids: Vec<String>) -> Option<Vec<String>> {
    (!ids.is_empty()).then_some(ids)
}

/// Member ids from `[{"value": id, …}, …]`, a single such object, or bare
/// id strings; in order, without repeats.
pub(super) fn member_ids(value: &Value) -> Outcome<Vec<String>> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    let mut seen = HashSet::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = match item {
            Value::Object(member) => get_ci(member, "value"),
            other => Some(other),
        };
        match id {
            Some(Value::String(id)) if !id.is_empty() => {
                if seen.insert(id.as_str()) {
                    ids.push(id.clone());
                }
            }
            _ => {
                return fail(
                    INVALID_VALUE,
                    "each member needs a string `value`: the member's id",
                );
            }
        }
    }
    Ok(ids)
}

/// Member ids from a filter of `value eq "…"` terms joined by `or`, the only
/// member filter that can be answered without loading the group.
pub(super) fn filter_ids(filter: &ValFilter) -> Outcome<Vec<String>> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    let mut pending = vec![filter];
    while let Some(node) = pending.pop() {
        match node {
            ValFilter::Or(items) => pending.extend(items.iter().rev()),
            ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(id)))
                if path.uri.is_none()
                    && path.sub_attr.is_none()
                    && path.name.eq_ignore_ascii_case("value") =>
            {
                if seen.insert(id.as_str()) {
                    ids.push(id.clone());
                }
            }
            _ => {
                return fail(
                    INVALID_FILTER,
                    format!(
                        "members can only be selected by `value eq \"<id>\"` terms joined by `or`, not by `{filter}`"
                    ),
                );
            }
        }
    }
    Ok(ids)
}
