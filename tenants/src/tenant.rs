//! Tenants: the unit of isolation. Operator-level operations live here; what
//! is inside a tenant is reached through [`crate::store::TenantScope`].

use std::fmt;

use diesel::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::clock::{from_db, to_db};
use crate::db::schema::{
    api_tokens, audit_events, console_sessions, group_members, group_subgroups, groups,
    scim_requests, signing_keys, tenant_admins, tenants, user_profiles, user_values, users,
};
use crate::db::{DbConnection, Id, TxMode};
use crate::error::{Error, Resource, Result};
use crate::invalidation::Invalidation;
use crate::keys::sealing::DataKey;
use crate::keys::signing::initial_keys;
use crate::page::{Page, PageRequest};
use crate::store::{Actor, Store};
use crate::validate;

/// Words that would read as part of the product in a URL or a subdomain.
const RESERVED_SLUGS: &[&str] = &[
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
    pub id: Id,
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
struct TenantRow {
    id: Id,
    slug: String,
    display_name: String,
    status: String,
    plan: String,
    version: i64,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
    #[diesel(embed)]
    billing: crate::billing::BillingRow,
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
struct NewTenantRow {
    id: Id,
    slug: String,
    display_name: String,
    status: String,
    plan: String,
    wrapped_data_key: Option<Vec<u8>>,
    master_key_id: String,
    version: i64,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
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
    pub id: Id,
    pub slug: String,
    /// The data key was destroyed before any row: sealed secrets that
    /// survive anywhere (backups, replicas) can no longer be opened.
    pub data_key_destroyed: bool,
    pub rows_deleted: usize,
}

pub struct Tenants<'a> {
    store: &'a Store,
}

impl Store {
    pub fn tenants(&self) -> Tenants<'_> {
        Tenants { store: self }
    }
}

impl Tenants<'_> {
    pub async fn create(&self, new: NewTenant, actor: &Actor) -> Result<Tenant> {
        self.create_with(new, TenantStatus::Active, actor, |_, _| Ok(()))
            .await
    }

    /// Creates a tenant in `status`, running `also` inside the same
    /// transaction (bound to the new tenant) before it commits: a signup
    /// writes its first admin there, so both exist or neither does.
    pub(crate) async fn create_with(
        &self,
        new: NewTenant,
        status: TenantStatus,
        actor: &Actor,
        also: impl FnOnce(&mut DbConnection, Id) -> Result<()> + Send + 'static,
    ) -> Result<Tenant> {
        validate_slug(&new.slug)?;
        validate::name("display_name", &new.display_name, 200)?;
        let id = Id::new();
        let now = self.store.now();
        let data_key = DataKey::generate();
        let wrapped = self.store.shared.master.wrap(id, &data_key)?;
        let keys = tokio::task::spawn_blocking(initial_keys)
            .await
            .map_err(|e| Error::Internal(format!("key generation task: {e}")))??;
        let row = NewTenantRow {
            id,
            slug: new.slug.clone(),
            display_name: new.display_name.trim().to_owned(),
            status: status.as_str().into(),
            plan: "free".into(),
            wrapped_data_key: Some(wrapped),
            master_key_id: self.store.master_key_id().to_owned(),
            version: 1,
            created_at: to_db(now),
            updated_at: to_db(now),
        };
        let key_rows = keys
            .into_iter()
            .map(|(key, state)| key.into_row(id, &data_key, state, now))
            .collect::<Result<Vec<_>>>()?;
        let actor = actor.clone();
        let slug = new.slug.clone();
        self.store
            .pool()
            .run_in(Some(id), TxMode::Write, move |conn| {
                let taken: i64 = tenants::table
                    .filter(tenants::slug.eq(&row.slug))
                    .count()
                    .get_result(conn)?;
                if taken > 0 {
                    return Err(slug_taken(&row.slug));
                }
                diesel::insert_into(tenants::table)
                    .values(&row)
                    .execute(conn)
                    .map_err(|e| match e {
                        diesel::result::Error::DatabaseError(
                            diesel::result::DatabaseErrorKind::UniqueViolation,
                            _,
                        ) => slug_taken(&row.slug),
                        other => other.into(),
                    })?;
                // One statement per row: multi-row VALUES is not portable across MultiConnection.
                for key in &key_rows {
                    diesel::insert_into(signing_keys::table)
                        .values(key)
                        .execute(conn)?;
                }
                let detail = json!({ "slug": row.slug, "display_name": row.display_name });
                let event = AuditEvent::row(
                    id,
                    now,
                    &actor,
                    "tenant.create",
                    "tenant",
                    &id.to_string(),
                    &detail,
                );
                diesel::insert_into(audit_events::table)
                    .values(&event)
                    .execute(conn)?;
                also(conn, id)
            })
            .await?;
        self.get(&slug).await
    }

    /// The tenant with this slug; served from a cache for a moment (see
    /// `StoreConfig::cache_ttl`), since every request of a tenant asks.
    pub async fn get(&self, slug: &str) -> Result<Tenant> {
        // What is no slug names no tenant; it never reaches the database
        // (PostgreSQL refuses a NUL byte in text, for one).
        if validate_slug(slug).is_err() {
            return Err(Error::NotFound(Resource::Tenant));
        }
        if let Some(hit) = self.store.shared.tenants_by_slug.get(&slug.to_owned()) {
            return Ok(hit);
        }
        let tenant = self.get_fresh(slug).await?;
        self.store
            .shared
            .tenants_by_slug
            .insert(tenant.slug.clone(), tenant.clone());
        Ok(tenant)
    }

    /// The tenant as stored now, bypassing the cache (for changes).
    pub(crate) async fn get_fresh(&self, slug: &str) -> Result<Tenant> {
        if validate_slug(slug).is_err() {
            return Err(Error::NotFound(Resource::Tenant));
        }
        let key = slug.to_owned();
        let row: Option<TenantRow> = self
            .store
            .pool()
            .run(move |conn| {
                Ok(tenants::table
                    .filter(tenants::slug.eq(key))
                    .select(TenantRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.ok_or(Error::NotFound(Resource::Tenant))?.try_into()
    }

    pub async fn by_id(&self, id: Id) -> Result<Tenant> {
        let row: Option<TenantRow> = self
            .store
            .pool()
            .run(move |conn| {
                Ok(tenants::table
                    .find(id)
                    .select(TenantRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.ok_or(Error::NotFound(Resource::Tenant))?.try_into()
    }

    pub async fn list(&self, page: PageRequest) -> Result<Page<Tenant>> {
        let rows: Vec<TenantRow> = self
            .store
            .pool()
            .run(move |conn| {
                let mut q = tenants::table
                    .select(TenantRow::as_select())
                    .order(tenants::id)
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(tenants::id.gt(after));
                }
                Ok(q.load(conn)?)
            })
            .await?;
        let page = page.finish(rows, |r| r.id);
        let items = page
            .items
            .into_iter()
            .map(Tenant::try_from)
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn rename(
        &self,
        slug: &str,
        display_name: &str,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Tenant> {
        validate::name("display_name", display_name, 200)?;
        let name = display_name.trim().to_owned();
        self.change(slug, if_match, actor, "tenant.rename", move |_| {
            Ok((None, Some(name)))
        })
        .await
    }

    pub async fn suspend(&self, slug: &str, actor: &Actor) -> Result<Tenant> {
        self.change(slug, None, actor, "tenant.suspend", |t| match t.status {
            TenantStatus::Deleting => Err(Error::TenantDeleting(t.slug.clone())),
            _ => Ok((Some(TenantStatus::Suspended), None)),
        })
        .await
    }

    pub async fn resume(&self, slug: &str, actor: &Actor) -> Result<Tenant> {
        self.change(slug, None, actor, "tenant.resume", |t| match t.status {
            TenantStatus::Deleting => Err(Error::TenantDeleting(t.slug.clone())),
            _ => Ok((Some(TenantStatus::Active), None)),
        })
        .await
    }

    /// One guarded change of status or name: checks `If-Match`, bumps the
    /// version, audits, and drops the cached copy.
    async fn change(
        &self,
        slug: &str,
        if_match: Option<i64>,
        actor: &Actor,
        action: &'static str,
        decide: impl FnOnce(&Tenant) -> Result<(Option<TenantStatus>, Option<String>)>,
    ) -> Result<Tenant> {
        let current = self.get_fresh(slug).await?;
        if let Some(expected) = if_match
            && expected != current.version
        {
            return Err(Error::VersionMismatch {
                current: current.version,
            });
        }
        let (status, name) = decide(&current)?;
        let (id, version, now, actor) =
            (current.id, current.version, self.store.now(), actor.clone());
        let slug_of_change = current.slug.clone();
        let status_str = status.map(|s| s.as_str().to_owned());
        self.store
            .pool()
            .run_in(Some(id), TxMode::Write, move |conn| {
                let target = tenants::table.find(id).filter(tenants::version.eq(version));
                let changed = diesel::update(target)
                    .set((
                        status_str.as_ref().map(|s| tenants::status.eq(s.clone())),
                        name.as_ref().map(|n| tenants::display_name.eq(n.clone())),
                        tenants::version.eq(version + 1),
                        tenants::updated_at.eq(to_db(now)),
                    ))
                    .execute(conn)?;
                if changed == 0 {
                    let (current, status): (i64, String) = tenants::table
                        .find(id)
                        .select((tenants::version, tenants::status))
                        .first(conn)?;
                    // A delete that started meanwhile wins; it must not be undone.
                    if status == TenantStatus::Deleting.as_str() {
                        return Err(Error::TenantDeleting(slug_of_change.clone()));
                    }
                    return Err(Error::VersionMismatch { current });
                }
                let detail = json!({ "status": status_str, "display_name": name });
                let event =
                    AuditEvent::row(id, now, &actor, action, "tenant", &id.to_string(), &detail);
                diesel::insert_into(audit_events::table)
                    .values(&event)
                    .execute(conn)?;
                Invalidation::Tenant(id).send(conn)
            })
            .await?;
        self.store.forget_tenant(slug, id);
        self.get_fresh(slug).await
    }

    /// Deletes a tenant: first its data key is destroyed (committed on its
    /// own, so even a crash halfway leaves every sealed secret unreadable),
    /// then its rows. A tenant left in `deleting` is finished by deleting again.
    pub async fn delete(&self, slug: &str) -> Result<DeletedTenant> {
        let tenant = self.get_fresh(slug).await?;
        let (id, now) = (tenant.id, to_db(self.store.now()));
        self.store.forget_tenant(slug, id);
        // Two transactions: the shredding must commit even if deleting the
        // rows fails halfway.
        self.store
            .pool()
            .run_in(None, TxMode::Write, move |conn| {
                diesel::update(tenants::table.find(id))
                    .set((
                        tenants::wrapped_data_key.eq(None::<Vec<u8>>),
                        tenants::status.eq(TenantStatus::Deleting.as_str()),
                        // A change that read the tenant before now fails its version check.
                        tenants::version.eq(tenants::version + 1),
                        tenants::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                Invalidation::Tenant(id).send(conn)
            })
            .await?;
        let rows_deleted = self
            .store
            .pool()
            .run_in(Some(id), TxMode::Write, move |conn| delete_rows(conn, id))
            .await?;
        self.store.forget_tenant(slug, id);
        Ok(DeletedTenant {
            id,
            slug: slug.to_owned(),
            data_key_destroyed: true,
            rows_deleted,
        })
    }
}

fn delete_rows(conn: &mut DbConnection, id: Id) -> Result<usize> {
    let mut n = 0;
    n += diesel::delete(group_members::table.filter(group_members::tenant_id.eq(id)))
        .execute(conn)?;
    n += diesel::delete(group_subgroups::table.filter(group_subgroups::tenant_id.eq(id)))
        .execute(conn)?;
    n += diesel::delete(groups::table.filter(groups::tenant_id.eq(id))).execute(conn)?;
    n += diesel::delete(user_values::table.filter(user_values::tenant_id.eq(id))).execute(conn)?;
    n += diesel::delete(user_profiles::table.filter(user_profiles::tenant_id.eq(id)))
        .execute(conn)?;
    n += diesel::delete(users::table.filter(users::tenant_id.eq(id))).execute(conn)?;
    n += diesel::delete(scim_requests::table.filter(scim_requests::tenant_id.eq(id)))
        .execute(conn)?;
    n += diesel::delete(api_tokens::table.filter(api_tokens::tenant_id.eq(id))).execute(conn)?;
    n += diesel::delete(console_sessions::table.filter(console_sessions::tenant_id.eq(id)))
        .execute(conn)?;
    n += diesel::delete(tenant_admins::table.filter(tenant_admins::tenant_id.eq(id)))
        .execute(conn)?;
    n += diesel::delete(
        crate::db::schema::audit_webhooks::table
            .filter(crate::db::schema::audit_webhooks::tenant_id.eq(id)),
    )
    .execute(conn)?;
    n += diesel::delete(
        crate::db::schema::key_rotation_schedules::table
            .filter(crate::db::schema::key_rotation_schedules::tenant_id.eq(id)),
    )
    .execute(conn)?;
    n +=
        diesel::delete(signing_keys::table.filter(signing_keys::tenant_id.eq(id))).execute(conn)?;
    n +=
        diesel::delete(audit_events::table.filter(audit_events::tenant_id.eq(id))).execute(conn)?;
    n += diesel::delete(tenants::table.find(id)).execute(conn)?;
    Ok(n)
}

fn slug_taken(slug: &str) -> Error {
    Error::Conflict {
        code: "slug-taken",
        message: format!("the slug `{slug}` is already taken"),
    }
}

impl Store {
    /// Re-wraps every tenant's data key under `new_key` in one transaction.
    /// Sealed values are untouched: only the wrapping changes.
    /// Keys already wrapped under `new_key` are left alone, so a rewrap that
    /// was interrupted, or raced by a node still on the old key, is finished
    /// by running it again.
    pub async fn rewrap(&self, new_key: &crate::keys::sealing::MasterKey) -> Result<usize> {
        let old = &self.shared.master;
        let wrapped: Vec<(Id, Vec<u8>, String)> = self
            .pool()
            .run(|conn| {
                let rows: Vec<(Id, Option<Vec<u8>>, String)> = tenants::table
                    .select((
                        tenants::id,
                        tenants::wrapped_data_key,
                        tenants::master_key_id,
                    ))
                    .load(conn)?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(id, w, key_id)| w.map(|w| (id, w, key_id)))
                    .collect())
            })
            .await?;
        let mut rewrapped = Vec::with_capacity(wrapped.len());
        for (id, w, key_id) in wrapped {
            if key_id == new_key.id() {
                continue;
            }
            if key_id != old.id() {
                return Err(Error::Config(format!(
                    "the data key of tenant {id} is wrapped under master key id {key_id}, which is neither \
                     the current master key (key id {}) nor the new key (key id {})",
                    old.id(),
                    new_key.id()
                )));
            }
            let key = old.unwrap(id, &w)?;
            rewrapped.push((id, w, new_key.wrap(id, &key)?));
        }
        let new_id = new_key.id().to_owned();
        self.pool()
            .run_in(None, TxMode::Write, move |conn| {
                let mut count = 0;
                for (id, old_wrapped, new_wrapped) in rewrapped {
                    // Compare-and-set: a concurrent delete or rewrap wins.
                    count += diesel::update(
                        tenants::table
                            .find(id)
                            .filter(tenants::wrapped_data_key.eq(old_wrapped)),
                    )
                    .set((
                        tenants::wrapped_data_key.eq(Some(new_wrapped)),
                        tenants::master_key_id.eq(&new_id),
                    ))
                    .execute(conn)?;
                }
                Ok(count)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels_are_valid_slugs() {
        for ok in ["acme", "acme-corp", "a1b", "x".repeat(63).as_str()] {
            assert!(validate_slug(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_slugs_are_refused_with_the_field_named() {
        for bad in [
            "ab",
            "Acme",
            "1acme",
            "acme-",
            "ac--me",
            "ac_me",
            "acmé",
            &"x".repeat(64),
        ] {
            let err = validate_slug(bad).unwrap_err();
            assert!(err.to_string().starts_with("slug:"), "{bad}: {err}");
        }
    }

    #[test]
    fn reserved_slugs_are_refused() {
        assert!(
            validate_slug("admin")
                .unwrap_err()
                .to_string()
                .contains("reserved")
        );
    }
}
