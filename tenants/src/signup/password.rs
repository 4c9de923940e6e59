//! Passwords of console admins: strength rules (hashing is `crate::password`'s).

use crate::error::{Error, Result};
pub use crate::password::{hash, verify};

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

const COMMON: &str = include_str!("common_passwords.txt");

/// Refuses a password that is too short or long, made of too few different
/// characters, one of the most common passwords (also with digits and symbols
/// appended), or that contains the account's email address, its name part, or
/// the organization's slug or name.
pub fn check_strength(password: &str, email: &str, slug: &str, org_name: &str) -> Result<()> {
    let bad = |why: String| Err(Error::invalid("password", why));
    let len = password.chars().count();
    if len < MIN_LEN {
        return bad(format!("must be at least {MIN_LEN} characters long"));
    }
    if len > MAX_LEN {
        return bad(format!("must be at most {MAX_LEN} characters long"));
    }
    if password.chars().any(char::is_control) {
        return bad("must not contain control characters".into());
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return bad("uses too few different characters".into());
    }
    let lower = password.to_lowercase();
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    let stem = stem.trim_start_matches(|c: char| !c.is_alphabetic());
    if is_common(&lower) || (!stem.is_empty() && is_common(stem)) {
        return bad("is one of the most commonly used passwords; choose another".into());
    }
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    let org: String = org_name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let squeezed: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    for (what, part) in [
        ("your email address", email.as_str()),
        ("your email address", local),
        ("the organization's slug", &slug.to_lowercase()),
        ("the organization's name", &org),
    ] {
        if part.chars().count() >= 3 && (lower.contains(part) || squeezed.contains(part)) {
            return bad(format!("must not contain {what}"));
        }
    }
    Ok(())
}

fn is_common(candidate: &str) -> bool {
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == candidate)
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
