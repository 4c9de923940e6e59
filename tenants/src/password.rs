//! Password hashing, one way for every password the service stores (console
//! admins, passwords SCIM or the REST API set): argon2id with 19 MiB of
//! memory, 2 iterations and 1 lane, OWASP's recommended minimum (Password
//! Storage Cheat Sheet), as a PHC string that names its own parameters; and
//! the rules a password chosen for an account must meet.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Error, Result};

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

const COMMON: &str = include_str!("common_passwords.txt");

/// Refuses a password that is too short or long, made of too few different
/// characters, one of the most common passwords (also with digits and symbols
/// appended), or that contains one of the `avoid` values: each a
/// `(what, value)` pair, `what` naming the value in the refusal ("must not
/// contain {what}"). A value is also looked for without its punctuation and
/// spaces (`Acme Corp` in `acmecorp!`), and an email address by its name
/// part too; values shorter than 3 characters are ignored.
pub fn check_rules(password: &str, avoid: &[(&str, &str)]) -> Result<()> {
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
    let squeezed = alphanumeric(&lower);
    for (what, value) in avoid {
        let value = value.trim().to_lowercase();
        let local = value.split_once('@').map(|(local, _)| local.to_owned());
        let parts = [Some(alphanumeric(&value)), local, Some(value)];
        let contained = parts.iter().flatten().any(|part| {
            part.chars().count() >= 3 && (lower.contains(part) || squeezed.contains(part))
        });
        if contained {
            return bad(format!("must not contain {what}"));
        }
    }
    Ok(())
}

fn alphanumeric(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn is_common(candidate: &str) -> bool {
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == candidate)
}

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing: {e}")))
}

/// Whether `password` matches the stored PHC string `stored`. Without a
/// stored hash (no such account) the same work is done against a hash of
/// a random password, so the answer takes as long either way.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let decoy = decoy_hash();
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (decoy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let matches = argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok());
    matches && real
}

fn decoy_hash() -> &'static String {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let random = SaltString::generate(&mut OsRng);
        hash(random.as_str()).unwrap_or_default()
    })
}

/// Whether a stored hash was made with other parameters than [`hash`] uses
/// now (or another algorithm): a successful sign-in then stores a new one.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let current = Params::new(MEMORY_KIB, ITERATIONS, LANES, None);
    let made_with = Params::try_from(&parsed);
    parsed.algorithm != argon2::ARGON2ID_IDENT
        || parsed.version != Some(Version::V0x13 as u32)
        || !matches!((made_with, current), (Ok(a), Ok(b)) if a.m_cost() == b.m_cost()
            && a.t_cost() == b.t_cost() && a.p_cost() == b.p_cost())
}

/// [`hash`] on a blocking thread: a hash is deliberately slow.
pub async fn hash_off_thread(password: Option<String>) -> Result<Option<String>> {
    match password {
        None => Ok(None),
        Some(p) => tokio::task::spawn_blocking(move || hash(&p))
            .await
            .map_err(|e| Error::Internal(format!("password hashing task: {e}")))?
            .map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_containing_a_value_to_avoid_is_refused_naming_it() {
        let avoid = [("the user's name", "Grace.Hopper")];
        let err = check_rules("my-grace-hopper-2026", &avoid).unwrap_err();
        assert_eq!(
            err.to_string(),
            "password: must not contain the user's name"
        );
    }

    #[test]
    fn values_to_avoid_shorter_than_three_characters_are_ignored() {
        assert!(check_rules("violet-harbour-tangent-42", &[("the user's name", "vi")]).is_ok());
    }

    #[test]
    fn a_hash_names_the_parameters_it_was_made_with() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[test]
    fn a_hash_made_with_other_parameters_needs_a_new_one() {
        assert!(!needs_rehash(
            &hash("correct horse battery staple").unwrap()
        ));
        let weaker = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(
            b"correct horse battery staple",
            &SaltString::generate(&mut OsRng),
        )
        .unwrap()
        .to_string();
        assert!(needs_rehash(&weaker));
        assert!(needs_rehash("not a PHC string"));
    }

    #[test]
    fn only_the_password_hashed_verifies() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(verify("correct horse battery staple", Some(&phc)));
        assert!(!verify("correct horse battery stapler", Some(&phc)));
        assert!(!verify("correct horse battery staple", None));
    }
}
