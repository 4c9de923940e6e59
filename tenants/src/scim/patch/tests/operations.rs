//! Operations: their names, their fields, and how a failing one is reported.

use super::*;

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
