//! The `latchkey` command: the server and the operator's shell commands.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use latchkey_tenants::keys::sealing::MasterKey;
use latchkey_tenants::page::PageRequest;
use latchkey_tenants::tenant::NewTenant;
use latchkey_tenants::tokens::{NewToken, PlatformTokens, Scope};
use latchkey_tenants::{Actor, Store, StoreConfig};
use poem::listener::TcpAcceptor;

use crate::app::{self, HttpLimits};
use crate::config::{Settings, parse_master_key, write_secret_file};
use crate::license_cli::LicenseCommand;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;
use crate::state::AppState;

/// How often each node prunes old Stripe event ids. Retention is counted in
/// days, so an hour late is nothing; more often would only repeat the query.
const STRIPE_EVENT_PRUNING_EVERY: Duration = Duration::from_secs(3600);
/// How often the purge of unverified signups runs, once across the
/// installation: a signup outlives its retention by at most this.
const SIGNUP_PURGE_EVERY: Duration = Duration::from_secs(600);

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Latchkey: a multi-tenant identity control plane"
)]
pub struct Cli {
    /// A TOML file with settings (environment variables override it).
    #[arg(long, global = true, env = "LATCHKEY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default is embedded SQLite in ./latchkey-data).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the master key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Enterprise licences: install and inspect them (operators), make
    /// signing keys and issue licences (the vendor).
    #[command(subcommand)]
    License(LicenseCommand),
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        slug: String,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants.
    List,
    /// Suspend a tenant: its surfaces refuse requests, its data stays.
    Suspend { slug: String },
    /// Resume a suspended tenant.
    Resume { slug: String },
    /// Put a tenant on a plan: free, team or enterprise.
    Plan { slug: String, plan: String },
    /// Delete a tenant: destroys its data key, then its rows.
    Delete {
        slug: String,
        /// Confirm the irreversible deletion.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret once.
    Create(CreateTokenArgs),
    /// Revoke a token by id.
    Revoke {
        id: uuid::Uuid,
        /// The tenant of a tenant token (omit for a platform token).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Print a fresh platform token secret without storing it, for
    /// LATCHKEY_BOOTSTRAP_TOKEN.
    Generate,
}

#[derive(Debug, Args)]
pub struct CreateTokenArgs {
    /// A tenant token for this tenant; without it, a platform token.
    #[arg(long)]
    tenant: Option<String>,
    #[arg(long, default_value = "cli")]
    name: String,
    /// Comma-separated scopes for a tenant token: admin, read, scim.
    #[arg(long, value_delimiter = ',', default_value = "admin")]
    scopes: Vec<String>,
    /// Expire after this many days.
    #[arg(long)]
    expires_in_days: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Re-wrap every tenant's data key under a new master key.
    Rewrap {
        /// The new key (32 bytes, base64). Without it one is generated into the
        /// data folder's key file; with LATCHKEY_MASTER_KEY set it is required.
        #[arg(long, env = "LATCHKEY_NEW_MASTER_KEY", hide_env_values = true)]
        new_master_key: Option<String>,
    },
}

pub async fn run(cli: Cli) -> Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Openapi => {
            use std::io::Write;
            // A closed pipe (`latchkey openapi | head`) is the reader's choice, not an error.
            match std::io::stdout()
                .lock()
                .write_all(openapi_document()?.as_bytes())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
        Command::Migrate => {
            let _telemetry = cli_logging(&settings)?;
            let url = settings.database()?;
            let applied =
                tokio::task::spawn_blocking(move || latchkey_tenants::db::run_migrations(&url))
                    .await??;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Tenant(cmd) => {
            let _telemetry = cli_logging(&settings)?;
            tenant(open_store(&settings, settings.master_key()?).await?, cmd).await
        }
        Command::Token(TokenCommand::Generate) => {
            println!("{}", PlatformTokens::generate_secret());
            Ok(())
        }
        Command::Token(cmd) => {
            token(open_store(&settings, settings.master_key()?).await?, cmd).await
        }
        Command::Keys(KeysCommand::Rewrap { new_master_key }) => {
            rewrap(&settings, new_master_key).await
        }
        Command::License(LicenseCommand::Keygen { out }) => crate::license_cli::keygen(&out),
        Command::License(LicenseCommand::Issue(args)) => crate::license_cli::issue(args),
        Command::License(cmd) => {
            let _telemetry = cli_logging(&settings)?;
            crate::license_cli::manage(open_store(&settings, settings.master_key()?).await?, cmd)
                .await
        }
    }
}

/// Warnings (a generated master key, say) reach an operator's terminal too.
fn cli_logging(settings: &Settings) -> Result<crate::telemetry::Telemetry> {
    crate::telemetry::init(&settings.log_format, None)
}

/// The OpenAPI document, generated from the code without a database.
pub fn openapi_document() -> Result<String> {
    let url = latchkey_tenants::db::DatabaseUrl::parse("sqlite://:memory:")?;
    let store = Store::unconnected(StoreConfig::new(url, MasterKey::generate()))?;
    Ok(app::openapi_json(&AppState {
        store,
        metrics: Arc::new(Metrics::default()),
        public_url: "http://localhost".to_owned(),
        max_body_bytes: HttpLimits::default().max_body_bytes,
        signup: None,
        billing: None,
    }))
}

/// Opens the installation for a command; only `serve` may create its master
/// key. The key comes first: `database()` creates the data folder, which a
/// command run in the wrong folder must not leave behind.
async fn open_store(settings: &Settings, master_key: MasterKey) -> Result<Store> {
    let mut config = StoreConfig::new(settings.database()?, master_key);
    config.master_key_source = settings.master_key_source();
    config.pool_size = settings.pool_size;
    config.cache_ttl = Duration::from_millis(settings.cache_ttl_ms);
    config.scim_log_size = settings.scim_request_log_size;
    config.scim_log_size_extended = settings.scim_request_log_size_extended;
    config.plans = settings.plans()?;
    config.billing_grace = settings.billing_grace();
    Ok(Store::open(config).await?)
}

async fn serve(settings: Settings) -> Result<()> {
    let telemetry =
        crate::telemetry::init(&settings.log_format, settings.otlp_endpoint.as_deref())?;
    let result = serve_until_shutdown(&settings).await;
    telemetry.shutdown();
    result
}

async fn serve_until_shutdown(settings: &Settings) -> Result<()> {
    let addr = settings.listen_addr()?;
    // Bound first: with `listen = "…:0"` only the listener knows the port
    // that links name when `public_url` is not set.
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr().unwrap_or(addr);
    let origin = settings.origin(bound);
    if settings.public_url.is_none() && !bound.ip().is_loopback() {
        tracing::warn!(%origin, "public_url is not set: links in responses name this node's own address; set LATCHKEY_PUBLIC_URL to the URL clients use");
    }
    let store = open_store(settings, settings.master_key_or_generate()?).await?;
    if let Some(issued) = store
        .platform_tokens()
        .bootstrap(settings.bootstrap_token.as_deref())
        .await?
    {
        announce_bootstrap_token(&origin, &issued.secret);
    }
    install_license_file(settings, &store).await;
    let billing = spawn_jobs(settings, &store)?;
    let state = AppState {
        store,
        metrics: Arc::new(Metrics::default()),
        public_url: origin,
        max_body_bytes: settings.max_body_bytes,
        signup: settings.signup()?.map(Arc::new),
        billing,
    };
    let limits = HttpLimits {
        max_body_bytes: settings.max_body_bytes,
        timeout: settings.timeout(),
        rate: RateLimits {
            per_address: settings.rate_limit_per_address,
            per_token: settings.rate_limit_per_token,
            proxies: settings.proxy_trust()?,
        },
    };
    if let Some(signup) = &state.signup {
        tracing::info!(url = %format!("{}/signup", signup.public_url), "hosted signup is on");
    }
    let acceptor = crate::wire::FramedAcceptor(TcpAcceptor::from_tokio(listener)?);
    tracing::info!(addr = %bound, "latchkey listening");
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            app::endpoint(state, limits),
            shutdown_signal(),
            Some(Duration::from_secs(20)),
        )
        .await
        .with_context(|| format!("cannot serve on {bound}"))
}

/// The platform token made from `bootstrap_token`, printed once, to
/// stdout, never to the log.
fn announce_bootstrap_token(base: &str, secret: &str) {
    println!(
        "\nA platform token was created for this installation. It is shown only this once:\n\n    {secret}\n\n\
         Next: create your first tenant\n\n    curl -X POST {base}/api/v1/tenants \\\n      -H 'Authorization: Bearer {secret}' \\\n      \
         -H 'Content-Type: application/json' \\\n      -d '{{\"slug\":\"acme\",\"display_name\":\"Acme\"}}'\n\n\
         API docs: {base}/api/docs\n",
    );
}

async fn install_license_file(settings: &Settings, store: &Store) {
    if let Some(file) = &settings.license_file {
        // A bad licence file never stops the service: sign-in and
        // provisioning never depend on a licence.
        match crate::license_cli::install_file(store, file).await {
            Ok(summary) => tracing::info!(file = %file.display(), "{summary}"),
            Err(e) => {
                tracing::error!(file = %file.display(), error = %format!("{e:#}"), "LATCHKEY_LICENSE_FILE not installed")
            }
        }
    }
}

/// The background jobs; the billing service, when billing is on.
fn spawn_jobs(settings: &Settings, store: &Store) -> Result<Option<Arc<crate::billing::Billing>>> {
    store.spawn_key_rotation_job(Duration::from_secs(settings.key_rotation_check_secs));
    let sender = crate::audit_stream_client::HttpsSender::new(
        settings.audit_webhook_ca_file.as_deref(),
        settings.audit_webhook_allow_private,
    )?;
    store.spawn_audit_stream_job(
        Arc::new(sender),
        Duration::from_secs(settings.audit_stream_poll_secs),
    );
    // Also with billing off: ids recorded while it was on still age out.
    store.spawn_stripe_event_pruning_job(
        settings.stripe_event_retention(),
        STRIPE_EVENT_PRUNING_EVERY,
    );
    // Also with signup off: signups left from when it was on still go.
    store.spawn_signup_purge_job(settings.signup_unverified_retention(), SIGNUP_PURGE_EVERY);
    let billing = settings.billing()?.map(Arc::new);
    if let Some(billing) = &billing {
        store.spawn_seat_sync_job(
            billing.gateway.clone(),
            Duration::from_secs(settings.billing_sync_secs),
        );
        tracing::info!("Stripe billing is on");
    }
    Ok(billing)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn tenant(store: Store, cmd: TenantCommand) -> Result<()> {
    let actor = Actor::cli();
    match cmd {
        TenantCommand::Create { slug, name } => {
            let display_name = name.unwrap_or_else(|| slug.clone());
            let t = store
                .tenants()
                .create(NewTenant { slug, display_name }, &actor)
                .await?;
            println!("created tenant {} ({})", t.slug, t.id);
        }
        TenantCommand::List => {
            let mut cursor: Option<String> = None;
            println!("{:<40} {:<24} {:<10} NAME", "ID", "SLUG", "STATUS");
            loop {
                let page = store
                    .tenants()
                    .list(PageRequest::parse(Some(200), cursor.as_deref())?)
                    .await?;
                for t in &page.items {
                    println!(
                        "{:<40} {:<24} {:<10} {}",
                        t.id, t.slug, t.status, t.display_name
                    );
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        TenantCommand::Suspend { slug } => {
            store.tenants().suspend(&slug, &actor).await?;
            println!("suspended {slug}");
        }
        TenantCommand::Resume { slug } => {
            store.tenants().resume(&slug, &actor).await?;
            println!("resumed {slug}");
        }
        TenantCommand::Plan { slug, plan } => {
            let t = store.set_tenant_plan(&slug, &plan, &actor).await?;
            println!("{} is on the {} plan", t.slug, t.plan);
        }
        TenantCommand::Delete { slug, yes } => {
            if !yes {
                bail!("deleting a tenant is irreversible; repeat with --yes");
            }
            let d = store.tenants().delete(&slug).await?;
            println!(
                "deleted {}: data key destroyed, {} rows deleted",
                d.slug, d.rows_deleted
            );
        }
    }
    Ok(())
}

async fn token(store: Store, cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create(args) => {
            let expires_at = match args.expires_in_days {
                None => None,
                Some(d) => Some(
                    store
                        .now()
                        .checked_add(time::Duration::days(i64::from(d)))
                        .filter(|at| at.year() <= 9999)
                        .ok_or_else(|| {
                            anyhow::anyhow!("--expires-in-days is too far in the future")
                        })?,
                ),
            };
            let issued = match args.tenant {
                None => {
                    store
                        .platform_tokens()
                        .create(&args.name, expires_at)
                        .await?
                }
                Some(slug) => {
                    let t = store.tenants().get(&slug).await?;
                    let scopes = args
                        .scopes
                        .iter()
                        .map(|s| s.parse())
                        .collect::<Result<Vec<Scope>, _>>()?;
                    store
                        .tenant(t, Actor::cli())
                        .tokens()
                        .create(NewToken {
                            name: args.name,
                            scopes,
                            expires_at,
                        })
                        .await?
                }
            };
            eprintln!(
                "token {} created; the secret is shown only this once:",
                issued.token.id
            );
            println!("{}", issued.secret);
        }
        TokenCommand::Revoke { id, tenant } => {
            match tenant {
                None => store.platform_tokens().revoke(id.into()).await?,
                Some(slug) => {
                    let t = store.tenants().get(&slug).await?;
                    store
                        .tenant(t, Actor::cli())
                        .tokens()
                        .revoke(id.into())
                        .await?
                }
            };
            println!("revoked {id}");
        }
        TokenCommand::Generate => println!("{}", PlatformTokens::generate_secret()),
    }
    Ok(())
}

async fn rewrap(settings: &Settings, new_key: Option<String>) -> Result<()> {
    // Opened without the master-key check: repairing a database whose keys
    // are wrapped under two master keys (a rewrap raced by a running node) is
    // exactly what this command is for.
    // Both keys are checked before the database is opened (or, in the wrong
    // folder, created).
    let current = settings.master_key()?;
    let new_key = new_key
        .map(|k| parse_master_key(&k, "--new-master-key (LATCHKEY_NEW_MASTER_KEY)"))
        .transpose()?;
    let mut config = StoreConfig::new(settings.database()?, current);
    config.check_master_key = false;
    let store = Store::open(config).await?;
    let key = match new_key {
        Some(k) => k,
        // A generated key must be kept somewhere before any data key is
        // wrapped under it: the key file is that place; without one, the
        // operator brings the key.
        None if settings.master_key_file().is_some() => MasterKey::generate(),
        None => bail!(
            "LATCHKEY_MASTER_KEY is set, so pass the new key with --new-master-key \
             (generate one with `openssl rand -base64 32`) and keep it before running this"
        ),
    };
    if key.id() == store.master_key_id() {
        bail!("the new master key is the current one");
    }
    // Write the new key beside the old one before the database commits, so a
    // crash in between never leaves data wrapped under a key nobody kept.
    let key_file = settings.master_key_file();
    let pending = key_file.as_ref().map(|p| p.with_extension("key.new"));
    if let Some(pending) = &pending {
        write_secret_file(pending, key.to_base64().as_bytes())?;
    }
    let n = store.rewrap(&key).await?;
    match (key_file, pending) {
        (Some(file), Some(pending)) => {
            std::fs::rename(&pending, &file)
                .with_context(|| format!("cannot replace {}", file.display()))?;
            println!(
                "re-wrapped {n} data key(s); the new master key is in {}",
                file.display()
            );
        }
        _ => {
            println!(
                "re-wrapped {n} data key(s). Set LATCHKEY_MASTER_KEY to the new key on every node before restarting."
            );
        }
    }
    Ok(())
}
