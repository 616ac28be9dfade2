//! Browser sessions, stored in the database so that every node sees the
//! same sessions and they survive restarts. The cookie carries a random
//! token; the table holds only its SHA-256.

use rumah_domain::identity::{AccountId, AccountKind, AccountStatus};
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::secret::{new_token, token_hash};
use crate::{Exec, StoreError, q};

/// How a session came to be; carried into OpenID Connect ID tokens later.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub account: AccountId,
    pub expires_at: Timestamp,
    pub auth_time: Timestamp,
    /// Authentication methods (RFC 8176), space-separated: `pwd`, `otp`, `hwk`.
    pub amr: &'a str,
    pub acr: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Creates a session and returns the cookie value. Shown once; not stored.
pub async fn create(ex: &mut impl Exec, new: &NewSession<'_>) -> Result<String, StoreError> {
    let token = new_token("");
    let now = Timestamp::now();
    let ua: Option<String> = new.user_agent.map(|u| u.chars().take(300).collect());
    ex.execute(q!(
        "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at, auth_time, amr, acr, ip, user_agent)
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9)",
        token_hash(&token),
        new.account.0,
        now,
        new.expires_at,
        new.auth_time,
        new.amr,
        new.acr,
        new.ip,
        ua
    ))
    .await?;
    Ok(token)
}

/// A live session and the account behind it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub session_id: i64,
    pub account: AccountId,
    pub kind: AccountKind,
    pub username: String,
    pub display_name: String,
    pub locale: Option<String>,
    pub auth_time: Timestamp,
    pub amr: String,
    pub last_seen_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    account_id: i64,
    kind: String,
    username: String,
    display_name: String,
    locale: Option<String>,
    auth_time: i64,
    amr: String,
    last_seen_at: i64,
}

/// The session a cookie names, if it exists, has not expired, has been used
/// within `idle_timeout`, and belongs to an active account.
pub async fn lookup(
    ex: &mut impl Exec,
    token: &str,
    now: Timestamp,
    idle_timeout: std::time::Duration,
) -> Result<Option<SessionInfo>, StoreError> {
    let row: Option<SessionRow> = ex
        .fetch_optional(q!(
            "SELECT s.id, s.account_id, a.kind, a.username, a.display_name, a.locale, s.auth_time, s.amr, s.last_seen_at
             FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND a.status = $4",
            token_hash(token),
            now,
            now.minus(idle_timeout),
            AccountStatus::Active.code()
        ))
        .await?;
    row.map(|r| {
        Ok(SessionInfo {
            session_id: r.id,
            account: AccountId(r.account_id),
            kind: AccountKind::from_code(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("account kind {:?}", r.kind)))?,
            username: r.username,
            display_name: r.display_name,
            locale: r.locale,
            auth_time: Timestamp(r.auth_time),
            amr: r.amr,
            last_seen_at: Timestamp(r.last_seen_at),
        })
    })
    .transpose()
}

/// Records activity. Callers skip it when the last touch is recent, so a
/// busy session does not write on every request.
pub async fn touch(ex: &mut impl Exec, session_id: i64, now: Timestamp) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE sessions SET last_seen_at = $1 WHERE id = $2",
        now,
        session_id
    ))
    .await?;
    Ok(())
}

pub async fn delete_by_token(
    ex: &mut impl Exec,
    token: &str,
) -> Result<Option<AccountId>, StoreError> {
    // Clients sharing the session get a back-channel logout token.
    crate::oidc::logout::sessions_ending(
        ex,
        crate::oidc::logout::Ending::TokenHash(&token_hash(token)),
        Timestamp::now().0,
    )
    .await?;
    let row: Option<(i64,)> = ex
        .fetch_optional(q!(
            "DELETE FROM sessions WHERE token_hash = $1 RETURNING account_id",
            token_hash(token)
        ))
        .await?;
    Ok(row.map(|(id,)| AccountId(id)))
}

/// Ends one of the account's own sessions.
pub async fn delete_one(
    ex: &mut impl Exec,
    account: AccountId,
    session_id: i64,
) -> Result<bool, StoreError> {
    crate::oidc::logout::sessions_ending(
        ex,
        crate::oidc::logout::Ending::One {
            account_id: account.0,
            session_id,
        },
        Timestamp::now().0,
    )
    .await?;
    Ok(ex
        .execute(q!(
            "DELETE FROM sessions WHERE id = $1 AND account_id = $2",
            session_id,
            account.0
        ))
        .await?
        > 0)
}

/// Ends every session of an account ("sign out of every device", password
/// change, lock). Returns how many ended.
pub async fn delete_all(ex: &mut impl Exec, account: AccountId) -> Result<u64, StoreError> {
    crate::oidc::logout::sessions_ending(
        ex,
        crate::oidc::logout::Ending::All {
            account_id: account.0,
            keep: None,
        },
        Timestamp::now().0,
    )
    .await?;
    ex.execute(q!("DELETE FROM sessions WHERE account_id = $1", account.0))
        .await
}

/// Ends every session of an account except `keep` (after a password change).
pub async fn delete_others(
    ex: &mut impl Exec,
    account: AccountId,
    keep: i64,
) -> Result<u64, StoreError> {
    crate::oidc::logout::sessions_ending(
        ex,
        crate::oidc::logout::Ending::All {
            account_id: account.0,
            keep: Some(keep),
        },
        Timestamp::now().0,
    )
    .await?;
    ex.execute(q!(
        "DELETE FROM sessions WHERE account_id = $1 AND id <> $2",
        account.0,
        keep
    ))
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionListItem {
    pub id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn list_for_account(
    ex: &mut impl Exec,
    account: AccountId,
    now: Timestamp,
) -> Result<Vec<SessionListItem>, StoreError> {
    ex.fetch_all(q!(
        "SELECT id, created_at, last_seen_at, ip, user_agent FROM sessions
         WHERE account_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC",
        account.0,
        now
    ))
    .await
}

/// Deletes sessions past their absolute expiry or idle for too long; the
/// clients that received tokens in them get a back-channel logout token
/// first (queued once, see `oidc::logout::sessions_expired`).
pub async fn purge_expired(
    ex: &mut impl Exec,
    now: Timestamp,
    idle_timeout: std::time::Duration,
) -> Result<u64, StoreError> {
    crate::oidc::logout::sessions_expired(ex, now.0, now.minus(idle_timeout).0).await?;
    ex.execute(q!(
        "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
        now,
        now.minus(idle_timeout)
    ))
    .await
}
