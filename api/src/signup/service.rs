//! The hosted-signup service of a node: its mailer, public URL, lifetimes
//! and rate limits, and the console session cookie.

use std::time::Duration;

use poem::Request;
use poem::web::cookie::{Cookie, SameSite};

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
        self.cookie(secret, self.session_ttl)
    }

    pub(super) fn clear_cookie(&self) -> String {
        self.cookie("", Duration::ZERO)
    }

    fn cookie(&self, value: &str, max_age: Duration) -> String {
        let mut cookie = Cookie::new_with_str(SESSION_COOKIE, value);
        cookie.set_path("/");
        cookie.set_max_age(max_age);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Strict);
        cookie.set_secure(self.public_url.starts_with("https://"));
        cookie.to_string()
    }
}

/// The console session secret a request's `Cookie` header carries (parsed
/// by the app's `CookieJarManager`).
pub fn session_cookie(req: &Request) -> Option<String> {
    req.cookie()
        .get(SESSION_COOKIE)
        .map(|c| c.value_str().to_owned())
        .filter(|v| !v.is_empty())
}
