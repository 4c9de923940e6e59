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

// --- operations ---------------------------------------------------

#[test]
fn op_names_ignore_case() {
    let doc = patched(json!([
        {"op": "Add", "path": "nickName", "value": "Babs"},
        {"op": "REPLACE", "path": "title", "value": "Boss"},
        {"op": "Remove", "path": "name.familyName"}
    ]));
    assert_eq!(doc["nickName"], "Babs");
    assert_eq!(doc["title"], "Boss");
    assert_eq!(doc["name"], json!({"givenName": "Barbara"}));
}

#[test]
fn an_unknown_op_is_invalid_syntax() {
    assert_eq!(
        user_error(json!([{"op": "move", "path": "title", "value": "x"}])),
        Some("invalidSyntax")
    );
    assert_eq!(
        user_error(json!([{"op": 1, "path": "title", "value": "x"}])),
        Some("invalidSyntax")
    );
}

#[test]
fn a_missing_op_is_invalid_syntax() {
    assert_eq!(
        user_error(json!([{"path": "title", "value": "x"}])),
        Some("invalidSyntax")
    );
}

#[test]
fn an_operation_that_is_not_an_object_is_invalid_syntax() {
    assert_eq!(user_error(json!(["add"])), Some("invalidSyntax"));
}

#[test]
fn add_and_replace_need_a_value() {
    assert_eq!(
        user_error(json!([{"op": "add", "path": "title"}])),
        Some("invalidValue")
    );
    assert_eq!(
        user_error(json!([{"op": "add", "path": "title", "value": null}])),
        Some("invalidValue")
    );
    assert_eq!(
        user_error(json!([{"op": "replace", "path": "title"}])),
        Some("invalidValue")
    );
}

#[test]
fn a_path_that_does_not_parse_is_invalid_path() {
    for path in [
        "emails[type eq]",
        "name..x",
        "",
        "emails[type eq \"work\"",
        "$$",
    ] {
        let e = user_error(json!([{"op": "replace", "path": path, "value": "x"}]));
        assert_eq!(e, Some("invalidPath"), "{path:?}");
    }
}

#[test]
fn a_path_that_is_not_a_string_is_invalid_path() {
    assert_eq!(
        user_error(json!([{"op": "replace", "path": 3, "value": "x"}])),
        Some("invalidPath")
    );
}

#[test]
fn an_unknown_attribute_is_invalid_path() {
    for path in [
        "shoeSize",
        "name.nickname",
        "emails[type eq \"work\"].colour",
        "members",
    ] {
        let e = user_error(json!([{"op": "replace", "path": path, "value": "x"}]));
        assert_eq!(e, Some("invalidPath"), "{path:?}");
    }
}

#[test]
fn an_unknown_schema_urn_is_invalid_path() {
    let path = "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge";
    assert_eq!(
        user_error(json!([{"op": "replace", "path": path, "value": "x"}])),
        Some("invalidPath")
    );
}

#[test]
fn a_failed_patch_leaves_the_document_as_it_was() {
    let mut doc = user();
    let operations = json!([
        {"op": "replace", "path": "title", "value": "Boss"},
        {"op": "replace", "path": "id", "value": "u2"}
    ]);
    assert!(apply(&USER_TYPE, &mut doc, ops(&operations), false).is_err());
    assert_eq!(doc, user());
}

#[test]
fn the_error_names_the_failing_operation() {
    let operations = json!([
        {"op": "replace", "path": "title", "value": "Boss"},
        {"op": "replace", "path": "shoeSize", "value": "9"}
    ]);
    match apply(&USER_TYPE, &mut user(), ops(&operations), false) {
        Err(Error::Scim { kind, detail }) => {
            assert!(kind.scim_type().is_some(), "{kind:?}");
            assert!(detail.starts_with("Operations[1]: "), "{detail}");
            assert!(detail.contains("shoeSize"), "{detail}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_document_that_is_not_an_object_is_refused() {
    let outcome = apply(&USER_TYPE, &mut json!([]), &[], false);
    assert_eq!(scim_type(outcome), Some("invalidSyntax"));
}

// --- Microsoft Entra ID shapes --------------------------------------

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

// --- Okta shapes --------------------------------------------------

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

// --- paths ----------------------------------------------------------

#[test]
fn an_extension_urn_with_a_dotted_version_is_split_correctly() {
    let doc =
        patched(json!([{"op": "replace", "path": format!("{ENT}:department"), "value": "D"}]));
    assert_eq!(doc[ENT], json!({"department": "D"}));
}

#[test]
fn an_extension_urn_path_may_name_a_sub_attribute() {
    let doc =
        patched(json!([{"op": "add", "path": format!("{ENT}:manager.value"), "value": "m1"}]));
    assert_eq!(doc[ENT], json!({"manager": {"value": "m1"}}));
}

#[test]
fn a_core_urn_prefix_is_allowed() {
    let doc =
        patched(json!([{"op": "replace", "path": format!("{USER}:name.givenName"), "value": "B"}]));
    assert_eq!(doc["name"]["givenName"], "B");
}

#[test]
fn urn_prefixes_ignore_case() {
    let path = format!("{}:DEPARTMENT", ENT.to_uppercase());
    let doc = patched(json!([{"op": "replace", "path": path, "value": "D"}]));
    assert_eq!(doc[ENT], json!({"department": "D"}));
}

#[test]
fn a_path_that_is_an_extension_urn_adds_the_extension_attributes() {
    let doc = patched(
        json!([{"op": "add", "path": ENT, "value": {"department": "D", "manager": {"value": "m1"}}}]),
    );
    assert_eq!(
        doc[ENT],
        json!({"department": "D", "manager": {"value": "m1"}})
    );
}

#[test]
fn a_schemas_key_inside_an_extension_value_is_ignored() {
    let mut doc = user();
    let ops = [json!({"op": "add", "path": ENTERPRISE_USER,
        "value": {"schemas": [ENTERPRISE_USER], "department": "D"}})];
    apply(&USER_TYPE, &mut doc, &ops, false).unwrap();
    assert_eq!(doc[ENTERPRISE_USER]["department"], json!("D"));
}

#[test]
fn a_path_that_is_an_extension_urn_removes_the_extension() {
    let mut doc =
        patched(json!([{"op": "add", "path": format!("{ENT}:department"), "value": "D"}]));
    let operations = json!([{"op": "remove", "path": ENT}]);
    assert!(apply(&USER_TYPE, &mut doc, ops(&operations), false).is_ok());
    assert_eq!(doc.get(ENT), None);
}

#[test]
fn the_core_schema_cannot_be_removed() {
    assert_eq!(
        user_error(json!([{"op": "remove", "path": USER}])),
        Some("invalidValue")
    );
}

#[test]
fn path_names_ignore_case_and_are_written_canonically() {
    let doc = patched(json!([
        {"op": "replace", "path": "NAME.GIVENNAME", "value": "B"},
        {"op": "add", "path": "NICKNAME", "value": "Babs"}
    ]));
    assert_eq!(doc["name"]["givenName"], "B");
    assert_eq!(doc["nickName"], "Babs");
    assert_eq!(doc.get("NICKNAME"), None);
}

#[test]
fn value_keys_ignore_case_and_are_written_canonically() {
    let doc = patched(
        json!([{"op": "replace", "value": {"EmAiLs": [{"VALUE": "x@y", "Type": "work"}]}}]),
    );
    assert_eq!(doc["emails"], json!([{"value": "x@y", "type": "work"}]));
}

#[test]
fn the_schemas_key_of_a_path_less_value_is_ignored() {
    let doc = patched(json!([{"op": "replace", "value": {"schemas": ["x"], "title": "T"}}]));
    assert_eq!(doc["schemas"], json!([USER]));
    assert_eq!(doc["title"], "T");
}

#[test]
fn a_schemas_path_is_ignored() {
    let doc = patched(json!([{"op": "replace", "path": "schemas", "value": ["x"]}]));
    assert_eq!(doc, user());
}

#[test]
fn an_unknown_key_in_a_path_less_value_is_invalid_path_naming_it() {
    let operations = json!([{"op": "replace", "value": {"title": "T", "shoeSize": 9}}]);
    match apply(&USER_TYPE, &mut user(), ops(&operations), false) {
        Err(Error::Scim { kind, detail }) => {
            assert_eq!(kind, ScimError::InvalidPath);
            assert!(detail.contains("shoeSize"), "{detail}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_path_less_key_that_is_an_extension_urn_holds_its_attributes() {
    let doc = patched(json!([{"op": "add", "value": {ENT: {"department": "D", "MANAGER": "m1"}}}]));
    assert_eq!(
        doc[ENT],
        json!({"department": "D", "manager": {"value": "m1"}})
    );
}

#[test]
fn a_path_less_value_must_be_an_object() {
    assert_eq!(
        user_error(json!([{"op": "add", "value": "x"}])),
        Some("invalidValue")
    );
}

#[test]
fn an_extension_attribute_without_its_urn_resolves_when_unambiguous() {
    let doc = patched(json!([{"op": "replace", "path": "department", "value": "D"}]));
    assert_eq!(doc[ENT], json!({"department": "D"}));
}

#[test]
fn a_ref_sub_attribute_path_is_accepted_although_scim_v2_rejects_it() {
    let doc = patched(
        json!([{"op": "add", "path": format!("{ENT}:manager.$ref"), "value": "https://x/Users/m1"}]),
    );
    assert_eq!(doc[ENT], json!({"manager": {"$ref": "https://x/Users/m1"}}));
}

#[test]
fn a_value_filter_on_a_single_valued_attribute_is_invalid_path() {
    let e = user_error(json!([{"op": "replace", "path": "name[givenName eq \"B\"]", "value": {}}]));
    assert_eq!(e, Some("invalidPath"));
}

// --- add --------------------------------------------------------------

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

// --- replace ----------------------------------------------------------

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

// --- remove -----------------------------------------------------------

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

// --- mutability -------------------------------------------------------

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

// --- primary ----------------------------------------------------------

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

// --- value filters ------------------------------------------------------

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

// --- members ------------------------------------------------------------

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

// --- scim_v2 behaviour this module relies on or works around -------------

#[test]
fn scim_v2_splits_a_bare_extension_urn_at_its_last_colon() {
    // Why parse_path recognises a schema URN itself before parsing.
    let parsed = ENT.parse::<PatchPath>().ok();
    let Some(PatchPath::Attr(path)) = parsed else {
        panic!("expected an attribute path, got {parsed:?}");
    };
    assert_eq!(
        path.uri.as_deref(),
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0")
    );
    assert_eq!(path.name, "User");
}

#[test]
fn scim_v2_reads_a_urn_qualified_attribute_path_correctly() {
    let parsed = format!("{ENT}:manager.value").parse::<PatchPath>().ok();
    let Some(PatchPath::Attr(path)) = parsed else {
        panic!("expected an attribute path, got {parsed:?}");
    };
    assert_eq!(
        (
            path.uri.as_deref(),
            path.name.as_str(),
            path.sub_attr.as_deref()
        ),
        (Some(ENT), "manager", Some("value"))
    );
}

#[test]
fn scim_v2_rejects_ref_as_a_sub_attribute_name() {
    assert!("manager.$ref".parse::<PatchPath>().is_err());
}

// --- properties -----------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;
    use scim_v2::filter::Filter;
    use std::fmt::{Debug, Display};
    use std::str::FromStr;

    const PATHS: &[&str] = &[
        "userName",
        "USERNAME",
        "name",
        "name.givenName",
        "NAME.GIVENNAME",
        "name.nope",
        "displayName",
        "active",
        "title",
        "id",
        "meta",
        "meta.created",
        "groups",
        "password",
        "externalId",
        "emails",
        "emails.value",
        "emails[type eq \"work\"]",
        "emails[type eq \"work\"].value",
        "emails[type eq \"work\" and primary eq true].value",
        "emails[value co \"@\" or not (type pr)]",
        "emails[primary gt true]",
        "emails[nope eq 1]",
        "phoneNumbers[type eq \"mobile\"].value",
        "addresses[type eq \"work\"].formatted",
        "x509Certificates[value eq \"A\"]",
        "members",
        "members[value eq \"a\"]",
        "members[value eq \"a\" or value eq \"b\"]",
        "members[display eq \"x\"]",
        "members[value eq \"a\"].value",
        "members.value",
        "schemas",
        "manager",
        "department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.$ref",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
        "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:x:y:z",
        "emails[",
        "]",
        "[]",
        ".",
        "name.",
        "a.b.c",
    ];

    const KEYS: &[&str] = &[
        "value",
        "type",
        "primary",
        "display",
        "displayName",
        "$ref",
        "givenName",
        "members",
        "emails",
        "name.givenName",
        "userName",
        "active",
        "id",
        "schemas",
        "manager",
        "department",
        "nope",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "emails[type eq \"work\"].value",
    ];

    const WORDS: &[&str] = &["work", "home", "a", "b", "True", "false", "", "x@y", "m1"];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            prop::sample::select(WORDS).prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            let key = prop_oneof![4 => prop::sample::select(KEYS).prop_map(String::from), 1 => "\\PC{0,6}"];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((key, inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn op_name() -> impl Strategy<Value = Value> {
        prop_oneof![
            6 => prop::sample::select(&["add", "Add", "replace", "Replace", "remove", "REMOVE"][..]).prop_map(Value::from),
            1 => prop::sample::select(&["move", "", "copy"][..]).prop_map(Value::from),
            1 => json_value(),
        ]
    }

    fn path() -> impl Strategy<Value = Value> {
        prop_oneof![
            6 => prop::sample::select(PATHS).prop_map(Value::from),
            2 => patch_path_text(false).prop_map(Value::from),
            2 => "\\PC{0,40}".prop_map(Value::from),
            1 => json_value(),
        ]
    }

    /// Values of the shapes clients send.
    fn plausible_value() -> impl Strategy<Value = Value> {
        let word = || prop::sample::select(WORDS).prop_map(Value::from);
        let key = || prop::sample::select(KEYS).prop_map(String::from);
        let scalar = prop_oneof![word(), any::<bool>().prop_map(Value::Bool)];
        let element = (word(), word(), any::<bool>()).prop_map(
            |(value, kind, primary)| json!({"value": value, "type": kind, "primary": primary}),
        );
        prop_oneof![
            scalar.clone(),
            prop::collection::vec(element.clone(), 0..3).prop_map(Value::Array),
            element,
            prop::collection::vec((key(), scalar), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    }

    fn operation_object(
        op: Value,
        path: Option<Value>,
        value: Option<Value>,
        shout: bool,
    ) -> Value {
        let mut m = Object::new();
        m.insert(if shout { "OP" } else { "op" }.to_owned(), op);
        if let Some(path) = path {
            m.insert("path".to_owned(), path);
        }
        if let Some(value) = value {
            m.insert("value".to_owned(), value);
        }
        Value::Object(m)
    }

    fn operation() -> impl Strategy<Value = Value> {
        let valid_op = prop::sample::select(&["add", "Add", "replace", "Replace", "remove"][..])
            .prop_map(Value::from);
        let known_path = prop::sample::select(PATHS).prop_map(Value::from);
        let well_formed = (
            valid_op,
            prop::option::weighted(0.8, known_path),
            prop::option::weighted(0.9, plausible_value()),
            any::<bool>(),
        );
        let wild = (
            op_name(),
            prop::option::of(path()),
            prop::option::of(json_value()),
            any::<bool>(),
        );
        prop_oneof![
            4 => well_formed.prop_map(|(op, path, value, shout)| operation_object(op, path, value, shout)),
            4 => wild.prop_map(|(op, path, value, shout)| operation_object(op, path, value, shout)),
            1 => json_value(),
        ]
    }

    /// Realistic operations on a user, `{}` standing for a word and
    /// `"?"` for a boolean.
    const USER_TEMPLATES: &[&str] = &[
        r#"{"op":"add","path":"emails","value":[{"value":"{}","type":"{}","primary":"?"}]}"#,
        r#"{"op":"Replace","path":"emails[type eq \"{}\"].value","value":"{}"}"#,
        r#"{"op":"add","path":"emails[type eq \"{}\"].display","value":"{}"}"#,
        r#"{"op":"replace","path":"emails[value eq \"{}\"].primary","value":"?"}"#,
        r#"{"op":"remove","path":"emails[type eq \"{}\"]"}"#,
        r#"{"op":"remove","path":"emails[value eq \"{}\"].primary"}"#,
        r#"{"op":"remove","path":"emails","value":[{"value":"{}"}]}"#,
        r#"{"op":"replace","path":"emails","value":[{"value":"{}","primary":"?"},{"value":"{}","primary":"?"}]}"#,
        r#"{"op":"Replace","path":"addresses[type eq \"{}\"].formatted","value":"{}"}"#,
        r#"{"op":"replace","path":"NAME.givenName","value":"{}"}"#,
        r#"{"op":"add","path":"name","value":{"familyName":"{}","middleName":null}}"#,
        r#"{"op":"remove","path":"name.familyName"}"#,
        r#"{"op":"replace","value":{"name.familyName":"{}","active":"?","title":"{}"}}"#,
        r#"{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{}"}"#,
        r#"{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}"#,
        r#"{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"{}"}}}"#,
        r#"{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}"#,
        r#"{"op":"add","path":"title","value":"{}"}"#,
        r#"{"op":"remove","path":"title"}"#,
        r#"{"op":"replace","path":"active","value":"?"}"#,
    ];

    const GROUP_TEMPLATES: &[&str] = &[
        r#"{"op":"Add","path":"members","value":[{"$ref":null,"value":"{}"}]}"#,
        r#"{"op":"remove","path":"members[value eq \"{}\" or value eq \"{}\"]"}"#,
        r#"{"op":"Remove","path":"members","value":[{"value":"{}"}]}"#,
        r#"{"op":"replace","path":"members","value":[{"value":"{}"},{"value":"{}"}]}"#,
        r#"{"op":"remove","path":"members"}"#,
        r#"{"op":"Replace","path":"displayName","value":"{}"}"#,
        r#"{"op":"replace","value":{"id":"g1","displayName":"{}","members":[{"value":"{}"}]}}"#,
        r#"{"op":"add","path":"externalId","value":"{}"}"#,
    ];

    fn from_template(templates: &'static [&'static str]) -> impl Strategy<Value = Value> {
        let words = prop::collection::vec(
            prop::sample::select(&["work", "home", "a", "b", "x@y"][..]),
            4,
        );
        let flags = prop::collection::vec(any::<bool>(), 4);
        (prop::sample::select(templates), words, flags).prop_map(|(template, words, flags)| {
            let mut text = template.to_owned();
            for word in &words {
                text = text.replacen("{}", word, 1);
            }
            for flag in &flags {
                text = text.replacen("\"?\"", if *flag { "true" } else { "false" }, 1);
            }
            serde_json::from_str(&text).unwrap_or(Value::Null)
        })
    }

    /// What every patched document must look like: attribute names in
    /// canonical case, no empty arrays or objects, at most one primary.
    fn well_formed(rt: &ResourceType, doc: &Value) -> std::result::Result<(), TestCaseError> {
        let Some(doc) = doc.as_object() else {
            return Err(TestCaseError::fail("not an object"));
        };
        for (key, value) in doc.iter().filter(|(k, _)| *k != "schemas") {
            let (uri, attrs): (_, Vec<(&String, &Value)>) = match rt.extension(key) {
                Some(ext) => {
                    prop_assert_eq!(ext.id, key.as_str());
                    (
                        Some(ext.id),
                        value
                            .as_object()
                            .map(|o| o.iter().collect())
                            .unwrap_or_default(),
                    )
                }
                None => (None, vec![(key, value)]),
            };
            prop_assert!(!attrs.is_empty(), "empty extension {}", key);
            for (name, value) in attrs {
                let Some(resolved) = rt.resolve(uri, name, None) else {
                    return Err(TestCaseError::fail(format!("unknown key {name}")));
                };
                let attr = resolved.attribute;
                prop_assert_eq!(attr.name, name.as_str());
                let elements = match value {
                    Value::Array(items) if attr.multi_valued => items.iter().collect(),
                    other => vec![other],
                };
                prop_assert!(!elements.is_empty(), "empty array {}", name);
                let primaries = elements
                    .iter()
                    .filter(|e| e.get("primary").and_then(as_bool) == Some(true))
                    .count();
                prop_assert!(primaries <= 1, "{} primaries in {}", primaries, name);
                for element in elements.iter().filter_map(|e| e.as_object()) {
                    prop_assert!(!element.is_empty(), "empty object in {}", name);
                    for sub in element.keys() {
                        prop_assert_eq!(attr.sub(sub).map(|s| s.name), Some(sub.as_str()));
                    }
                }
            }
        }
        Ok(())
    }

    // Filter text, generated from the grammar's structure. `keywords`
    // lets attribute names be words the grammar reserves, which may or
    // may not parse; without it every generated text must parse.

    fn attr_name(keywords: bool) -> BoxedStrategy<String> {
        let plain = "[a-zA-Z][a-zA-Z0-9_-]{0,8}".prop_filter("reserved word", |s| {
            !["not", "true", "false", "null"]
                .iter()
                .any(|k| s.eq_ignore_ascii_case(k))
        });
        if keywords {
            let reserved = prop::sample::select(
                &["and", "or", "not", "pr", "eq", "true", "null", "NOT", "Or"][..],
            );
            prop_oneof![3 => plain, 1 => reserved.prop_map(String::from)].boxed()
        } else {
            plain.boxed()
        }
    }

    fn attr_path(keywords: bool) -> impl Strategy<Value = String> {
        let uri = prop::option::of(prop::sample::select(
            &[USER, ENT, "urn:x:y", "a:b", "urn:x:2.0:Y"][..],
        ));
        (
            uri,
            attr_name(keywords),
            prop::option::of(attr_name(keywords)),
        )
            .prop_map(|(uri, name, sub)| {
                let uri = uri.map(|u| format!("{u}:")).unwrap_or_default();
                let sub = sub.map(|s| format!(".{s}")).unwrap_or_default();
                format!("{uri}{name}{sub}")
            })
    }

    fn ws() -> impl Strategy<Value = &'static str> {
        prop::sample::select(&[" ", " ", "  ", "\t", " \t "][..])
    }

    /// A JSON string literal, escaping some characters in the ways JSON allows.
    fn string_literal() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => any::<char>().prop_map(|c| {
                let quoted = serde_json::to_string(&c.to_string()).unwrap_or_default();
                quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')).unwrap_or_default().to_owned()
            }),
            1 => any::<char>().prop_filter("BMP, no surrogates", |c| (*c as u32) < 0xD800).prop_map(|c| format!("\\u{:04x}", c as u32)),
            1 => prop::sample::select(&["\\\"", "\\\\", "\\/", "\\n", "\\t", "\\b", "]", "[", ") or (", " and ", "'"][..]).prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..8).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
    }

    fn comp_value(keywords: bool) -> BoxedStrategy<String> {
        let number = "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,6})?([eE][+-]?[0-9]{1,2})?";
        let safe = prop_oneof![
            prop::sample::select(&["true", "false", "null"][..]).prop_map(String::from),
            number,
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| f.to_string()),
            string_literal(),
        ];
        if keywords {
            prop_oneof![4 => safe, 1 => prop::sample::select(&["True", "1e400", "bare", "\"\\x\""][..]).prop_map(String::from)].boxed()
        } else {
            safe.boxed()
        }
    }

    fn attr_exp(keywords: bool) -> impl Strategy<Value = String> {
        let op = prop::sample::select(
            &[
                "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Sw",
            ][..],
        );
        prop_oneof![
            (attr_path(keywords), ws()).prop_map(|(p, w)| format!("{p}{w}pr")),
            (attr_path(keywords), ws(), op, ws(), comp_value(keywords))
                .prop_map(|(p, w1, op, w2, v)| format!("{p}{w1}{op}{w2}{v}")),
        ]
    }

    /// `and`, `or`, `not` and parentheses around `atom`s.
    fn combined(atom: BoxedStrategy<String>) -> impl Strategy<Value = String> {
        atom.prop_recursive(4, 24, 3, |inner| {
            let and = prop::sample::select(&["and", "AND", "And"][..]);
            let or = prop::sample::select(&["or", "OR"][..]);
            prop_oneof![
                (inner.clone(), ws(), and, ws(), inner.clone())
                    .prop_map(|(a, w1, k, w2, b)| format!("{a}{w1}{k}{w2}{b}")),
                (inner.clone(), ws(), or, ws(), inner.clone())
                    .prop_map(|(a, w1, k, w2, b)| format!("{a}{w1}{k}{w2}{b}")),
                (
                    prop::sample::select(&["not", "NOT"][..]),
                    ws(),
                    inner.clone()
                )
                    .prop_map(|(k, w, f)| format!("{k}{w}({f})")),
                inner.prop_map(|f| format!("({f})")),
            ]
        })
    }

    fn val_filter_text(keywords: bool) -> impl Strategy<Value = String> {
        combined(attr_exp(keywords).boxed())
    }

    fn filter_text(keywords: bool) -> impl Strategy<Value = String> {
        let value_path =
            (attr_path(keywords), val_filter_text(keywords)).prop_map(|(a, f)| format!("{a}[{f}]"));
        combined(prop_oneof![2 => attr_exp(keywords), 1 => value_path].boxed())
    }

    fn patch_path_text(keywords: bool) -> impl Strategy<Value = String> {
        let sub = prop::option::of(attr_name(keywords));
        prop_oneof![
            attr_path(keywords),
            (attr_path(keywords), val_filter_text(keywords), sub).prop_map(|(a, f, s)| {
                format!("{a}[{f}]{}", s.map(|s| format!(".{s}")).unwrap_or_default())
            }),
        ]
    }

    /// Generated text with one character deleted, doubled or replaced.
    fn mutated(text: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
        (text, any::<prop::sample::Index>(), 0..3u8, any::<char>()).prop_map(
            |(text, at, how, c)| {
                let mut chars: Vec<char> = text.chars().collect();
                if chars.is_empty() {
                    return c.to_string();
                }
                let i = at.index(chars.len());
                match how {
                    0 => drop(chars.remove(i)),
                    1 => chars.insert(i, chars.get(i).copied().unwrap_or(c)),
                    _ => chars.insert(i, c),
                }
                chars.into_iter().collect()
            },
        )
    }

    /// A filter tree whose number literals can be taken out, so that
    /// trees can be compared apart from them.
    trait Tree {
        fn take_numbers(&mut self, out: &mut Vec<f64>);
    }

    impl Tree for Filter {
        fn take_numbers(&mut self, out: &mut Vec<f64>) {
            match self {
                Filter::Attr(exp) => take_number(exp, out),
                Filter::ValuePath(vp) => vp.filter.take_numbers(out),
                Filter::Not(inner) => inner.take_numbers(out),
                Filter::And(items) | Filter::Or(items) => {
                    items.iter_mut().for_each(|f| f.take_numbers(out))
                }
            }
        }
    }

    impl Tree for ValFilter {
        fn take_numbers(&mut self, out: &mut Vec<f64>) {
            match self {
                ValFilter::Attr(exp) => take_number(exp, out),
                ValFilter::Not(inner) => inner.take_numbers(out),
                ValFilter::And(items) | ValFilter::Or(items) => {
                    items.iter_mut().for_each(|f| f.take_numbers(out))
                }
            }
        }
    }

    impl Tree for PatchPath {
        fn take_numbers(&mut self, out: &mut Vec<f64>) {
            if let PatchPath::Value(vp) = self {
                vp.filter.take_numbers(out);
            }
        }
    }

    /// Replaces a number literal by `null`, keeping its value in `out`.
    fn take_number(exp: &mut AttrExp, out: &mut Vec<f64>) {
        if let AttrExp::Comparison(_, _, value) = exp
            && let CompValue::Number(n) = value
        {
            out.push(n.as_f64().unwrap_or(f64::NAN));
            *value = CompValue::Null;
        }
    }

    /// Whether serde_json parses floats correctly rounded: only with its
    /// `float_roundtrip` feature, which this crate does not turn on.
    fn serde_json_rounds_floats() -> bool {
        let literal = "1.4974583327867762e243";
        serde_json::from_str::<f64>(literal).ok() == literal.parse::<f64>().ok()
    }

    /// Floats apart from each other, counted in units in the last place.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            0
        } else if a.is_sign_negative() != b.is_sign_negative() {
            u64::MAX
        } else {
            a.to_bits().abs_diff(b.to_bits())
        }
    }

    /// Whatever parses prints to text that parses to the same tree and
    /// prints the same again. Numbers are the exception, as long as
    /// serde_json parses floats without correct rounding (see
    /// `scim_v2_number_literals_drift_without_correctly_rounded_floats`):
    /// then a parse may move a float by up to two units in the last
    /// place (by one in 29% of a million random floats, by two in 0.2%,
    /// never by more).
    fn round_trips<T>(text: &str) -> std::result::Result<(), TestCaseError>
    where
        T: Tree + FromStr + Display + PartialEq + Debug,
        T::Err: Display,
    {
        let Ok(mut parsed) = text.parse::<T>() else {
            return Ok(());
        };
        let printed = parsed.to_string();
        let mut again = match printed.parse::<T>() {
            Ok(again) => again,
            Err(e) => {
                return Err(TestCaseError::fail(format!(
                    "{text:?} printed as {printed:?}, which does not parse: {e}"
                )));
            }
        };
        let reprinted = again.to_string();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        parsed.take_numbers(&mut before);
        again.take_numbers(&mut after);
        prop_assert_eq!(&again, &parsed, "{:?} printed as {:?}", text, printed);
        prop_assert_eq!(before.len(), after.len());
        let tolerance = if serde_json_rounds_floats() { 0 } else { 2 };
        for (a, b) in before.iter().zip(&after) {
            prop_assert!(
                ulps(*a, *b) <= tolerance,
                "{:?} printed as {:?}: {} became {}",
                text,
                printed,
                a,
                b
            );
        }
        if before == after {
            prop_assert_eq!(reprinted, printed);
        }
        Ok(())
    }

    #[test]
    fn scim_v2_number_literals_drift_without_correctly_rounded_floats() {
        // scim_v2 reads a number with serde_json, whose default float
        // parser can land a unit or two in the last place off. So this
        // literal becomes …764 on the first parse, and …766 when that is
        // printed and parsed again: the round trip is not stable, and
        // the filter does not compare with the number the client wrote.
        // serde_json's `float_roundtrip` feature fixes both; when the
        // dependency graph turns it on, this test expects stability.
        let literal = "1.4974583327867762e243";
        let parsed = format!("a eq {literal}").parse::<Filter>().ok();
        let again = parsed
            .as_ref()
            .and_then(|f| f.to_string().parse::<Filter>().ok());
        assert!(parsed.is_some() && again.is_some());
        assert_eq!(
            parsed == again,
            serde_json_rounds_floats(),
            "{parsed:?} then {again:?}"
        );
    }

    fn user_with_extension() -> Value {
        let mut doc = user();
        doc[ENT] = json!({"manager": {"value": "m1", "displayName": "Boss"}, "department": "D"});
        doc["addresses"] = json!([{"type": "work", "formatted": "1 Main St", "primary": "True"}]);
        doc
    }

    fn group_with_members() -> Value {
        let mut doc = group();
        doc["members"] = json!([{"value": "a", "type": "User"}, {"value": "b"}]);
        doc
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        #[test]
        fn apply_never_panics_and_an_error_changes_nothing(
            operations in prop::collection::vec(operation(), 0..5),
            on_group in any::<bool>(),
            members_apart in any::<bool>(),
        ) {
            let (rt, original) = if on_group {
                (&GROUP_TYPE, group_with_members())
            } else {
                (&USER_TYPE, user_with_extension())
            };
            let mut doc = original.clone();
            match apply(rt, &mut doc, &operations, members_apart) {
                Ok(_) => prop_assert!(doc.is_object()),
                Err(e) => {
                    let scim_400 = matches!(&e, Error::Scim { kind, .. } if kind.scim_type().is_some());
                    prop_assert!(scim_400, "{:?}", e);
                    prop_assert_eq!(doc, original);
                }
            }
        }

        #[test]
        fn realistic_patches_leave_a_well_formed_document(
            on_group in any::<bool>(),
            user_ops in prop::collection::vec(from_template(USER_TEMPLATES), 1..6),
            group_ops in prop::collection::vec(from_template(GROUP_TEMPLATES), 1..6),
            members_apart in any::<bool>(),
        ) {
            let (rt, original, operations) = if on_group {
                (&GROUP_TYPE, group_with_members(), group_ops)
            } else {
                (&USER_TYPE, user_with_extension(), user_ops)
            };
            let mut doc = original.clone();
            match apply(rt, &mut doc, &operations, members_apart) {
                Ok(changes) => {
                    well_formed(rt, &doc)?;
                    if members_apart {
                        prop_assert_eq!(doc.get("members"), original.get("members"));
                    } else {
                        prop_assert!(changes.is_empty());
                    }
                }
                Err(_) => prop_assert_eq!(doc, original),
            }
        }

        #[test]
        fn generated_filters_parse(text in filter_text(false)) {
            prop_assert!(text.parse::<Filter>().is_ok(), "{:?} does not parse", text);
        }

        #[test]
        fn filters_round_trip_through_display(text in filter_text(true)) {
            round_trips::<Filter>(&text)?;
        }

        #[test]
        fn mutated_filters_do_not_panic_and_round_trip(text in mutated(filter_text(true))) {
            round_trips::<Filter>(&text)?;
        }

        #[test]
        fn random_strings_do_not_panic_the_filter_parser(text in "\\PC{0,80}") {
            round_trips::<Filter>(&text)?;
        }

        #[test]
        fn generated_patch_paths_parse(text in patch_path_text(false)) {
            prop_assert!(text.parse::<PatchPath>().is_ok(), "{:?} does not parse", text);
        }

        #[test]
        fn patch_paths_round_trip_through_display(text in patch_path_text(true)) {
            round_trips::<PatchPath>(&text)?;
        }

        #[test]
        fn mutated_patch_paths_do_not_panic_and_round_trip(text in mutated(patch_path_text(true))) {
            round_trips::<PatchPath>(&text)?;
        }

        #[test]
        fn random_strings_do_not_panic_the_patch_path_parser(text in "[a-zA-Z0-9:.\\[\\] \"()=-]{0,60}|\\PC{0,60}") {
            round_trips::<PatchPath>(&text)?;
        }
    }
}
