//! Tokens of the installation's operators (`lkp_`).

use diesel::prelude::*;
use time::OffsetDateTime;

use super::format::{TokenKind, hash, mint, parse_token};
use super::issued::{ApiToken, IssuedToken, NewToken, check_new_token};
use super::scopes::{Scope, Scopes};
use crate::clock::{from_db, to_db};
use crate::db::TxMode;
use crate::db::schema::platform_tokens;
use crate::error::{Error, Resource, Result};
use crate::ids::TokenId;
use crate::invalidation::Invalidation;
use crate::store::Store;

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = platform_tokens)]
pub(super) struct PlatformTokenRow {
    pub(super) id: TokenId,
    pub(super) name: String,
    pub(super) token_hash: Vec<u8>,
    pub(super) scopes: String,
    pub(super) created_at: time::PrimitiveDateTime,
    pub(super) expires_at: Option<time::PrimitiveDateTime>,
    pub(super) last_used_at: Option<time::PrimitiveDateTime>,
    pub(super) revoked_at: Option<time::PrimitiveDateTime>,
}

impl PlatformTokenRow {
    pub(super) fn public(&self) -> ApiToken {
        ApiToken {
            id: self.id,
            name: self.name.clone(),
            kind: TokenKind::Platform,
            scopes: Scopes::new(vec![Scope::Admin]),
            created_at: from_db(self.created_at),
            expires_at: self.expires_at.map(from_db),
            last_used_at: self.last_used_at.map(from_db),
            revoked_at: self.revoked_at.map(from_db),
        }
    }
}

impl Store {
    pub fn platform_tokens(&self) -> PlatformTokens<'_> {
        PlatformTokens { store: self }
    }
}

/// Tokens of the installation's operators.
pub struct PlatformTokens<'a> {
    store: &'a Store,
}

impl PlatformTokens<'_> {
    pub async fn create(
        &self,
        name: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<IssuedToken> {
        let new = NewToken {
            name: name.to_owned(),
            scopes: vec![Scope::Admin],
            expires_at,
        };
        check_new_token(&new, self.store.now())?;
        let secret = mint(TokenKind::Platform, None);
        self.insert(&new, &secret)
            .await
            .map(|token| IssuedToken { token, secret })
    }

    /// Makes sure the token given for automation (`LATCHKEY_BOOTSTRAP_TOKEN`)
    /// exists; or, when none is given and the installation has no platform
    /// token at all, creates one and returns its secret to be shown once.
    pub async fn bootstrap(&self, given: Option<&str>) -> Result<Option<IssuedToken>> {
        if let Some(secret) = given {
            let parsed = parse_token(secret).map_err(|_| {
                Error::Config("LATCHKEY_BOOTSTRAP_TOKEN must be a platform token (`lkp_` followed by 43 base64url characters; `latchkey token generate` prints one)".into())
            })?;
            if parsed.kind != TokenKind::Platform {
                return Err(Error::Config(
                    "LATCHKEY_BOOTSTRAP_TOKEN must start with lkp_".into(),
                ));
            }
            let hash = parsed.hash;
            let exists = self
                .store
                .pool()
                .run(move |conn| {
                    Ok(platform_tokens::table
                        .filter(platform_tokens::token_hash.eq(hash.as_slice()))
                        .count()
                        .get_result::<i64>(conn)?
                        > 0)
                })
                .await?;
            if !exists {
                let new = NewToken {
                    name: "bootstrap".into(),
                    scopes: vec![Scope::Admin],
                    expires_at: None,
                };
                self.insert(&new, secret).await?;
            }
            return Ok(None);
        }
        let any = self
            .store
            .pool()
            .run(|conn| Ok(platform_tokens::table.count().get_result::<i64>(conn)? > 0))
            .await?;
        if any {
            Ok(None)
        } else {
            self.create("bootstrap", None).await.map(Some)
        }
    }

    /// Whether `secret` has the shape of a platform token (not whether it exists).
    pub fn is_platform_secret(secret: &str) -> bool {
        parse_token(secret).is_ok_and(|p| p.kind == TokenKind::Platform)
    }

    /// A fresh platform token secret, not stored: for `LATCHKEY_BOOTSTRAP_TOKEN`.
    pub fn generate_secret() -> String {
        mint(TokenKind::Platform, None)
    }

    async fn insert(&self, new: &NewToken, secret: &str) -> Result<ApiToken> {
        let row = PlatformTokenRow {
            id: TokenId::new(),
            name: new.name.clone(),
            token_hash: hash(secret).to_vec(),
            scopes: Scopes::new(vec![Scope::Admin]).to_db(),
            created_at: to_db(self.store.now()),
            expires_at: new.expires_at.map(to_db),
            last_used_at: None,
            revoked_at: None,
        };
        let token = row.public();
        self.store
            .pool()
            .run_write(move |conn| {
                diesel::insert_into(platform_tokens::table)
                    .values(&row)
                    .execute(conn)?;
                Ok(())
            })
            .await?;
        Ok(token)
    }

    pub async fn list(&self) -> Result<Vec<ApiToken>> {
        let rows: Vec<PlatformTokenRow> = self
            .store
            .pool()
            .run(|conn| {
                Ok(platform_tokens::table
                    .select(PlatformTokenRow::as_select())
                    .order(platform_tokens::id)
                    .load(conn)?)
            })
            .await?;
        Ok(rows.iter().map(PlatformTokenRow::public).collect())
    }

    pub async fn revoke(&self, id: TokenId) -> Result<ApiToken> {
        let now = to_db(self.store.now());
        let row = self
            .store
            .pool()
            .run_in(None, TxMode::Write, move |conn| {
                diesel::update(
                    platform_tokens::table
                        .find(id)
                        .filter(platform_tokens::revoked_at.is_null()),
                )
                .set(platform_tokens::revoked_at.eq(Some(now)))
                .execute(conn)?;
                let row = platform_tokens::table
                    .find(id)
                    .select(PlatformTokenRow::as_select())
                    .first(conn)
                    .optional()?
                    .ok_or(Error::NotFound(Resource::Token))?;
                Invalidation::Token(id, super::format::stored_hash(&row.token_hash)).send(conn)?;
                Ok(row)
            })
            .await?;
        self.store
            .shared
            .caches
            .forget_token(id, super::format::stored_hash(&row.token_hash));
        Ok(row.public())
    }
}
