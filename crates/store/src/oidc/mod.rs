//! Storage of the OpenID Connect provider: clients, signing keys,
//! authorization codes, refresh tokens and consents (migration
//! `0400_oidc.sql`). Codes and tokens are looked up by the SHA-256 of
//! their value; the values themselves are never stored.

pub mod assertions;
pub mod clients;
pub mod grants;
pub mod keys;
pub mod logout;

use sha2::{Digest, Sha256};

/// The SHA-256 of a code or token, in hex, as stored.
pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}
