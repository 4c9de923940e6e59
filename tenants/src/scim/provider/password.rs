//! Passwords SCIM sets on users, hashed before they are stored.

use crate::error::{Error, Result};

/// `argon2id` with the crate's defaults (RFC 9106's second recommendation).
pub(super) fn hash(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing: {e}")))
}

/// [`hash`] on a blocking thread: a hash is deliberately slow.
pub(super) async fn hash_off_thread(password: Option<String>) -> Result<Option<String>> {
    match password {
        None => Ok(None),
        Some(p) => tokio::task::spawn_blocking(move || hash(&p))
            .await
            .map_err(|e| Error::Internal(format!("password hashing task: {e}")))?
            .map(Some),
    }
}
