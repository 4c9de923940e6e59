//! The `remove` operation.

use super::*;

#[test]
fn remove_needs_a_path() {
    assert_eq!(user_error(json!([{"op": "remove"}])), Some("noTarget"));
    assert_eq!(
        user_error(json!([{"op": "remove", "value": {"title": "x"}}])),
        Some("noTarget")
    );
}

#[test]
fn removing_an_absent_attribute_succeeds_and_changes_nothing() {
    let doc = patched(json!([
        {"op": "remove", "path": "title"},
        {"op": "remove", "path": format!("{ENT}:manager")},
        {"op": "remove", "path": "addresses[type eq \"work\"]"}
    ]));
    assert_eq!(doc, user());
}

#[test]
fn remove_with_a_filter_removes_the_matching_values() {
    let doc = patched(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]));
    assert_eq!(
        doc["emails"],
        json!([{"value": "b@home.example", "type": "home"}])
    );
}

#[test]
fn removing_the_last_value_removes_the_attribute() {
    let doc = patched(json!([{"op": "remove", "path": "emails[value co \"@\"]"}]));
    assert_eq!(doc.get("emails"), None);
}

#[test]
fn remove_with_a_filter_and_a_sub_attribute_removes_it_from_the_matching_values() {
    let doc = patched(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
    assert_eq!(
        doc["emails"][0],
        json!({"value": "b@work.example", "type": "work"})
    );
    assert_eq!(doc["emails"][1], user()["emails"][1]);
}

#[test]
fn remove_of_a_sub_attribute_without_a_filter_removes_it_from_every_value() {
    let doc = patched(json!([{"op": "remove", "path": "emails.type"}]));
    assert_eq!(
        doc["emails"],
        json!([{"value": "b@work.example", "primary": true}, {"value": "b@home.example"}])
    );
}

#[test]
fn a_required_attribute_cannot_be_removed() {
    assert_eq!(
        user_error(json!([{"op": "remove", "path": "userName"}])),
        Some("invalidValue")
    );
    assert_eq!(
        user_error(json!([{"op": "replace", "path": "userName", "value": null}])),
        Some("invalidValue")
    );
    assert_eq!(
        group_error(json!([{"op": "Remove", "path": "displayName"}])),
        Some("invalidValue")
    );
}

#[test]
fn removing_the_last_sub_attribute_removes_the_complex_attribute() {
    let doc = patched(
        json!([{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}]),
    );
    assert_eq!(doc.get("name"), None);
}

#[test]
fn removing_the_last_extension_attribute_removes_the_extension_object() {
    let doc = patched(json!([
        {"op": "add", "path": format!("{ENT}:department"), "value": "D"},
        {"op": "remove", "path": format!("{ENT}:department")}
    ]));
    assert_eq!(doc.get(ENT), None);
}

#[test]
fn remove_with_a_value_list_removes_the_listed_values() {
    let doc = patched(
        json!([{"op": "remove", "path": "emails", "value": [{"value": "B@HOME.example"}]}]),
    );
    assert_eq!(
        doc["emails"],
        json!([{"value": "b@work.example", "type": "work", "primary": true}])
    );
}

#[test]
fn remove_of_a_single_valued_attribute_ignores_a_value() {
    let mut doc = user();
    doc[ENT] = json!({"manager": {"value": "m1"}, "department": "D"});
    let operations =
        json!([{"op": "Remove", "path": format!("{ENT}:manager"), "value": [{"value": "m1"}]}]);
    assert!(apply(&USER_TYPE, &mut doc, ops(&operations), false).is_ok());
    assert_eq!(doc[ENT], json!({"department": "D"}));
}
