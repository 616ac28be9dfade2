//! The provider's signing keys, one per algorithm (ES256 on P-256 and
//! EdDSA on Ed25519 generated with ring, RS256 with 2048-bit keys generated
//! with the `rsa` crate): generated here,
//! kept in the database with the private half encrypted (AES-256-GCM under
//! a key-encryption key that is not in the database), published as a JWKS,
//! and used through `jsonwebtoken` to sign and verify tokens.
//!
//! Rotation: a key signs for [`SIGNING_PERIOD`]; when no key of an
//! algorithm is active a new one is made. A key stays published for [`PUBLISHED_AFTER`] past its
//! signing period, longer than any token it signed lives, so relying parties
//! that cache the JWKS can verify every token they hold.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
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

/// The algorithms this provider signs with; the first is the default.
pub const ALGORITHMS: [&str; 3] = ["ES256", "RS256", "EdDSA"];
/// The default algorithm of a client's tokens.
pub const DEFAULT_ALG: &str = "ES256";
/// Size of generated RSA keys.
const RSA_BITS: usize = 2048;

/// The `jsonwebtoken` algorithm of one of [`ALGORITHMS`].
pub fn algorithm(alg: &str) -> Result<Algorithm, KeyError> {
    match alg {
        "ES256" => Ok(Algorithm::ES256),
        "RS256" => Ok(Algorithm::RS256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        other => Err(KeyError::Malformed(format!("algorithm {other}"))),
    }
}

/// The RFC 7638 thumbprint of a public JWK (its required members in
/// lexicographic order, no spaces), as its `kid`.
fn thumbprint(canonical: &serde_json::Value) -> String {
    // serde_json's map is ordered by key: the canonical form.
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// A new key pair of `alg`: the private key as `jsonwebtoken` reads it
/// (PKCS#8 for EC and Ed25519, PKCS#1 for RSA) and the public JWK's
/// required members.
fn new_pair(alg: &str) -> Result<(Vec<u8>, serde_json::Value), KeyError> {
    let rng = SystemRandom::new();
    match alg {
        "ES256" => {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| KeyError::Generate)?;
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(|_| KeyError::Generate)?;
            // Uncompressed point: 0x04 || x (32) || y (32).
            let point = pair.public_key().as_ref();
            let (x, y) = (
                URL_SAFE_NO_PAD.encode(&point[1..33]),
                URL_SAFE_NO_PAD.encode(&point[33..65]),
            );
            let jwk = json!({ "crv": "P-256", "kty": "EC", "x": x, "y": y });
            Ok((pkcs8.as_ref().to_vec(), jwk))
        }
        "EdDSA" => {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyError::Generate)?;
            let pair =
                Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| KeyError::Generate)?;
            let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
            let jwk = json!({ "crv": "Ed25519", "kty": "OKP", "x": x });
            Ok((pkcs8.as_ref().to_vec(), jwk))
        }
        "RS256" => {
            // ring signs with RSA keys but cannot make them: the RustCrypto
            // `rsa` crate generates, ring (through jsonwebtoken) signs.
            use rsa::pkcs1::EncodeRsaPrivateKey as _;
            use rsa::traits::PublicKeyParts as _;
            // `RsaPrivateKey` is `PrivateKey` from 0.10.0 on; the old name
            // works in both that and the release candidate webauthn-rs pins.
            #[allow(deprecated)]
            let key = rsa::RsaPrivateKey::new(&mut rand::rng(), RSA_BITS)
                .map_err(|_| KeyError::Generate)?;
            let der = key.to_pkcs1_der().map_err(|_| KeyError::Generate)?;
            let jwk = json!({
                "e": URL_SAFE_NO_PAD.encode(key.e_bytes()),
                "kty": "RSA",
                "n": URL_SAFE_NO_PAD.encode(key.n_bytes()),
            });
            Ok((der.as_bytes().to_vec(), jwk))
        }
        other => Err(KeyError::Malformed(format!("algorithm {other}"))),
    }
}

/// Makes a new key of `alg` and stores it, signing from `now`.
pub async fn generate(
    ex: &mut impl Exec,
    kek: &Kek,
    alg: &str,
    now: Timestamp,
) -> Result<SigningKey, KeyError> {
    algorithm(alg)?;
    let (private, mut jwk) = new_pair(alg)?;
    let kid = thumbprint(&jwk);
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!(alg);
    jwk["use"] = json!("sig");
    let signing = i64::try_from(SIGNING_PERIOD.as_millis()).unwrap_or(i64::MAX);
    let published = i64::try_from(PUBLISHED_AFTER.as_millis()).unwrap_or(i64::MAX);
    let key = SigningKey {
        id: 0,
        private_key: kek.seal(&kid, &private)?,
        kid,
        alg: alg.to_owned(),
        public_jwk: jwk.to_string(),
        created_at: now.0,
        active_until: now.0.saturating_add(signing),
        retire_at: now.0.saturating_add(signing).saturating_add(published),
    };
    keys::insert(ex, &key).await?;
    Ok(key)
}

/// The key to sign with now in `alg`: the newest active one, made if there
/// is none. Keys are made when first needed, so a provider whose clients
/// all use ES256 never spends time on an RSA key.
pub async fn signer(ex: &mut impl Exec, kek: &Kek, alg: &str) -> Result<Signer, KeyError> {
    let now = Timestamp::now();
    let published = keys::published(ex, now.0).await?;
    let key = match published
        .into_iter()
        .find(|k| k.alg == alg && k.active_until > now.0)
    {
        Some(k) => k,
        None => generate(ex, kek, alg, now).await?,
    };
    let der = kek.open(&key.kid, &key.private_key)?;
    let jwt_alg = algorithm(&key.alg)?;
    let encoding = match jwt_alg {
        Algorithm::ES256 => EncodingKey::from_ec_der(&der),
        Algorithm::EdDSA => EncodingKey::from_ed_der(&der),
        _ => EncodingKey::from_rsa_der(&der),
    };
    Ok(Signer {
        alg: jwt_alg,
        key: encoding,
        kid: key.kid,
    })
}

/// Ends the signing period of the current keys and makes a new one for
/// ES256 and for every other algorithm that had a key
/// (`rumah admin rotate-keys`); an algorithm no client has used yet gets
/// its first key when it is first needed. The old keys stay published.
pub async fn rotate(ex: &mut impl Exec, kek: &Kek) -> Result<Vec<SigningKey>, KeyError> {
    let now = Timestamp::now();
    let in_use: Vec<String> = keys::published(ex, now.0)
        .await?
        .into_iter()
        .map(|k| k.alg)
        .collect();
    keys::deactivate_all(ex, now.0).await?;
    keys::purge_retired(ex, now.0).await?;
    let mut made = Vec::new();
    for alg in ALGORITHMS {
        if alg == DEFAULT_ALG || in_use.iter().any(|a| a == alg) {
            made.push(generate(ex, kek, alg, now).await?);
        }
    }
    Ok(made)
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
        let member = |name: &str| {
            jwk[name]
                .as_str()
                .ok_or_else(|| KeyError::Malformed(format!("jwk without {name}")))
        };
        let alg = algorithm(&k.alg)?;
        let key = match alg {
            Algorithm::ES256 => DecodingKey::from_ec_components(member("x")?, member("y")?)?,
            Algorithm::EdDSA => DecodingKey::from_ed_components(member("x")?)?,
            _ => DecodingKey::from_rsa_components(member("n")?, member("e")?)?,
        };
        return Ok(Some((alg, key)));
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
