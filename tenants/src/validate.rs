//! Field rules shared by every resource. Errors name the field.

use crate::error::{Error, Result};

/// A human-facing name: not blank, no control characters, at most `max` characters.
pub(crate) fn name(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    text(field, value, max)
}

/// Optional free text: no control characters, at most `max` characters.
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// A deliberately loose check: one `@` with something on both sides. Real
/// validation of an address is sending mail to it.
pub(crate) fn email(field: &str, value: &str) -> Result<()> {
    text(field, value, 320)?;
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(Error::invalid(
            field,
            "must be an email address like ada@example.com",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_name_is_refused_with_the_field_named() {
        let err = name("display_name", "  ", 10).unwrap_err();
        assert_eq!(err.to_string(), "display_name: must not be empty");
    }

    #[test]
    fn an_over_long_name_is_refused() {
        assert!(name("n", &"x".repeat(11), 10).is_err());
        assert!(name("n", &"x".repeat(10), 10).is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(text("n", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn emails_need_one_at_sign_between_two_parts() {
        assert!(email("email", "ada@example.com").is_ok());
        for bad in ["ada", "@example.com", "ada@", "a@b@c", "a b@c"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }
}
