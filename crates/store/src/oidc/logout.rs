//! Logout: which clients received tokens in which browser session (the
//! `sid` of ID tokens), the clients' logout settings, and the durable
//! outbox of back-channel logout tokens (migration `0420_oidc_logout.sql`).
//!
//! Ending a session (see `identity::sessions`) calls [`sessions_ending`]
//! first: every client with a `backchannel_logout_uri` that shares the
//! session gets a row in the outbox, which the web crate's worker delivers.
//! Several nodes may run that worker against one database: a row is
//! claimed with a conditional `UPDATE` of `claimed_until`, never with a
//! lock held across the HTTP call.

use crate::secret::random_bytes;
use crate::{Exec, StoreError, q};

/// A claim lasts this long; longer than one delivery attempt takes.
pub const CLAIM_MS: i64 = 60_000;

/// The `sid` of `session_id`, made on first use. The same for every client
/// of the session.
pub async fn sid_of_session(
    ex: &mut impl Exec,
    session_id: i64,
    account_id: i64,
    now: i64,
) -> Result<String, StoreError> {
    let fresh = hex::encode(random_bytes::<16>());
    ex.execute(q!(
        "INSERT INTO oidc_sessions (session_id, sid, account_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_id) DO NOTHING",
        session_id,
        fresh,
        account_id,
        now
    ))
    .await?;
    let (sid,): (String,) = ex
        .fetch_one(q!(
            "SELECT sid FROM oidc_sessions WHERE session_id = $1",
            session_id
        ))
        .await?;
    Ok(sid)
}

/// Records that `client_id` received tokens in `session_id`.
pub async fn add_client(
    ex: &mut impl Exec,
    session_id: i64,
    client_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO oidc_session_clients (session_id, client_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (session_id, client_id) DO NOTHING",
        session_id,
        client_id,
        now
    ))
    .await?;
    Ok(())
}

/// The `sid` already given to the live session a code was issued in
/// (read only: a refresh reuses what the code exchange recorded).
pub async fn sid_of_code(ex: &mut impl Exec, code_id: i64) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = ex
        .fetch_optional(q!(
            "SELECT o.sid FROM oidc_codes c JOIN oidc_sessions o ON o.session_id = c.session_id
             JOIN sessions s ON s.id = c.session_id
             WHERE c.id = $1",
            code_id
        ))
        .await?;
    Ok(row.map(|(sid,)| sid))
}

/// The live session a code was issued in, if it still exists.
pub async fn session_of_code(
    ex: &mut impl Exec,
    code_id: i64,
) -> Result<Option<(i64, i64)>, StoreError> {
    let row: Option<(i64, i64)> = ex
        .fetch_optional(q!(
            "SELECT s.id, s.account_id FROM oidc_codes c JOIN sessions s ON s.id = c.session_id
             WHERE c.id = $1",
            code_id
        ))
        .await?;
    Ok(row)
}

/// The session behind a `sid`, if it is still live: (session id, account id).
pub async fn session_of_sid(
    ex: &mut impl Exec,
    sid: &str,
) -> Result<Option<(i64, i64)>, StoreError> {
    ex.fetch_optional(q!(
        "SELECT o.session_id, o.account_id FROM oidc_sessions o JOIN sessions s ON s.id = o.session_id
         WHERE o.sid = $1",
        sid
    ))
    .await
}

/// A client's logout settings.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LogoutSettings {
    /// JSON array of exact URIs.
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
}

impl LogoutSettings {
    pub fn post_logout_redirect_uris(&self) -> Vec<String> {
        serde_json::from_str(&self.post_logout_redirect_uris).unwrap_or_default()
    }
}

pub async fn settings(
    ex: &mut impl Exec,
    client_id: &str,
) -> Result<Option<LogoutSettings>, StoreError> {
    ex.fetch_optional(q!(
        "SELECT post_logout_redirect_uris, backchannel_logout_uri, backchannel_logout_session_required
         FROM oidc_clients WHERE client_id = $1 AND disabled_at IS NULL",
        client_id
    ))
    .await
}

/// Sets a client's logout settings (registration, tests).
pub async fn set_settings(
    ex: &mut impl Exec,
    client_id: &str,
    post_logout_redirect_uris: &[String],
    backchannel_logout_uri: Option<&str>,
    backchannel_logout_session_required: bool,
) -> Result<bool, StoreError> {
    let n = ex
        .execute(q!(
            "UPDATE oidc_clients SET post_logout_redirect_uris = $1, backchannel_logout_uri = $2,
                 backchannel_logout_session_required = $3
             WHERE client_id = $4",
            serde_json::to_string(post_logout_redirect_uris).unwrap_or_else(|_| "[]".into()),
            backchannel_logout_uri,
            backchannel_logout_session_required,
            client_id
        ))
        .await?;
    Ok(n > 0)
}

/// Which sessions are ending.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// The session whose cookie has this token hash.
    TokenHash(&'a str),
    /// One session of an account.
    One { account_id: i64, session_id: i64 },
    /// Every session of an account, except `keep`.
    All { account_id: i64, keep: Option<i64> },
}

#[derive(sqlx::FromRow)]
struct Sharing {
    session_id: i64,
    sid: String,
    account_id: i64,
    client_id: String,
    uri: String,
}

/// Queues a logout token for every client with a back-channel logout URI
/// that shares one of the ending sessions, and forgets those sessions'
/// clients. Call before deleting the sessions. Returns how many were
/// queued.
pub async fn sessions_ending(
    ex: &mut impl Exec,
    ending: Ending<'_>,
    now: i64,
) -> Result<u64, StoreError> {
    const SELECT: &str =
        "SELECT o.session_id, o.sid, o.account_id, c.client_id, c.backchannel_logout_uri AS uri
         FROM oidc_sessions o
         JOIN oidc_session_clients sc ON sc.session_id = o.session_id
         JOIN oidc_clients c ON c.client_id = sc.client_id
         WHERE c.backchannel_logout_uri IS NOT NULL AND c.disabled_at IS NULL AND ";
    let query = match ending {
        Ending::TokenHash(h) => crate::Query::assembled(format!(
            "{SELECT} o.session_id IN (SELECT id FROM sessions WHERE token_hash = $1)"
        ))
        .bind(h.to_owned()),
        Ending::One {
            account_id,
            session_id,
        } => crate::Query::assembled(format!("{SELECT} o.account_id = $1 AND o.session_id = $2"))
            .bind(account_id)
            .bind(session_id),
        Ending::All { account_id, keep } => {
            crate::Query::assembled(format!("{SELECT} o.account_id = $1 AND o.session_id <> $2"))
                .bind(account_id)
                .bind(keep.unwrap_or(-1))
        }
    };
    let rows: Vec<Sharing> = ex.fetch_all(query).await?;
    let mut queued = 0;
    let mut sessions: Vec<i64> = Vec::new();
    for r in &rows {
        queued += ex
            .execute(q!(
                "INSERT INTO oidc_logout_outbox (client_id, uri, sub, sid, jti, created_at, next_attempt_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
                r.client_id.clone(),
                r.uri.clone(),
                r.account_id.to_string(),
                r.sid.clone(),
                hex::encode(random_bytes::<16>()),
                now
            ))
            .await?;
        if !sessions.contains(&r.session_id) {
            sessions.push(r.session_id);
        }
    }
    for s in sessions {
        ex.execute(q!(
            "DELETE FROM oidc_session_clients WHERE session_id = $1",
            s
        ))
        .await?;
    }
    Ok(queued)
}

/// Queues a logout token for every client with a back-channel logout URI
/// that shares a session which expired (absolute expiry at or before `now`,
/// or idle since `idle_before`), before the sweep deletes those sessions.
/// Each (session, client) row is taken with `DELETE … RETURNING`, so when
/// several nodes sweep at once each client is told once. Returns how many
/// were queued.
pub async fn sessions_expired(
    ex: &mut impl Exec,
    now: i64,
    idle_before: i64,
) -> Result<u64, StoreError> {
    let taken: Vec<(i64, String)> = ex
        .fetch_all(q!(
            "DELETE FROM oidc_session_clients WHERE session_id IN
                 (SELECT id FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2)
             RETURNING session_id, client_id",
            now,
            idle_before
        ))
        .await?;
    let mut queued = 0;
    for (session_id, client_id) in taken {
        let row: Option<(String, i64, String)> = ex
            .fetch_optional(q!(
                "SELECT o.sid, o.account_id, c.backchannel_logout_uri
                 FROM oidc_sessions o JOIN oidc_clients c ON c.client_id = $2
                 WHERE o.session_id = $1 AND c.backchannel_logout_uri IS NOT NULL
                   AND c.disabled_at IS NULL",
                session_id,
                client_id.clone()
            ))
            .await?;
        let Some((sid, account_id, uri)) = row else {
            continue;
        };
        queued += ex
            .execute(q!(
                "INSERT INTO oidc_logout_outbox (client_id, uri, sub, sid, jti, created_at, next_attempt_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
                client_id,
                uri,
                account_id.to_string(),
                sid,
                hex::encode(random_bytes::<16>()),
                now
            ))
            .await?;
    }
    Ok(queued)
}

/// A logout token waiting for delivery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Pending {
    pub id: i64,
    pub client_id: String,
    pub uri: String,
    pub sub: String,
    pub sid: String,
    pub jti: String,
    pub created_at: i64,
    pub attempts: i64,
}

/// Up to `limit` rows due at `now` and not claimed by a node.
pub async fn due(ex: &mut impl Exec, now: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = ex
        .fetch_all(q!(
            "SELECT id FROM oidc_logout_outbox
             WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 AND claimed_until < $1
             ORDER BY next_attempt_at, id LIMIT $2",
            now,
            limit
        ))
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Claims a row for one delivery attempt (counted); `None` when another
/// node claimed or finished it first.
pub async fn claim(ex: &mut impl Exec, id: i64, now: i64) -> Result<Option<Pending>, StoreError> {
    let won = ex
        .execute(q!(
            "UPDATE oidc_logout_outbox SET claimed_until = $1, attempts = attempts + 1
             WHERE id = $2 AND delivered_at IS NULL AND failed_at IS NULL AND claimed_until < $3
                 AND next_attempt_at <= $3",
            now + CLAIM_MS,
            id,
            now
        ))
        .await?;
    if won != 1 {
        return Ok(None);
    }
    ex.fetch_optional(q!(
        "SELECT id, client_id, uri, sub, sid, jti, created_at, attempts FROM oidc_logout_outbox WHERE id = $1",
        id
    ))
    .await
}

pub async fn delivered(ex: &mut impl Exec, id: i64, now: i64) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE oidc_logout_outbox SET delivered_at = $1, claimed_until = 0, last_error = NULL WHERE id = $2",
        now,
        id
    ))
    .await?;
    Ok(())
}

/// An attempt failed; try again at `next` (released for any node).
pub async fn retry_at(
    ex: &mut impl Exec,
    id: i64,
    next: i64,
    error: &str,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE oidc_logout_outbox SET next_attempt_at = $1, claimed_until = 0, last_error = $2 WHERE id = $3",
        next,
        error.chars().take(300).collect::<String>(),
        id
    ))
    .await?;
    Ok(())
}

/// Gives up on a row: its token would have expired.
pub async fn failed(ex: &mut impl Exec, id: i64, now: i64, error: &str) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE oidc_logout_outbox SET failed_at = $1, claimed_until = 0, last_error = $2 WHERE id = $3",
        now,
        error.chars().take(300).collect::<String>(),
        id
    ))
    .await?;
    Ok(())
}

/// Forgets rows finished (delivered or given up) before `before`.
pub async fn purge_finished(ex: &mut impl Exec, before: i64) -> Result<u64, StoreError> {
    ex.execute(q!(
        "DELETE FROM oidc_logout_outbox WHERE (delivered_at IS NOT NULL AND delivered_at < $1)
             OR (failed_at IS NOT NULL AND failed_at < $1)",
        before
    ))
    .await
}
