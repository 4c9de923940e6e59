//! Group members, kept apart from the document as changes.

use super::*;

#[test]
fn member_adds_and_removes_come_back_in_order() {
    let (doc, c) = patched_group(json!([
        {"op": "remove", "path": "members[value eq \"b\"]"},
        {"op": "add", "path": "members", "value": [{"value": "a"}]},
        {"op": "replace", "path": "displayName", "value": "Ops"}
    ]));
    assert_eq!(
        c,
        vec![
            MemberChange::Remove(ids(&["b"])),
            MemberChange::Add(ids(&["a"]))
        ]
    );
    assert_eq!(
        doc,
        json!({"schemas": [GROUP], "id": "g1", "displayName": "Ops"})
    );
}

#[test]
fn a_member_filter_of_or_terms_removes_each_id() {
    let c = changes(
        json!([{"op": "remove", "path": "members[value eq \"a\" or value eq \"b\" or VALUE eq \"a\"]"}]),
    );
    assert_eq!(c, vec![MemberChange::Remove(ids(&["a", "b"]))]);
}

#[test]
fn remove_of_members_without_a_value_removes_all() {
    assert_eq!(
        changes(json!([{"op": "remove", "path": "members"}])),
        vec![MemberChange::RemoveAll]
    );
}

#[test]
fn replace_of_members_replaces_them_all() {
    let c = changes(
        json!([{"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}]),
    );
    assert_eq!(c, vec![MemberChange::Replace(ids(&["a", "b"]))]);
    assert_eq!(
        changes(json!([{"op": "replace", "path": "members", "value": []}])),
        vec![MemberChange::Replace(vec![])]
    );
}

#[test]
fn adding_no_members_is_no_change() {
    assert_eq!(
        changes(json!([{"op": "add", "path": "members", "value": []}])),
        vec![]
    );
}

#[test]
fn a_path_less_value_with_members_splits_them_off() {
    let (doc, c) = patched_group(json!([
        {"op": "add", "value": {"members": [{"value": "a"}], "displayName": "Ops"}},
        {"op": "Replace", "value": {"MEMBERS": [{"value": "b"}]}}
    ]));
    assert_eq!(
        c,
        vec![
            MemberChange::Add(ids(&["a"])),
            MemberChange::Replace(ids(&["b"]))
        ]
    );
    assert_eq!(doc["displayName"], "Ops");
    assert_eq!(doc.get("members"), None);
}

#[test]
fn a_member_filter_other_than_value_eq_is_invalid_filter() {
    for filter in [
        "display eq \"x\"",
        "value co \"a\"",
        "value eq \"a\" and type eq \"User\"",
        "not (value eq \"a\")",
    ] {
        let e = group_error(json!([{"op": "remove", "path": format!("members[{filter}]")}]));
        assert_eq!(e, Some("invalidFilter"), "{filter}");
    }
}

#[test]
fn replace_or_add_of_a_filtered_member_is_invalid_path() {
    let e = group_error(
        json!([{"op": "replace", "path": "members[value eq \"a\"]", "value": {"value": "b"}}]),
    );
    assert_eq!(e, Some("invalidPath"));
    let e = group_error(
        json!([{"op": "add", "path": "members[value eq \"a\"]", "value": {"value": "b"}}]),
    );
    assert_eq!(e, Some("invalidPath"));
}

#[test]
fn a_member_sub_attribute_cannot_be_edited() {
    let e = group_error(
        json!([{"op": "replace", "path": "members[value eq \"a\"].type", "value": "User"}]),
    );
    assert_eq!(e, Some("invalidPath"));
}

#[test]
fn a_member_without_a_string_value_is_invalid_value() {
    let e = group_error(json!([{"op": "add", "path": "members", "value": [{"display": "x"}]}]));
    assert_eq!(e, Some("invalidValue"));
    let e = group_error(json!([{"op": "add", "path": "members", "value": [{"value": 7}]}]));
    assert_eq!(e, Some("invalidValue"));
}

#[test]
fn members_are_patched_in_the_document_when_not_kept_apart() {
    let mut doc = group();
    doc["members"] = json!([{"value": "a"}, {"value": "b"}]);
    let operations = json!([
        {"op": "remove", "path": "members[value eq \"a\"]"},
        {"op": "add", "path": "members", "value": [{"value": "c"}]}
    ]);
    assert_eq!(
        apply(&GROUP_TYPE, &mut doc, ops(&operations), false).ok(),
        Some(vec![])
    );
    assert_eq!(doc["members"], json!([{"value": "b"}, {"value": "c"}]));
}
