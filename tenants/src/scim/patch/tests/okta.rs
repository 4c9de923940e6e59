//! The request shapes Okta sends.

use super::*;

#[test]
fn okta_deactivates_with_a_path_less_boolean() {
    let doc = patched(json!([{"op": "replace", "value": {"active": false}}]));
    assert_eq!(doc["active"], false);
}

#[test]
fn okta_removes_a_member_by_filter() {
    let c = changes(json!([{"op": "remove", "path": "members[value eq \"a\"]"}]));
    assert_eq!(c, vec![MemberChange::Remove(ids(&["a"]))]);
}

#[test]
fn okta_adds_members_with_their_display() {
    let c = changes(
        json!([{"op": "add", "path": "members", "value": [{"value": "a", "display": "x"}]}]),
    );
    assert_eq!(c, vec![MemberChange::Add(ids(&["a"]))]);
}

#[test]
fn okta_rename_repeating_the_group_id_is_accepted() {
    let (doc, c) =
        patched_group(json!([{"op": "replace", "value": {"id": "g1", "displayName": "Test"}}]));
    assert_eq!(doc["displayName"], "Test");
    assert_eq!(doc["id"], "g1");
    assert!(c.is_empty());
}

#[test]
fn a_path_less_value_that_changes_a_read_only_attribute_is_refused() {
    let e = group_error(json!([{"op": "replace", "value": {"id": "g2", "displayName": "Test"}}]));
    assert_eq!(e, Some("mutability"));
}
