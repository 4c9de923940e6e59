//! The request shapes Microsoft Entra ID sends.

use super::*;

#[test]
fn entra_replaces_display_name() {
    let doc = patched(json!([{"op": "Replace", "path": "displayName", "value": "x"}]));
    assert_eq!(doc["displayName"], "x");
}

#[test]
fn entra_path_less_add_takes_dotted_and_urn_qualified_keys() {
    let doc = patched(json!([{"op": "Add", "value": {
        "name.givenName": "A",
        format!("{ENT}:department"): "D"
    }}]));
    assert_eq!(
        doc["name"],
        json!({"givenName": "A", "familyName": "Jensen"})
    );
    assert_eq!(doc[ENT], json!({"department": "D"}));
}

#[test]
fn entra_path_less_replace_of_active_keeps_the_string_for_the_caller() {
    let doc = patched(json!([{"op": "Replace", "value": {"active": "False"}}]));
    assert_eq!(doc["active"], "False");
}

#[test]
fn entra_manager_as_a_plain_id_is_stored_as_its_value() {
    let doc = patched(json!([{"op": "Add", "path": format!("{ENT}:manager"), "value": "m1"}]));
    assert_eq!(doc[ENT], json!({"manager": {"value": "m1"}}));
}

#[test]
fn entra_manager_as_a_one_element_array_without_urn_is_stored_as_an_object() {
    let doc = patched(json!([{"op": "Add", "path": "manager",
        "value": [{"$ref": "https://x/Users/m1", "value": "m1"}]}]));
    assert_eq!(
        doc[ENT],
        json!({"manager": {"value": "m1", "$ref": "https://x/Users/m1"}})
    );
}

#[test]
fn entra_removes_members_with_a_value_list() {
    let c = changes(
        json!([{"op": "Remove", "path": "members", "value": [{"value": "a"}, {"$ref": null, "value": "b"}]}]),
    );
    assert_eq!(c, vec![MemberChange::Remove(ids(&["a", "b"]))]);
}

#[test]
fn entra_adds_members_with_null_refs() {
    let c =
        changes(json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "a"}]}]));
    assert_eq!(c, vec![MemberChange::Add(ids(&["a"]))]);
}

#[test]
fn entra_replace_of_a_filtered_sub_attribute_creates_the_missing_value() {
    let doc = patched(json!([
        {"op": "Replace", "path": "addresses[type eq \"work\"].formatted", "value": "18/2111"}
    ]));
    assert_eq!(
        doc["addresses"],
        json!([{"type": "work", "formatted": "18/2111"}])
    );
}

#[test]
fn entra_replace_of_a_filtered_sub_attribute_updates_the_existing_value() {
    let doc = patched(json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@work.example"}
    ]));
    assert_eq!(
        doc["emails"][0],
        json!({"value": "new@work.example", "type": "work", "primary": true})
    );
    assert_eq!(doc["emails"].as_array().map(Vec::len), Some(2));
}

#[test]
fn entra_path_less_replace_with_the_compatibility_flag() {
    let doc = patched(json!([{"op": "replace", "value": {
        "displayName": "Bjfe",
        "name.givenName": "Kkom",
        "name.familyName": "Unua",
        format!("{ENT}:employeeNumber"): "Aklq"
    }}]));
    assert_eq!(doc["displayName"], "Bjfe");
    assert_eq!(
        doc["name"],
        json!({"givenName": "Kkom", "familyName": "Unua"})
    );
    assert_eq!(doc[ENT]["employeeNumber"], "Aklq");
}

#[test]
fn entra_role_values_holding_json_text_are_kept_as_text() {
    let role = "{\"id\":\"06b0\",\"value\":\"25\"}";
    let doc = patched(json!([{"op": "Add", "path": "roles", "value": [{"value": role}]}]));
    assert_eq!(doc["roles"], json!([{"value": role}]));
}
