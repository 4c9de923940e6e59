//! What a tenant is: its slug, status, plan and billing, as stored and as
//! handed out.

use std::fmt;

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::clock::from_db;
use crate::db::schema::tenants;
use crate::error::{Error, Result};
use crate::ids::TenantId;

/// Words that would read as part of the product in a URL or a subdomain.
pub(super) const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "billing",
    "console",
    "dashboard",
    "docs",
    "healthz",
    "help",
    "internal",
    "latchkey",
    "login",
    "logout",
    "mail",
    "metrics",
    "oauth",
    "oidc",
    "platform",
    "public",
    "readyz",
    "root",
    "scim",
    "signup",
    "static",
    "status",
    "support",
    "system",
    "www",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantStatus {
    /// Signed up, waiting for its first admin to verify the email address:
    /// every tenant surface refuses it.
    Pending,
    Active,
    Suspended,
    Deleting,
}

impl TenantStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            TenantStatus::Pending => "pending",
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
            TenantStatus::Deleting => "deleting",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(TenantStatus::Pending),
            "active" => Ok(TenantStatus::Active),
            "suspended" => Ok(TenantStatus::Suspended),
            "deleting" => Ok(TenantStatus::Deleting),
            other => Err(Error::Internal(format!("unknown tenant status `{other}`"))),
        }
    }
}

impl fmt::Display for TenantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub display_name: String,
    pub status: TenantStatus,
    pub plan: String,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Stripe billing state (all empty for a tenant that never upgraded);
    /// shared, as tenants are cloned out of the cache on every request.
    pub billing: std::sync::Arc<crate::billing::TenantBilling>,
}

impl Tenant {
    /// Tenant surfaces answer only for active tenants; a suspended tenant
    /// keeps its data but refuses every request with a clear error.
    pub fn ensure_usable(&self) -> Result<()> {
        match self.status {
            TenantStatus::Active => Ok(()),
            TenantStatus::Pending => Err(Error::TenantPending(self.slug.clone())),
            TenantStatus::Suspended => Err(Error::TenantSuspended(self.slug.clone())),
            TenantStatus::Deleting => Err(Error::TenantDeleting(self.slug.clone())),
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub(super) struct TenantRow {
    pub(super) id: TenantId,
    pub(super) slug: String,
    pub(super) display_name: String,
    pub(super) status: String,
    pub(super) plan: String,
    pub(super) version: i64,
    pub(super) created_at: time::PrimitiveDateTime,
    pub(super) updated_at: time::PrimitiveDateTime,
    #[diesel(embed)]
    pub(super) billing: crate::billing::BillingRow,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = Error;
    fn try_from(row: TenantRow) -> Result<Self> {
        Ok(Tenant {
            id: row.id,
            slug: row.slug,
            display_name: row.display_name,
            status: TenantStatus::parse(&row.status)?,
            plan: row.plan,
            version: row.version,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
            billing: std::sync::Arc::new(row.billing.into()),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = tenants)]
pub(super) struct NewTenantRow {
    pub(super) id: TenantId,
    pub(super) slug: String,
    pub(super) display_name: String,
    pub(super) status: String,
    pub(super) plan: String,
    pub(super) wrapped_data_key: Option<Vec<u8>>,
    pub(super) master_key_id: String,
    pub(super) version: i64,
    pub(super) created_at: time::PrimitiveDateTime,
    pub(super) updated_at: time::PrimitiveDateTime,
}

/// A slug is a DNS label (RFC 1035 style): 3–63 of `a-z`, `0-9` and `-`,
/// starting with a letter, not ending with `-`, and not a reserved word.
pub fn validate_slug(slug: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::invalid("slug", why.to_owned()));
    if !(3..=63).contains(&slug.len()) {
        return bad("must be 3 to 63 characters long");
    }
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return bad("may contain only lowercase letters a-z, digits and hyphens");
    }
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        return bad("must start with a letter");
    }
    if slug.ends_with('-') {
        return bad("must not end with a hyphen");
    }
    if slug.contains("--") {
        return bad("must not contain two hyphens in a row");
    }
    if RESERVED_SLUGS.contains(&slug) {
        return bad("is reserved; choose another");
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: String,
    pub display_name: String,
}

/// What deleting a tenant did.
#[derive(Debug, Clone)]
pub struct DeletedTenant {
    pub id: TenantId,
    pub slug: String,
    /// The data key was destroyed before any row: sealed secrets that
    /// survive anywhere (backups, replicas) can no longer be opened.
    pub data_key_destroyed: bool,
    pub rows_deleted: usize,
}
