//! Hosted signup: a new tenant and its first admin, pending until the admin
//! follows a signed, expiring link; then console sessions for that admin.
//!
//! Console admins live apart from the directory: the directory belongs to
//! the HR or identity system that provisions it over SCIM and may rewrite or
//! remove any user, which must never lock the tenant's owner out.

pub mod password;
pub mod slug;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::clock::{from_db, to_db};
use crate::db::schema::{audit_events, console_sessions, tenant_admins, tenants};
use crate::db::{Id, TxMode};
use crate::error::{AuthFailure, Error, LinkFailure, Resource, Result};
use crate::invalidation::Invalidation;
use crate::keys::signing::Alg;
use crate::store::{Actor, Store};
use crate::tenant::{NewTenant, Tenant, TenantStatus, validate_slug};
use crate::validate;

/// The audience of a verification link's JWS: nothing else a tenant key
/// signs can pass for one.
const LINK_AUDIENCE: &str = "latchkey:signup-verification";
const SESSION_PREFIX: &str = "lkc_";
const SESSION_SECRET_LEN: usize = 32;

#[derive(Clone)]
pub struct NewSignup {
    pub organization_name: String,
    pub slug: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for NewSignup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSignup")
            .field("organization_name", &self.organization_name)
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}

/// A signup waiting for its email address to be verified.
pub struct PendingSignup {
    pub tenant: Tenant,
    pub email: String,
    /// The signed token of the verification link (a compact JWS).
    pub verification_token: String,
    pub expires_at: OffsetDateTime,
}

/// Whether a slug can be signed up for, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlugAvailability {
    pub slug: String,
    pub available: bool,
    /// Why not: the broken rule, or that the slug is taken.
    pub reason: Option<String>,
}

/// A signed-in console admin.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub tenant: Tenant,
    pub admin_id: Id,
    pub email: String,
    pub expires_at: OffsetDateTime,
}

/// A session just opened: `secret` goes into the cookie and nowhere else.
pub struct OpenedSession {
    pub secret: String,
    pub session: ConsoleSession,
}

impl std::fmt::Debug for OpenedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSession")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    aud: String,
    /// The admin.
    sub: String,
    /// The tenant.
    tid: String,
    iat: i64,
    exp: i64,
}

#[derive(Insertable)]
#[diesel(table_name = tenant_admins)]
struct NewAdminRow {
    tenant_id: Id,
    id: Id,
    email: String,
    email_key: String,
    password_hash: String,
    verified_at: Option<time::PrimitiveDateTime>,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
}

pub struct Signups<'a> {
    store: &'a Store,
}

impl Store {
    pub fn signups(&self) -> Signups<'_> {
        Signups { store: self }
    }
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
    /// tenant's own ES256 key. Of two signups racing for one slug, one wins
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

    /// The JWS of a verification link, signed with the tenant's ES256 key.
    async fn link_token(
        &self,
        tenant: &Tenant,
        admin_id: Id,
        expires_at: OffsetDateTime,
        actor: &Actor,
    ) -> Result<String> {
        let claims = LinkClaims {
            aud: LINK_AUDIENCE.into(),
            sub: admin_id.to_string(),
            tid: tenant.id.to_string(),
            iat: self.store.now().unix_timestamp(),
            exp: expires_at.unix_timestamp(),
        };
        let claims = serde_json::to_value(&claims)
            .map_err(|e| Error::Internal(format!("link claims: {e}")))?;
        self.store
            .tenant(tenant.clone(), actor.clone())
            .keys()
            .sign(Alg::Es256, &claims)
            .await
    }

    /// Follows a verification link: checks the signature against the
    /// tenant's published keys and the expiry against the clock, then
    /// activates the tenant and marks its admin verified. Following the link
    /// again answers the active tenant.
    pub async fn verify(&self, slug: &str, token: &str, actor: &Actor) -> Result<Tenant> {
        let invalid = || Error::LinkRefused(LinkFailure::Invalid);
        let tenant = match self.store.tenants().get_fresh(slug).await {
            Ok(t) => t,
            Err(Error::NotFound(_)) => return Err(invalid()),
            Err(e) => return Err(e),
        };
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        if header.alg != jsonwebtoken::Algorithm::ES256 {
            return Err(invalid());
        }
        let kid = header.kid.ok_or_else(invalid)?;
        let keys = self
            .store
            .tenant(tenant.clone(), actor.clone())
            .keys()
            .published()
            .await?;
        let key = keys
            .iter()
            .find(|k| k.kid == kid && k.alg == Alg::Es256)
            .ok_or_else(invalid)?;
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(key.public_jwk.clone()).map_err(|_| invalid())?;
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|_| invalid())?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.set_audience(&[LINK_AUDIENCE]);
        // Expiry is checked below against the store's clock.
        validation.validate_exp = false;
        validation.required_spec_claims = ["aud", "exp", "sub"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let claims = jsonwebtoken::decode::<LinkClaims>(token, &decoding, &validation)
            .map_err(|_| invalid())?
            .claims;
        if claims.tid != tenant.id.to_string() {
            return Err(invalid());
        }
        let admin_id: Id = uuid::Uuid::parse_str(&claims.sub)
            .map_err(|_| invalid())?
            .into();
        let now = self.store.now();
        if now.unix_timestamp() >= claims.exp {
            return Err(Error::LinkRefused(LinkFailure::Expired));
        }
        match tenant.status {
            TenantStatus::Pending | TenantStatus::Active => {}
            _ => tenant.ensure_usable()?,
        }
        let (id, actor) = (tenant.id, actor.clone());
        let activated = self
            .store
            .pool()
            .run_in(Some(id), TxMode::Write, move |conn| {
                let at = to_db(now);
                let marked = diesel::update(
                    tenant_admins::table
                        .find((id, admin_id))
                        .filter(tenant_admins::verified_at.is_null()),
                )
                .set((
                    tenant_admins::verified_at.eq(Some(at)),
                    tenant_admins::updated_at.eq(at),
                ))
                .execute(conn)?;
                let exists: i64 = tenant_admins::table
                    .find((id, admin_id))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    return Err(Error::LinkRefused(LinkFailure::Invalid));
                }
                let activated = diesel::update(
                    tenants::table
                        .find(id)
                        .filter(tenants::status.eq(TenantStatus::Pending.as_str())),
                )
                .set((
                    tenants::status.eq(TenantStatus::Active.as_str()),
                    tenants::version.eq(tenants::version + 1),
                    tenants::updated_at.eq(at),
                ))
                .execute(conn)?;
                if activated > 0 || marked > 0 {
                    let event = AuditEvent::row(
                        id,
                        now,
                        &actor,
                        "signup.verify",
                        "tenant_admin",
                        &admin_id.to_string(),
                        &json!({ "tenant_activated": activated > 0 }),
                    );
                    diesel::insert_into(audit_events::table)
                        .values(&event)
                        .execute(conn)?;
                    Invalidation::Tenant(id).send(conn)?;
                }
                Ok(activated > 0)
            })
            .await?;
        if activated {
            self.store.forget_tenant(slug, id);
        }
        self.store.tenants().get_fresh(slug).await
    }

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
        let email_key = email.trim().to_lowercase();
        let admin: Option<(Id, String, String, Option<time::PrimitiveDateTime>)> = match &tenant {
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

    fn is_stale(&self, tenant: &Tenant, link_ttl: Duration) -> bool {
        tenant.status == TenantStatus::Pending && tenant.created_at + link_ttl <= self.store.now()
    }
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// `lkc_` + base64url(tenant id ‖ 32 random bytes), like tenant tokens: the
/// tenant is known before any of its rows is read.
fn mint_session(tenant: Id) -> String {
    let mut raw = Vec::with_capacity(16 + SESSION_SECRET_LEN);
    raw.extend_from_slice(tenant.0.as_bytes());
    let mut secret = [0u8; SESSION_SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    raw.extend_from_slice(&secret);
    format!("{SESSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw))
}

fn session_tenant(secret: &str) -> Option<Id> {
    let body = secret.strip_prefix(SESSION_PREFIX)?;
    if body.len() > 128 {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(body).ok()?;
    if raw.len() != 16 + SESSION_SECRET_LEN {
        return None;
    }
    Id::from_bytes(&raw[..16])
}
