//! Read-only, immutable and write-only attributes.

use super::*;

#[test]
fn read_only_attributes_cannot_be_changed() {
    let cases = [
        json!({"op": "replace", "path": "id", "value": "u2"}),
        json!({"op": "add", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}),
        json!({"op": "remove", "path": "meta"}),
        json!({"op": "add", "path": "groups", "value": [{"value": "g1"}]}),
        json!({"op": "add", "path": format!("{ENT}:manager.displayName"), "value": "Boss"}),
        json!({"op": "remove", "path": "groups[value eq \"g1\"]"}),
    ];
    for case in cases {
        assert_eq!(user_error(json!([case])), Some("mutability"), "{case}");
    }
}

#[test]
fn read_only_sub_attributes_inside_values_are_dropped() {
    let value = json!({"value": "m1", "displayName": "Boss"});
    let doc = patched(json!([{"op": "add", "path": format!("{ENT}:manager"), "value": value}]));
    assert_eq!(doc[ENT], json!({"manager": {"value": "m1"}}));
}

#[test]
fn an_immutable_sub_attribute_cannot_change_once_set() {
    let mut doc = group();
    doc["members"] = json!([{"value": "a", "type": "User"}]);
    let operations =
        json!([{"op": "replace", "path": "members[value eq \"a\"].value", "value": "b"}]);
    let outcome = apply(&GROUP_TYPE, &mut doc, ops(&operations), false);
    assert_eq!(scim_type(outcome), Some("mutability"));
    let operations = json!([{"op": "add", "path": "members[value eq \"a\"].$ref", "value": "x"}]);
    let outcome = apply(&GROUP_TYPE, &mut doc, ops(&operations), false);
    assert_eq!(
        scim_type(outcome),
        Some("invalidPath"),
        "`$ref` after a filter does not parse"
    );
}

#[test]
fn write_only_attributes_can_be_set() {
    let doc = patched(json!([{"op": "replace", "path": "password", "value": "hunter2"}]));
    assert_eq!(doc["password"], "hunter2");
}
