//! The verification link: a JWS the tenant's own key signs, and following
//! it to activate the tenant.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::Signups;
use crate::audit::AuditEvent;
use crate::clock::to_db;
use crate::db::schema::{audit_events, tenant_admins, tenants};
use crate::db::{Id, TxMode};
use crate::error::{Error, LinkFailure, Result};
use crate::ids::TenantId;
use crate::invalidation::Invalidation;
use crate::keys::signing::{Alg, insert_missing};
use crate::store::Actor;
use crate::tenant::{Tenant, TenantStatus};

/// The audience of a verification link's JWS: nothing else a tenant key
/// signs can pass for one.
const LINK_AUDIENCE: &str = "latchkey:signup-verification";

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

impl Signups<'_> {
    /// The JWS of a verification link, signed with the tenant's ES256 key.
    pub(super) async fn link_token(
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
        let claims = self.signed_claims(&tenant, token, actor).await?;
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
        let keys = match tenant.status {
            TenantStatus::Pending => self.store.deferred_key_rows(tenant.id, now).await?,
            _ => Vec::new(),
        };
        let (id, actor) = (tenant.id, actor.clone());
        let activated = self
            .store
            .pool()
            .run_in(Some(id), TxMode::Write, move |conn| {
                let activated = mark_verified(conn, id, admin_id, now, &actor)?;
                // Only the verification that activates the tenant completes
                // its keys; one that lost a race to it drops what it made.
                if activated {
                    insert_missing(conn, &keys)?;
                }
                Ok(activated)
            })
            .await?;
        if activated {
            self.store.forget_tenant(slug, id);
        }
        self.store.tenants().get_fresh(slug).await
    }

    /// The link's claims, when a published ES256 key of the tenant signed
    /// them for this audience; expiry is left to the caller's clock.
    async fn signed_claims(
        &self,
        tenant: &Tenant,
        token: &str,
        actor: &Actor,
    ) -> Result<LinkClaims> {
        let invalid = || Error::LinkRefused(LinkFailure::Invalid);
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
        // Expiry is checked by the caller against the store's clock.
        validation.validate_exp = false;
        validation.required_spec_claims = ["aud", "exp", "sub"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let claims = jsonwebtoken::decode::<LinkClaims>(token, &decoding, &validation)
            .map_err(|_| invalid())?
            .claims;
        Ok(claims)
    }
}

/// Marks the admin verified and activates a pending tenant, in the
/// caller's transaction; whether the tenant was activated.
fn mark_verified(
    conn: &mut crate::db::DbConnection,
    id: TenantId,
    admin_id: Id,
    now: OffsetDateTime,
    actor: &Actor,
) -> Result<bool> {
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
            actor,
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
}
