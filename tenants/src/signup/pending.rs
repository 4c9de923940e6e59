//! Starting a signup: the pending tenant and its unverified admin, and
//! the slug it holds until its link expires.

use std::time::Duration;

use diesel::prelude::*;

use super::{NewSignup, PendingSignup, Signups, SlugAvailability, password, slug};
use crate::clock::to_db;
use crate::db::schema::tenant_admins;
use crate::db::{Id, TxMode};
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::keys::signing::signup_keys;
use crate::store::Actor;
use crate::tenant::{NewTenant, Tenant, TenantStatus, validate_slug};
use crate::validate;

#[derive(Insertable)]
#[diesel(table_name = tenant_admins)]
struct NewAdminRow {
    tenant_id: TenantId,
    id: Id,
    email: String,
    email_key: String,
    password_hash: String,
    verified_at: Option<time::PrimitiveDateTime>,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
}

impl Signups<'_> {
    /// Whether `slug` is free to sign up for. A pending signup whose link has
    /// expired does not hold its slug.
    pub async fn slug_availability(
        &self,
        slug: &str,
        link_ttl: Duration,
    ) -> Result<SlugAvailability> {
        let answer = |available: bool, reason: Option<String>| SlugAvailability {
            slug: slug.to_owned(),
            available,
            reason,
        };
        if let Err(Error::Invalid { message, .. }) = validate_slug(slug) {
            return Ok(answer(false, Some(message)));
        }
        match self.store.tenants().get_fresh(slug).await {
            Err(Error::NotFound(_)) => Ok(answer(true, None)),
            Ok(t) if self.is_stale(&t, link_ttl) => Ok(answer(true, None)),
            Ok(_) => Ok(answer(false, Some("is already taken".into()))),
            Err(e) => Err(e),
        }
    }

    /// A free slug derived from the organization's name: the name's slug,
    /// or the first free of it with `-2` … `-20` appended.
    pub async fn suggest_slug(
        &self,
        organization_name: &str,
        link_ttl: Duration,
    ) -> Result<String> {
        let base = slug::from_name(organization_name);
        if self.slug_availability(&base, link_ttl).await?.available {
            return Ok(base);
        }
        for n in 2..=20 {
            let candidate = slug::numbered(&base, n);
            if self
                .slug_availability(&candidate, link_ttl)
                .await?
                .available
            {
                return Ok(candidate);
            }
        }
        Ok(slug::numbered(&base, rand::random::<u16>().into()))
    }

    /// Creates the tenant (status `pending`, plan `free`) and its first admin
    /// in one transaction, and signs the verification link's token with the
    /// tenant's own ES256 key, the only key it has until it is verified. Of two signups racing for one slug, one wins
    /// and the other gets `slug-taken`.
    pub async fn start(
        &self,
        new: NewSignup,
        link_ttl: Duration,
        actor: &Actor,
    ) -> Result<PendingSignup> {
        validate::name("organization_name", &new.organization_name, 200)?;
        validate_slug(&new.slug)?;
        let email = new.email.trim().to_owned();
        validate::email("email", &email)?;
        if email.len() > 254 {
            return Err(Error::invalid("email", "must be at most 254 characters"));
        }
        password::check_strength(&new.password, &email, &new.slug, &new.organization_name)?;
        let pw = new.password.clone();
        let password_hash = tokio::task::spawn_blocking(move || password::hash(&pw))
            .await
            .map_err(|e| Error::Internal(format!("password hashing task: {e}")))??;

        // A signup never verified gives its slug back once its link expired.
        if let Ok(stale) = self.store.tenants().get_fresh(&new.slug).await
            && self.is_stale(&stale, link_ttl)
        {
            match self.store.tenants().delete(&stale.slug).await {
                Ok(_) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }

        let now = self.store.now();
        let admin_id = Id::new();
        let admin_email = email.clone();
        let tenant = self
            .store
            .tenants()
            .create_with(
                NewTenant {
                    slug: new.slug.clone(),
                    display_name: new.organization_name.clone(),
                },
                TenantStatus::Pending,
                signup_keys,
                actor,
                move |conn, tenant_id| {
                    let row = NewAdminRow {
                        tenant_id,
                        id: admin_id,
                        email_key: admin_email.to_lowercase(),
                        email: admin_email,
                        password_hash,
                        verified_at: None,
                        created_at: to_db(now),
                        updated_at: to_db(now),
                    };
                    diesel::insert_into(tenant_admins::table)
                        .values(&row)
                        .execute(conn)?;
                    Ok(())
                },
            )
            .await?;
        let expires_at = now + link_ttl;
        let verification_token = self
            .link_token(&tenant, admin_id, expires_at, actor)
            .await?;
        Ok(PendingSignup {
            tenant,
            email,
            verification_token,
            expires_at,
        })
    }

    /// A new verification token for a signup still waiting: only when `slug`
    /// is pending and `email` is its admin's; it expires when the first link
    /// does. `None` in every other case, which the caller must not reveal.
    pub async fn resend(
        &self,
        slug: &str,
        email: &str,
        link_ttl: Duration,
        actor: &Actor,
    ) -> Result<Option<PendingSignup>> {
        let tenant = match self.store.tenants().get_fresh(slug).await {
            Ok(t) if t.status == TenantStatus::Pending && !self.is_stale(&t, link_ttl) => t,
            Ok(_) | Err(Error::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let (tenant_id, key) = (tenant.id, email.trim().to_lowercase());
        let admin: Option<(Id, String)> = self
            .store
            .pool()
            .run_in(Some(tenant_id), TxMode::Read, move |conn| {
                Ok(tenant_admins::table
                    .filter(tenant_admins::tenant_id.eq(tenant_id))
                    .filter(tenant_admins::email_key.eq(&key))
                    .filter(tenant_admins::verified_at.is_null())
                    .select((tenant_admins::id, tenant_admins::email))
                    .first(conn)
                    .optional()?)
            })
            .await?;
        let Some((admin_id, email)) = admin else {
            return Ok(None);
        };
        let expires_at = tenant.created_at + link_ttl;
        let verification_token = self
            .link_token(&tenant, admin_id, expires_at, actor)
            .await?;
        Ok(Some(PendingSignup {
            tenant,
            email,
            verification_token,
            expires_at,
        }))
    }

    fn is_stale(&self, tenant: &Tenant, link_ttl: Duration) -> bool {
        tenant.status == TenantStatus::Pending && tenant.created_at + link_ttl <= self.store.now()
    }
}
