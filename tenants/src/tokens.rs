//! API tokens: 256 bits of randomness, shown once, stored only as SHA-256.
//!
//! A token says what it is by its prefix: `lkp_` (platform operator), `lkt_`
//! (tenant API), `lks_` (SCIM). Tenant tokens carry their tenant's id in the
//! clear before the secret, so checking one is a single lookup on
//! `(tenant_id, token_hash)` under that tenant's row-level security, and a
//! token used against another tenant is recognised as such.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::clock::{from_db, to_db};
use crate::db::schema::{api_tokens, platform_tokens};
use crate::db::{Id, TxMode};
use crate::error::{AuthFailure, Error, Resource, Result};
use crate::invalidation::Invalidation;
use crate::page::{Page, PageRequest};
use crate::store::{Store, TenantScope};
use crate::validate;

const SECRET_LEN: usize = 32;
/// Writing `last_used_at` on every request would turn every read into a
/// write; once a minute is precise enough to spot unused tokens.
const LAST_USED_GRANULARITY: time::Duration = time::Duration::minutes(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Platform,
    Tenant,
    Scim,
}

impl TokenKind {
    pub fn prefix(&self) -> &'static str {
        match self {
            TokenKind::Platform => "lkp_",
            TokenKind::Tenant => "lkt_",
            TokenKind::Scim => "lks_",
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TokenKind::Platform => "platform",
            TokenKind::Tenant => "tenant",
            TokenKind::Scim => "scim",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "platform" => Ok(TokenKind::Platform),
            "tenant" => Ok(TokenKind::Tenant),
            "scim" => Ok(TokenKind::Scim),
            other => Err(Error::Internal(format!("unknown token kind `{other}`"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read and change everything in the tenant.
    Admin,
    /// Read everything in the tenant.
    Read,
    /// Provision over SCIM; nothing else.
    Scim,
}

impl Scope {
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::Admin => "admin",
            Scope::Read => "read",
            Scope::Scim => "scim",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "admin" => Ok(Scope::Admin),
            "read" => Ok(Scope::Read),
            "scim" => Ok(Scope::Scim),
            other => Err(Error::invalid(
                "scopes",
                format!("unknown scope `{other}`; use admin, read or scim"),
            )),
        }
    }
}

/// The scopes of a token, sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn new(mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Scopes(scopes)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// `admin` includes `read`; `scim` stands alone.
    pub fn allows(&self, needed: Scope) -> bool {
        self.0.contains(&needed) || (needed == Scope::Read && self.0.contains(&Scope::Admin))
    }

    fn to_db(&self) -> String {
        self.0
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn from_db(s: &str) -> Result<Self> {
        Ok(Scopes::new(
            s.split_whitespace()
                .map(str::parse)
                .collect::<Result<_>>()?,
        ))
    }
}

/// A token as listed: everything but the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: Id,
    pub name: String,
    pub kind: TokenKind,
    pub scopes: Scopes,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A token just created: the only time its secret exists outside the caller.
#[derive(Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &self.token)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<OffsetDateTime>,
}

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Platform {
        token_id: Id,
    },
    Tenant {
        tenant_id: Id,
        token_id: Id,
        kind: TokenKind,
        scopes: Scopes,
    },
}

impl Principal {
    /// How the audit log names this caller.
    pub fn actor_id(&self) -> String {
        match self {
            Principal::Platform { token_id } => format!("platform-token:{token_id}"),
            Principal::Tenant { token_id, .. } => format!("token:{token_id}"),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub(crate) tenant_id: Option<Id>,
    token_id: Id,
    kind: TokenKind,
    scopes: Scopes,
    expires_at: Option<OffsetDateTime>,
    revoked: bool,
}

impl CachedToken {
    pub(crate) fn token_id(&self) -> Id {
        self.token_id
    }
}

struct ParsedToken {
    kind: TokenKind,
    tenant: Option<Id>,
    hash: [u8; 32],
}

fn parse_token(bearer: &str) -> Result<ParsedToken> {
    let malformed = || Error::Unauthenticated(AuthFailure::Malformed);
    let (kind, body) = [TokenKind::Platform, TokenKind::Tenant, TokenKind::Scim]
        .into_iter()
        .find_map(|k| bearer.strip_prefix(k.prefix()).map(|body| (k, body)))
        .ok_or_else(malformed)?;
    let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| malformed())?;
    let tenant = match (kind, raw.len()) {
        (TokenKind::Platform, SECRET_LEN) => None,
        (TokenKind::Tenant | TokenKind::Scim, n) if n == 16 + SECRET_LEN => {
            Some(Id::from_bytes(&raw[..16]).ok_or_else(malformed)?)
        }
        _ => return Err(malformed()),
    };
    Ok(ParsedToken {
        kind,
        tenant,
        hash: hash(bearer),
    })
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn mint(kind: TokenKind, tenant: Option<Id>) -> String {
    let mut raw = Vec::with_capacity(16 + SECRET_LEN);
    if let Some(tenant) = tenant {
        raw.extend_from_slice(tenant.0.as_bytes());
    }
    let mut secret = [0u8; SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    raw.extend_from_slice(&secret);
    format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(raw))
}

fn check_new_token(new: &NewToken, now: OffsetDateTime) -> Result<()> {
    validate::name("name", &new.name, 200)?;
    if let Some(at) = new.expires_at
        && !crate::clock::representable(at)
    {
        return Err(Error::invalid("expires_at", "is out of range"));
    }
    if let Some(at) = new.expires_at
        && at <= now
    {
        return Err(Error::invalid("expires_at", "must be in the future"));
    }
    Ok(())
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
struct TokenRow {
    tenant_id: Id,
    id: Id,
    name: String,
    kind: String,
    token_hash: Vec<u8>,
    scopes: String,
    created_at: time::PrimitiveDateTime,
    expires_at: Option<time::PrimitiveDateTime>,
    last_used_at: Option<time::PrimitiveDateTime>,
    revoked_at: Option<time::PrimitiveDateTime>,
}

impl TokenRow {
    fn public(&self) -> Result<ApiToken> {
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

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = platform_tokens)]
struct PlatformTokenRow {
    id: Id,
    name: String,
    token_hash: Vec<u8>,
    scopes: String,
    created_at: time::PrimitiveDateTime,
    expires_at: Option<time::PrimitiveDateTime>,
    last_used_at: Option<time::PrimitiveDateTime>,
    revoked_at: Option<time::PrimitiveDateTime>,
}

impl PlatformTokenRow {
    fn public(&self) -> ApiToken {
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

fn stale(last_used: Option<time::PrimitiveDateTime>, now: OffsetDateTime) -> bool {
    last_used.is_none_or(|at| from_db(at) + LAST_USED_GRANULARITY <= now)
}

impl Store {
    /// Verifies a bearer token: a cache hit, or one indexed lookup.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        let parsed = parse_token(bearer)?;
        let cached = match self.shared.tokens.get(&parsed.hash) {
            Some(hit) => hit,
            None => {
                let found = self.lookup_token(&parsed).await?;
                self.shared.tokens.insert(parsed.hash, found.clone());
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

    async fn touch_token(&self, tenant: Option<Id>, id: Id, now: OffsetDateTime) -> Result<()> {
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
            id: Id::new(),
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

    pub async fn revoke(&self, id: Id) -> Result<ApiToken> {
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
                Invalidation::Token(id).send(conn)?;
                platform_tokens::table
                    .find(id)
                    .select(PlatformTokenRow::as_select())
                    .first(conn)
                    .optional()?
                    .ok_or(Error::NotFound(Resource::Token))
            })
            .await?;
        self.store
            .shared
            .tokens
            .remove_where(|_, t| t.token_id == id);
        Ok(row.public())
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
            id: Id::new(),
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
        let page = page.finish(rows, |r| r.id);
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

    pub async fn get(&self, id: Uuid) -> Result<ApiToken> {
        let id = Id(id);
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
    pub async fn revoke(&self, id: Uuid) -> Result<ApiToken> {
        let id = Id(id);
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
                    Invalidation::Token(id).send(tx.conn)?;
                }
                Ok(row)
            })
            .await?;
        self.scope
            .store
            .shared
            .tokens
            .remove_where(|_, t| t.token_id == id);
        row.public()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_token_parses_as_platform() {
        let token = mint(TokenKind::Platform, None);
        assert!(token.starts_with("lkp_"));
        let parsed = parse_token(&token).unwrap();
        assert_eq!(parsed.kind, TokenKind::Platform);
        assert_eq!(parsed.tenant, None);
    }

    #[test]
    fn a_tenant_token_carries_its_tenant() {
        let tenant = Id::new();
        let parsed = parse_token(&mint(TokenKind::Scim, Some(tenant))).unwrap();
        assert_eq!(parsed.kind, TokenKind::Scim);
        assert_eq!(parsed.tenant, Some(tenant));
    }

    #[test]
    fn two_tokens_never_share_a_secret() {
        assert_ne!(
            mint(TokenKind::Platform, None),
            mint(TokenKind::Platform, None)
        );
    }

    #[test]
    fn a_foreign_or_truncated_token_is_malformed() {
        for bad in ["", "Bearer x", "ghp_abc", "lkp_", "lkp_abc", "lkt_!!!!"] {
            assert!(
                matches!(
                    parse_token(bad),
                    Err(Error::Unauthenticated(AuthFailure::Malformed))
                ),
                "{bad}"
            );
        }
        let platform_body = mint(TokenKind::Platform, None);
        let as_tenant = platform_body.replacen("lkp_", "lkt_", 1);
        assert!(
            parse_token(&as_tenant).is_err(),
            "a platform-sized body is not a tenant token"
        );
    }

    #[test]
    fn admin_includes_read_but_not_scim() {
        let admin = Scopes::new(vec![Scope::Admin]);
        assert!(admin.allows(Scope::Read));
        assert!(!admin.allows(Scope::Scim));
        assert!(!Scopes::new(vec![Scope::Read]).allows(Scope::Admin));
    }
}
