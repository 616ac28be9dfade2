//! The checks of an upstream ID token (OpenID Connect Core §3.1.3.7):
//! the signature against the provider's JWKS, `iss`, `aud`, `exp`, the
//! `nonce` we sent, and `azp` when present (required when `aud` has more
//! than one value). Only asymmetric algorithms are accepted: `none` does
//! not even parse, and HMAC (`HS*`, keyed with the client secret) is
//! refused, so a token cannot be forged with anything the client knows.
//! Each key must be of its algorithm's type (no key confusion).

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};

/// Seconds of clock difference tolerated.
const LEEWAY_S: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("not a JWT")]
    Malformed,
    #[error("the algorithm {0} is not accepted")]
    Algorithm(String),
    /// No key of the JWKS fits the token (name and type); the caller may
    /// fetch the JWKS again once.
    #[error("no key of the provider fits the token")]
    UnknownKey,
    #[error("the signature or a registered claim is not valid: {0}")]
    Invalid(String),
    #[error("the nonce is not the one sent")]
    Nonce,
    #[error("azp is missing or names another client")]
    Azp,
    #[error("sub is missing")]
    Subject,
}

fn accepted(alg: Algorithm) -> bool {
    matches!(
        alg,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::ES256
            | Algorithm::ES384
            | Algorithm::EdDSA
    )
}

/// Whether `jwk` is a signing key for `alg`.
fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return false;
    }
    if let Some(ka) = jwk.common.key_algorithm
        && format!("{ka:?}") != format!("{alg:?}")
    {
        return false;
    }
    match (alg, &jwk.algorithm) {
        (
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
            AlgorithmParameters::RSA(_),
        ) => true,
        (Algorithm::ES256, AlgorithmParameters::EllipticCurve(p)) => p.curve == EllipticCurve::P256,
        (Algorithm::ES384, AlgorithmParameters::EllipticCurve(p)) => p.curve == EllipticCurve::P384,
        (Algorithm::EdDSA, AlgorithmParameters::OctetKeyPair(p)) => {
            p.curve == EllipticCurve::Ed25519
        }
        _ => false,
    }
}

/// Verifies `token` and returns its claims.
pub fn verify(
    token: &str,
    keys: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<Map<String, Value>, IdTokenError> {
    let header = decode_header(token).map_err(|_| IdTokenError::Malformed)?;
    if !accepted(header.alg) {
        return Err(IdTokenError::Algorithm(format!("{:?}", header.alg)));
    }
    let candidates: Vec<&Jwk> = keys
        .keys
        .iter()
        .filter(|k| header.kid.is_none() || k.common.key_id == header.kid)
        .filter(|k| key_fits(k, header.alg))
        .collect();
    if candidates.is_empty() {
        return Err(IdTokenError::UnknownKey);
    }
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = LEEWAY_S;
    let mut last = IdTokenError::UnknownKey;
    let mut claims = None;
    for jwk in candidates {
        let key = DecodingKey::from_jwk(jwk).map_err(|e| IdTokenError::Invalid(e.to_string()))?;
        match decode::<Map<String, Value>>(token, &key, &validation) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(e) => last = IdTokenError::Invalid(e.to_string()),
        }
    }
    let claims = claims.ok_or(last)?;
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err(IdTokenError::Nonce);
    }
    let several_audiences = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1);
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == client_id => {}
        None if !several_audiences => {}
        _ => return Err(IdTokenError::Azp),
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(|s| s.is_empty() || s.len() > 255)
    {
        return Err(IdTokenError::Subject);
    }
    Ok(claims)
}
