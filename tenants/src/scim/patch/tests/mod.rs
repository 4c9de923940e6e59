//! The PATCH engine's behaviour, operation by operation.

use super::super::schema::{ENTERPRISE_USER, GROUP, GROUP_TYPE, USER, USER_TYPE};
use super::*;
use serde_json::json;

const ENT: &str = ENTERPRISE_USER;

fn user() -> Value {
    json!({
        "schemas": [USER],
        "id": "u1",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "b@work.example", "type": "work", "primary": true},
            {"value": "b@home.example", "type": "home"}
        ],
        "meta": {"resourceType": "User"}
    })
}

fn group() -> Value {
    json!({"schemas": [GROUP], "id": "g1", "displayName": "Admins"})
}

fn ops(operations: &Value) -> &[Value] {
    operations.as_array().map_or(&[], Vec::as_slice)
}

/// Patches `user()` and returns it, failing the test on an error.
fn patched(operations: Value) -> Value {
    let mut doc = user();
    if let Err(e) = apply(&USER_TYPE, &mut doc, ops(&operations), false) {
        panic!("patch failed: {e}");
    }
    doc
}

/// Patches `group()` with members apart: the document and the changes.
fn patched_group(operations: Value) -> (Value, Vec<MemberChange>) {
    let mut doc = group();
    match apply(&GROUP_TYPE, &mut doc, ops(&operations), true) {
        Ok(changes) => (doc, changes),
        Err(e) => panic!("patch failed: {e}"),
    }
}

fn changes(operations: Value) -> Vec<MemberChange> {
    patched_group(operations).1
}

fn scim_type(outcome: Result<Vec<MemberChange>>) -> Option<&'static str> {
    match outcome {
        Err(Error::Scim { kind, .. }) => kind.scim_type(),
        _ => None,
    }
}

/// The scimType a patch of `user()` fails with.
fn user_error(operations: Value) -> Option<&'static str> {
    scim_type(apply(&USER_TYPE, &mut user(), ops(&operations), false))
}

fn group_error(operations: Value) -> Option<&'static str> {
    scim_type(apply(&GROUP_TYPE, &mut group(), ops(&operations), true))
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

mod add;
mod entra;
mod members;
mod mutability;
mod okta;
mod operations;
mod paths;
mod primary;
mod properties;
mod remove;
mod replace;
mod scim_v2_quirks;
mod value_filters;
