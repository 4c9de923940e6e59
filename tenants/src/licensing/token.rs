//! The licence format: a compact JWS (RFC 7515) signed with Ed25519
//! (`alg: EdDSA`), whose claims say who may run what, where, until when.
//!
//! The binary trusts only the vendor's public keys compiled into it
//! ([`VENDOR_PUBLIC_KEYS`]). Tests sign with keys of their own through
//! [`TrustedKeys::for_tests`], which exists only in test builds: no setting,
//! file or request can add a trusted key.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes, SecretDocument};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The vendor's licence-signing public keys: `(kid, Ed25519 public key as
/// base64url)`. The private halves never enter this repository.
pub const VENDOR_PUBLIC_KEYS: &[(&str, &str)] = &[(
    "lk-0c87b69a42f6",
    "OFWpo-ZuDxVync4cyBOyqw7QQVZN37DZPNY38esOBzU",
)];

/// The `typ` header of a licence, so no other JWS passes for one.
pub const LICENSE_TYPE: &str = "latchkey-license+jwt";

/// The claims of a licence, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseClaims {
    /// The licence id.
    pub jti: String,
    /// The licensee.
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// `any`, or the id of the one installation the licence is for.
    pub install: String,
    /// Active internal users the licence pays for.
    pub seats: u64,
    /// Feature names (see [`super::Feature`]); unknown names are kept and ignored.
    pub features: Vec<String>,
}

/// Where a licence may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Any,
    Installation(Uuid),
}

impl Binding {
    pub fn parse(s: &str) -> Option<Binding> {
        if s == "any" {
            return Some(Binding::Any);
        }
        Uuid::parse_str(s).ok().map(Binding::Installation)
    }
}

impl std::fmt::Display for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Binding::Any => f.write_str("any"),
            Binding::Installation(id) => write!(f, "{id}"),
        }
    }
}

/// A licence whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    pub id: String,
    pub licensee: String,
    pub issued_at: OffsetDateTime,
    pub not_before: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub binding: Binding,
    pub seats: u64,
    pub features: Vec<String>,
}

/// Why a licence is not accepted, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("not a licence: {0}")]
    Malformed(String),
    #[error("signed by a key this build does not trust (kid `{0}`)")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("issued for installation {licensed}, this is installation {this}")]
    OtherInstallation { licensed: Uuid, this: Uuid },
    #[error("not valid before {0}")]
    NotYetValid(OffsetDateTime),
}

/// The public keys a build accepts licences from.
#[derive(Clone)]
pub struct TrustedKeys {
    keys: Arc<Vec<(String, DecodingKey)>>,
}

impl std::fmt::Debug for TrustedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("TrustedKeys").field("kids", &kids).finish()
    }
}

impl TrustedKeys {
    /// The vendor's keys compiled into this binary: the only keys outside tests.
    pub fn vendor() -> TrustedKeys {
        let keys = VENDOR_PUBLIC_KEYS
            .iter()
            .filter_map(|(kid, x)| {
                DecodingKey::from_ed_components(x)
                    .ok()
                    .map(|k| ((*kid).to_owned(), k))
            })
            .collect();
        TrustedKeys {
            keys: Arc::new(keys),
        }
    }

    /// Keys a test signs with. Not compiled into the binary.
    #[cfg(any(test, feature = "testing"))]
    pub fn for_tests(keys: &[PublicKey]) -> TrustedKeys {
        let keys = keys
            .iter()
            .filter_map(|k| {
                DecodingKey::from_ed_components(&k.x)
                    .ok()
                    .map(|d| (k.kid.clone(), d))
            })
            .collect();
        TrustedKeys {
            keys: Arc::new(keys),
        }
    }

    /// Checks the signature and shape of `token` and where it may run. Time
    /// (expiry) is not judged here: an expired licence is reported as such,
    /// with its grace period, not as invalid.
    pub fn verify(
        &self,
        token: &str,
        installation: Uuid,
        now: OffsetDateTime,
    ) -> Result<License, Invalid> {
        let token = token.trim();
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| Invalid::Malformed(format!("header: {e}")))?;
        if header.alg != Algorithm::EdDSA {
            return Err(Invalid::Malformed(format!(
                "algorithm {:?}, expected EdDSA",
                header.alg
            )));
        }
        if header.typ.as_deref() != Some(LICENSE_TYPE) {
            return Err(Invalid::Malformed(format!("typ is not {LICENSE_TYPE}")));
        }
        let kid = header.kid.unwrap_or_default();
        let key = self
            .keys
            .iter()
            .find(|(k, _)| *k == kid)
            .map(|(_, key)| key)
            .ok_or_else(|| Invalid::UnknownKey(kid.clone()))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
        let data =
            jsonwebtoken::decode::<LicenseClaims>(token, key, &validation).map_err(|e| match e
                .kind()
            {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => Invalid::BadSignature,
                _ => Invalid::Malformed(e.to_string()),
            })?;
        let c = data.claims;
        let at = |field: &str, t: i64| {
            OffsetDateTime::from_unix_timestamp(t)
                .map_err(|_| Invalid::Malformed(format!("{field} is out of range")))
        };
        let binding = Binding::parse(&c.install)
            .ok_or_else(|| Invalid::Malformed("install must be `any` or a UUID".into()))?;
        if let Binding::Installation(licensed) = binding
            && licensed != installation
        {
            return Err(Invalid::OtherInstallation {
                licensed,
                this: installation,
            });
        }
        let license = License {
            id: c.jti,
            licensee: c.sub,
            issued_at: at("iat", c.iat)?,
            not_before: at("nbf", c.nbf)?,
            expires_at: at("exp", c.exp)?,
            binding,
            seats: c.seats,
            features: c.features,
        };
        if license.id.is_empty() || license.id.len() > 128 {
            return Err(Invalid::Malformed("jti must be 1 to 128 characters".into()));
        }
        if license.expires_at <= license.not_before {
            return Err(Invalid::Malformed("exp is not after nbf".into()));
        }
        if now < license.not_before {
            return Err(Invalid::NotYetValid(license.not_before));
        }
        Ok(license)
    }
}

/// A public licence key: its id and the raw Ed25519 key, base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    pub x: String,
}

/// A vendor's private licence-signing key.
pub struct SigningKeyPair {
    // Zeroized on drop by ed25519-dalek.
    key: ed25519_dalek::SigningKey,
}

impl SigningKeyPair {
    pub fn generate() -> SigningKeyPair {
        use rand::RngCore;
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(seed.as_mut());
        SigningKeyPair {
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    /// Reads a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of either version
    /// (RFC 5958: v1 holds the seed, v2 adds the public key, which must
    /// match), as `keygen` and `openssl genpkey -algorithm ed25519` write it.
    pub fn from_pem(pem: &str) -> Result<SigningKeyPair> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim())
            .map_err(|_| Error::invalid("signing_key", "not an Ed25519 PKCS#8 PEM private key"))?;
        Ok(SigningKeyPair { key })
    }

    /// The private key as PKCS#8 v1 DER: the version every OpenSSL reads
    /// (1.1.1 refuses v2 for Ed25519).
    fn pkcs8_der(&self) -> Result<SecretDocument> {
        KeypairBytes {
            secret_key: self.key.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_der()
        .map_err(|e| Error::Internal(format!("encoding a licence key: {e}")))
    }

    /// The private key as PKCS#8 v1 PEM.
    pub fn to_pem(&self) -> Result<Zeroizing<String>> {
        self.pkcs8_der()?
            .to_pem("PRIVATE KEY", LineEnding::LF)
            .map_err(|e| Error::Internal(format!("encoding a licence key: {e}")))
    }

    /// The public key; its `kid` is derived from it, so it is stable.
    pub fn public(&self) -> PublicKey {
        let raw = self.key.verifying_key().to_bytes();
        let digest = Sha256::digest(raw);
        PublicKey {
            kid: format!("lk-{}", hex::encode(&digest[..6])),
            x: URL_SAFE_NO_PAD.encode(raw),
        }
    }

    /// Signs `claims` as a licence.
    pub fn issue(&self, claims: &LicenseClaims) -> Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.public().kid);
        header.typ = Some(LICENSE_TYPE.to_owned());
        let key = EncodingKey::from_ed_der(self.pkcs8_der()?.as_bytes());
        jsonwebtoken::encode(&header, claims, &key)
            .map_err(|e| Error::Internal(format!("signing a licence: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(now: OffsetDateTime) -> LicenseClaims {
        LicenseClaims {
            jti: "lic-1".into(),
            sub: "Acme Corp".into(),
            iat: now.unix_timestamp(),
            nbf: now.unix_timestamp(),
            exp: (now + time::Duration::days(365)).unix_timestamp(),
            install: "any".into(),
            seats: 50,
            features: vec!["audit_export".into()],
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[test]
    fn a_licence_signed_by_a_trusted_key_verifies_with_its_claims() {
        let key = SigningKeyPair::generate();
        let token = key.issue(&claims(now())).unwrap();
        let trusted = TrustedKeys::for_tests(&[key.public()]);
        let l = trusted.verify(&token, Uuid::now_v7(), now()).unwrap();
        assert_eq!(
            (l.id.as_str(), l.licensee.as_str(), l.seats),
            ("lic-1", "Acme Corp", 50)
        );
        assert_eq!(l.binding, Binding::Any);
        assert_eq!(l.features, vec!["audit_export".to_owned()]);
    }

    #[test]
    fn a_licence_signed_by_another_key_with_the_same_kid_fails_the_signature() {
        let (vendor, forger) = (SigningKeyPair::generate(), SigningKeyPair::generate());
        let token = forger.issue(&claims(now())).unwrap();
        // The forger claims the vendor's kid.
        let trusted = TrustedKeys::for_tests(&[PublicKey {
            kid: forger.public().kid,
            x: vendor.public().x,
        }]);
        assert_eq!(
            trusted.verify(&token, Uuid::now_v7(), now()),
            Err(Invalid::BadSignature)
        );
    }

    #[test]
    fn a_licence_from_an_untrusted_key_is_refused_naming_the_kid() {
        let key = SigningKeyPair::generate();
        let token = key.issue(&claims(now())).unwrap();
        let err = TrustedKeys::vendor()
            .verify(&token, Uuid::now_v7(), now())
            .unwrap_err();
        assert_eq!(err, Invalid::UnknownKey(key.public().kid));
    }

    #[test]
    fn a_changed_claim_breaks_the_signature() {
        let key = SigningKeyPair::generate();
        let token = key.issue(&claims(now())).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut c = claims(now());
        c.seats = 5000;
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        let trusted = TrustedKeys::for_tests(&[key.public()]);
        assert_eq!(
            trusted.verify(&forged, Uuid::now_v7(), now()),
            Err(Invalid::BadSignature)
        );
    }

    #[test]
    fn a_licence_bound_to_another_installation_is_refused() {
        let key = SigningKeyPair::generate();
        let (licensed, this) = (Uuid::now_v7(), Uuid::now_v7());
        let mut c = claims(now());
        c.install = licensed.to_string();
        let token = key.issue(&c).unwrap();
        let trusted = TrustedKeys::for_tests(&[key.public()]);
        assert_eq!(
            trusted.verify(&token, this, now()),
            Err(Invalid::OtherInstallation { licensed, this })
        );
        assert!(trusted.verify(&token, licensed, now()).is_ok());
    }

    #[test]
    fn a_licence_before_its_not_before_time_is_refused() {
        let key = SigningKeyPair::generate();
        let mut c = claims(now());
        c.nbf = now().unix_timestamp() + 3600;
        let token = key.issue(&c).unwrap();
        let trusted = TrustedKeys::for_tests(&[key.public()]);
        assert!(matches!(
            trusted.verify(&token, Uuid::now_v7(), now()),
            Err(Invalid::NotYetValid(_))
        ));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let trusted = TrustedKeys::vendor();
        for junk in [
            "",
            "a.b.c",
            "not a licence",
            "....",
            "eyJhbGciOiJub25lIn0.e30.",
        ] {
            assert!(matches!(
                trusted.verify(junk, Uuid::now_v7(), now()),
                Err(Invalid::Malformed(_))
            ));
        }
    }

    #[test]
    fn a_private_key_round_trips_through_pem_and_keeps_its_kid() {
        let key = SigningKeyPair::generate();
        let again = SigningKeyPair::from_pem(&key.to_pem().unwrap()).unwrap();
        assert_eq!(again.public(), key.public());
        assert!(
            SigningKeyPair::from_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
            )
            .is_err()
        );
    }

    /// Written by `openssl genpkey -algorithm ed25519` (PKCS#8 v1).
    const OPENSSL_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOVTfeq75RUwU18ZZTlVL89TnJoXC8wFzVwBZMNOgsVD
-----END PRIVATE KEY-----
";

    #[test]
    fn a_key_openssl_generated_reads_with_the_public_key_openssl_derives() {
        let key = SigningKeyPair::from_pem(OPENSSL_KEY).unwrap();
        // `openssl pkey -pubout -outform DER | tail -c 32`, base64url.
        assert_eq!(
            key.public().x,
            "qy5bwnc1kAXYLLDhEaTIJJ9d2bgNlMh6UNWja_yb4zU"
        );
    }

    #[test]
    fn a_key_is_written_as_pkcs8_version_1_as_openssl_writes_it() {
        let key = SigningKeyPair::from_pem(OPENSSL_KEY).unwrap();
        assert_eq!(key.to_pem().unwrap().as_str(), OPENSSL_KEY);
    }

    fn version_2_pem(secret: &SigningKeyPair, public: &SigningKeyPair) -> String {
        KeypairBytes {
            secret_key: secret.key.to_bytes(),
            public_key: Some(ed25519_dalek::pkcs8::PublicKeyBytes(
                public.key.verifying_key().to_bytes(),
            )),
        }
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap()
        .to_string()
    }

    #[test]
    fn a_pkcs8_version_2_key_with_its_public_key_reads() {
        let key = SigningKeyPair::generate();
        let again = SigningKeyPair::from_pem(&version_2_pem(&key, &key)).unwrap();
        assert_eq!(again.public(), key.public());
    }

    #[test]
    fn a_pkcs8_version_2_key_whose_public_key_is_another_is_refused() {
        let (key, other) = (SigningKeyPair::generate(), SigningKeyPair::generate());
        assert!(SigningKeyPair::from_pem(&version_2_pem(&key, &other)).is_err());
    }

    #[test]
    fn the_compiled_in_vendor_keys_all_parse() {
        let trusted = TrustedKeys::vendor();
        assert_eq!(trusted.keys.len(), VENDOR_PUBLIC_KEYS.len());
        assert!(!VENDOR_PUBLIC_KEYS.is_empty());
    }
}
