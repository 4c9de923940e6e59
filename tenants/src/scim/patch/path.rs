//! PATCH paths (RFC 7644 §3.5.2): parsed with `scim_v2`'s grammar and resolved
//! against the resource type's schemas; value filters checked against the
//! attribute they filter.

use super::*;

/// Parses a `path` and resolves it against the resource type's schemas.
pub(super) fn parse_path(rt: &ResourceType, raw: &str) -> Outcome<Path> {
    let text = raw.trim();
    // A schema URN alone. scim_v2 splits an attribute path at its last
    // colon, so it would read `…:enterprise:2.0:User` as attribute `User`
    // of a schema `…:enterprise:2.0`.
    if let Some(urn) = rt.schema_ids().find(|id| id.eq_ignore_ascii_case(text)) {
        return Ok(Path::Schema(urn));
    }
    if text.eq_ignore_ascii_case("schemas") {
        return Ok(Path::Schemas);
    }
    // Take our own URN prefix off first, so that scim_v2 only reads the
    // attribute part and any URN it still finds is one we don't have.
    let (uri, rest) = split_urn(rt, text);
    let parsed = match rest.parse::<PatchPath>() {
        Ok(parsed) => parsed,
        Err(error) => return plain_dotted_path(rt, text, uri, rest, &error),
    };
    let (path, filter, sub) = split_value_path(parsed, text)?;
    if let Some(other) = &path.uri {
        return fail(
            INVALID_PATH,
            format!("`{text}`: `{other}` is not a schema of a {}", rt.name),
        );
    }
    let resolved = resolve(rt, uri, &path.name, sub.as_deref()).ok_or_else(|| Fail {
        scim_type: INVALID_PATH,
        detail: format!("`{text}` is not an attribute of a {}", rt.name),
    })?;
    if let Some(filter) = &filter {
        if !(resolved.attribute.multi_valued && resolved.attribute.is_complex()) {
            return fail(
                INVALID_PATH,
                format!("`{text}`: only a multi-valued attribute takes a value filter"),
            );
        }
        check_filter(resolved.attribute, filter)?;
    }
    Ok(Path::Attr(Target {
        text: text.to_owned(),
        home: resolved.home,
        attr: resolved.attribute,
        sub: resolved.sub,
        filter,
    }))
}

/// A path the grammar refused, taken when it is a plain dotted path that
/// resolves. RFC 7644's ATTRNAME has no `$`, so scim_v2 rejects
/// `manager.$ref`, though `$ref` is a sub-attribute name of RFC 7643's own.
fn plain_dotted_path(
    rt: &ResourceType,
    text: &str,
    uri: Option<&str>,
    rest: &str,
    error: &dyn std::fmt::Display,
) -> Outcome<Path> {
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    match resolve(rt, uri, name, sub) {
        Some(resolved) if !rest.contains('[') => Ok(Path::Attr(Target {
            text: text.to_owned(),
            home: resolved.home,
            attr: resolved.attribute,
            sub: resolved.sub,
            filter: None,
        })),
        _ => fail(
            INVALID_PATH,
            format!("`{text}` is not a valid path: {error}"),
        ),
    }
}

/// The attribute a parsed path names, its value filter and its
/// sub-attribute; a filter is refused on a sub-attribute (`a.b[…]`).
fn split_value_path(
    parsed: PatchPath,
    text: &str,
) -> Outcome<(AttrPath, Option<ValFilter>, Option<String>)> {
    match parsed {
        PatchPath::Attr(path) => {
            let sub = path.sub_attr.clone();
            Ok((path, None, sub))
        }
        PatchPath::Value(value_path) if value_path.attr.sub_attr.is_none() => Ok((
            value_path.attr,
            Some(value_path.filter),
            value_path.sub_attr,
        )),
        PatchPath::Value(_) => fail(
            INVALID_PATH,
            format!("`{text}`: only a multi-valued attribute takes a value filter"),
        ),
    }
}

/// [`ResourceType::resolve`], which also takes an extension attribute
/// without its URN when exactly one extension has it. RFC 7644 §3.10 wants
/// the URN, but Entra's tutorial (its Example 5) sends `"path": "manager"`.
pub(super) fn resolve(
    rt: &ResourceType,
    uri: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<Resolved> {
    rt.resolve(uri, name, sub).or_else(|| {
        if uri.is_some() {
            return None;
        }
        let mut found = rt
            .extensions
            .iter()
            .filter_map(|ext| rt.resolve(Some(ext.id), name, sub));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    })
}

/// Checks that a value filter only names sub-attributes of `attr`, and
/// compares with gt/ge/lt/le only what has an order.
pub(super) fn check_filter(attr: &Attribute, filter: &ValFilter) -> Outcome {
    let mut pending = vec![filter];
    while let Some(node) = pending.pop() {
        match node {
            ValFilter::Not(inner) => pending.push(inner),
            ValFilter::And(items) | ValFilter::Or(items) => pending.extend(items.iter()),
            ValFilter::Attr(exp) => {
                let (path, op) = match exp {
                    AttrExp::Present(path) => (path, None),
                    AttrExp::Comparison(path, op, _) => (path, Some(op)),
                };
                let sub = match path {
                    AttrPath {
                        uri: None,
                        name,
                        sub_attr: None,
                    } => attr.sub(name),
                    _ => None,
                };
                let Some(sub) = sub else {
                    return fail(
                        INVALID_FILTER,
                        format!("`{path}` is not a sub-attribute of `{}`", attr.name),
                    );
                };
                let ordering = matches!(
                    op,
                    Some(CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le)
                );
                if ordering && matches!(sub.ty, Type::Boolean | Type::Binary) {
                    return fail(
                        INVALID_FILTER,
                        format!(
                            "`{}` has no order: gt, ge, lt and le do not apply to it",
                            sub.name
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}
