//! Value filters evaluated on one element of a multi-valued attribute.

use super::*;

/// Whether `element`, a value of `attr`, passes `filter`. The recursion is
/// bounded: every filter here comes from scim_v2's parser, which refuses
/// nesting deeper than `scim_v2::filter::MAX_FILTER_DEPTH`.
pub(super) fn matches(attr: &Attribute, filter: &ValFilter, element: &Value) -> bool {
    match filter {
        ValFilter::Attr(exp) => test(attr, exp, element),
        ValFilter::Not(inner) => !matches(attr, inner, element),
        ValFilter::And(items) => items.iter().all(|f| matches(attr, f, element)),
        ValFilter::Or(items) => items.iter().any(|f| matches(attr, f, element)),
    }
}

pub(super) fn test(attr: &Attribute, exp: &AttrExp, element: &Value) -> bool {
    let Some(element) = element.as_object() else {
        return false;
    };
    let (path, comparison) = match exp {
        AttrExp::Present(path) => (path, None),
        AttrExp::Comparison(path, op, value) => (path, Some((op, value))),
    };
    let Some(sub) = attr.sub(&path.name) else {
        return false;
    };
    let actual = get_ci(element, sub.name).filter(|v| !v.is_null());
    match comparison {
        // RFC 7644 §3.4.2.2: present means a non-empty value.
        None => actual.is_some_and(|v| !is_empty(v)),
        Some((op, expected)) => compare(actual, op, expected, sub.case_exact),
    }
}

pub(super) fn compare(
    actual: Option<&Value>,
    op: &CompareOp,
    expected: &CompValue,
    case_exact: bool,
) -> bool {
    match op {
        CompareOp::Eq => equals(actual, expected, case_exact),
        CompareOp::Ne => !equals(actual, expected, case_exact),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => match (actual, expected) {
            (Some(Value::String(a)), CompValue::Str(b)) => {
                let (a, b) = (fold(a, case_exact), fold(b, case_exact));
                match op {
                    CompareOp::Co => a.contains(&*b),
                    CompareOp::Sw => a.starts_with(&*b),
                    _ => a.ends_with(&*b),
                }
            }
            _ => false,
        },
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
            let order = match (actual, expected) {
                (Some(Value::String(a)), CompValue::Str(b)) => {
                    Some(fold(a, case_exact).cmp(&fold(b, case_exact)))
                }
                (Some(Value::Number(a)), CompValue::Number(b)) => a
                    .as_f64()
                    .zip(b.as_f64())
                    .and_then(|(a, b)| a.partial_cmp(&b)),
                _ => None,
            };
            order.is_some_and(|o| match op {
                CompareOp::Gt => o.is_gt(),
                CompareOp::Ge => o.is_ge(),
                CompareOp::Lt => o.is_lt(),
                _ => o.is_le(),
            })
        }
    }
}

pub(super) fn equals(actual: Option<&Value>, expected: &CompValue, case_exact: bool) -> bool {
    match (actual, expected) {
        (None, CompValue::Null) => true,
        (_, CompValue::Null) | (None, _) => false,
        (Some(Value::String(a)), CompValue::Str(b)) => text_eq(a, b, case_exact),
        // Booleans: until the caller converts it, the document may hold a
        // client's "True" (Entra) as a string.
        (Some(v), CompValue::True) => as_bool(v) == Some(true),
        (Some(v), CompValue::False) => as_bool(v) == Some(false),
        (Some(Value::Bool(a)), CompValue::Str(b)) => parse_bool(b) == Some(*a),
        (Some(Value::Number(a)), CompValue::Number(b)) => {
            a.as_f64().is_some() && a.as_f64() == b.as_f64()
        }
        _ => false,
    }
}

pub(super) fn fold(s: &str, case_exact: bool) -> Cow<'_, str> {
    if case_exact {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

pub(super) fn text_eq(a: &str, b: &str, case_exact: bool) -> bool {
    fold(a, case_exact) == fold(b, case_exact)
}

pub(super) fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => parse_bool(s),
        _ => None,
    }
}

pub(super) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub(super) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}
