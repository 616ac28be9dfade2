//! Multi-factor authentication (migration `0410_mfa.sql`): an account's
//! TOTP authenticator (its secret sealed by the caller), single-use
//! recovery codes (stored hashed), and the pending second step of a
//! sign-in. The TOTP arithmetic and the sealing live in `rumah_web`.

use rumah_domain::identity::AccountId;
use rumah_domain::time::Timestamp;

use crate::secret::{new_token, token_hash};
use crate::{Exec, StoreError, q};

/// An account's TOTP authenticator as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Totp {
    /// Sealed secret (nonce || ciphertext || tag).
    pub secret: Vec<u8>,
    pub created_at: i64,
    /// `None` while enrolment awaits its first correct code.
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
}

impl Totp {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

pub async fn totp(ex: &mut impl Exec, account: AccountId) -> Result<Option<Totp>, StoreError> {
    ex.fetch_optional(q!(
        "SELECT secret, created_at, confirmed_at, last_step FROM mfa_totp WHERE account_id = $1",
        account.0
    ))
    .await
}

/// True if the account has a confirmed authenticator.
pub async fn is_enabled(ex: &mut impl Exec, account: AccountId) -> Result<bool, StoreError> {
    Ok(totp(ex, account).await?.is_some_and(|t| t.is_confirmed()))
}

/// Stores a new, unconfirmed secret; a confirmed authenticator is left
/// alone (returns false).
pub async fn start_enrolment(
    ex: &mut impl Exec,
    account: AccountId,
    sealed: &[u8],
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = ex
        .execute(q!(
            "INSERT INTO mfa_totp (account_id, secret, created_at, confirmed_at, last_step)
             VALUES ($1, $2, $3, NULL, 0)
             ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret,
                 created_at = excluded.created_at, last_step = 0
             WHERE mfa_totp.confirmed_at IS NULL",
            account.0,
            sealed.to_vec(),
            now
        ))
        .await?;
    Ok(n > 0)
}

/// Confirms a pending enrolment with the step of its first correct code;
/// false if there is none (or it was confirmed meanwhile).
pub async fn confirm(
    ex: &mut impl Exec,
    account: AccountId,
    step: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE mfa_totp SET confirmed_at = $1, last_step = $2
             WHERE account_id = $3 AND confirmed_at IS NULL",
            now,
            step,
            account.0
        ))
        .await?
        > 0)
}

/// Records that a code of `step` was used; false if that step (or a later
/// one) was already used, so a code is accepted at most once even when two
/// requests race.
pub async fn accept_step(
    ex: &mut impl Exec,
    account: AccountId,
    step: i64,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE mfa_totp SET last_step = $1
             WHERE account_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1",
            step,
            account.0
        ))
        .await?
        > 0)
}

/// Removes the authenticator and the recovery codes.
pub async fn disable(ex: &mut impl Exec, account: AccountId) -> Result<bool, StoreError> {
    ex.execute(q!(
        "DELETE FROM mfa_recovery_codes WHERE account_id = $1",
        account.0
    ))
    .await?;
    Ok(ex
        .execute(q!("DELETE FROM mfa_totp WHERE account_id = $1", account.0))
        .await?
        > 0)
}

/// Replaces every recovery code of the account by `hashes`.
pub async fn replace_recovery_codes(
    ex: &mut impl Exec,
    account: AccountId,
    hashes: &[String],
    now: Timestamp,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "DELETE FROM mfa_recovery_codes WHERE account_id = $1",
        account.0
    ))
    .await?;
    for h in hashes {
        ex.execute(q!(
            "INSERT INTO mfa_recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)",
            account.0,
            h.as_str(),
            now
        ))
        .await?;
    }
    Ok(())
}

/// Uses up a recovery code; false if it is unknown, used or another
/// account's.
pub async fn use_recovery_code(
    ex: &mut impl Exec,
    account: AccountId,
    hash: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE mfa_recovery_codes SET used_at = $1
             WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL",
            now,
            account.0,
            hash
        ))
        .await?
        > 0)
}

/// Unused recovery codes left.
pub async fn recovery_codes_left(
    ex: &mut impl Exec,
    account: AccountId,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .fetch_one(q!(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE account_id = $1 AND used_at IS NULL",
            account.0
        ))
        .await?;
    Ok(n)
}

/// Why a sign-in waits for its second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Enter a TOTP or recovery code.
    Verify,
    /// A role requires MFA and the account has none yet: enrol first.
    Enrol,
}

impl Purpose {
    pub fn code(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Enrol => "enrol",
        }
    }
}

/// A sign-in between its password and its second step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: i64,
    pub account: AccountId,
    pub purpose: Purpose,
    pub next: String,
}

/// Starts a pending sign-in; returns the cookie value (only its hash is
/// stored). Expired ones are swept at the same time.
pub async fn create_pending(
    ex: &mut impl Exec,
    account: AccountId,
    purpose: Purpose,
    next: &str,
    now: Timestamp,
    ttl: std::time::Duration,
) -> Result<String, StoreError> {
    ex.execute(q!(
        "DELETE FROM mfa_pending_logins WHERE expires_at <= $1",
        now
    ))
    .await?;
    let token = new_token("");
    ex.execute(q!(
        "INSERT INTO mfa_pending_logins (token_hash, account_id, purpose, next, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        token_hash(&token),
        account.0,
        purpose.code(),
        next,
        now,
        now.plus(ttl)
    ))
    .await?;
    Ok(token)
}

/// The live pending sign-in a cookie names.
pub async fn pending(
    ex: &mut impl Exec,
    token: &str,
    now: Timestamp,
) -> Result<Option<Pending>, StoreError> {
    let row: Option<(i64, i64, String, String)> = ex
        .fetch_optional(q!(
            "SELECT id, account_id, purpose, next FROM mfa_pending_logins
             WHERE token_hash = $1 AND expires_at > $2",
            token_hash(token),
            now
        ))
        .await?;
    Ok(row.map(|(id, account, purpose, next)| Pending {
        id,
        account: AccountId(account),
        purpose: if purpose == "enrol" {
            Purpose::Enrol
        } else {
            Purpose::Verify
        },
        next,
    }))
}

/// Ends a pending sign-in; false if it was already gone (so only one of two
/// racing requests completes it).
pub async fn finish_pending(ex: &mut impl Exec, id: i64) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!("DELETE FROM mfa_pending_logins WHERE id = $1", id))
        .await?
        > 0)
}

/// Records that a live session has now also used a second factor (step-up
/// or enrolment): its methods, `acr` and authentication time.
pub async fn mark_session(
    ex: &mut impl Exec,
    session_id: i64,
    amr: &str,
    acr: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE sessions SET amr = $1, acr = $2, auth_time = $3 WHERE id = $4",
        amr,
        acr,
        now,
        session_id
    ))
    .await?;
    Ok(())
}
