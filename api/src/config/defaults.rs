//! The value of each setting when neither the file nor the environment
//! sets it.

use std::path::PathBuf;

use latchkey_tenants::licensing::Plans;

use super::Settings;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./latchkey-data"),
            database_url: None,
            master_key: None,
            public_url: None,
            otlp_endpoint: None,
            bootstrap_token: None,
            pool_size: 16,
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            cache_ttl_ms: 2000,
            log_format: "text".into(),
            rate_limit_per_address: 200,
            rate_limit_per_token: 100,
            trust_forwarded_for: false,
            trusted_proxies: None,
            scim_request_log_size: 200,
            signup_enabled: false,
            smtp_url: None,
            mail_from: None,
            signup_link_ttl_hours: 24,
            console_session_hours: 8,
            signup_rate_limit_per_minute: 10,
            signup_slug_lookups_per_minute: 60,
            signup_unverified_retention_hours: 24,
            scim_request_log_size_extended: 10_000,
            license_file: None,
            key_rotation_check_secs: 60,
            audit_stream_poll_secs: 5,
            audit_webhook_ca_file: None,
            audit_webhook_allow_private: false,
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: None,
            stripe_price_team: None,
            stripe_price_enterprise: None,
            billing_sync_secs: 30,
            billing_grace_days: 14,
            // Stripe retries a delivery for up to 3 days and resends an
            // event by hand only within 30 days of its creation: after 30
            // days an id can no longer come back.
            stripe_event_retention_days: 30,
            plans: Plans::defaults(),
        }
    }
}
