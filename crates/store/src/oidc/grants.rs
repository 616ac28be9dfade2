//! Authorization codes, refresh tokens and consents.

use crate::{Backend, Exec, StoreError, q};

/// What a code or a refresh token stands for.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CodeGrant {
    pub id: i64,
    pub client_id: String,
    pub account_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub amr: String,
    pub acr: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub client_id: &'a str,
    pub account_id: i64,
    pub session_id: Option<i64>,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub auth_time: i64,
    pub amr: &'a str,
    pub acr: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_code(ex: &mut impl Exec, c: &NewCode<'_>) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO oidc_codes (code_hash, client_id, account_id, session_id, redirect_uri, scope,
             nonce, code_challenge, auth_time, amr, acr, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        c.code_hash,
        c.client_id,
        c.account_id,
        c.session_id,
        c.redirect_uri,
        c.scope,
        c.nonce,
        c.code_challenge,
        c.auth_time,
        c.amr,
        c.acr,
        c.now,
        c.expires_at
    ))
    .await?;
    Ok(())
}

/// Marks the code used and returns it — once. A code already used comes
/// back with `used_at` set from before (the caller refuses it and revokes
/// what it issued); an unknown code is `None`. Run in a transaction.
pub async fn take_code(
    ex: &mut impl Exec,
    code_hash: &str,
    now: i64,
) -> Result<Option<CodeGrant>, StoreError> {
    let found: Option<CodeGrant> = ex
        .fetch_optional(q!(
            "SELECT id, client_id, account_id, redirect_uri, scope, nonce, code_challenge, auth_time,
                 amr, acr, expires_at, used_at
             FROM oidc_codes WHERE code_hash = $1",
            code_hash
        ))
        .await?;
    let Some(code) = found else {
        return Ok(None);
    };
    if code.used_at.is_none() {
        // Only one of two concurrent exchanges wins the update.
        let won = ex
            .execute(q!(
                "UPDATE oidc_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                now,
                code.id
            ))
            .await?;
        if won == 0 {
            return Ok(Some(CodeGrant {
                used_at: Some(now),
                ..code
            }));
        }
    }
    Ok(Some(code))
}

/// A refresh token as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RefreshToken {
    pub id: i64,
    pub family: String,
    pub client_id: String,
    pub account_id: i64,
    pub scope: String,
    pub auth_time: i64,
    pub amr: String,
    pub acr: Option<String>,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The browser session's `sid`, when the grant has one (0470).
    pub sid: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewRefresh<'a> {
    pub token_hash: &'a str,
    pub family: &'a str,
    pub client_id: &'a str,
    pub account_id: i64,
    pub scope: &'a str,
    pub auth_time: i64,
    pub amr: &'a str,
    pub acr: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
    pub sid: Option<&'a str>,
}

pub async fn insert_refresh(ex: &mut impl Exec, r: &NewRefresh<'_>) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, account_id, scope, auth_time,
             amr, acr, created_at, expires_at, sid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        r.token_hash,
        r.family,
        r.client_id,
        r.account_id,
        r.scope,
        r.auth_time,
        r.amr,
        r.acr,
        r.now,
        r.expires_at,
        r.sid
    ))
    .await?;
    Ok(())
}

pub async fn refresh_by_hash(
    ex: &mut impl Exec,
    token_hash: &str,
) -> Result<Option<RefreshToken>, StoreError> {
    ex.fetch_optional(q!(
        "SELECT id, family, client_id, account_id, scope, auth_time, amr, acr, expires_at, rotated_at, revoked_at, sid
         FROM oidc_refresh_tokens WHERE token_hash = $1",
        token_hash
    ))
    .await
}

/// The usual rotation, in one statement: marks the live refresh token
/// `token_hash` of `client_id`, whose account is active, rotated and stores
/// `successor` as its next token (same family, account, scope and
/// session); returns the successor's row. `None` when there is no such
/// token (unknown, another client's, expired, revoked, already rotated, or
/// its account locked: see [`refresh_by_hash`] to tell which). Nothing is
/// ever half done, and two requests with one token cannot both rotate it.
pub async fn rotate(
    ex: &mut impl Exec,
    token_hash: &str,
    client_id: &str,
    successor_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<Option<RefreshToken>, StoreError> {
    let q = match ex.backend() {
        // The UPDATE waits for a concurrent one on the same row and then
        // finds it rotated: no successor.
        Backend::Postgres => q!(
            "WITH old AS (
                UPDATE oidc_refresh_tokens t SET rotated_at = $4
                FROM accounts a
                WHERE t.token_hash = $1 AND t.client_id = $2 AND t.rotated_at IS NULL
                  AND t.revoked_at IS NULL AND t.expires_at > $4
                  AND a.id = t.account_id AND a.status = 'active'
                RETURNING t.family, t.client_id, t.account_id, t.scope, t.auth_time, t.amr, t.acr, t.sid)
             INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, account_id, scope,
                 auth_time, amr, acr, created_at, expires_at, sid, rotates)
             SELECT $3, family, client_id, account_id, scope, auth_time, amr, acr, $4, $5, sid, $1
             FROM old
             RETURNING id, family, client_id, account_id, scope, auth_time, amr, acr, expires_at,
                 rotated_at, revoked_at, sid",
            token_hash,
            client_id,
            successor_hash,
            now,
            expires_at
        ),
        // The trigger of migration 0490 marks the token named by `rotates`,
        // inside this statement, under SQLite's single write lock.
        Backend::Sqlite => q!(
            "INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, account_id, scope,
                 auth_time, amr, acr, created_at, expires_at, sid, rotates)
             SELECT $3, t.family, t.client_id, t.account_id, t.scope, t.auth_time, t.amr, t.acr,
                 $4, $5, t.sid, t.token_hash
             FROM oidc_refresh_tokens t JOIN accounts a ON a.id = t.account_id
             WHERE t.token_hash = $1 AND t.client_id = $2 AND t.rotated_at IS NULL
               AND t.revoked_at IS NULL AND t.expires_at > $4 AND a.status = 'active'
             RETURNING id, family, client_id, account_id, scope, auth_time, amr, acr, expires_at,
                 rotated_at, revoked_at, sid",
            token_hash,
            client_id,
            successor_hash,
            now,
            expires_at
        ),
    };
    ex.fetch_optional(q).await
}

/// Marks the token `token_hash` rotated; `false` when it already was (or
/// was revoked): then another request used it at the same time.
pub async fn rotate_by_hash(
    ex: &mut impl Exec,
    token_hash: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = ex
        .execute(q!(
            "UPDATE oidc_refresh_tokens SET rotated_at = $1
             WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL",
            now,
            token_hash
        ))
        .await?;
    Ok(n == 1)
}

/// Revokes every token of a family; returns how many were still live.
pub async fn revoke_family(ex: &mut impl Exec, family: &str, now: i64) -> Result<u64, StoreError> {
    ex.execute(q!(
        "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL",
        now,
        family
    ))
    .await
}

/// The scope the account already granted the client, if any.
pub async fn consent(
    ex: &mut impl Exec,
    account_id: i64,
    client_id: &str,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = ex
        .fetch_optional(q!(
            "SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2",
            account_id,
            client_id
        ))
        .await?;
    Ok(row.map(|(s,)| s))
}

pub async fn save_consent(
    ex: &mut impl Exec,
    account_id: i64,
    client_id: &str,
    scope: &str,
    now: i64,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO oidc_consents (account_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        account_id,
        client_id,
        scope,
        now
    ))
    .await?;
    Ok(())
}

/// Records a revoked access token until it would have expired.
pub async fn revoke_jti(ex: &mut impl Exec, jti: &str, expires_at: i64) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO oidc_revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
        jti,
        expires_at
    ))
    .await?;
    Ok(())
}

pub async fn is_revoked_jti(ex: &mut impl Exec, jti: &str) -> Result<bool, StoreError> {
    let row: Option<(String,)> = ex
        .fetch_optional(q!(
            "SELECT jti FROM oidc_revoked_tokens WHERE jti = $1",
            jti
        ))
        .await?;
    Ok(row.is_some())
}

/// Forgets revocations of tokens that have expired anyway.
pub async fn purge_revoked_jti(ex: &mut impl Exec, now_s: i64) -> Result<u64, StoreError> {
    ex.execute(q!(
        "DELETE FROM oidc_revoked_tokens WHERE expires_at < $1",
        now_s
    ))
    .await
}
