//! The hosted-signup service of a node: its mailer, public URL, lifetimes
//! and rate limits, and the console session cookie.

use std::time::Duration;

use poem::Request;

use super::mail;
use crate::ratelimit::RateLimiter;

/// The console session cookie.
pub const SESSION_COOKIE: &str = "latchkey_session";

/// The hosted-signup service of a node (present only when signup is on).
pub struct Signup {
    pub mailer: mail::Mailer,
    /// Where browsers reach this service, without a trailing `/`: links in
    /// mail point here, and console requests must come from its origin.
    pub public_url: String,
    pub link_ttl: Duration,
    pub session_ttl: Duration,
    /// Signups, verifications and sign-ins per client address.
    pub limiter: RateLimiter,
    /// Slug availability checks and suggestions per client address: a
    /// bucket of their own, so checking as one types spends nothing of the
    /// signup budget.
    pub slug_lookups: RateLimiter,
}

impl Signup {
    pub fn scim_base_url(&self, slug: &str) -> String {
        format!("{}/t/{slug}/scim/v2", self.public_url)
    }

    pub fn verification_link(&self, slug: &str, token: &str) -> String {
        format!(
            "{}/signup/verify?tenant={slug}&token={token}",
            self.public_url
        )
    }

    /// `scheme://host[:port]` of the public URL.
    pub(super) fn origin(&self) -> &str {
        let after_scheme = self.public_url.find("://").map_or(0, |i| i + 3);
        match self.public_url[after_scheme..].find('/') {
            Some(i) => &self.public_url[..after_scheme + i],
            None => &self.public_url,
        }
    }

    /// `Set-Cookie` for a new session.
    pub(super) fn session_cookie(&self, secret: &str) -> String {
        format!(
            "{SESSION_COOKIE}={secret}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}",
            self.session_ttl.as_secs(),
            self.secure_attribute()
        )
    }

    pub(super) fn clear_cookie(&self) -> String {
        format!(
            "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
            self.secure_attribute()
        )
    }

    fn secure_attribute(&self) -> &'static str {
        if self.public_url.starts_with("https://") {
            "; Secure"
        } else {
            ""
        }
    }
}

/// The console session secret a request's `Cookie` header carries.
pub fn session_cookie(req: &Request) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}
