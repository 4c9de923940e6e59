//! The `replace` operation.

use super::*;

#[test]
fn replace_of_a_multi_valued_attribute_replaces_every_value() {
    let doc = patched(
        json!([{"op": "replace", "path": "emails", "value": [{"value": "c@x", "type": "other"}]}]),
    );
    assert_eq!(doc["emails"], json!([{"value": "c@x", "type": "other"}]));
}

#[test]
fn replace_of_a_complex_attribute_keeps_the_sub_attributes_not_given() {
    let doc = patched(json!([{"op": "replace", "path": "name", "value": {"givenName": "B"}}]));
    assert_eq!(
        doc["name"],
        json!({"givenName": "B", "familyName": "Jensen"})
    );
}

#[test]
fn replace_with_a_filter_replaces_the_whole_matching_value() {
    let doc = patched(
        json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h@x", "type": "home"}}]),
    );
    assert_eq!(doc["emails"][1], json!({"value": "h@x", "type": "home"}));
}

#[test]
fn replace_with_a_filter_and_a_sub_attribute_sets_only_that_sub_attribute() {
    let doc = patched(
        json!([{"op": "replace", "path": "emails[type eq \"home\"].display", "value": "Home"}]),
    );
    assert_eq!(
        doc["emails"][1],
        json!({"value": "b@home.example", "type": "home", "display": "Home"})
    );
}

#[test]
fn replace_with_a_filter_that_matches_nothing_and_cannot_create_is_no_target() {
    let e = user_error(
        json!([{"op": "replace", "path": "emails[type ne \"work\" and type ne \"home\"].value", "value": "v"}]),
    );
    assert_eq!(e, Some("noTarget"));
    let e = user_error(
        json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "v"}}]),
    );
    assert_eq!(e, Some("noTarget"));
}

#[test]
fn replace_with_null_unassigns_the_attribute() {
    let doc = patched(json!([
        {"op": "replace", "path": "name.givenName", "value": null},
        {"op": "replace", "value": {"emails": null}}
    ]));
    assert_eq!(doc["name"], json!({"familyName": "Jensen"}));
    assert_eq!(doc.get("emails"), None);
}

#[test]
fn replacing_the_manager_drops_its_stale_display_name() {
    let mut doc = user();
    doc[ENT] = json!({"manager": {"value": "m1", "displayName": "Old Boss"}});
    let operations = json!([{"op": "replace", "path": format!("{ENT}:manager"), "value": "m2"}]);
    assert!(apply(&USER_TYPE, &mut doc, ops(&operations), false).is_ok());
    assert_eq!(doc[ENT], json!({"manager": {"value": "m2"}}));
}
