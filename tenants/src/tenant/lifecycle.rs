//! The operator's side of tenants: created, listed, found, suspended,
//! resumed and deleted (crypto-shredded first).

use diesel::prelude::*;
use serde_json::json;

use super::model::{
    DeletedTenant, NewTenant, NewTenantRow, Tenant, TenantRow, TenantStatus, validate_slug,
};
use crate::audit::AuditEvent;
use crate::clock::to_db;
use crate::db::schema::{
    api_tokens, audit_events, console_sessions, group_members, group_subgroups, groups,
    scim_requests, signing_keys, tenant_admins, tenants, user_profiles, user_values, users,
};
use crate::db::{DbConnection, TxMode};
use crate::error::{Error, Resource, Result};
use crate::ids::TenantId;
use crate::invalidation::Invalidation;
use crate::keys::sealing::DataKey;
use crate::keys::signing::{GeneratedKey, KeyState, initial_keys};
use crate::page::{Page, PageRequest};
use crate::store::{Actor, Store};
use crate::validate;

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
        self.create_with(
            new,
            TenantStatus::Active,
            initial_keys,
            actor,
            |_, _| Ok(()),
        )
        .await
    }

    /// Creates a tenant in `status` with the signing keys `keys` generates,
    /// running `also` inside the same transaction (bound to the new tenant)
    /// before it commits: a signup writes its first admin there, so both
    /// exist or neither does.
    pub(crate) async fn create_with(
        &self,
        new: NewTenant,
        status: TenantStatus,
        keys: fn() -> Result<Vec<(GeneratedKey, KeyState)>>,
        actor: &Actor,
        also: impl FnOnce(&mut DbConnection, TenantId) -> Result<()> + Send + 'static,
    ) -> Result<Tenant> {
        validate_slug(&new.slug)?;
        validate::name("display_name", &new.display_name, 200)?;
        let id = TenantId::new();
        let now = self.store.now();
        let data_key = DataKey::generate();
        let wrapped = self.store.shared.master.wrap(id, &data_key)?;
        let keys = tokio::task::spawn_blocking(keys)
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
        self.store
            .shared
            .caches
            .tenants_by_slug
            .get_or_fill(slug.to_owned(), self.get_fresh(slug))
            .await
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

    pub async fn by_id(&self, id: TenantId) -> Result<Tenant> {
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
        let page = page.finish(rows, |r| r.id.into());
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
        let mut was_pending = false;
        let tenant = self
            .change(slug, None, actor, "tenant.resume", |t| {
                was_pending = t.status == TenantStatus::Pending;
                match t.status {
                    TenantStatus::Deleting => Err(Error::TenantDeleting(t.slug.clone())),
                    _ => Ok((Some(TenantStatus::Active), None)),
                }
            })
            .await?;
        // An unverified signup holds only its link's key; active, it needs
        // them all.
        if was_pending {
            self.store.complete_deferred_keys(tenant.id).await?;
        }
        Ok(tenant)
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

fn delete_rows(conn: &mut DbConnection, id: TenantId) -> Result<usize> {
    let mut n = 0;
    n += diesel::delete(group_members::table.filter(group_members::tenant_id.eq(id)))
        .execute(conn)?;
    n += diesel::delete(group_subgroups::table.filter(group_subgroups::tenant_id.eq(id)))
        .execute(conn)?;
    n += diesel::delete(groups::table.filter(groups::tenant_id.eq(id))).execute(conn)?;
    n += diesel::delete(
        crate::db::schema::user_factors::table
            .filter(crate::db::schema::user_factors::tenant_id.eq(id)),
    )
    .execute(conn)?;
    n += diesel::delete(
        crate::db::schema::user_sessions::table
            .filter(crate::db::schema::user_sessions::tenant_id.eq(id)),
    )
    .execute(conn)?;
    n += diesel::delete(
        crate::db::schema::sign_in_throttles::table
            .filter(crate::db::schema::sign_in_throttles::tenant_id.eq(id)),
    )
    .execute(conn)?;
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
