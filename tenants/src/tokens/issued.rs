//! A token as listed, as created (its secret shown once) and as asked for.

use std::fmt;

use time::OffsetDateTime;

use super::format::TokenKind;
use super::scopes::{Scope, Scopes};
use crate::error::{Error, Result};
use crate::ids::TokenId;
use crate::validate;

/// A token as listed: everything but the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub kind: TokenKind,
    pub scopes: Scopes,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A token just created: the only time its secret exists outside the caller.
#[derive(Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &self.token)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<OffsetDateTime>,
}

pub(super) fn check_new_token(new: &NewToken, now: OffsetDateTime) -> Result<()> {
    validate::name("name", &new.name, 200)?;
    if let Some(at) = new.expires_at
        && !crate::clock::representable(at)
    {
        return Err(Error::invalid("expires_at", "is out of range"));
    }
    if let Some(at) = new.expires_at
        && at <= now
    {
        return Err(Error::invalid("expires_at", "must be in the future"));
    }
    Ok(())
}
