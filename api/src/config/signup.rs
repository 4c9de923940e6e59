//! The hosted-signup settings and the service they make.

use std::time::Duration;

use anyhow::{Result, bail};

use super::Settings;

impl Settings {
    /// The hosted-signup service, when `signup_enabled`.
    pub fn signup(&self) -> Result<Option<crate::signup::Signup>> {
        if !self.signup_enabled {
            return Ok(None);
        }
        let (Some(smtp), Some(from), Some(public_url)) =
            (&self.smtp_url, &self.mail_from, &self.public_url)
        else {
            bail!(
                "LATCHKEY_SIGNUP_ENABLED needs LATCHKEY_SMTP_URL, LATCHKEY_MAIL_FROM and LATCHKEY_PUBLIC_URL"
            );
        };
        Ok(Some(crate::signup::Signup {
            mailer: crate::signup::mail::Mailer::new(smtp, from)?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            link_ttl: Duration::from_secs(self.signup_link_ttl_hours * 3600),
            session_ttl: Duration::from_secs(self.console_session_hours * 3600),
            limiter: crate::ratelimit::RateLimiter::per_minute(crate::ratelimit::RateLimits {
                per_address: self.signup_rate_limit_per_minute,
                per_token: 0,
                proxies: self.proxy_trust()?,
            }),
            slug_lookups: crate::ratelimit::RateLimiter::per_minute(crate::ratelimit::RateLimits {
                per_address: self.signup_slug_lookups_per_minute,
                per_token: 0,
                proxies: self.proxy_trust()?,
            }),
        }))
    }

    /// How long a signup never verified is kept.
    pub fn signup_unverified_retention(&self) -> Duration {
        Duration::from_secs(self.signup_unverified_retention_hours * 3600)
    }

    /// The mail settings are checked whenever they are set; the rest of
    /// signup's only when it is on.
    pub(super) fn check_signup(&self) -> Result<()> {
        if let Some(url) = &self.smtp_url {
            crate::signup::mail::Mailer::new(
                url,
                self.mail_from.as_deref().unwrap_or("x@example.com"),
            )?;
        }
        if let Some(from) = &self.mail_from {
            crate::signup::mail::parse_from(from)?;
        }
        if !self.signup_enabled {
            return Ok(());
        }
        let missing: Vec<&str> = [
            ("LATCHKEY_SMTP_URL", self.smtp_url.is_none()),
            ("LATCHKEY_MAIL_FROM", self.mail_from.is_none()),
            ("LATCHKEY_PUBLIC_URL", self.public_url.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect();
        if !missing.is_empty() {
            bail!(
                "LATCHKEY_SIGNUP_ENABLED needs {} (verification mail is sent over SMTP and links to the public URL)",
                missing.join(", ")
            );
        }
        if self.signup_link_ttl_hours == 0 || self.signup_link_ttl_hours > 24 * 30 {
            bail!("LATCHKEY_SIGNUP_LINK_TTL_HOURS (signup_link_ttl_hours) must be 1 to 720");
        }
        if self.signup_unverified_retention_hours < self.signup_link_ttl_hours
            || self.signup_unverified_retention_hours > 24 * 365
        {
            bail!(
                "LATCHKEY_SIGNUP_UNVERIFIED_RETENTION_HOURS (signup_unverified_retention_hours) must be at least LATCHKEY_SIGNUP_LINK_TTL_HOURS ({}) and at most 8760: a signup is kept while its link is valid",
                self.signup_link_ttl_hours
            );
        }
        if self.console_session_hours == 0 || self.console_session_hours > 24 * 30 {
            bail!("LATCHKEY_CONSOLE_SESSION_HOURS (console_session_hours) must be 1 to 720");
        }
        Ok(())
    }
}
