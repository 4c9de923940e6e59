//! Settings: defaults, then a TOML file (`--config`), then `LATCHKEY_*`
//! environment variables and `DATABASE_URL`. A bad setting stops the start
//! with a message naming it.

mod billing;
mod defaults;
mod master_key;
mod redacted;
mod signup;
mod sources;
#[cfg(test)]
mod tests;
mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use latchkey_tenants::db::DatabaseUrl;
use latchkey_tenants::licensing::{Plan, Plans};
use serde::{Deserialize, Serialize};

pub use master_key::{parse_master_key, write_secret_file};

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
    /// Exactly one proxy in front appends the client's address to
    /// `X-Forwarded-For`: the last entry is the client's (otherwise clients
    /// could pick their own address).
    pub trust_forwarded_for: bool,
    /// Addresses and networks of the proxies in front, separated by commas
    /// (`10.0.0.0/8, 192.168.1.5`): `X-Forwarded-For` is walked from the
    /// right past them to the first address that is not one of them.
    pub trusted_proxies: Option<String>,
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
    /// Slug availability checks and suggestions per minute per client
    /// address (bursts of twice that); 0 = off.
    pub signup_slug_lookups_per_minute: u32,
    /// How long a signup never verified is kept before it is removed, with
    /// the slug it held; at least `signup_link_ttl_hours`.
    pub signup_unverified_retention_hours: u64,
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

impl Settings {
    pub fn listen_addr(&self) -> Result<SocketAddr> {
        self.listen.parse().with_context(|| {
            format!(
                "LATCHKEY_LISTEN (listen) must be an address like 127.0.0.1:8080, not `{}`",
                self.listen
            )
        })
    }

    /// Where clients reach this node: `public_url`, or else the address it
    /// listens on (`bound`, which knows the port `listen = "…:0"` was given;
    /// `localhost` for an unspecified address). Links the service writes
    /// (SCIM `Location` and `meta.location`) come from here and never from a
    /// request's `Host`, which whoever sends the request chooses.
    pub fn origin(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if bound.ip().is_unspecified() => format!("http://localhost:{}", bound.port()),
            None => format!("http://{bound}"),
        }
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

    /// The plans, checked (the three names, known features).
    pub fn plans(&self) -> Result<Plans> {
        Plans::new(self.plans.clone()).map_err(|e| anyhow::anyhow!("{e}"))
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}
