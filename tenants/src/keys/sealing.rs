//! Envelope encryption: a master key (KEK) wraps one data key (DEK) per tenant;
//! each tenant's secrets are sealed with its DEK.
//!
//! Every sealed value is bound by its associated data to the tenant and the
//! exact place it is stored (table, column, row), so a value copied to another
//! row or another tenant fails to open instead of being silently accepted.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::ids::TenantId;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

/// Where a sealed value lives. It becomes the AEAD associated data.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub tenant: TenantId,
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl Place<'_> {
    fn associated_data(&self) -> Vec<u8> {
        let tenant = self.tenant.0.as_bytes();
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(b"latchkey/sealed/v1");
        for part in [
            tenant.as_slice(),
            self.table.as_bytes(),
            self.column.as_bytes(),
            self.row.as_bytes(),
        ] {
            // Length-prefixed, so ("ab","c") and ("a","bc") never collide.
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }
}

/// The installation's key-encryption key.
pub struct MasterKey {
    key: Zeroizing<[u8; KEY_LEN]>,
    id: String,
}

impl MasterKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self::from_bytes(key)
    }

    /// Parses the 32-byte key from standard base64. The error does not say
    /// where the value came from (a setting, a file, a flag): the caller
    /// knows, and names it.
    pub fn from_base64(encoded: &str) -> Result<Self> {
        let bad = || {
            Error::Config(
                "a master key is 32 bytes in standard base64 (try `openssl rand -base64 32`)"
                    .into(),
            )
        };
        let mut raw = Zeroizing::new(STANDARD.decode(encoded.trim()).map_err(|_| bad())?);
        if raw.len() != KEY_LEN {
            raw.zeroize();
            return Err(bad());
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&raw);
        Ok(Self::from_bytes(key))
    }

    fn from_bytes(key: Zeroizing<[u8; KEY_LEN]>) -> Self {
        let digest = Sha256::new_with_prefix(b"latchkey/master-key-id/v1")
            .chain_update(key.as_slice())
            .finalize();
        let id = hex::encode(&digest[..8]);
        MasterKey { key, id }
    }

    /// Only for writing the generated key of the embedded default to its file.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.key.as_slice()))
    }

    /// A public fingerprint stored beside each wrapped key, so a wrong master
    /// key is reported as such at start instead of as corrupt data.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn wrap(&self, tenant: TenantId, data_key: &DataKey) -> Result<Vec<u8>> {
        seal_with(&self.key, &wrap_aad(tenant), data_key.key.as_slice())
    }

    pub fn unwrap(&self, tenant: TenantId, wrapped: &[u8]) -> Result<DataKey> {
        let plain = open_with(&self.key, &wrap_aad(tenant), wrapped).map_err(|_| {
            Error::Internal(format!(
                "the data key of tenant {tenant} does not open under the configured master key"
            ))
        })?;
        if plain.len() != KEY_LEN {
            return Err(Error::Internal(
                "a wrapped data key has the wrong length".into(),
            ));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&plain);
        Ok(DataKey { key })
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

fn wrap_aad(tenant: TenantId) -> Vec<u8> {
    let mut aad = b"latchkey/data-key/v1".to_vec();
    aad.extend_from_slice(tenant.0.as_bytes());
    aad
}

/// A tenant's data-encryption key.
pub struct DataKey {
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl DataKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        DataKey { key }
    }

    pub fn seal(&self, place: Place<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        seal_with(&self.key, &place.associated_data(), plaintext)
    }

    pub fn open(&self, place: Place<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        open_with(&self.key, &place.associated_data(), sealed).map_err(|_| {
            Error::Internal(format!(
                "a sealed value in {}.{} of row {} does not open for tenant {}",
                place.table, place.column, place.row, place.tenant
            ))
        })
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

fn seal_with(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    // 192 random bits: no nonce bookkeeping, and no realistic chance of reuse.
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| Error::Internal("sealing a value failed".into()))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn open_with(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, ()> {
    if sealed.len() < 1 + NONCE_LEN || sealed[0] != FORMAT_V1 {
        return Err(());
    }
    let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(tenant: TenantId, row: &str) -> Place<'_> {
        Place {
            tenant,
            table: "signing_keys",
            column: "private_key_sealed",
            row,
        }
    }

    #[test]
    fn a_sealed_value_opens_in_its_own_place() {
        let key = DataKey::generate();
        let tenant = TenantId::new();
        let sealed = key.seal(place(tenant, "k1"), b"secret").unwrap();
        assert_eq!(
            key.open(place(tenant, "k1"), &sealed).unwrap().as_slice(),
            b"secret"
        );
    }

    #[test]
    fn a_value_sealed_for_one_tenant_does_not_open_as_another_tenants() {
        let key = DataKey::generate();
        let sealed = key.seal(place(TenantId::new(), "k1"), b"secret").unwrap();
        assert!(key.open(place(TenantId::new(), "k1"), &sealed).is_err());
    }

    #[test]
    fn a_sealed_value_moved_to_another_row_does_not_open() {
        let key = DataKey::generate();
        let tenant = TenantId::new();
        let sealed = key.seal(place(tenant, "k1"), b"secret").unwrap();
        assert!(key.open(place(tenant, "k2"), &sealed).is_err());
    }

    #[test]
    fn a_sealed_value_moved_to_another_column_does_not_open() {
        let key = DataKey::generate();
        let tenant = TenantId::new();
        let sealed = key.seal(place(tenant, "k1"), b"secret").unwrap();
        let other = Place {
            column: "other",
            ..place(tenant, "k1")
        };
        assert!(key.open(other, &sealed).is_err());
    }

    #[test]
    fn another_tenants_data_key_cannot_open_a_value() {
        let tenant = TenantId::new();
        let sealed = DataKey::generate()
            .seal(place(tenant, "k1"), b"secret")
            .unwrap();
        assert!(
            DataKey::generate()
                .open(place(tenant, "k1"), &sealed)
                .is_err()
        );
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let key = DataKey::generate();
        let tenant = TenantId::new();
        let mut sealed = key.seal(place(tenant, "k1"), b"secret").unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(key.open(place(tenant, "k1"), &sealed).is_err());
    }

    #[test]
    fn a_wrapped_data_key_is_bound_to_its_tenant() {
        let master = MasterKey::generate();
        let tenant = TenantId::new();
        let wrapped = master.wrap(tenant, &DataKey::generate()).unwrap();
        assert!(master.unwrap(tenant, &wrapped).is_ok());
        assert!(master.unwrap(TenantId::new(), &wrapped).is_err());
    }

    #[test]
    fn a_data_key_does_not_unwrap_under_another_master_key() {
        let tenant = TenantId::new();
        let wrapped = MasterKey::generate()
            .wrap(tenant, &DataKey::generate())
            .unwrap();
        assert!(MasterKey::generate().unwrap(tenant, &wrapped).is_err());
    }

    #[test]
    fn a_master_key_round_trips_through_base64() {
        let key = MasterKey::generate();
        let again = MasterKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(key.id(), again.id());
    }

    #[test]
    fn a_short_master_key_is_refused_with_the_expected_length() {
        let err = MasterKey::from_base64("c2hvcnQ=").unwrap_err();
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }
}
