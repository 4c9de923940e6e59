//! The token string: `lkp_`, `lkt_` or `lks_`, then, for a tenant token, the
//! tenant's id, then 256 random bits, all base64url; stored only as SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::Id;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::TenantId;

const SECRET_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Platform,
    Tenant,
    Scim,
}

impl TokenKind {
    pub fn prefix(&self) -> &'static str {
        match self {
            TokenKind::Platform => "lkp_",
            TokenKind::Tenant => "lkt_",
            TokenKind::Scim => "lks_",
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TokenKind::Platform => "platform",
            TokenKind::Tenant => "tenant",
            TokenKind::Scim => "scim",
        }
    }

    pub(super) fn parse(s: &str) -> Result<Self> {
        match s {
            "platform" => Ok(TokenKind::Platform),
            "tenant" => Ok(TokenKind::Tenant),
            "scim" => Ok(TokenKind::Scim),
            other => Err(Error::Internal(format!("unknown token kind `{other}`"))),
        }
    }
}

pub(super) struct ParsedToken {
    pub(super) kind: TokenKind,
    pub(super) tenant: Option<TenantId>,
    pub(super) hash: [u8; 32],
}

pub(super) fn parse_token(bearer: &str) -> Result<ParsedToken> {
    let malformed = || Error::Unauthenticated(AuthFailure::Malformed);
    let (kind, body) = [TokenKind::Platform, TokenKind::Tenant, TokenKind::Scim]
        .into_iter()
        .find_map(|k| bearer.strip_prefix(k.prefix()).map(|body| (k, body)))
        .ok_or_else(malformed)?;
    let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| malformed())?;
    let tenant = match (kind, raw.len()) {
        (TokenKind::Platform, SECRET_LEN) => None,
        (TokenKind::Tenant | TokenKind::Scim, n) if n == 16 + SECRET_LEN => Some(TenantId::from(
            Id::from_bytes(&raw[..16]).ok_or_else(malformed)?,
        )),
        _ => return Err(malformed()),
    };
    Ok(ParsedToken {
        kind,
        tenant,
        hash: hash(bearer),
    })
}

/// A stored `token_hash` as the token cache's key.
pub(super) fn stored_hash(stored: &[u8]) -> Option<[u8; 32]> {
    stored.try_into().ok()
}

pub(super) fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

pub(super) fn mint(kind: TokenKind, tenant: Option<TenantId>) -> String {
    let mut raw = Vec::with_capacity(16 + SECRET_LEN);
    if let Some(tenant) = tenant {
        raw.extend_from_slice(tenant.0.as_bytes());
    }
    let mut secret = [0u8; SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    raw.extend_from_slice(&secret);
    format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(raw))
}
