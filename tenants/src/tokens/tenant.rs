//! A tenant's API and SCIM tokens (`lkt_`, `lks_`).

use diesel::prelude::*;
use serde_json::json;

use super::format::{TokenKind, hash, mint};
use super::issued::{ApiToken, IssuedToken, NewToken, check_new_token};
use super::scopes::{Scope, Scopes};
use crate::clock::{from_db, to_db};
use crate::db::schema::api_tokens;
use crate::error::{Error, Resource, Result};
use crate::ids::TenantId;
use crate::ids::TokenId;
use crate::invalidation::Invalidation;
use crate::page::{Page, PageRequest};
use crate::store::TenantScope;

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub(super) struct TokenRow {
    pub(super) tenant_id: TenantId,
    pub(super) id: TokenId,
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) token_hash: Vec<u8>,
    pub(super) scopes: String,
    pub(super) created_at: time::PrimitiveDateTime,
    pub(super) expires_at: Option<time::PrimitiveDateTime>,
    pub(super) last_used_at: Option<time::PrimitiveDateTime>,
    pub(super) revoked_at: Option<time::PrimitiveDateTime>,
}

impl TokenRow {
    pub(super) fn public(&self) -> Result<ApiToken> {
        Ok(ApiToken {
            id: self.id,
            name: self.name.clone(),
            kind: TokenKind::parse(&self.kind)?,
            scopes: Scopes::from_db(&self.scopes)?,
            created_at: from_db(self.created_at),
            expires_at: self.expires_at.map(from_db),
            last_used_at: self.last_used_at.map(from_db),
            revoked_at: self.revoked_at.map(from_db),
        })
    }
}

/// The API and SCIM tokens of one tenant.
pub struct Tokens<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn tokens(&self) -> Tokens<'_> {
        Tokens { scope: self }
    }
}

impl Tokens<'_> {
    pub async fn create(&self, new: NewToken) -> Result<IssuedToken> {
        check_new_token(&new, self.scope.store.now())?;
        if new.scopes.is_empty() {
            return Err(Error::invalid(
                "scopes",
                "name at least one scope: admin, read or scim",
            ));
        }
        let scopes = Scopes::new(new.scopes.clone());
        // A SCIM token is handed to an outside system; it gets nothing else.
        let kind = if scopes.allows(Scope::Scim) {
            if scopes.0.len() > 1 {
                return Err(Error::invalid(
                    "scopes",
                    "`scim` cannot be combined with other scopes",
                ));
            }
            TokenKind::Scim
        } else {
            TokenKind::Tenant
        };
        let secret = mint(kind, Some(self.scope.tenant.id));
        let row = TokenRow {
            tenant_id: self.scope.tenant.id,
            id: TokenId::new(),
            name: new.name,
            kind: kind.as_str().to_owned(),
            token_hash: hash(&secret).to_vec(),
            scopes: scopes.to_db(),
            created_at: to_db(self.scope.store.now()),
            expires_at: new.expires_at.map(to_db),
            last_used_at: None,
            revoked_at: None,
        };
        let token = row.public()?;
        self.scope
            .write(move |tx| {
                diesel::insert_into(api_tokens::table)
                    .values(&row)
                    .execute(tx.conn)?;
                tx.audit(
                    "token.create",
                    "token",
                    &row.id.to_string(),
                    json!({ "name": row.name, "kind": row.kind, "scopes": row.scopes }),
                )
            })
            .await?;
        Ok(IssuedToken { token, secret })
    }

    pub async fn list(&self, page: PageRequest) -> Result<Page<ApiToken>> {
        let rows = self
            .scope
            .read(move |tx| {
                let mut q = api_tokens::table
                    .filter(api_tokens::tenant_id.eq(tx.tenant))
                    .select(TokenRow::as_select())
                    .order(api_tokens::id)
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(api_tokens::id.gt(after));
                }
                Ok(q.load(tx.conn)?)
            })
            .await?;
        let page = page.finish(rows, |r| r.id.into());
        let items = page
            .items
            .iter()
            .map(TokenRow::public)
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn get(&self, id: TokenId) -> Result<ApiToken> {
        self.scope
            .read(move |tx| {
                api_tokens::table
                    .find((tx.tenant, id))
                    .select(TokenRow::as_select())
                    .first(tx.conn)
                    .optional()?
                    .ok_or(Error::NotFound(Resource::Token))
            })
            .await?
            .public()
    }

    /// Revokes at once on this node; other nodes stop accepting it when their
    /// cache entry expires (seconds).
    pub async fn revoke(&self, id: TokenId) -> Result<ApiToken> {
        let row = self
            .scope
            .write(move |tx| {
                let now = tx.now_db();
                let changed = diesel::update(
                    api_tokens::table
                        .find((tx.tenant, id))
                        .filter(api_tokens::revoked_at.is_null()),
                )
                .set(api_tokens::revoked_at.eq(Some(now)))
                .execute(tx.conn)?;
                let row = api_tokens::table
                    .find((tx.tenant, id))
                    .select(TokenRow::as_select())
                    .first(tx.conn)
                    .optional()?
                    .ok_or(Error::NotFound(Resource::Token))?;
                if changed > 0 {
                    tx.audit(
                        "token.revoke",
                        "token",
                        &id.to_string(),
                        json!({ "name": row.name }),
                    )?;
                    Invalidation::Token(id, super::format::stored_hash(&row.token_hash))
                        .send(tx.conn)?;
                }
                Ok(row)
            })
            .await?;
        self.scope
            .store
            .shared
            .caches
            .forget_token(id, super::format::stored_hash(&row.token_hash));
        row.public()
    }
}
