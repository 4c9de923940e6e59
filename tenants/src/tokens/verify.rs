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
        let cached = self
            .shared
            .caches
            .tokens
            .get_or_fill(parsed.hash, self.lookup_token(&parsed))
            .await?;
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

/// A lookup that read a token just before its revocation committed, with
/// the invalidation arriving before the lookup fills the cache: what it
/// read answers its own request, and the next one is refused. The read runs
/// inside the cache's fill, as `authenticate` runs it, with the revocation
/// and its invalidation in between.
#[cfg(test)]
mod races {
    use std::time::Duration;

    use super::*;
    use crate::testing::TestDb;
    use crate::tokens::NewToken;
    use crate::{Actor, Store, TenantScope};

    /// So long that only an invalidation can drop what a node cached.
    const LONG: Duration = Duration::from_secs(600);

    async fn tenant_with_token(store: &Store) -> (TenantScope, String, TokenId) {
        let tenant = store
            .tenants()
            .create(
                crate::tenant::NewTenant {
                    slug: "acme".into(),
                    display_name: "Acme".into(),
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
        let scope = store.tenant(tenant, Actor::cli());
        let issued = scope
            .tokens()
            .create(NewToken {
                name: "sync".into(),
                scopes: vec![Scope::Admin],
                expires_at: None,
            })
            .await
            .unwrap();
        (scope, issued.secret, issued.token.id)
    }

    /// What `authenticate` does on a miss, with `meanwhile` run between the
    /// read and the fill.
    async fn lookup_with(
        node: &Store,
        secret: &str,
        meanwhile: impl std::future::Future<Output = ()>,
    ) -> CachedToken {
        let parsed = parse_token(secret).unwrap();
        let read = async {
            let read = node.lookup_token(&parsed).await;
            meanwhile.await;
            read
        };
        node.shared
            .caches
            .tokens
            .get_or_fill(parsed.hash, read)
            .await
            .unwrap()
    }

    crate::both_backends! {
        async fn a_token_read_before_its_revocation_on_the_same_node_is_not_cached(db: TestDb) {
            let node = db.store_with(|c| c.cache_ttl = LONG).await;
            let (acme, secret, id) = tenant_with_token(&node).await;

            let read = lookup_with(&node, &secret, async {
                acme.tokens().revoke(id).await.unwrap();
            })
            .await;

            assert!(!read.revoked, "the read came before the revocation");
            assert!(matches!(
                node.authenticate(&secret).await,
                Err(Error::Unauthenticated(AuthFailure::Revoked))
            ));
        }
    }

    #[tokio::test]
    async fn a_token_read_before_its_revocation_on_another_node_is_not_cached() {
        let db = TestDb::postgres();
        let one = db.store_with(|c| c.cache_ttl = LONG).await;
        let two = db.store_with(|c| c.cache_ttl = LONG).await;
        let (acme, secret, id) = tenant_with_token(&one).await;

        let read = lookup_with(&two, &secret, async {
            let before = two.shared.caches.tokens.removals();
            acme.tokens().revoke(id).await.unwrap();
            // Until node two's listener has applied the revocation.
            for _ in 0..200 {
                if two.shared.caches.tokens.removals() > before {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("node two never heard of the revocation");
        })
        .await;

        assert!(!read.revoked, "the read came before the revocation");
        assert!(matches!(
            two.authenticate(&secret).await,
            Err(Error::Unauthenticated(AuthFailure::Revoked))
        ));
    }
}
