//! The provider's signing keys: generated here (ES256, P-256, with ring),
//! kept in the database with the private half encrypted (AES-256-GCM under
//! a key-encryption key that is not in the database), published as a JWKS,
//! and used through `jsonwebtoken` to sign and verify tokens.
//!
//! Rotation: a key signs for [`SIGNING_PERIOD`]; when no key is active a
//! new one is made. A key stays published for [`PUBLISHED_AFTER`] past its
//! signing period, longer than any token it signed lives, so relying parties
//! that cache the JWKS can verify every token they hold.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use rumah_domain::time::Timestamp;
use rumah_store::Exec;
use rumah_store::oidc::keys::{self, SigningKey};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long a key signs new tokens.
pub const SIGNING_PERIOD: Duration = Duration::from_secs(90 * 24 * 3600);
/// How long it stays in the JWKS after that.
pub const PUBLISHED_AFTER: Duration = Duration::from_secs(2 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("a signing key cannot be decrypted (wrong key-encryption key?)")]
    Decrypt,
    #[error("a stored key is malformed: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] rumah_store::StoreError),
    #[error(transparent)]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// The key-encryption key (32 bytes).
#[derive(Clone)]
pub struct Kek([u8; 32]);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(…)")
    }
}

impl Kek {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn key(&self) -> LessSafeKey {
        LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &self.0).expect("32 bytes is an AES-256 key"),
        )
    }

    /// Encrypts `plain` bound to `kid` (the associated data): it opens only
    /// with this key and the same `kid`. Also seals TOTP secrets (`mfa`).
    pub fn seal(&self, kid: &str, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; 12];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| KeyError::Generate)?;
        let mut buf = plain.to_vec();
        self.key()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut buf,
            )
            .map_err(|_| KeyError::Generate)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    pub fn open(&self, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sealed.len() < 12 + 16 {
            return Err(KeyError::Decrypt);
        }
        let (nonce, rest) = sealed.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Decrypt)?;
        let mut buf = rest.to_vec();
        let plain = self
            .key()
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buf)
            .map_err(|_| KeyError::Decrypt)?;
        Ok(plain.to_vec())
    }
}

/// A key ready to sign.
pub struct Signer {
    pub kid: String,
    pub alg: Algorithm,
    key: EncodingKey,
}

impl Signer {
    pub fn sign(&self, typ: &str, claims: &serde_json::Value) -> Result<String, KeyError> {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &self.key)?)
    }
}

/// The RFC 7638 thumbprint of a P-256 public key, as its `kid`.
fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Makes a new ES256 key and stores it, signing from `now`.
pub async fn generate(
    ex: &mut impl Exec,
    kek: &Kek,
    now: Timestamp,
) -> Result<SigningKey, KeyError> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| KeyError::Generate)?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|_| KeyError::Generate)?;
    // Uncompressed point: 0x04 || x (32) || y (32).
    let point = pair.public_key().as_ref();
    let (x, y) = (
        URL_SAFE_NO_PAD.encode(&point[1..33]),
        URL_SAFE_NO_PAD.encode(&point[33..65]),
    );
    let kid = thumbprint(&x, &y);
    let jwk = json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig" });
    let signing = i64::try_from(SIGNING_PERIOD.as_millis()).unwrap_or(i64::MAX);
    let published = i64::try_from(PUBLISHED_AFTER.as_millis()).unwrap_or(i64::MAX);
    let key = SigningKey {
        id: 0,
        private_key: kek.seal(&kid, pkcs8.as_ref())?,
        kid,
        alg: "ES256".into(),
        public_jwk: jwk.to_string(),
        created_at: now.0,
        active_until: now.0.saturating_add(signing),
        retire_at: now.0.saturating_add(signing).saturating_add(published),
    };
    keys::insert(ex, &key).await?;
    Ok(key)
}

/// The key to sign with now: the newest active one, made if there is none.
pub async fn signer(ex: &mut impl Exec, kek: &Kek) -> Result<Signer, KeyError> {
    let now = Timestamp::now();
    let published = keys::published(ex, now.0).await?;
    let key = match published.into_iter().find(|k| k.active_until > now.0) {
        Some(k) => k,
        None => generate(ex, kek, now).await?,
    };
    let der = kek.open(&key.kid, &key.private_key)?;
    Ok(Signer {
        alg: algorithm(&key.alg)?,
        key: EncodingKey::from_ec_der(&der),
        kid: key.kid,
    })
}

/// Ends the signing period of the current keys and makes a new one
/// (`rumah admin rotate-keys`). The old keys stay published.
pub async fn rotate(ex: &mut impl Exec, kek: &Kek) -> Result<SigningKey, KeyError> {
    let now = Timestamp::now();
    keys::deactivate_all(ex, now.0).await?;
    keys::purge_retired(ex, now.0).await?;
    generate(ex, kek, now).await
}

fn algorithm(alg: &str) -> Result<Algorithm, KeyError> {
    match alg {
        "ES256" => Ok(Algorithm::ES256),
        other => Err(KeyError::Malformed(format!("algorithm {other}"))),
    }
}

/// The JWKS document.
pub async fn jwks(ex: &mut impl Exec) -> Result<serde_json::Value, KeyError> {
    let keys: Vec<serde_json::Value> = keys::published(ex, Timestamp::now().0)
        .await?
        .iter()
        .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
        .collect();
    Ok(json!({ "keys": keys }))
}

/// The verification key of `kid`, if it is published.
pub async fn decoding_key(
    ex: &mut impl Exec,
    kid: &str,
) -> Result<Option<(Algorithm, DecodingKey)>, KeyError> {
    for k in keys::published(ex, Timestamp::now().0).await? {
        if k.kid != kid {
            continue;
        }
        let jwk: serde_json::Value =
            serde_json::from_str(&k.public_jwk).map_err(|e| KeyError::Malformed(e.to_string()))?;
        let (Some(x), Some(y)) = (jwk["x"].as_str(), jwk["y"].as_str()) else {
            return Err(KeyError::Malformed("jwk without x/y".into()));
        };
        return Ok(Some((
            algorithm(&k.alg)?,
            DecodingKey::from_ec_components(x, y)?,
        )));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_kek_and_kid() {
        let kek = Kek::new([7; 32]);
        let sealed = kek.seal("kid-1", b"secret key bytes").unwrap();
        assert_eq!(kek.open("kid-1", &sealed).unwrap(), b"secret key bytes");
        assert!(kek.open("kid-2", &sealed).is_err(), "bound to its kid");
        assert!(Kek::new([8; 32]).open("kid-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(kek.open("kid-1", &tampered).is_err());
    }
}
