//! The behaviour of the scim_v2 crate this module relies on or works around.

use super::*;

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
