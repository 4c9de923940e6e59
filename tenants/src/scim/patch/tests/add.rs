//! The `add` operation.

use super::*;

#[test]
fn add_sets_a_single_valued_attribute() {
    let doc = patched(json!([{"op": "add", "path": "userName", "value": "babs"}]));
    assert_eq!(doc["userName"], "babs");
}

#[test]
fn add_merges_the_sub_attributes_of_a_complex_attribute() {
    let doc = patched(
        json!([{"op": "add", "path": "name", "value": {"middleName": "J", "givenName": "B"}}]),
    );
    assert_eq!(
        doc["name"],
        json!({"givenName": "B", "familyName": "Jensen", "middleName": "J"})
    );
}

#[test]
fn add_appends_to_a_multi_valued_attribute() {
    let doc = patched(
        json!([{"op": "add", "path": "phoneNumbers", "value": [{"value": "1", "type": "work"}]}]),
    );
    assert_eq!(doc["phoneNumbers"], json!([{"value": "1", "type": "work"}]));
    let doc = patched(json!([{"op": "add", "path": "emails", "value": [{"value": "c@x"}]}]));
    assert_eq!(doc["emails"][2], json!({"value": "c@x"}));
}

#[test]
fn add_takes_a_single_object_for_a_multi_valued_attribute() {
    let doc = patched(json!([{"op": "add", "path": "emails", "value": {"value": "c@x"}}]));
    assert_eq!(doc["emails"][2], json!({"value": "c@x"}));
}

#[test]
fn add_does_not_repeat_an_exact_duplicate() {
    let doc = patched(
        json!([{"op": "add", "path": "emails", "value": [{"value": "b@home.example", "type": "home"}]}]),
    );
    assert_eq!(doc["emails"], user()["emails"]);
}

#[test]
fn add_of_a_filtered_sub_attribute_sets_it_on_each_match() {
    let doc = patched(
        json!([{"op": "add", "path": "emails[value ew \"example\"].display", "value": "B"}]),
    );
    assert_eq!(doc["emails"][0]["display"], "B");
    assert_eq!(doc["emails"][1]["display"], "B");
}

#[test]
fn add_of_a_filtered_sub_attribute_creates_the_value_when_nothing_matches() {
    let doc = patched(
        json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "5"}]),
    );
    assert_eq!(
        doc["phoneNumbers"],
        json!([{"type": "mobile", "value": "5"}])
    );
}

#[test]
fn add_with_a_filter_that_matches_nothing_and_cannot_create_is_no_target() {
    let e = user_error(json!([{"op": "add", "path": "emails[type co \"x\"].value", "value": "v"}]));
    assert_eq!(e, Some("noTarget"));
    let e = user_error(
        json!([{"op": "add", "path": "emails[type eq \"x\"]", "value": {"value": "v"}}]),
    );
    assert_eq!(e, Some("noTarget"));
}

#[test]
fn add_of_a_sub_attribute_of_every_value_needs_a_filter() {
    assert_eq!(
        user_error(json!([{"op": "add", "path": "emails.type", "value": "work"}])),
        Some("invalidPath")
    );
}

#[test]
fn unknown_sub_attributes_inside_a_value_are_dropped() {
    let doc = patched(
        json!([{"op": "add", "path": "emails", "value": [{"value": "x", "colour": "red"}]}]),
    );
    assert_eq!(doc["emails"][2], json!({"value": "x"}));
}

#[test]
fn a_scalar_where_a_complex_value_without_value_is_expected_is_invalid_value() {
    assert_eq!(
        user_error(json!([{"op": "add", "path": "name", "value": "B J"}])),
        Some("invalidValue")
    );
}
