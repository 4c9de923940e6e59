use super::model::validate_slug;
#[test]
fn dns_labels_are_valid_slugs() {
    for ok in ["acme", "acme-corp", "a1b", "x".repeat(63).as_str()] {
        assert!(validate_slug(ok).is_ok(), "{ok}");
    }
}

#[test]
fn malformed_slugs_are_refused_with_the_field_named() {
    for bad in [
        "ab",
        "Acme",
        "1acme",
        "acme-",
        "ac--me",
        "ac_me",
        "acmé",
        &"x".repeat(64),
    ] {
        let err = validate_slug(bad).unwrap_err();
        assert!(err.to_string().starts_with("slug:"), "{bad}: {err}");
    }
}

#[test]
fn reserved_slugs_are_refused() {
    assert!(
        validate_slug("admin")
            .unwrap_err()
            .to_string()
            .contains("reserved")
    );
}
