//! The settings as logs and errors print them.

use super::Settings;

/// Secrets (the master key, the bootstrap token, a password in the database
/// URL, Stripe's keys) are never printed.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &hidden(&self.database_url))
            .field("master_key", &hidden(&self.master_key))
            .field("public_url", &self.public_url)
            .field("otlp_endpoint", &self.otlp_endpoint)
            .field("bootstrap_token", &hidden(&self.bootstrap_token))
            .field("pool_size", &self.pool_size)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("cache_ttl_ms", &self.cache_ttl_ms)
            .field("log_format", &self.log_format)
            .field("rate_limit_per_address", &self.rate_limit_per_address)
            .field("rate_limit_per_token", &self.rate_limit_per_token)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("scim_request_log_size", &self.scim_request_log_size)
            .field("signup_enabled", &self.signup_enabled)
            .field("smtp_url", &hidden(&self.smtp_url))
            .field("mail_from", &self.mail_from)
            .field("signup_link_ttl_hours", &self.signup_link_ttl_hours)
            .field("console_session_hours", &self.console_session_hours)
            .field(
                "signup_rate_limit_per_minute",
                &self.signup_rate_limit_per_minute,
            )
            .field(
                "signup_slug_lookups_per_minute",
                &self.signup_slug_lookups_per_minute,
            )
            .field(
                "signup_unverified_retention_hours",
                &self.signup_unverified_retention_hours,
            )
            .field(
                "scim_request_log_size_extended",
                &self.scim_request_log_size_extended,
            )
            .field("license_file", &self.license_file)
            .field("key_rotation_check_secs", &self.key_rotation_check_secs)
            .field("audit_stream_poll_secs", &self.audit_stream_poll_secs)
            .field("audit_webhook_ca_file", &self.audit_webhook_ca_file)
            .field(
                "audit_webhook_allow_private",
                &self.audit_webhook_allow_private,
            )
            .field("stripe_secret_key", &hidden(&self.stripe_secret_key))
            .field(
                "stripe_webhook_secret",
                &hidden(&self.stripe_webhook_secret),
            )
            .field("stripe_api_base", &self.stripe_api_base)
            .field("stripe_price_team", &self.stripe_price_team)
            .field("stripe_price_enterprise", &self.stripe_price_enterprise)
            .field("billing_sync_secs", &self.billing_sync_secs)
            .field("billing_grace_days", &self.billing_grace_days)
            .field(
                "stripe_event_retention_days",
                &self.stripe_event_retention_days,
            )
            .field("plans", &self.plans)
            .finish()
    }
}
