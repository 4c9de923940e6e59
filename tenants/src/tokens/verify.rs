//! Checking a bearer token on every request: a cache hit, or one indexed
//! lookup under the tenant's row-level security.

use diesel::prelude::*;
use time::OffsetDateTime;

use super::format::{ParsedToken, TokenKind, parse_token};
use super::platform::PlatformTokenRow;
use super::principal::{CachedToken, Principal};
use super::scopes::{Scope, Scopes};
use super::tenant::TokenRow;
use crate::clock::{from_db, to_db};
use crate::db::TxMode;
use crate::db::schema::{api_tokens, platform_tokens};
use crate::error::{AuthFailure, Error, Result};
use crate::ids::{TenantId, TokenId};
use crate::store::Store;

/// Writing `last_used_at` on every request would turn every read into a
/// write; once a minute is precise enough to spot unused tokens.
const LAST_USED_GRANULARITY: time::Duration = time::Duration::minutes(1);

pub(super) fn stale(last_used: Option<time::PrimitiveDateTime>, now: OffsetDateTime) -> bool {
    last_used.is_none_or(|at| from_db(at) + LAST_USED_GRANULARITY <= now)
}

impl Store {
    /// Verifies a bearer token: a cache hit, or one indexed lookup.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        let parsed = parse_token(bearer)?;
        let cached = match self.shared.caches.tokens.get(&parsed.hash) {
            Some(hit) => hit,
            None => {
                let found = self.lookup_token(&parsed).await?;
                self.shared.caches.tokens.insert(parsed.hash, found.clone());
                found
            }
        };
        if cached.revoked {
            return Err(Error::Unauthenticated(AuthFailure::Revoked));
        }
        if cached.expires_at.is_some_and(|at| at <= self.now()) {
            return Err(Error::Unauthenticated(AuthFailure::Expired));
        }
        Ok(match cached.tenant_id {
            None => Principal::Platform {
                token_id: cached.token_id,
            },
            Some(tenant_id) => Principal::Tenant {
                tenant_id,
                token_id: cached.token_id,
                kind: cached.kind,
                scopes: cached.scopes,
            },
        })
    }

    async fn lookup_token(&self, parsed: &ParsedToken) -> Result<CachedToken> {
        let (hash, tenant, now) = (parsed.hash, parsed.tenant, self.now());
        let kind = parsed.kind;
        // A read: the common case must not queue behind writers.
        let found: Option<(CachedToken, bool)> = self
            .pool()
            .run_in(tenant, TxMode::Read, move |conn| match tenant {
                None => {
                    let row: Option<PlatformTokenRow> = platform_tokens::table
                        .filter(platform_tokens::token_hash.eq(hash.as_slice()))
                        .select(PlatformTokenRow::as_select())
                        .first(conn)
                        .optional()?;
                    Ok(row.map(|r| {
                        let cached = CachedToken {
                            tenant_id: None,
                            token_id: r.id,
                            kind: TokenKind::Platform,
                            scopes: Scopes::new(vec![Scope::Admin]),
                            expires_at: r.expires_at.map(from_db),
                            revoked: r.revoked_at.is_some(),
                        };
                        (cached, stale(r.last_used_at, now))
                    }))
                }
                Some(tenant) => {
                    let row: Option<TokenRow> = api_tokens::table
                        .filter(api_tokens::tenant_id.eq(tenant))
                        .filter(api_tokens::token_hash.eq(hash.as_slice()))
                        .select(TokenRow::as_select())
                        .first(conn)
                        .optional()?;
                    let Some(row) = row else { return Ok(None) };
                    let touch = stale(row.last_used_at, now);
                    let token = row.public()?;
                    Ok(Some((
                        CachedToken {
                            tenant_id: Some(tenant),
                            token_id: token.id,
                            kind: token.kind,
                            scopes: token.scopes,
                            expires_at: token.expires_at,
                            revoked: token.revoked_at.is_some(),
                        },
                        touch,
                    )))
                }
            })
            .await?;
        if let Some((token, true)) = &found {
            // Best effort: a failure to record the time must not refuse a valid token.
            if let Err(e) = self.touch_token(token.tenant_id, token.token_id, now).await {
                tracing::warn!(error = %e, "could not record a token's last use");
            }
        }
        let found = found.map(|(token, _)| token);
        match found {
            Some(token) if token.kind == kind => Ok(token),
            _ => Err(Error::Unauthenticated(AuthFailure::Unknown)),
        }
    }

    async fn touch_token(
        &self,
        tenant: Option<TenantId>,
        id: TokenId,
        now: OffsetDateTime,
    ) -> Result<()> {
        let at = Some(to_db(now));
        self.pool()
            .run_in(tenant, TxMode::Write, move |conn| match tenant {
                None => {
                    diesel::update(platform_tokens::table.find(id))
                        .set(platform_tokens::last_used_at.eq(at))
                        .execute(conn)?;
                    Ok(())
                }
                Some(tenant) => {
                    diesel::update(api_tokens::table.find((tenant, id)))
                        .set(api_tokens::last_used_at.eq(at))
                        .execute(conn)?;
                    Ok(())
                }
            })
            .await
    }
}
