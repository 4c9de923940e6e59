//! Hosted signup: a new tenant and its first admin, pending until the admin
//! follows a signed, expiring link; then console sessions for that admin.
//!
//! Console admins live apart from the directory: the directory belongs to
//! the HR or identity system that provisions it over SCIM and may rewrite or
//! remove any user, which must never lock the tenant's owner out.

pub mod password;
pub mod slug;

mod link;
mod pending;
mod purge;
mod sessions;

use time::OffsetDateTime;

use crate::db::Id;
use crate::store::Store;
use crate::tenant::Tenant;

#[derive(Clone)]
pub struct NewSignup {
    pub organization_name: String,
    pub slug: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for NewSignup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSignup")
            .field("organization_name", &self.organization_name)
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}

/// A signup waiting for its email address to be verified.
pub struct PendingSignup {
    pub tenant: Tenant,
    pub email: String,
    /// The signed token of the verification link (a compact JWS).
    pub verification_token: String,
    pub expires_at: OffsetDateTime,
}

/// Whether a slug can be signed up for, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlugAvailability {
    pub slug: String,
    pub available: bool,
    /// Why not: the broken rule, or that the slug is taken.
    pub reason: Option<String>,
}

/// A signed-in console admin.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub tenant: Tenant,
    pub admin_id: Id,
    pub email: String,
    pub expires_at: OffsetDateTime,
}

/// A session just opened: `secret` goes into the cookie and nowhere else.
pub struct OpenedSession {
    pub secret: String,
    pub session: ConsoleSession,
}

impl std::fmt::Debug for OpenedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSession")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

pub struct Signups<'a> {
    store: &'a Store,
}

impl Store {
    pub fn signups(&self) -> Signups<'_> {
        Signups { store: self }
    }
}
