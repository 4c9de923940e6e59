//! The checks a start runs on the settings before anything uses them; the
//! steps run in this order so that the first bad setting is the one named.

use anyhow::{Result, bail};
use latchkey_tenants::db::DatabaseUrl;

use super::Settings;
use super::billing::MAX_STRIPE_EVENT_RETENTION_DAYS;
use super::master_key::{MASTER_KEY_SETTING, parse_master_key};
use crate::client_address::{ProxyTrust, parse_networks};

impl Settings {
    pub(super) fn validate(&self) -> Result<()> {
        self.check_addresses_and_secrets()?;
        self.check_limits()?;
        self.plans()?;
        self.check_billing()?;
        self.check_urls()?;
        self.check_signup()
    }

    fn check_addresses_and_secrets(&self) -> Result<()> {
        self.listen_addr()?;
        if let Some(url) = &self.database_url {
            DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        if let Some(key) = &self.master_key {
            parse_master_key(key, MASTER_KEY_SETTING)?;
        }
        if let Some(token) = &self.bootstrap_token
            && !latchkey_tenants::tokens::PlatformTokens::is_platform_secret(token)
        {
            bail!(
                "LATCHKEY_BOOTSTRAP_TOKEN (bootstrap_token) must be a platform token: `lkp_` and 43 base64url characters \
                 (`latchkey token generate` prints one)"
            );
        }
        Ok(())
    }

    fn check_limits(&self) -> Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("LATCHKEY_LOG_FORMAT (log_format) must be `text` or `json`");
        }
        self.proxy_trust()?;
        if self.pool_size == 0 {
            bail!("LATCHKEY_POOL_SIZE (pool_size) must be at least 1");
        }
        if self.request_timeout_secs == 0 {
            bail!("LATCHKEY_REQUEST_TIMEOUT_SECS (request_timeout_secs) must be at least 1");
        }
        if self.key_rotation_check_secs == 0 {
            bail!("LATCHKEY_KEY_ROTATION_CHECK_SECS (key_rotation_check_secs) must be at least 1");
        }
        if self.audit_stream_poll_secs == 0 {
            bail!("LATCHKEY_AUDIT_STREAM_POLL_SECS (audit_stream_poll_secs) must be at least 1");
        }
        // Checked with billing off too: the pruning job always runs, so ids
        // recorded while billing was on still go.
        if !(1..=MAX_STRIPE_EVENT_RETENTION_DAYS).contains(&self.stripe_event_retention_days) {
            bail!(
                "LATCHKEY_STRIPE_EVENT_RETENTION_DAYS (stripe_event_retention_days) must be 1 to {MAX_STRIPE_EVENT_RETENTION_DAYS}"
            );
        }
        Ok(())
    }

    /// Which proxies in front are ours (`trust_forwarded_for`,
    /// `trusted_proxies`), for the client addresses of the rate limits.
    pub fn proxy_trust(&self) -> Result<ProxyTrust> {
        let networks = match &self.trusted_proxies {
            Some(list) => parse_networks(list)
                .map_err(|e| anyhow::anyhow!("LATCHKEY_TRUSTED_PROXIES (trusted_proxies): {e}"))?,
            None => Vec::new(),
        };
        Ok(ProxyTrust {
            one_proxy: self.trust_forwarded_for,
            networks,
        })
    }

    fn check_urls(&self) -> Result<()> {
        if let Some(url) = &self.otlp_endpoint
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("LATCHKEY_OTLP_ENDPOINT (otlp_endpoint) must be an http:// or https:// URL");
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("LATCHKEY_PUBLIC_URL (public_url) must be an http:// or https:// URL");
        }
        Ok(())
    }
}
