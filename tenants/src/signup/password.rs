//! Passwords of console admins: strength rules (hashing is `crate::password`'s).

use crate::error::Result;
pub use crate::password::{hash, verify};

pub use crate::password::{MAX_LEN, MIN_LEN};

/// Refuses a password that breaks [`crate::password::check_rules`] or that
/// contains the account's email address, its name part, or the
/// organization's slug or name.
pub fn check_strength(password: &str, email: &str, slug: &str, org_name: &str) -> Result<()> {
    crate::password::check_rules(
        password,
        &[
            ("your email address", email),
            ("the organization's slug", slug),
            ("the organization's name", org_name),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<()> {
        check_strength(p, "ada@example.com", "acme", "Acme Corp")
    }

    #[test]
    fn a_long_uncommon_password_is_accepted() {
        assert!(check("violet-harbour-tangent-42").is_ok());
    }

    #[test]
    fn a_short_password_is_refused_with_the_field_named() {
        let err = check("Sh0rt!pass").unwrap_err().to_string();
        assert!(err.starts_with("password:") && err.contains("12"), "{err}");
    }

    #[test]
    fn a_common_password_is_refused_even_with_digits_appended() {
        for p in [
            "password1234",
            "Password123456!",
            "qwertyuiop12",
            "iloveyou2026!!",
        ] {
            assert!(check(p).unwrap_err().to_string().contains("common"), "{p}");
        }
    }

    #[test]
    fn a_password_containing_the_email_is_refused() {
        assert!(
            check_strength("ada@example.com!", "ada@example.com", "zeta", "Zeta")
                .unwrap_err()
                .to_string()
                .contains("email")
        );
        assert!(
            check("xx-Ada-lovelace-9")
                .unwrap_err()
                .to_string()
                .contains("email")
        );
    }

    #[test]
    fn a_password_containing_the_slug_or_name_is_refused() {
        assert!(
            check("our-acme-secret-9")
                .unwrap_err()
                .to_string()
                .contains("slug")
        );
        assert!(
            check_strength("xyzacmecorp-2026", "bo@example.com", "zeta", "Acme Corp")
                .unwrap_err()
                .to_string()
                .contains("name")
        );
    }

    #[test]
    fn a_password_of_few_characters_is_refused() {
        assert!(check("abababababababab").is_err());
    }

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters() {
        let h = hash("violet-harbour-tangent-42").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    }

    #[test]
    fn verification_accepts_only_the_right_password_of_a_known_account() {
        let h = hash("violet-harbour-tangent-42").unwrap();
        assert!(verify("violet-harbour-tangent-42", Some(&h)));
        assert!(!verify("violet-harbour-tangent-43", Some(&h)));
        assert!(!verify("violet-harbour-tangent-42", None));
    }
}
