//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON document.
//!
//! The engine is pure. It takes a resource in canonical form (the schema's
//! attribute names; extension attributes in an object under their URN),
//! applies the `Operations` of a PatchOp to it, and hands back the member
//! changes it was asked to keep out of the document. It places values but
//! does not type-check them: the caller re-validates and converts the
//! document afterwards, so `"active": "False"` stays a string here. What it
//! does own is structure: attribute names resolved case-insensitively and
//! written in canonical case, mutability, required attributes, value
//! filters, and at most one `primary` value.
//!
//! Client habits accepted on purpose, each explained where it is handled:
//! Microsoft Entra's capitalised ops, path-less values keyed by attribute
//! paths, `Remove` of members with a value list, a manager given as a bare
//! id or as a one-element array, an extension attribute named without its
//! URN, and `replace` of `emails[type eq "work"].value` when there is no
//! work e-mail yet; Okta's path-less `replace` that repeats the group's `id`.

use std::borrow::Cow;
use std::collections::HashSet;

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value};

use super::schema::{Attribute, Home, Mutability, Resolved, ResourceType, Type, split_urn};
use crate::error::{Error, Result, ScimError};

type Object = Map<String, Value>;

/// A change to a group's membership that [`apply`] left for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Add these members (by id); those already in the group stay.
    Add(Vec<String>),
    /// Remove these members (by id); ids that are not members are no error.
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
    /// Make these exactly the group's members.
    Replace(Vec<String>),
}

/// Applies the operations of a PatchOp request body to a resource document.
///
/// `doc` is the resource of type `rt` in canonical form; `operations` is
/// the body's `Operations` array. With `members_apart` (groups), operations
/// on `members` do not touch the document: they come back, in order, as
/// [`MemberChange`]s, so that a group of any size is never loaded whole.
///
/// The patch is atomic (RFC 7644 §3.5.2): on error `doc` is left as it was.
/// Errors are SCIM 400s whose detail names the failing operation.
pub fn apply(
    rt: &'static ResourceType,
    doc: &mut Value,
    operations: &[Value],
    members_apart: bool,
) -> Result<Vec<MemberChange>> {
    let Value::Object(root) = doc else {
        return Err(Error::scim(
            INVALID_SYNTAX,
            "the resource to patch is not a JSON object",
        ));
    };
    // Operations work on a copy that replaces the document only once all of
    // them succeed. That also lets the helpers below take a value out of the
    // document, change it and put it back, without caring about the state
    // they leave behind when they fail.
    let mut work = root.clone();
    let mut patcher = Patcher {
        rt,
        members_apart,
        changes: Vec::new(),
    };
    for (i, operation) in operations.iter().enumerate() {
        patcher
            .operation(&mut work, operation)
            .map_err(|f| Error::scim(f.scim_type, format!("Operations[{i}]: {}", f.detail)))?;
    }
    *root = work;
    Ok(patcher.changes)
}

const INVALID_SYNTAX: ScimError = ScimError::InvalidSyntax;
const INVALID_PATH: ScimError = ScimError::InvalidPath;
const INVALID_VALUE: ScimError = ScimError::InvalidValue;
const INVALID_FILTER: ScimError = ScimError::InvalidFilter;
const NO_TARGET: ScimError = ScimError::NoTarget;
const MUTABILITY: ScimError = ScimError::Mutability;

/// Why an operation failed; [`apply`] turns it into a SCIM 400.
struct Fail {
    scim_type: ScimError,
    detail: String,
}

type Outcome<T = ()> = std::result::Result<T, Fail>;

fn fail<T>(scim_type: ScimError, detail: impl Into<String>) -> Outcome<T> {
    Err(Fail {
        scim_type,
        detail: detail.into(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

/// What a `path` (or a key of a path-less value) designates.
enum Path {
    /// `schemas`: a client restating the resource's schemas. Ignored.
    Schemas,
    /// A schema URN alone: that schema's attributes, as one object.
    Schema(&'static str),
    Attr(Target),
}

/// An attribute, or a sub-attribute, possibly of the values a filter selects.
struct Target {
    /// The path as the client wrote it, for error messages.
    text: String,
    home: Home,
    attr: &'static Attribute,
    sub: Option<&'static Attribute>,
    filter: Option<ValFilter>,
}

struct Patcher {
    rt: &'static ResourceType,
    members_apart: bool,
    changes: Vec<MemberChange>,
}

impl Patcher {
    fn operation(&mut self, root: &mut Object, operation: &Value) -> Outcome {
        let Some(operation) = operation.as_object() else {
            return fail(INVALID_SYNTAX, "an operation must be a JSON object");
        };
        // Entra sends `Add`, `Replace`, `Remove`: op names ignore case.
        let kind = match get_ci(operation, "op") {
            Some(Value::String(op)) if op.eq_ignore_ascii_case("add") => Kind::Add,
            Some(Value::String(op)) if op.eq_ignore_ascii_case("replace") => Kind::Replace,
            Some(Value::String(op)) if op.eq_ignore_ascii_case("remove") => Kind::Remove,
            Some(op) => {
                return fail(
                    INVALID_SYNTAX,
                    format!("`op` must be add, replace or remove, not {op}"),
                );
            }
            None => return fail(INVALID_SYNTAX, "the operation has no `op`"),
        };
        let path = match get_ci(operation, "path") {
            None | Some(Value::Null) => None,
            Some(Value::String(path)) => Some(parse_path(self.rt, path)?),
            Some(path) => {
                return fail(INVALID_PATH, format!("`path` must be a string, not {path}"));
            }
        };
        match (kind, path, get_ci(operation, "value")) {
            (Kind::Remove, None, _) => fail(NO_TARGET, "remove needs a `path`"),
            (Kind::Remove, Some(path), value) => self.at(root, kind, path, value),
            // A replace with `null` unassigns (RFC 7643 §2.5); an add of
            // nothing is a mistake.
            (_, _, None) | (Kind::Add, _, Some(Value::Null)) => {
                fail(INVALID_VALUE, "add and replace need a `value`")
            }
            (_, Some(path), value) => self.at(root, kind, path, value),
            (_, None, Some(value)) => self.each_key(root, kind, None, value),
        }
    }

    fn at(&mut self, root: &mut Object, kind: Kind, path: Path, value: Option<&Value>) -> Outcome {
        match path {
            Path::Schemas => Ok(()),
            Path::Schema(urn) if kind == Kind::Remove => self.remove_schema(root, urn),
            Path::Schema(urn) => {
                self.each_key(root, kind, Some(urn), value.unwrap_or(&Value::Null))
            }
            Path::Attr(target) => self.target(root, kind, target, value, false),
        }
    }

    /// A path-less add or replace, or one whose path is a schema URN: each
    /// key of `value` is itself a path (RFC 7644 §3.5.2.1 and §3.5.2.3 say
    /// attribute names; Entra sends `name.givenName` and URN-qualified
    /// paths), applied in turn with its value.
    fn each_key(
        &mut self,
        root: &mut Object,
        kind: Kind,
        schema: Option<&'static str>,
        value: &Value,
    ) -> Outcome {
        let Some(object) = value.as_object() else {
            return fail(
                INVALID_VALUE,
                "without a path, `value` must be an object of attributes",
            );
        };
        for (key, value) in object {
            // An extension's value object may repeat `schemas` (scim2-tester
            // sends the whole extension model): not an attribute, ignored.
            if schema.is_some() && key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let path = match schema {
                Some(urn) => format!("{urn}:{key}"),
                None => key.clone(),
            };
            match parse_path(self.rt, &path)? {
                Path::Schemas => {}
                // A key that is an extension URN holds that extension's
                // attributes. The nested call has `schema` set, and every
                // key it builds is longer than a URN, so it cannot recurse.
                Path::Schema(urn) if schema.is_none() => {
                    self.each_key(root, kind, Some(urn), value)?
                }
                Path::Schema(_) => {
                    return fail(INVALID_PATH, format!("`{path}` is not an attribute"));
                }
                Path::Attr(target) => self.target(root, kind, target, Some(value), true)?,
            }
        }
        Ok(())
    }

    fn remove_schema(&mut self, root: &mut Object, urn: &'static str) -> Outcome {
        match self.rt.extension(urn) {
            Some(ext) if !ext.attributes.iter().any(|a| a.required) => {
                take(root, urn);
                Ok(())
            }
            _ => fail(
                INVALID_VALUE,
                format!("`{urn}` holds required attributes and cannot be removed"),
            ),
        }
    }

    /// `keyed`: the target is a key of a path-less value, not a `path`.
    fn target(
        &mut self,
        root: &mut Object,
        kind: Kind,
        target: Target,
        value: Option<&Value>,
        keyed: bool,
    ) -> Outcome {
        let read_only = target.attr.mutability == Mutability::ReadOnly
            || target
                .sub
                .is_some_and(|s| s.mutability == Mutability::ReadOnly);
        if read_only {
            // Okta renames a group with a path-less replace that repeats its
            // `id`. Restating a readOnly value unchanged modifies nothing, so
            // it is let through; any real change is refused.
            let unchanged = keyed
                && target.filter.is_none()
                && value.is_some_and(|v| current(root, &target) == Some(v));
            if unchanged {
                return Ok(());
            }
            return fail(MUTABILITY, format!("`{}` is readOnly", target.text));
        }
        if self.members_apart && target.home == Home::Core && target.attr.name == "members" {
            if let Some(change) = member_change(kind, &target, value)? {
                self.changes.push(change);
            }
            return Ok(());
        }
        with_container(root, target.home, |m| match (kind, value) {
            (Kind::Remove, value) => remove(m, &target, value),
            // RFC 7643 §2.5: null is the same as unassigned.
            (Kind::Replace, Some(Value::Null)) => remove(m, &target, None),
            // Only a path-less key can get here with nothing to add.
            (Kind::Add, Some(Value::Null)) | (_, None) => Ok(()),
            (kind, Some(value)) => write(m, kind, &target, value),
        })
    }
}

mod matching;
mod members;
mod object;
mod path;
#[cfg(test)]
mod tests;
mod values;
mod write;

use matching::*;
use members::*;
use object::*;
use path::*;
use values::*;
use write::*;
