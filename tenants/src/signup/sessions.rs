//! Console sessions: signing in, the session a cookie names, signing out.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;

use super::{ConsoleSession, OpenedSession, Signups, password};
use crate::audit::AuditEvent;
use crate::clock::{from_db, to_db};
use crate::db::schema::{audit_events, console_sessions, tenant_admins};
use crate::db::{Id, TxMode};
use crate::error::{AuthFailure, Error, Resource, Result};
use crate::ids::TenantId;
use crate::session_secret;
use crate::store::Actor;
use crate::tenant::Tenant;

/// An admin's id, email, password hash and when the address was verified.
type AdminRow = (Id, String, String, Option<time::PrimitiveDateTime>);

const SESSION_PREFIX: &str = "lkc_";

impl Signups<'_> {
    /// Signs a console admin in with the organization's slug, email and
    /// password. Every failure (no such organization, no such email, a wrong
    /// password) is the same `credentials` error after the same password
    /// work, so the answer tells nothing about which accounts exist.
    pub async fn sign_in(
        &self,
        slug: &str,
        email: &str,
        password: &str,
        session_ttl: Duration,
        actor: &Actor,
    ) -> Result<OpenedSession> {
        let tenant = match self.store.tenants().get_fresh(slug).await {
            Ok(t) => Some(t),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let admin = self.find_admin(tenant.as_ref(), email).await?;
        let stored = admin.as_ref().map(|(_, _, h, _)| h.clone());
        let given = password.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || password::verify(&given, stored.as_deref()))
                .await
                .map_err(|e| Error::Internal(format!("password check task: {e}")))?;
        let (Some(tenant), Some((admin_id, email, _, verified_at)), true) =
            (tenant, admin, matches)
        else {
            return Err(Error::Unauthenticated(AuthFailure::Credentials));
        };
        // Past the password: telling the owner what is wrong reveals nothing.
        // An operator may activate a pending tenant by hand; its admin still
        // signs in only with a verified address.
        if verified_at.is_none() {
            return Err(Error::TenantPending(tenant.slug.clone()));
        }
        tenant.ensure_usable()?;
        self.open_session(tenant, admin_id, email, session_ttl, actor)
            .await
    }

    /// The admin with this email in the tenant, when there is a tenant.
    async fn find_admin(&self, tenant: Option<&Tenant>, email: &str) -> Result<Option<AdminRow>> {
        let email_key = email.trim().to_lowercase();
        let admin = match tenant {
            Some(t) => {
                let (key, tenant_id) = (email_key.clone(), t.id);
                self.store
                    .pool()
                    .run_in(Some(tenant_id), TxMode::Read, move |conn| {
                        Ok(tenant_admins::table
                            .filter(tenant_admins::tenant_id.eq(tenant_id))
                            .filter(tenant_admins::email_key.eq(&key))
                            .select((
                                tenant_admins::id,
                                tenant_admins::email,
                                tenant_admins::password_hash,
                                tenant_admins::verified_at,
                            ))
                            .first(conn)
                            .optional()?)
                    })
                    .await?
            }
            None => None,
        };
        Ok(admin)
    }

    /// Opens a session for an admin whose password matched, removing the
    /// admin's ended ones.
    async fn open_session(
        &self,
        tenant: Tenant,
        admin_id: Id,
        email: String,
        session_ttl: Duration,
        actor: &Actor,
    ) -> Result<OpenedSession> {
        let now = self.store.now();
        let expires_at = now + session_ttl;
        let secret = mint_session(tenant.id);
        let row = (
            console_sessions::tenant_id.eq(tenant.id),
            console_sessions::id.eq(Id::new()),
            console_sessions::admin_id.eq(admin_id),
            console_sessions::token_hash.eq(hash(&secret).to_vec()),
            console_sessions::created_at.eq(to_db(now)),
            console_sessions::expires_at.eq(to_db(expires_at)),
        );
        let (id, actor) = (tenant.id, actor.clone());
        self.store
            .pool()
            .run_in(Some(id), TxMode::Write, move |conn| {
                // The admin's ended sessions go as a new one starts.
                diesel::delete(
                    console_sessions::table
                        .filter(console_sessions::tenant_id.eq(id))
                        .filter(console_sessions::admin_id.eq(admin_id))
                        .filter(console_sessions::expires_at.le(to_db(now))),
                )
                .execute(conn)?;
                diesel::insert_into(console_sessions::table)
                    .values(row)
                    .execute(conn)?;
                let event = AuditEvent::row(
                    id,
                    now,
                    &actor,
                    "console.sign_in",
                    "tenant_admin",
                    &admin_id.to_string(),
                    &json!({}),
                );
                diesel::insert_into(audit_events::table)
                    .values(&event)
                    .execute(conn)?;
                Ok(())
            })
            .await?;
        Ok(OpenedSession {
            secret,
            session: ConsoleSession {
                tenant,
                admin_id,
                email,
                expires_at,
            },
        })
    }

    /// The session a cookie names, if it is current and its tenant usable.
    pub async fn session(&self, secret: &str) -> Result<ConsoleSession> {
        let refused = || Error::Unauthenticated(AuthFailure::Session);
        let tenant_id = session_tenant(secret).ok_or_else(refused)?;
        let digest = hash(secret).to_vec();
        let found: Option<(Id, time::PrimitiveDateTime, String)> = self
            .store
            .pool()
            .run_in(Some(tenant_id), TxMode::Read, move |conn| {
                Ok(console_sessions::table
                    .inner_join(
                        tenant_admins::table.on(tenant_admins::tenant_id
                            .eq(console_sessions::tenant_id)
                            .and(tenant_admins::id.eq(console_sessions::admin_id))),
                    )
                    .filter(console_sessions::tenant_id.eq(tenant_id))
                    .filter(console_sessions::token_hash.eq(digest))
                    .select((
                        console_sessions::admin_id,
                        console_sessions::expires_at,
                        tenant_admins::email,
                    ))
                    .first(conn)
                    .optional()?)
            })
            .await?;
        let (admin_id, expires_at, email) = found.ok_or_else(refused)?;
        let expires_at = from_db(expires_at);
        if expires_at <= self.store.now() {
            return Err(refused());
        }
        let tenant = match self.store.tenants().by_id(tenant_id).await {
            Ok(t) => t,
            Err(Error::NotFound(Resource::Tenant)) => return Err(refused()),
            Err(e) => return Err(e),
        };
        tenant.ensure_usable()?;
        Ok(ConsoleSession {
            tenant,
            admin_id,
            email,
            expires_at,
        })
    }

    /// Ends the session a cookie names (nothing happens for an unknown one).
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        let Some(tenant_id) = session_tenant(secret) else {
            return Ok(());
        };
        let digest = hash(secret).to_vec();
        self.store
            .pool()
            .run_in(Some(tenant_id), TxMode::Write, move |conn| {
                diesel::delete(
                    console_sessions::table
                        .filter(console_sessions::tenant_id.eq(tenant_id))
                        .filter(console_sessions::token_hash.eq(digest)),
                )
                .execute(conn)?;
                Ok(())
            })
            .await
    }
}

fn hash(secret: &str) -> [u8; 32] {
    session_secret::hash(secret)
}

fn mint_session(tenant: TenantId) -> String {
    session_secret::mint(SESSION_PREFIX, tenant)
}

fn session_tenant(secret: &str) -> Option<TenantId> {
    session_secret::tenant_of(SESSION_PREFIX, secret)
}
