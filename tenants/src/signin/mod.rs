//! People of a tenant signing in: the password step, the sessions it opens,
//! and the throttling in front of every guess. No HTTP here: the hosted
//! pages in `latchkey-api` call these.
//!
//! Who may sign in: the tenant's internal users, active, by user name or
//! primary email, ignoring case. Every refusal — an unknown name, a wrong
//! password, an inactive user, a user without a password — is the same
//! [`AuthFailure::Credentials`](crate::error::AuthFailure::Credentials)
//! after the same password work, so the answer tells nothing about which
//! accounts exist; the audit log records the real reason.

mod factors;
mod password;
mod second_factor;
mod sessions;
mod throttle;
mod totp;

use std::net::IpAddr;
use std::time::Duration;

pub use factors::FactorSummary;
pub use sessions::{OpenedSession, Session, SessionSummary};
pub use totp::TotpEnrolment;

use crate::store::TenantScope;

/// How a user proved who they are, as RFC 8176 names it in `amr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    /// A one-time code (TOTP).
    OneTimeCode,
}

impl AuthMethod {
    pub fn amr(&self) -> &'static str {
        match self {
            AuthMethod::Password => "pwd",
            AuthMethod::OneTimeCode => "otp",
        }
    }
}

/// Where an attempt comes from, as the HTTP layer saw it.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// The client's address (behind our proxies, see the api's
    /// `client_address`); attempts are throttled per address too.
    pub address: Option<IpAddr>,
    /// For the user's list of sessions; cut to 256 characters.
    pub user_agent: Option<String>,
}

/// How long a session lasts: it ends after `idle` without use, and at
/// `max` after sign-in however it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub idle: Duration,
    pub max: Duration,
}

impl Default for Lifetimes {
    /// Thirty minutes idle, ten hours at most (Keycloak's defaults).
    fn default() -> Self {
        Lifetimes {
            idle: Duration::from_secs(30 * 60),
            max: Duration::from_secs(10 * 3600),
        }
    }
}

/// Signing in to one tenant.
pub struct SignIn<'a> {
    scope: &'a TenantScope,
}

/// The sessions of one tenant's users.
pub struct Sessions<'a> {
    scope: &'a TenantScope,
}

/// The second factors of one tenant's users.
pub struct Factors<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn sign_in(&self) -> SignIn<'_> {
        SignIn { scope: self }
    }

    pub fn sessions(&self) -> Sessions<'_> {
        Sessions { scope: self }
    }

    pub fn factors(&self) -> Factors<'_> {
        Factors { scope: self }
    }
}
