//! Settings: defaults, then a TOML file (`--config`), then `LATCHKEY_*`
//! environment variables and `DATABASE_URL`. A bad setting stops the start
//! with a message naming it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use latchkey_tenants::db::DatabaseUrl;
use latchkey_tenants::keys::sealing::MasterKey;
use latchkey_tenants::licensing::{Plan, Plans};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Every setting, with the name it has in the TOML file; the environment
/// variable is the same name upper-cased with `LATCHKEY_` in front.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub listen: String,
    /// Folder for the embedded database and the generated master key.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; default: SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// 32 bytes, standard base64. Default: generated once into `data_dir/master.key`.
    pub master_key: Option<String>,
    /// The URL clients reach this service at (for links in responses and docs).
    pub public_url: Option<String>,
    /// OTLP/HTTP collector base URL, e.g. `http://127.0.0.1:4318`.
    pub otlp_endpoint: Option<String>,
    /// A platform token to create on start, for automation.
    pub bootstrap_token: Option<String>,
    /// Database connections per node.
    pub pool_size: usize,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Requests running longer are answered with 503.
    pub request_timeout_secs: u64,
    /// How long a node trusts its cached tokens and tenants (revocation delay).
    pub cache_ttl_ms: u64,
    /// `text` or `json` logs.
    pub log_format: String,
    /// Requests per second per client address (bursts of twice that); 0 = off.
    pub rate_limit_per_address: u32,
    /// Requests per second per bearer token (bursts of twice that); 0 = off.
    pub rate_limit_per_token: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// that sets it; otherwise clients could pick their own address).
    pub trust_forwarded_for: bool,
    /// SCIM requests kept per tenant in its request log.
    pub scim_request_log_size: usize,
    /// Hosted signup (`/signup`, `/api/v1/signup…`). Off by default; needs
    /// `smtp_url`, `mail_from` and `public_url`.
    pub signup_enabled: bool,
    /// The mail server for verification mail: `smtp://host:port` (plain, or
    /// `?tls=required` for STARTTLS) or `smtps://host:port` (TLS); may carry
    /// `user:password@`.
    pub smtp_url: Option<String>,
    /// The sender of verification mail, e.g. `Latchkey <no-reply@example.com>`.
    pub mail_from: Option<String>,
    /// How long a verification link stays valid (and holds its slug).
    pub signup_link_ttl_hours: u64,
    /// How long a console session lasts after signing in.
    pub console_session_hours: u64,
    /// Signups, verifications and sign-ins per minute per client address
    /// (bursts of twice that); 0 = off.
    pub signup_rate_limit_per_minute: u32,
    /// SCIM requests kept for tenants entitled to `scim_log_retention`.
    pub scim_request_log_size_extended: usize,
    /// A licence file installed (or replaced) on every start.
    pub license_file: Option<PathBuf>,
    /// Seconds between runs of the scheduled key rotation job.
    pub key_rotation_check_secs: u64,
    /// Seconds between runs of the audit streaming job.
    pub audit_stream_poll_secs: u64,
    /// A PEM CA certificate audit webhooks may be signed by, besides the
    /// system's trusted roots (for webhooks behind a private CA).
    pub audit_webhook_ca_file: Option<PathBuf>,
    /// Audit webhooks may post to private, loopback and link-local
    /// addresses (refused by default: a tenant's URL must not reach into the
    /// installation's own network).
    pub audit_webhook_allow_private: bool,
    /// Stripe's secret API key (`sk_…` or a restricted `rk_…`). Billing is
    /// off unless it is set; then the webhook secret and both prices are needed.
    pub stripe_secret_key: Option<String>,
    /// The signing secret (`whsec_…`) of the Stripe webhook endpoint.
    pub stripe_webhook_secret: Option<String>,
    /// Another Stripe API base URL (a fake Stripe in tests); default Stripe's.
    pub stripe_api_base: Option<String>,
    /// The Stripe price (`price_…`, recurring, per seat) of the `team` plan.
    pub stripe_price_team: Option<String>,
    /// The Stripe price of the `enterprise` plan.
    pub stripe_price_enterprise: Option<String>,
    /// Seconds between runs of the seat sync job (the debounce of quantity changes).
    pub billing_sync_secs: u64,
    /// Days a tenant whose payment failed keeps its paid plan.
    pub billing_grace_days: u64,
    /// Days the id of a received Stripe event is kept to recognise a
    /// redelivery; older ids are deleted.
    pub stripe_event_retention_days: u64,
    /// The plans `free`, `team` and `enterprise`: their features and limits
    /// (TOML only: `[plans.team]`; unset keys keep the defaults).
    pub plans: BTreeMap<String, Plan>,
}

/// Ten years, far past any redelivery; bounded so that the pruning cutoff
/// stays an ordinary date.
const MAX_STRIPE_EVENT_RETENTION_DAYS: u64 = 3650;

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
    "scim_request_log_size",
    "signup_enabled",
    "smtp_url",
    "mail_from",
    "signup_link_ttl_hours",
    "console_session_hours",
    "signup_rate_limit_per_minute",
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
            scim_request_log_size: 200,
            signup_enabled: false,
            smtp_url: None,
            mail_from: None,
            signup_link_ttl_hours: 24,
            console_session_hours: 8,
            signup_rate_limit_per_minute: 10,
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

    fn validate(&self) -> Result<()> {
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
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("LATCHKEY_LOG_FORMAT (log_format) must be `text` or `json`");
        }
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
        self.plans()?;
        self.check_billing()?;
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
        if let Some(url) = &self.smtp_url {
            crate::signup::mail::Mailer::new(
                url,
                self.mail_from.as_deref().unwrap_or("x@example.com"),
            )?;
        }
        if let Some(from) = &self.mail_from {
            crate::signup::mail::parse_from(from)?;
        }
        if self.signup_enabled {
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
            if self.console_session_hours == 0 || self.console_session_hours > 24 * 30 {
                bail!("LATCHKEY_CONSOLE_SESSION_HOURS (console_session_hours) must be 1 to 720");
            }
        }
        Ok(())
    }

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
                trust_forwarded_for: self.trust_forwarded_for,
            }),
        }))
    }

    /// Billing is all or nothing: with the secret key, the webhook secret
    /// and both prices; without it, none of the others (a half-configured
    /// billing would take money and never change a plan).
    fn check_billing(&self) -> Result<()> {
        let others = [
            (
                "LATCHKEY_STRIPE_WEBHOOK_SECRET",
                &self.stripe_webhook_secret,
            ),
            ("LATCHKEY_STRIPE_PRICE_TEAM", &self.stripe_price_team),
            (
                "LATCHKEY_STRIPE_PRICE_ENTERPRISE",
                &self.stripe_price_enterprise,
            ),
            ("LATCHKEY_STRIPE_API_BASE", &self.stripe_api_base),
        ];
        if self.stripe_secret_key.is_none() {
            if let Some((name, _)) = others.iter().find(|(_, v)| v.is_some()) {
                bail!(
                    "{name} is set but LATCHKEY_STRIPE_SECRET_KEY is missing (billing is off without it)"
                );
            }
            return Ok(());
        }
        let missing: Vec<&str> = others[..3]
            .iter()
            .filter(|(_, v)| v.as_deref().is_none_or(str::is_empty))
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            bail!(
                "LATCHKEY_STRIPE_SECRET_KEY is set, so billing also needs {}",
                missing.join(", ")
            );
        }
        if self.stripe_price_team == self.stripe_price_enterprise {
            bail!(
                "LATCHKEY_STRIPE_PRICE_TEAM and LATCHKEY_STRIPE_PRICE_ENTERPRISE must be different prices"
            );
        }
        if let Some(url) = &self.stripe_api_base
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("LATCHKEY_STRIPE_API_BASE (stripe_api_base) must be an http:// or https:// URL");
        }
        if self.billing_sync_secs == 0 {
            bail!("LATCHKEY_BILLING_SYNC_SECS (billing_sync_secs) must be at least 1");
        }
        if self.billing_grace_days > 365 {
            bail!("LATCHKEY_BILLING_GRACE_DAYS (billing_grace_days) must be 0 to 365");
        }
        Ok(())
    }

    /// Billing, when `stripe_secret_key` is set.
    pub fn billing(&self) -> Result<Option<crate::billing::Billing>> {
        let Some(key) = &self.stripe_secret_key else {
            return Ok(None);
        };
        let (Some(secret), Some(team), Some(enterprise)) = (
            &self.stripe_webhook_secret,
            &self.stripe_price_team,
            &self.stripe_price_enterprise,
        ) else {
            bail!(
                "LATCHKEY_STRIPE_SECRET_KEY needs LATCHKEY_STRIPE_WEBHOOK_SECRET, LATCHKEY_STRIPE_PRICE_TEAM and LATCHKEY_STRIPE_PRICE_ENTERPRISE"
            );
        };
        let settings = latchkey_stripe::StripeSettings {
            secret_key: key.clone(),
            api_base: self.stripe_api_base.clone(),
        };
        let prices = latchkey_tenants::billing::BillingPrices {
            prices: vec![
                ("team".into(), team.clone()),
                ("enterprise".into(), enterprise.clone()),
            ],
        };
        Ok(Some(crate::billing::Billing::new(
            &settings, secret, prices,
        )?))
    }

    pub fn billing_grace(&self) -> time::Duration {
        time::Duration::days(i64::try_from(self.billing_grace_days).unwrap_or(365))
    }

    pub fn stripe_event_retention(&self) -> time::Duration {
        // Within the bound, the cast is exact.
        let days = self
            .stripe_event_retention_days
            .min(MAX_STRIPE_EVENT_RETENTION_DAYS);
        time::Duration::days(days as i64)
    }

    pub fn listen_addr(&self) -> Result<SocketAddr> {
        self.listen.parse().with_context(|| {
            format!(
                "LATCHKEY_LISTEN (listen) must be an address like 127.0.0.1:8080, not `{}`",
                self.listen
            )
        })
    }

    pub fn database(&self) -> Result<DatabaseUrl> {
        match &self.database_url {
            Some(url) => DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!("{e}")),
            None => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!("cannot create the data folder {}", self.data_dir.display())
                })?;
                Ok(DatabaseUrl::sqlite_file(&self.data_dir.join("latchkey.db")))
            }
        }
    }

    /// The master key of an existing installation: the configured one, or
    /// the one the first `latchkey serve` generated into the data folder.
    /// Never generates one: a command run outside the server's folder would
    /// otherwise make a key that nothing is wrapped under and act on a new,
    /// empty installation (or fail on the real one, naming the wrong key).
    pub fn master_key(&self) -> Result<MasterKey> {
        if let Some(key) = &self.master_key {
            return parse_master_key(key, MASTER_KEY_SETTING);
        }
        let path = self.master_key_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_master_key(&text, &self.master_key_source()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "no master key: LATCHKEY_MASTER_KEY is not set and {} does not exist. Run the command \
                 with the server's settings (in the folder it runs in, or with its LATCHKEY_DATA_DIR), \
                 or set LATCHKEY_MASTER_KEY; `latchkey serve` generates the key file on its first start",
                path.display()
            ),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// For `latchkey serve`: the master key, generated into the data folder
    /// on the first start (with a warning: fine for one machine, not for a
    /// cluster, whose nodes must share one key).
    pub fn master_key_or_generate(&self) -> Result<MasterKey> {
        let path = self.master_key_path();
        if self.master_key.is_some() || path.exists() {
            return self.master_key();
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!("cannot create the data folder {}", self.data_dir.display())
        })?;
        let key = MasterKey::generate();
        write_secret_file(&path, key.to_base64().as_bytes())?;
        tracing::warn!(
            path = %path.display(),
            "no LATCHKEY_MASTER_KEY set: generated a master key into the data folder; \
             back it up, and set LATCHKEY_MASTER_KEY when running more than one node"
        );
        Ok(key)
    }

    /// Where the master key comes from, as errors about it name it.
    pub fn master_key_source(&self) -> String {
        match self.master_key {
            Some(_) => "LATCHKEY_MASTER_KEY".to_owned(),
            None => format!("the master key in {}", self.master_key_path().display()),
        }
    }

    fn master_key_path(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }

    pub fn master_key_file(&self) -> Option<PathBuf> {
        self.master_key.is_none().then(|| self.master_key_path())
    }

    /// The plans, checked (the three names, known features).
    pub fn plans(&self) -> Result<Plans> {
        Plans::new(self.plans.clone()).map_err(|e| anyhow::anyhow!("{e}"))
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

const MASTER_KEY_SETTING: &str = "LATCHKEY_MASTER_KEY (master_key)";

/// Parses a master key, naming where it came from (`what`) when it is not one.
pub fn parse_master_key(value: &str, what: &str) -> Result<MasterKey> {
    MasterKey::from_base64(value).map_err(|_| {
        anyhow::anyhow!(
            "{what} must be 32 bytes in standard base64 (try `openssl rand -base64 32`)"
        )
    })
}

/// Writes a file readable by its owner only.
pub fn write_secret_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_localhost_8080() {
        assert_eq!(
            Settings::default().listen_addr().unwrap().to_string(),
            "127.0.0.1:8080"
        );
    }

    #[test]
    fn a_bad_listen_address_is_refused_with_the_setting_named() {
        let s = Settings {
            listen: "nope".into(),
            ..Settings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("LATCHKEY_LISTEN")
        );
    }

    #[test]
    fn a_malformed_bootstrap_token_is_refused_with_the_setting_named() {
        let s = Settings {
            bootstrap_token: Some("secret".into()),
            ..Settings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("LATCHKEY_BOOTSTRAP_TOKEN")
        );
    }

    #[test]
    fn signup_without_smtp_is_refused_with_the_settings_named() {
        let s = Settings {
            signup_enabled: true,
            public_url: Some("https://id.example.com".into()),
            ..Settings::default()
        };
        let err = s.validate().unwrap_err().to_string();
        assert!(
            err.contains("LATCHKEY_SMTP_URL") && err.contains("LATCHKEY_MAIL_FROM"),
            "{err}"
        );
    }

    #[test]
    fn an_smtp_url_of_another_scheme_is_refused() {
        let s = Settings {
            smtp_url: Some("http://mail.example.com".into()),
            ..Settings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("LATCHKEY_SMTP_URL")
        );
    }

    #[test]
    fn a_sender_that_is_no_address_is_refused() {
        let s = Settings {
            mail_from: Some("Latchkey".into()),
            ..Settings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("LATCHKEY_MAIL_FROM")
        );
    }

    fn stripe() -> Settings {
        Settings {
            stripe_secret_key: Some("sk_test_secretvalue123".into()),
            stripe_webhook_secret: Some("whsec_secretvalue456".into()),
            stripe_price_team: Some("price_team".into()),
            stripe_price_enterprise: Some("price_enterprise".into()),
            ..Settings::default()
        }
    }

    #[test]
    fn billing_is_off_by_default_and_on_with_the_full_stripe_settings() {
        assert!(Settings::default().billing().unwrap().is_none());
        let s = stripe();
        s.validate().unwrap();
        assert!(s.billing().unwrap().is_some());
    }

    #[test]
    fn a_partial_stripe_configuration_is_refused_naming_what_is_missing() {
        let s = Settings {
            stripe_price_enterprise: None,
            ..stripe()
        };
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("LATCHKEY_STRIPE_PRICE_ENTERPRISE"), "{err}");
        let s = Settings {
            stripe_secret_key: None,
            ..stripe()
        };
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("LATCHKEY_STRIPE_SECRET_KEY"), "{err}");
    }

    #[test]
    fn stripe_secrets_are_never_printed() {
        let printed = format!("{:?}", stripe());
        assert!(
            !printed.contains("secretvalue") && printed.contains("price_team"),
            "{printed}"
        );
    }

    #[test]
    fn a_stripe_event_retention_outside_1_to_3650_days_is_refused_with_the_setting_named() {
        for days in [0, 3651] {
            let s = Settings {
                stripe_event_retention_days: days,
                ..Settings::default()
            };
            let err = s.validate().unwrap_err().to_string();
            assert!(
                err.contains("LATCHKEY_STRIPE_EVENT_RETENTION_DAYS"),
                "{days}: {err}"
            );
        }
        let s = Settings {
            stripe_event_retention_days: 3650,
            ..Settings::default()
        };
        s.validate().unwrap();
    }

    #[test]
    fn signup_is_off_by_default() {
        assert!(Settings::default().signup().unwrap().is_none());
    }

    #[test]
    fn a_database_url_that_is_no_url_is_refused() {
        let s = Settings {
            database_url: Some("host=localhost dbname=x".into()),
            ..Settings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("DATABASE_URL")
        );
    }

    #[test]
    fn an_unknown_key_in_the_config_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latchkey.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nlisten_port = 1\n").unwrap();
        let err = Settings::load(Some(&file)).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(err.contains("listen_port"), "{err}");
    }

    #[test]
    fn a_plan_in_the_config_file_overrides_only_what_it_sets() {
        let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latchkey.toml");
        std::fs::write(
            &file,
            "[plans.free]\nmax_internal_users = 25\n[plans.team]\nfeatures = [\"audit_export\"]\n",
        )
        .unwrap();
        let s = Settings::load(Some(&file)).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        let plans = s.plans().unwrap();
        assert_eq!(plans.get("free").max_internal_users, Some(25));
        assert_eq!(plans.get("team").features, vec!["audit_export".to_owned()]);
        assert_eq!(plans.get("enterprise"), &Plans::defaults()["enterprise"]);
    }

    #[test]
    fn a_plan_naming_an_unknown_feature_is_refused() {
        let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latchkey.toml");
        std::fs::write(&file, "[plans.team]\nfeatures = [\"sso\"]\n").unwrap();
        let err = Settings::load(Some(&file)).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(err.contains("sso"), "{err}");
    }

    #[test]
    fn a_wrongly_typed_value_in_the_config_file_names_the_key() {
        let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latchkey.toml");
        std::fs::write(&file, "pool_size = \"many\"\n").unwrap();
        let err = Settings::load(Some(&file)).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(err.contains("pool_size"), "{err}");
    }
}
