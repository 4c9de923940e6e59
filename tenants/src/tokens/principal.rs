//! Who a verified token speaks for, and what a node keeps of a token it
//! verified (see `verify`).

use time::OffsetDateTime;

use super::format::TokenKind;
use super::scopes::Scopes;
use crate::ids::{TenantId, TokenId};

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Platform {
        token_id: TokenId,
    },
    Tenant {
        tenant_id: TenantId,
        token_id: TokenId,
        kind: TokenKind,
        scopes: Scopes,
    },
}

impl Principal {
    /// How the audit log names this caller.
    pub fn actor_id(&self) -> String {
        match self {
            Principal::Platform { token_id } => format!("platform-token:{token_id}"),
            Principal::Tenant { token_id, .. } => format!("token:{token_id}"),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub(crate) tenant_id: Option<TenantId>,
    pub(crate) token_id: TokenId,
    pub(crate) kind: TokenKind,
    pub(crate) scopes: Scopes,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) revoked: bool,
}
