//! `private_key_jwt` client authentication: the clients' public keys and
//! the single use of assertion `jti`s (migration
//! `0421_oidc_private_key_jwt.sql`).

use crate::{Exec, StoreError, q};

/// The client's JWKS (JSON), when it authenticates with `private_key_jwt`.
pub async fn jwks(ex: &mut impl Exec, client_id: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = ex
        .fetch_optional(q!(
            "SELECT jwks FROM oidc_clients WHERE client_id = $1 AND disabled_at IS NULL",
            client_id
        ))
        .await?;
    Ok(row.and_then(|(j,)| j))
}

/// Sets (or, with `None`, removes) a client's JWKS; false if there is no
/// such client.
pub async fn set_jwks(
    ex: &mut impl Exec,
    client_id: &str,
    jwks: Option<&str>,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE oidc_clients SET jwks = $1 WHERE client_id = $2",
            jwks,
            client_id
        ))
        .await?
        > 0)
}

/// Records an assertion's `jti`; false when the client used it before
/// (a replay). Forgets those that have expired.
pub async fn use_jti(
    ex: &mut impl Exec,
    client_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool, StoreError> {
    ex.execute(q!(
        "DELETE FROM oidc_client_assertions WHERE expires_at < $1",
        now
    ))
    .await?;
    let n = ex
        .execute(q!(
            "INSERT INTO oidc_client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (client_id, jti) DO NOTHING",
            client_id,
            jti,
            expires_at
        ))
        .await?;
    Ok(n == 1)
}
