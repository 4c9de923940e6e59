//! Value filters selecting the values of a multi-valued attribute.

use super::*;

/// The `value`s of the user's e-mails that `filter` selects.
fn selected(emails: Value, filter: &str) -> Vec<String> {
    let mut doc = user();
    doc["emails"] = emails;
    let operations =
        json!([{"op": "replace", "path": format!("emails[{filter}].display"), "value": "hit"}]);
    if let Err(e) = apply(&USER_TYPE, &mut doc, ops(&operations), false) {
        panic!("{filter}: {e}");
    }
    doc["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["display"] == "hit")
        .filter_map(|e| e["value"].as_str().map(str::to_owned))
        .collect()
}

fn three() -> Value {
    json!([
        {"value": "Ann@Example.com", "type": "work", "primary": true},
        {"value": "bob@example.org", "type": "home", "primary": "false"},
        {"value": "carl@test.net", "display": ""}
    ])
}

#[test]
fn string_comparisons_ignore_case_unless_case_exact() {
    assert_eq!(
        selected(three(), "value eq \"ann@example.COM\""),
        ids(&["Ann@Example.com"])
    );
    let mut doc = user();
    doc["x509Certificates"] = json!([{"value": "QUJD"}]);
    let operations = json!([{"op": "remove", "path": "x509Certificates[value eq \"qujd\"]"}]);
    assert!(apply(&USER_TYPE, &mut doc, ops(&operations), false).is_ok());
    assert_eq!(
        doc["x509Certificates"],
        json!([{"value": "QUJD"}]),
        "case-exact: no match"
    );
}

#[test]
fn substring_operators_select_values() {
    assert_eq!(
        selected(three(), "value co \"EXAMPLE\""),
        ids(&["Ann@Example.com", "bob@example.org"])
    );
    assert_eq!(
        selected(three(), "value sw \"b\""),
        ids(&["bob@example.org"])
    );
    assert_eq!(
        selected(three(), "value ew \".net\""),
        ids(&["carl@test.net"])
    );
}

#[test]
fn ne_and_pr_select_values() {
    assert_eq!(
        selected(three(), "type ne \"work\""),
        ids(&["bob@example.org", "carl@test.net"])
    );
    assert_eq!(
        selected(three(), "type pr"),
        ids(&["Ann@Example.com", "bob@example.org"])
    );
}

#[test]
fn present_ignores_empty_values() {
    assert_eq!(selected(three(), "value pr and not (display pr)").len(), 3);
}

#[test]
fn ordering_operators_compare_strings() {
    assert_eq!(
        selected(three(), "value gt \"B\""),
        ids(&["bob@example.org", "carl@test.net"])
    );
    assert_eq!(
        selected(three(), "value ge \"carl@test.net\""),
        ids(&["carl@test.net"])
    );
    assert_eq!(
        selected(three(), "value lt \"b\""),
        ids(&["Ann@Example.com"])
    );
    assert_eq!(
        selected(three(), "value le \"bob@example.org\""),
        ids(&["Ann@Example.com", "bob@example.org"])
    );
}

#[test]
fn and_or_not_combine() {
    let f = "(type eq \"work\" or type eq \"home\") and not (value sw \"a\")";
    assert_eq!(selected(three(), f), ids(&["bob@example.org"]));
}

#[test]
fn booleans_compare_with_json_and_string_booleans() {
    assert_eq!(
        selected(three(), "primary eq true"),
        ids(&["Ann@Example.com"])
    );
    assert_eq!(
        selected(three(), "primary eq false"),
        ids(&["bob@example.org"])
    );
    assert_eq!(
        selected(three(), "primary eq \"TRUE\""),
        ids(&["Ann@Example.com"])
    );
}

#[test]
fn ordering_a_boolean_is_invalid_filter() {
    let e = user_error(json!([{"op": "remove", "path": "emails[primary gt false]"}]));
    assert_eq!(e, Some("invalidFilter"));
}

#[test]
fn a_filter_on_an_unknown_sub_attribute_is_invalid_filter() {
    assert_eq!(
        user_error(json!([{"op": "remove", "path": "emails[colour eq \"red\"]"}])),
        Some("invalidFilter")
    );
    let e = user_error(json!([{"op": "remove", "path": "emails[name.givenName eq \"x\"]"}]));
    assert_eq!(e, Some("invalidFilter"));
}
