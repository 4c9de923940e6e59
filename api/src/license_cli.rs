//! `latchkey license …`: installing and inspecting licences (operators),
//! making signing keys and issuing licences (the vendor).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use latchkey_tenants::Store;
use latchkey_tenants::licensing::status::rfc3339_public as rfc3339;
use latchkey_tenants::licensing::{Feature, LicenseClaims, LicenseState, SigningKeyPair};
use time::OffsetDateTime;

use crate::config::write_secret_file;

#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Install (or replace) a licence from a file.
    Install { file: PathBuf },
    /// Show the licence status, seats and features.
    Status,
    /// Remove an installed licence by id.
    Remove { id: String },
    /// Vendor: make a licence-signing key pair. The private key goes to a
    /// file readable only by you; the public key is printed for the
    /// binary's list of trusted keys.
    Keygen {
        /// Where to write the private key (PKCS#8 PEM); never overwritten.
        #[arg(long, default_value = "license-signing-key.pem")]
        out: PathBuf,
    },
    /// Vendor: sign a licence with a private key from `keygen`.
    Issue(IssueArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The private key file written by `latchkey license keygen`.
    #[arg(long)]
    pub signing_key: PathBuf,
    /// Who the licence is for.
    #[arg(long)]
    pub licensee: String,
    /// Active internal users it pays for.
    #[arg(long)]
    pub seats: u64,
    /// Comma-separated features: audit_export, scim_log_retention, scheduled_key_rotation, audit_streaming.
    #[arg(long, value_delimiter = ',')]
    pub features: Vec<String>,
    /// Valid this many days from --not-before.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Start of validity (RFC 3339); default now.
    #[arg(long)]
    pub not_before: Option<String>,
    /// `any`, or the installation id from `latchkey license status`.
    #[arg(long, default_value = "any")]
    pub installation: String,
    /// The licence id; default a new UUID.
    #[arg(long)]
    pub id: Option<String>,
    /// Write the licence here instead of to standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Writes a new key pair: the private key to `out` (mode 0600, never over
/// an existing file), the public key to standard output.
pub fn keygen(out: &Path) -> Result<()> {
    if out.exists() {
        bail!(
            "{} exists; a signing key is never overwritten (licences signed with it would become unverifiable)",
            out.display()
        );
    }
    let key = SigningKeyPair::generate();
    write_secret_file(
        out,
        key.to_pem().map_err(|e| anyhow::anyhow!("{e}"))?.as_bytes(),
    )?;
    let public = key.public();
    eprintln!(
        "private key written to {} (mode 0600). Keep it out of any repository.\n\
         Add the public key to VENDOR_PUBLIC_KEYS in tenants/src/licensing/token.rs:",
        out.display()
    );
    println!("(\"{}\", \"{}\"),", public.kid, public.x);
    Ok(())
}

/// Signs a licence.
pub fn issue(args: IssueArgs) -> Result<()> {
    let pem = std::fs::read_to_string(&args.signing_key)
        .with_context(|| format!("cannot read {}", args.signing_key.display()))?;
    let key = SigningKeyPair::from_pem(&pem).map_err(|e| anyhow::anyhow!("{e}"))?;
    for f in &args.features {
        f.parse::<Feature>().map_err(|e| anyhow::anyhow!("--{e}"))?;
    }
    if args.installation != "any" && uuid::Uuid::parse_str(&args.installation).is_err() {
        bail!("--installation must be `any` or an installation id (a UUID)");
    }
    if args.licensee.trim().is_empty() {
        bail!("--licensee must not be empty");
    }
    if args.days == 0 {
        bail!("--days must be at least 1");
    }
    let now = OffsetDateTime::now_utc();
    let not_before = match &args.not_before {
        None => now,
        Some(s) => OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .with_context(|| "--not-before must be an RFC 3339 time, e.g. 2027-01-01T00:00:00Z")?,
    };
    let claims = LicenseClaims {
        jti: args.id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        sub: args.licensee,
        iat: now.unix_timestamp(),
        nbf: not_before.unix_timestamp(),
        exp: (not_before + time::Duration::days(i64::from(args.days))).unix_timestamp(),
        install: args.installation,
        seats: args.seats,
        features: args.features,
    };
    let token = key.issue(&claims).map_err(|e| anyhow::anyhow!("{e}"))?;
    match args.out {
        Some(path) => {
            std::fs::write(&path, format!("{token}\n"))
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("licence {} written to {}", claims.jti, path.display());
        }
        None => println!("{token}"),
    }
    Ok(())
}

/// Installs the licence in `file`; returns a one-line summary.
pub async fn install_file(store: &Store, file: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let l = store
        .install_license(&text)
        .await
        .map_err(|e| anyhow::anyhow!("the licence was not installed: {e}"))?;
    Ok(format!(
        "licence {} installed: {}, {} seat(s), expires {}",
        l.id,
        l.licensee,
        l.seats,
        rfc3339(l.expires_at)
    ))
}

pub async fn manage(store: Store, cmd: LicenseCommand) -> Result<()> {
    match cmd {
        LicenseCommand::Install { file } => {
            println!("{}", install_file(&store, &file).await?);
            print_status(&store).await
        }
        LicenseCommand::Status => print_status(&store).await,
        LicenseCommand::Remove { id } => {
            store.remove_license(&id).await?;
            println!("licence {id} removed");
            print_status(&store).await
        }
        LicenseCommand::Keygen { .. } | LicenseCommand::Issue(_) => {
            bail!("keygen and issue need no database")
        }
    }
}

async fn print_status(store: &Store) -> Result<()> {
    let s = store.license_status().await?;
    let state = match &s.state {
        LicenseState::Expiring { days_left } => format!("expiring ({days_left} days left)"),
        LicenseState::Expired { grace_until } => {
            format!("expired (grace until {})", rfc3339(*grace_until))
        }
        LicenseState::Invalid { reason } => format!("invalid ({reason})"),
        other => other.as_str().to_owned(),
    };
    println!("status:        {state}");
    println!("installation:  {}", s.installation_id);
    match s.licensed_seats {
        Some(n) => println!("seats:         {} used of {n}", s.seats_used),
        None => println!("seats:         {} used (no licence)", s.seats_used),
    }
    let features: Vec<&str> = s.features.iter().map(Feature::as_str).collect();
    println!(
        "features:      {}",
        if features.is_empty() {
            "-".to_owned()
        } else {
            features.join(", ")
        }
    );
    if s.restricted {
        println!("restricted:    yes (licensed features read-only, new internal users refused)");
    }
    for w in &s.warnings {
        println!("warning:       {w}");
    }
    for l in &s.licenses {
        match &l.verdict {
            Ok(v) => println!(
                "licence {}: {}, {} seat(s), {} to {}, installation {}, features [{}]",
                l.id,
                v.licensee,
                v.seats,
                rfc3339(v.not_before),
                rfc3339(v.expires_at),
                v.binding,
                v.features.join(", ")
            ),
            Err(why) => println!("licence {}: invalid ({why})", l.id),
        }
    }
    Ok(())
}
