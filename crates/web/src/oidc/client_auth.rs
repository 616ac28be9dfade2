//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID
//! Connect Core §9) at the token, introspection and revocation endpoints.
//!
//! The client signs a short-lived JWT with a private key whose public half
//! it registered (`jwks`): `iss` = `sub` = its `client_id`, `aud` = our
//! token endpoint (or the issuer, or the endpoint called), `exp` at most
//! five minutes ahead, a `jti` that works once. Only ES256 (P-256), RS256
//! and EdDSA (Ed25519) are accepted, each with a key of its own type, so
//! neither `alg: none` nor an HMAC "signed" with the public key (key
//! confusion) can pass. Every failure is `invalid_client`.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use rumah_domain::time::Timestamp;
use rumah_store::oidc::assertions;
use rumah_store::oidc::clients::{self, Client};
use serde::Deserialize;

use crate::state::AppState;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub const METHOD: &str = "private_key_jwt";
/// The signing algorithms accepted in assertions.
pub const ALGORITHMS: [&str; 3] = ["ES256", "RS256", "EdDSA"];
/// How far ahead an assertion may expire.
const MAX_LIFETIME_S: i64 = 300;
const LEEWAY_S: u64 = 30;

/// Why an assertion was refused (logged, never shown beyond `invalid_client`).
#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    #[error("client_assertion_type is not jwt-bearer")]
    Type,
    #[error("the assertion is not a JWT of an accepted algorithm")]
    Malformed,
    #[error("unknown client, or one without registered keys")]
    Client,
    #[error("no registered key matches the assertion")]
    Key,
    #[error("the assertion's signature or claims are not valid: {0}")]
    Invalid(String),
    #[error("the assertion was used before")]
    Replayed,
    #[error(transparent)]
    Store(#[from] rumah_store::StoreError),
}

#[derive(Debug, Deserialize)]
struct Claims {
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    jti: String,
}

#[derive(Debug, Deserialize)]
struct Unverified {
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    sub: Option<String>,
}

/// Checks a JWKS document for registration: public keys only, each usable
/// for one of [`ALGORITHMS`]; returns how many keys it has.
pub fn check_jwks(json: &str) -> Result<usize, String> {
    let raw: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let keys = raw["keys"].as_array().ok_or("no \"keys\" array")?.clone();
    if keys.is_empty() {
        return Err("the \"keys\" array is empty".into());
    }
    for k in &keys {
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|f| k.get(f).is_some())
        {
            return Err("a key has a private or secret part; register public keys only".into());
        }
    }
    let set: JwkSet = serde_json::from_value(raw).map_err(|e| format!("not a JWKS: {e}"))?;
    for k in &set.keys {
        if !matches!(
            &k.algorithm,
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256
        ) && !matches!(&k.algorithm, AlgorithmParameters::RSA(_))
            && !matches!(&k.algorithm, AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519)
        {
            return Err("keys must be EC P-256, RSA or OKP Ed25519".into());
        }
        DecodingKey::from_jwk(k).map_err(|e| format!("a key is unusable: {e}"))?;
    }
    Ok(set.keys.len())
}

/// Whether `jwk` is a key for `alg` (and says so, if it names one).
fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    if let Some(ka) = jwk.common.key_algorithm
        && format!("{ka:?}") != format!("{alg:?}")
    {
        return false;
    }
    match (alg, &jwk.algorithm) {
        (Algorithm::ES256, AlgorithmParameters::EllipticCurve(p)) => p.curve == EllipticCurve::P256,
        (Algorithm::RS256, AlgorithmParameters::RSA(_)) => true,
        (Algorithm::EdDSA, AlgorithmParameters::OctetKeyPair(p)) => {
            p.curve == EllipticCurve::Ed25519
        }
        _ => false,
    }
}

/// The audiences an assertion may name: the issuer and our endpoints that
/// accept client authentication.
fn audiences(state: &AppState) -> Vec<String> {
    let iss = state.config().public_origin();
    vec![
        format!("{iss}/oidc/token"),
        format!("{iss}/oidc/introspect"),
        format!("{iss}/oidc/revoke"),
        iss,
    ]
}

/// Authenticates a client by its assertion. `client_id`, when the request
/// sent one, must be the assertion's issuer.
pub async fn authenticate(
    state: &AppState,
    client_id: Option<&str>,
    assertion_type: Option<&str>,
    assertion: &str,
) -> Result<Client, AssertionError> {
    if assertion_type != Some(ASSERTION_TYPE) {
        return Err(AssertionError::Type);
    }
    let header = decode_header(assertion).map_err(|_| AssertionError::Malformed)?;
    if !matches!(
        header.alg,
        Algorithm::ES256 | Algorithm::RS256 | Algorithm::EdDSA
    ) {
        return Err(AssertionError::Malformed);
    }
    // Who claims to be speaking; verified below with that client's keys.
    let unverified: Unverified = {
        use base64::Engine as _;
        let payload = assertion
            .split('.')
            .nth(1)
            .ok_or(AssertionError::Malformed)?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| AssertionError::Malformed)?;
        serde_json::from_slice(&raw).map_err(|_| AssertionError::Malformed)?
    };
    let issuer = unverified.iss.ok_or(AssertionError::Malformed)?;
    if unverified.sub.as_deref() != Some(issuer.as_str())
        || client_id.is_some_and(|c| !c.is_empty() && c != issuer)
    {
        return Err(AssertionError::Invalid(
            "iss, sub and client_id differ".into(),
        ));
    }
    let mut db = state.db();
    let client = clients::by_client_id(&mut db, &issuer)
        .await?
        .filter(|c| c.token_endpoint_auth_method == METHOD)
        .ok_or(AssertionError::Client)?;
    let jwks = assertions::jwks(&mut db, &client.client_id)
        .await?
        .ok_or(AssertionError::Client)?;
    let set: JwkSet = serde_json::from_str(&jwks).map_err(|_| AssertionError::Client)?;
    let candidates: Vec<&Jwk> = set
        .keys
        .iter()
        .filter(|k| key_fits(k, header.alg))
        .filter(|k| match &header.kid {
            Some(kid) => k.common.key_id.as_deref() == Some(kid.as_str()),
            None => true,
        })
        .collect();
    // Without a `kid`, only an unambiguous key is tried.
    let [jwk] = candidates[..] else {
        return Err(AssertionError::Key);
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|_| AssertionError::Key)?;
    let mut v = Validation::new(header.alg);
    v.set_issuer(&[&client.client_id]);
    v.sub = Some(client.client_id.clone());
    v.set_audience(&audiences(state));
    v.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    v.leeway = LEEWAY_S;
    let claims = decode::<Claims>(assertion, &key, &v)
        .map_err(|e| AssertionError::Invalid(e.to_string()))?
        .claims;
    let now = Timestamp::now().0 / 1000;
    let leeway = i64::try_from(LEEWAY_S).unwrap_or(30);
    if claims.exp > now + MAX_LIFETIME_S + leeway {
        return Err(AssertionError::Invalid("exp is too far ahead".into()));
    }
    if claims.iat.is_some_and(|iat| iat > now + leeway) {
        return Err(AssertionError::Invalid("iat is in the future".into()));
    }
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err(AssertionError::Invalid("jti is missing".into()));
    }
    if !assertions::use_jti(
        &mut db,
        &client.client_id,
        &claims.jti,
        (claims.exp + leeway) * 1000,
        now * 1000,
    )
    .await?
    {
        return Err(AssertionError::Replayed);
    }
    Ok(client)
}

/// The assertion of a request to one of the endpoints. `Err(None)` is
/// `invalid_client`; `Err(Some((error, description)))` a bad request (more
/// than one authentication method).
pub async fn from_request(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    client_id: Option<&str>,
    assertion_type: Option<&str>,
    assertion: &str,
    with_secret: bool,
) -> Result<Client, Option<(&'static str, &'static str)>> {
    if with_secret || headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Err(Some((
            "invalid_request",
            "use one client authentication method",
        )));
    }
    match authenticate(state, client_id, assertion_type, assertion).await {
        Ok(c) => Ok(c),
        Err(AssertionError::Store(e)) => {
            tracing::error!(error = %e, "cannot check a client assertion");
            Err(None)
        }
        Err(e) => {
            tracing::info!(reason = %e, "client assertion refused");
            Err(None)
        }
    }
}
