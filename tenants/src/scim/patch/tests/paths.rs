//! Paths: schema URNs, case, canonical names and path-less values.

use super::*;

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
