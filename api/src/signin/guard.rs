//! What stands between a browser and a form post: the CSRF token (a cookie
//! the form must repeat), the `Origin` check, and the `return_to` rule; and
//! the names and attributes of the cookies.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_tenants::TenantId;
use poem::Request;
use poem::web::cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};

/// Whether the pages are served over HTTPS (`public_url`): cookies then
/// carry `Secure` and the `__Host-` prefix, which pins them to this host
/// and path `/`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Transport {
    pub(super) https: bool,
}

impl Transport {
    fn name(&self, base: &str) -> String {
        if self.https {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// The session cookie of one tenant: one per tenant, so a browser can be
    /// signed in to two tenants of one installation at once.
    pub(super) fn session_name(&self, tenant: TenantId) -> String {
        self.name(&format!("latchkey_session_{}", tenant.as_uuid().simple()))
    }

    fn csrf_name(&self) -> String {
        self.name("latchkey_csrf")
    }

    /// `HttpOnly`, `SameSite=Lax`, path `/`, `Secure` over HTTPS.
    pub(super) fn cookie(&self, name: String, value: &str, max_age: std::time::Duration) -> Cookie {
        let mut cookie = Cookie::new_with_str(name, value);
        cookie.set_path("/");
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_secure(self.https);
        cookie.set_max_age(max_age);
        cookie
    }

    /// The session secret a request's cookie carries for `tenant`.
    pub(super) fn session(&self, req: &Request, tenant: TenantId) -> Option<String> {
        req.cookie()
            .get(&self.session_name(tenant))
            .map(|c| c.value_str().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The browser's CSRF token, made and set (for a year) when it has none.
    pub(super) fn csrf_token(&self, req: &Request) -> String {
        if let Some(token) = req
            .cookie()
            .get(&self.csrf_name())
            .map(|c| c.value_str().to_owned())
            .filter(|t| t.len() == 43)
        {
            return token;
        }
        let mut raw = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        let token = URL_SAFE_NO_PAD.encode(raw);
        req.cookie().add(self.cookie(
            self.csrf_name(),
            &token,
            std::time::Duration::from_secs(365 * 24 * 3600),
        ));
        token
    }

    /// Whether a form post is one our own page made: its `csrf` field
    /// repeats the browser's CSRF cookie, and its `Origin`, when the browser
    /// sends one (every current browser does on a POST), is ours.
    pub(super) fn form_is_ours(&self, req: &Request, origin: &str, form_token: &str) -> bool {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        if header("origin").is_some_and(|o| o != origin)
            || header("sec-fetch-site").is_some_and(|s| s == "cross-site")
        {
            return false;
        }
        let Some(cookie) = req.cookie().get(&self.csrf_name()) else {
            return false;
        };
        // Compared as digests: equal length, and no early exit on the secret.
        let digest = |s: &str| Sha256::digest(s.as_bytes());
        !form_token.is_empty() && digest(cookie.value_str()) == digest(form_token)
    }
}

/// `return_to` when it is a path on this origin; anything else (another
/// host, a scheme, `//host`, a backslash that some browsers read as a
/// slash, control characters) is ignored.
pub(super) fn same_origin_path(raw: &str) -> Option<&str> {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && raw.len() <= 2048
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control);
    ok.then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_accepts_only_a_path_on_this_origin() {
        for good in ["/t/acme/account", "/t/acme/apps?x=1#y", "/"] {
            assert_eq!(same_origin_path(good), Some(good));
        }
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/t/acme\r\nSet-Cookie: x=1",
            "",
        ] {
            assert_eq!(same_origin_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cookies_over_https_carry_the_host_prefix_and_secure() {
        let tenant = TenantId::from(uuid::Uuid::nil());
        let https = Transport { https: true };
        assert!(
            https
                .session_name(tenant)
                .starts_with("__Host-latchkey_session_")
        );
        let set = https
            .cookie(
                https.session_name(tenant),
                "v",
                std::time::Duration::from_secs(60),
            )
            .to_string();
        for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(set.contains(attr), "{set}");
        }
        let plain = Transport { https: false };
        assert!(!plain.session_name(tenant).starts_with("__Host-"));
        assert!(
            !plain
                .cookie("n".into(), "v", std::time::Duration::ZERO)
                .to_string()
                .contains("Secure")
        );
    }
}
