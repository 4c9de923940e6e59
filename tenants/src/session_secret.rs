//! The secret a browser session's cookie carries: a prefix naming what it
//! opens, then base64url(tenant id ‖ 32 random bytes), like tenant tokens, so
//! the tenant is known before any of its rows is read. Only its SHA-256 is
//! stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::Id;
use crate::ids::TenantId;

const SECRET_LEN: usize = 32;

pub(crate) fn mint(prefix: &str, tenant: TenantId) -> String {
    let mut raw = Vec::with_capacity(16 + SECRET_LEN);
    raw.extend_from_slice(tenant.0.as_bytes());
    let mut secret = [0u8; SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    raw.extend_from_slice(&secret);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(raw))
}

/// The tenant a well-formed secret with this prefix names.
pub(crate) fn tenant_of(prefix: &str, secret: &str) -> Option<TenantId> {
    let body = secret.strip_prefix(prefix)?;
    if body.len() > 128 {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(body).ok()?;
    if raw.len() != 16 + SECRET_LEN {
        return None;
    }
    Id::from_bytes(&raw[..16]).map(TenantId::from)
}

pub(crate) fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_names_its_tenant_under_its_own_prefix_only() {
        let tenant = TenantId::new();
        let secret = mint("lku_", tenant);
        assert_eq!(tenant_of("lku_", &secret), Some(tenant));
        assert_eq!(tenant_of("lkc_", &secret), None);
        assert_eq!(tenant_of("lku_", "lku_short"), None);
    }
}
