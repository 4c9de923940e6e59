//! Where settings come from: the defaults, then the TOML file, then the
//! environment, each overriding the one before.

use std::path::Path;

use anyhow::{Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use super::Settings;

const ENV_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "master_key",
    "public_url",
    "otlp_endpoint",
    "bootstrap_token",
    "pool_size",
    "max_body_bytes",
    "request_timeout_secs",
    "cache_ttl_ms",
    "log_format",
    "rate_limit_per_address",
    "rate_limit_per_token",
    "trust_forwarded_for",
    "trusted_proxies",
    "scim_request_log_size",
    "signup_enabled",
    "smtp_url",
    "mail_from",
    "signup_link_ttl_hours",
    "console_session_hours",
    "signup_rate_limit_per_minute",
    "signup_slug_lookups_per_minute",
    "signup_unverified_retention_hours",
    "scim_request_log_size_extended",
    "license_file",
    "key_rotation_check_secs",
    "audit_stream_poll_secs",
    "audit_webhook_ca_file",
    "audit_webhook_allow_private",
    "stripe_secret_key",
    "stripe_webhook_secret",
    "stripe_api_base",
    "stripe_price_team",
    "stripe_price_enterprise",
    "billing_sync_secs",
    "billing_grace_days",
    "stripe_event_retention_days",
];

impl Settings {
    pub fn load(config_file: Option<&Path>) -> Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = config_file {
            if !path.exists() {
                bail!("config file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment
            .merge(Env::prefixed("LATCHKEY_").only(ENV_KEYS))
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database_url".into()),
            );
        let settings: Settings = figment
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid setting: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }
}
