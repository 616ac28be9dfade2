//! Satu Akun, the OpenID Connect provider: signing keys ([`keys`]) and the
//! verification of the access tokens it issues. The endpoints are in
//! `routes::oidc`.

pub mod client_auth;
pub mod client_cache;
pub mod key_cache;
pub mod keys;
pub mod logout;
pub mod registration;

use jsonwebtoken::{Validation, decode, decode_header};
use serde::Deserialize;

use crate::state::AppState;

/// The claims of an access token this provider issued (RFC 9068).
#[derive(Debug, Clone, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub client_id: String,
    #[serde(default)]
    pub scope: String,
    pub exp: i64,
    #[serde(default)]
    pub iat: i64,
    #[serde(default)]
    pub jti: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("not a token of this provider")]
    Invalid,
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
}

/// Checks an access token: `at+jwt`, signed by a published key of this
/// provider, issued by it, for its API, not expired.
pub async fn verify_access_token(
    state: &AppState,
    token: &str,
) -> Result<AccessClaims, TokenError> {
    let header = decode_header(token).map_err(|_| TokenError::Invalid)?;
    if header.typ.as_deref() != Some("at+jwt") {
        return Err(TokenError::Invalid);
    }
    let kid = header.kid.ok_or(TokenError::Invalid)?;
    let (alg, key) = state
        .oidc_keys()
        .verifier(&mut state.db(), &kid)
        .await?
        .ok_or(TokenError::Invalid)?;
    if alg != header.alg {
        return Err(TokenError::Invalid);
    }
    let iss = state.config().public_origin();
    let mut v = Validation::new(alg);
    v.set_issuer(&[&iss]);
    v.set_audience(&[format!("{iss}/api")]);
    v.leeway = 30;
    let claims = decode::<AccessClaims>(token, &key, &v)
        .map_err(|_| TokenError::Invalid)?
        .claims;
    if rumah_store::oidc::grants::is_revoked_jti(&mut state.db(), &claims.jti)
        .await
        .map_err(keys::KeyError::from)?
    {
        return Err(TokenError::Invalid);
    }
    Ok(claims)
}
