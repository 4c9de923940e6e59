//! Per-tenant signing keys (ES256 and RS256) and the tenant's public JWKS.
//!
//! Each algorithm has one `active` key that signs, one `next` key that is
//! already published (so relying parties have it cached before it signs
//! anything), and `retired` keys that stay published until tokens they signed
//! have expired.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::clock::{from_db, to_db};
use crate::db::DbConnection;
use crate::db::schema::signing_keys;
use crate::error::{Error, Resource, Result};
use crate::ids::TenantId;
use crate::keys::sealing::{DataKey, Place};
use crate::store::{TenantScope, TenantTx};

/// Retired keys stay in the JWKS this long: longer than any token we sign lives.
pub const RETIRED_KEY_PUBLISHED_FOR: time::Duration = time::Duration::days(1);

const RSA_BITS: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    Es256,
    Rs256,
}

impl Alg {
    pub const ALL: [Alg; 2] = [Alg::Es256, Alg::Rs256];

    pub fn as_str(&self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::Rs256 => "RS256",
        }
    }

    fn jose(&self) -> jsonwebtoken::Algorithm {
        match self {
            Alg::Es256 => jsonwebtoken::Algorithm::ES256,
            Alg::Rs256 => jsonwebtoken::Algorithm::RS256,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Alg {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ES256" => Ok(Alg::Es256),
            "RS256" => Ok(Alg::Rs256),
            _ => Err(Error::invalid("alg", "must be ES256 or RS256")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Next,
    Active,
    Retired,
}

impl KeyState {
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "next" => Ok(KeyState::Next),
            "active" => Ok(KeyState::Active),
            "retired" => Ok(KeyState::Retired),
            other => Err(Error::Internal(format!("unknown key state `{other}`"))),
        }
    }
}

/// A signing key as the API shows it: public half only.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub kid: String,
    pub alg: Alg,
    pub state: KeyState,
    pub public_jwk: Value,
    pub created_at: OffsetDateTime,
    pub activated_at: Option<OffsetDateTime>,
    pub retired_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub(crate) struct SigningKeyRow {
    tenant_id: TenantId,
    id: String,
    alg: String,
    state: String,
    public_jwk: String,
    private_key_sealed: Vec<u8>,
    created_at: time::PrimitiveDateTime,
    activated_at: Option<time::PrimitiveDateTime>,
    retired_at: Option<time::PrimitiveDateTime>,
}

impl SigningKeyRow {
    fn public(&self) -> Result<SigningKey> {
        Ok(SigningKey {
            kid: self.id.clone(),
            alg: self.alg.parse()?,
            state: KeyState::parse(&self.state)?,
            public_jwk: serde_json::from_str(&self.public_jwk)
                .map_err(|e| Error::Internal(format!("stored JWK: {e}")))?,
            created_at: from_db(self.created_at),
            activated_at: self.activated_at.map(from_db),
            retired_at: self.retired_at.map(from_db),
        })
    }
}

/// A freshly generated key pair, not yet stored.
pub(crate) struct GeneratedKey {
    kid: String,
    alg: Alg,
    public_jwk: Value,
    /// PKCS#8 DER for EC, PKCS#1 DER for RSA: what jsonwebtoken reads.
    private_der: Zeroizing<Vec<u8>>,
}

impl GeneratedKey {
    pub(crate) fn generate(alg: Alg) -> Result<Self> {
        let mut rng = rand::rngs::OsRng;
        let (public_jwk, private_der) = match alg {
            Alg::Es256 => {
                let secret = p256::SecretKey::random(&mut rng);
                let der = secret
                    .to_pkcs8_der()
                    .map_err(|e| Error::Internal(format!("encoding an EC key: {e}")))?;
                let jwk: Value = serde_json::to_value(secret.public_key().to_jwk())
                    .map_err(|e| Error::Internal(format!("EC JWK: {e}")))?;
                (jwk, Zeroizing::new(der.as_bytes().to_vec()))
            }
            Alg::Rs256 => {
                let private = rsa::RsaPrivateKey::new(&mut rng, RSA_BITS)
                    .map_err(|e| Error::Internal(format!("generating an RSA key: {e}")))?;
                let der = private
                    .to_pkcs1_der()
                    .map_err(|e| Error::Internal(format!("encoding an RSA key: {e}")))?;
                let jwk = json!({
                    "kty": "RSA",
                    "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
                    "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
                });
                (jwk, Zeroizing::new(der.as_bytes().to_vec()))
            }
        };
        let kid = thumbprint(&public_jwk)?;
        Ok(GeneratedKey {
            kid,
            alg,
            public_jwk,
            private_der,
        })
    }

    pub(crate) fn into_row(
        self,
        tenant: TenantId,
        data_key: &DataKey,
        state: KeyState,
        now: OffsetDateTime,
    ) -> Result<SigningKeyRow> {
        let place = Place {
            tenant,
            table: "signing_keys",
            column: "private_key_sealed",
            row: &self.kid,
        };
        let sealed = data_key.seal(place, &self.private_der)?;
        Ok(SigningKeyRow {
            tenant_id: tenant,
            id: self.kid.clone(),
            alg: self.alg.as_str().to_owned(),
            state: state.as_str().to_owned(),
            public_jwk: self.public_jwk.to_string(),
            private_key_sealed: sealed,
            created_at: to_db(now),
            activated_at: (state == KeyState::Active).then(|| to_db(now)),
            retired_at: None,
        })
    }
}

/// RFC 7638 JWK thumbprint: the `kid`, stable for a given public key.
fn thumbprint(jwk: &Value) -> Result<String> {
    let field = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Internal(format!("JWK without `{name}`")))
    };
    // Members in lexicographic order, no whitespace, as the RFC requires.
    let canonical = match field("kty")? {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            field("crv")?,
            field("x")?,
            field("y")?
        ),
        "RSA" => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            field("e")?,
            field("n")?
        ),
        other => return Err(Error::Internal(format!("unexpected key type {other}"))),
    };
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// The keys a new tenant starts with: for each algorithm an active key and
/// the next one. Generation is CPU-heavy (RSA), so it runs before any
/// transaction is opened.
pub(crate) fn initial_keys() -> Result<Vec<(GeneratedKey, KeyState)>> {
    keys_except(&[])
}

/// What an unverified signup needs: the active ES256 key that signs its
/// verification link. Anyone can sign up, so the costly rest (two RSA
/// pairs above all) waits for the verification: [`keys_after_signup`].
pub(crate) fn signup_keys() -> Result<Vec<(GeneratedKey, KeyState)>> {
    Ok(vec![(
        GeneratedKey::generate(Alg::Es256)?,
        KeyState::Active,
    )])
}

/// The initial keys a signup did not make, generated when it is verified.
pub(crate) fn keys_after_signup() -> Result<Vec<(GeneratedKey, KeyState)>> {
    keys_except(&[(Alg::Es256, KeyState::Active)])
}

fn keys_except(made: &[(Alg, KeyState)]) -> Result<Vec<(GeneratedKey, KeyState)>> {
    let mut keys = Vec::new();
    for alg in Alg::ALL {
        for state in [KeyState::Active, KeyState::Next] {
            if !made.contains(&(alg, state)) {
                keys.push((GeneratedKey::generate(alg)?, state));
            }
        }
    }
    Ok(keys)
}

impl crate::store::Store {
    /// The signing keys a signup did not make (see [`signup_keys`]),
    /// generated and sealed before the transaction that activates the
    /// tenant: RSA takes a while.
    pub(crate) async fn deferred_key_rows(
        &self,
        tenant: TenantId,
        now: OffsetDateTime,
    ) -> Result<Vec<SigningKeyRow>> {
        let generated = tokio::task::spawn_blocking(keys_after_signup)
            .await
            .map_err(|e| Error::Internal(format!("key generation task: {e}")))??;
        let data_key = self.data_key(tenant).await?;
        generated
            .into_iter()
            .map(|(key, state)| key.into_row(tenant, &data_key, state, now))
            .collect()
    }

    /// Makes the keys a signup deferred, for a tenant activated without its
    /// link being followed (an operator's resume).
    pub(crate) async fn complete_deferred_keys(&self, tenant: TenantId) -> Result<usize> {
        let rows = self.deferred_key_rows(tenant, self.now()).await?;
        self.pool()
            .run_in(Some(tenant), crate::db::TxMode::Write, move |conn| {
                insert_missing(conn, &rows)
            })
            .await
    }
}

/// Inserts those of `rows` whose algorithm has no key in their state yet
/// (a tenant created before signups deferred their keys has them all).
/// Returns how many were inserted.
pub(crate) fn insert_missing(conn: &mut DbConnection, rows: &[SigningKeyRow]) -> Result<usize> {
    let mut inserted = 0;
    for row in rows {
        let present: i64 = signing_keys::table
            .filter(signing_keys::tenant_id.eq(row.tenant_id))
            .filter(signing_keys::alg.eq(&row.alg))
            .filter(signing_keys::state.eq(&row.state))
            .count()
            .get_result(conn)?;
        if present == 0 {
            diesel::insert_into(signing_keys::table)
                .values(row)
                .execute(conn)?;
            inserted += 1;
        }
    }
    Ok(inserted)
}

pub struct SigningKeys<'a> {
    pub(super) scope: &'a TenantScope,
}

impl TenantScope {
    pub fn keys(&self) -> SigningKeys<'_> {
        SigningKeys { scope: self }
    }
}

impl SigningKeys<'_> {
    /// Every key of the tenant, newest first, public halves only.
    pub async fn list(&self) -> Result<Vec<SigningKey>> {
        let rows = self.scope.read(load_rows).await?;
        rows.iter().map(SigningKeyRow::public).collect()
    }

    /// The keys a relying party must know: next, active, and retired ones
    /// still within their publication window.
    pub async fn published(&self) -> Result<Vec<SigningKey>> {
        let now = self.scope.store.now();
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter(|k| match k.state {
                KeyState::Next | KeyState::Active => true,
                KeyState::Retired => k
                    .retired_at
                    .is_some_and(|at| at + RETIRED_KEY_PUBLISHED_FOR > now),
            })
            .collect())
    }

    /// The JWKS document (RFC 7517) for `/.well-known/jwks.json`.
    pub async fn jwks(&self) -> Result<Value> {
        let keys: Vec<Value> = self
            .published()
            .await?
            .into_iter()
            .map(|k| {
                let mut jwk = k.public_jwk;
                if let Value::Object(map) = &mut jwk {
                    map.insert("kid".into(), Value::String(k.kid));
                    map.insert("alg".into(), Value::String(k.alg.as_str().into()));
                    map.insert("use".into(), Value::String("sig".into()));
                }
                jwk
            })
            .collect();
        Ok(json!({ "keys": keys }))
    }

    /// Rotates the given algorithms (all when empty): the active key retires,
    /// the already-published next key becomes active, and a new next key is
    /// published.
    pub async fn rotate(&self, algs: Vec<Alg>) -> Result<Vec<SigningKey>> {
        let algs = if algs.is_empty() {
            Alg::ALL.to_vec()
        } else {
            algs
        };
        let generated = {
            let algs = algs.clone();
            tokio::task::spawn_blocking(move || {
                algs.into_iter()
                    .map(GeneratedKey::generate)
                    .collect::<Result<Vec<_>>>()
            })
            .await
            .map_err(|e| Error::Internal(format!("key generation task: {e}")))??
        };
        let data_key = self.scope.store.data_key(self.scope.tenant.id).await?;
        self.scope
            .write(move |tx| {
                // Rotations of one tenant run one after the other: each reads
                // the states the previous one left.
                tx.lock_tenant()?;
                for key in generated {
                    let alg = key.alg.as_str();
                    let now = tx.now_db();
                    let retired = diesel::update(
                        signing_keys::table
                            .filter(signing_keys::tenant_id.eq(tx.tenant))
                            .filter(signing_keys::alg.eq(alg))
                            .filter(signing_keys::state.eq(KeyState::Active.as_str())),
                    )
                    .set((
                        signing_keys::state.eq(KeyState::Retired.as_str()),
                        signing_keys::retired_at.eq(Some(now)),
                    ))
                    .execute(tx.conn)?;
                    let promoted = diesel::update(
                        signing_keys::table
                            .filter(signing_keys::tenant_id.eq(tx.tenant))
                            .filter(signing_keys::alg.eq(alg))
                            .filter(signing_keys::state.eq(KeyState::Next.as_str())),
                    )
                    .set((
                        signing_keys::state.eq(KeyState::Active.as_str()),
                        signing_keys::activated_at.eq(Some(now)),
                    ))
                    .execute(tx.conn)?;
                    if retired != 1 || promoted != 1 {
                        return Err(Error::Internal(format!(
                            "tenant had {retired} active and {promoted} next {alg} keys"
                        )));
                    }
                    let kid = key.kid.clone();
                    let row = key.into_row(tx.tenant, &data_key, KeyState::Next, tx.now)?;
                    diesel::insert_into(signing_keys::table)
                        .values(&row)
                        .execute(tx.conn)?;
                    tx.audit(
                        "keys.rotate",
                        "signing_key",
                        &kid,
                        json!({ "alg": alg, "next_kid": kid }),
                    )?;
                }
                load_rows(tx)
            })
            .await?
            .iter()
            .map(SigningKeyRow::public)
            .collect()
    }

    /// Signs `claims` as a compact JWS with the tenant's active key of `alg`.
    pub async fn sign(&self, alg: Alg, claims: &Value) -> Result<String> {
        let tenant = self.scope.tenant.id;
        let row = self
            .scope
            .read(move |tx| {
                Ok(signing_keys::table
                    .filter(signing_keys::tenant_id.eq(tx.tenant))
                    .filter(signing_keys::alg.eq(alg.as_str()))
                    .filter(signing_keys::state.eq(KeyState::Active.as_str()))
                    .select(SigningKeyRow::as_select())
                    .first(tx.conn)
                    .optional()?)
            })
            .await?
            .ok_or(Error::NotFound(Resource::SigningKey))?;
        let data_key = self.scope.store.data_key(tenant).await?;
        let place = Place {
            tenant,
            table: "signing_keys",
            column: "private_key_sealed",
            row: &row.id,
        };
        let der = data_key.open(place, &row.private_key_sealed)?;
        let key = match alg {
            Alg::Es256 => jsonwebtoken::EncodingKey::from_ec_der(&der),
            Alg::Rs256 => jsonwebtoken::EncodingKey::from_rsa_der(&der),
        };
        let mut header = jsonwebtoken::Header::new(alg.jose());
        header.kid = Some(row.id.clone());
        jsonwebtoken::encode(&header, claims, &key)
            .map_err(|e| Error::Internal(format!("signing: {e}")))
    }
}

fn load_rows(tx: &mut TenantTx<'_>) -> Result<Vec<SigningKeyRow>> {
    Ok(signing_keys::table
        .filter(signing_keys::tenant_id.eq(tx.tenant))
        .select(SigningKeyRow::as_select())
        .order((signing_keys::created_at.desc(), signing_keys::id))
        .load(tx.conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rfc7638_thumbprint_matches_the_rfcs_example() {
        // RFC 7638 §3.1.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
        });
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn a_generated_ec_key_has_a_p256_public_jwk() {
        let key = GeneratedKey::generate(Alg::Es256).unwrap();
        assert_eq!(key.public_jwk["kty"], "EC");
        assert_eq!(key.public_jwk["crv"], "P-256");
        assert!(
            key.public_jwk.get("d").is_none(),
            "the private scalar must not be in the public JWK"
        );
    }
}
