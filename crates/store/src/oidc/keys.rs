//! The provider's signing keys (the private half encrypted by the caller).

use crate::{Exec, StoreError, q};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SigningKey {
    pub id: i64,
    pub kid: String,
    pub alg: String,
    /// Encrypted PKCS#8 (nonce || ciphertext || tag).
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub active_until: i64,
    pub retire_at: i64,
}

pub async fn insert(ex: &mut impl Exec, k: &SigningKey) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO oidc_signing_keys (kid, alg, private_key, public_jwk, created_at, active_until, retire_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        k.kid.clone(),
        k.alg.clone(),
        k.private_key.clone(),
        k.public_jwk.clone(),
        k.created_at,
        k.active_until,
        k.retire_at
    ))
    .await?;
    Ok(())
}

/// Keys still published at `now` (signing or only verifying), newest first.
pub async fn published(ex: &mut impl Exec, now: i64) -> Result<Vec<SigningKey>, StoreError> {
    ex.fetch_all(q!(
        "SELECT id, kid, alg, private_key, public_jwk, created_at, active_until, retire_at
         FROM oidc_signing_keys WHERE retire_at > $1 ORDER BY created_at DESC, id DESC",
        now
    ))
    .await
}

/// Ends the signing period of every key active at `now` (a rotation);
/// they stay published until their `retire_at`.
pub async fn deactivate_all(ex: &mut impl Exec, now: i64) -> Result<u64, StoreError> {
    ex.execute(q!(
        "UPDATE oidc_signing_keys SET active_until = $1 WHERE active_until > $1",
        now
    ))
    .await
}

/// Removes keys no longer published.
pub async fn purge_retired(ex: &mut impl Exec, now: i64) -> Result<u64, StoreError> {
    ex.execute(q!(
        "DELETE FROM oidc_signing_keys WHERE retire_at <= $1",
        now
    ))
    .await
}
