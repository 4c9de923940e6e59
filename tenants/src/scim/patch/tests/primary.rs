//! At most one value of a multi-valued attribute is primary.

use super::*;

#[test]
fn adding_a_primary_value_demotes_the_old_primary() {
    let doc = patched(
        json!([{"op": "add", "path": "emails", "value": [{"value": "c@x", "primary": true}]}]),
    );
    assert_eq!(doc["emails"][0]["primary"], false);
    assert_eq!(doc["emails"][2]["primary"], true);
}

#[test]
fn the_value_made_primary_by_a_filter_stays_primary() {
    let mut doc = user();
    doc["emails"] = json!([{"value": "a", "primary": false}, {"value": "b", "primary": true}]);
    let operations =
        json!([{"op": "replace", "path": "emails[value eq \"a\"].primary", "value": true}]);
    assert!(apply(&USER_TYPE, &mut doc, ops(&operations), false).is_ok());
    assert_eq!(
        doc["emails"],
        json!([{"value": "a", "primary": true}, {"value": "b", "primary": false}])
    );
}

#[test]
fn a_replaced_list_keeps_only_its_last_primary() {
    let doc = patched(json!([{"op": "replace", "path": "emails", "value": [
        {"value": "a", "primary": "True"}, {"value": "b", "primary": true}, {"value": "c"}
    ]}]));
    assert_eq!(
        doc["emails"],
        json!([{"value": "a", "primary": false}, {"value": "b", "primary": true}, {"value": "c"}])
    );
}
