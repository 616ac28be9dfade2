//! WebAuthn / passkeys (migration `0440_webauthn.sql`): an account's
//! registered authenticators and the server-side state of a ceremony
//! between its challenge and its answer. The credentials and the ceremony
//! state are opaque JSON text here; `rumah_web` (webauthn-rs) makes and
//! checks them.

use rumah_domain::identity::AccountId;
use rumah_domain::time::Timestamp;

use crate::{Exec, StoreError, q};

/// A registered authenticator as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Credential {
    pub id: i64,
    pub account_id: i64,
    /// base64url of the credential id.
    pub credential_id: String,
    pub name: String,
    /// The webauthn-rs `Passkey`, serialised as JSON.
    pub passkey: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, account_id, credential_id, name, passkey, sign_count, \
    backup_eligible, backup_state, created_at, last_used_at";

/// What a new registration stores.
#[derive(Debug, Clone)]
pub struct NewCredential<'a> {
    pub account: AccountId,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub passkey: &'a str,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

/// The account's authenticators, oldest first.
pub async fn list(ex: &mut impl Exec, account: AccountId) -> Result<Vec<Credential>, StoreError> {
    ex.fetch_all(
        crate::Query::assembled(format!(
            "SELECT {COLUMNS} FROM webauthn_credentials WHERE account_id = $1 ORDER BY id"
        ))
        .bind(account.0),
    )
    .await
}

/// True if the account has at least one authenticator.
pub async fn has_any(ex: &mut impl Exec, account: AccountId) -> Result<bool, StoreError> {
    let (n,): (i64,) = ex
        .fetch_one(q!(
            "SELECT COUNT(*) FROM webauthn_credentials WHERE account_id = $1",
            account.0
        ))
        .await?;
    Ok(n > 0)
}

/// Stores a new authenticator; false if its credential id is already
/// registered (to this or another account).
pub async fn add(
    ex: &mut impl Exec,
    new: &NewCredential<'_>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "INSERT INTO webauthn_credentials (account_id, credential_id, name, passkey,
                 sign_count, backup_eligible, backup_state, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (credential_id) DO NOTHING",
            new.account.0,
            new.credential_id,
            new.name,
            new.passkey,
            new.sign_count,
            new.backup_eligible,
            new.backup_state,
            now
        ))
        .await?
        > 0)
}

/// Records a successful use: the updated credential (new counter, backup
/// state) and the time.
pub async fn record_use(
    ex: &mut impl Exec,
    id: i64,
    passkey: &str,
    sign_count: i64,
    backup_state: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE webauthn_credentials SET passkey = $1, sign_count = $2, backup_state = $3,
             last_used_at = $4
         WHERE id = $5",
        passkey,
        sign_count,
        backup_state,
        now,
        id
    ))
    .await?;
    Ok(())
}

/// Removes one of the account's authenticators; returns its name, `None`
/// if it is not the account's (or gone).
pub async fn remove(
    ex: &mut impl Exec,
    account: AccountId,
    id: i64,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = ex
        .fetch_optional(q!(
            "DELETE FROM webauthn_credentials WHERE id = $1 AND account_id = $2 RETURNING name",
            id,
            account.0
        ))
        .await?;
    Ok(row.map(|(n,)| n))
}

/// Stores the state of a new ceremony under `binding`, replacing any
/// earlier one there. Expired ones are swept at the same time.
pub async fn put_challenge(
    ex: &mut impl Exec,
    binding: &str,
    account: AccountId,
    state: &str,
    now: Timestamp,
    ttl: std::time::Duration,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "DELETE FROM webauthn_challenges WHERE expires_at <= $1 OR binding = $2",
        now,
        binding
    ))
    .await?;
    ex.execute(q!(
        "INSERT INTO webauthn_challenges (binding, account_id, state, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        binding,
        account.0,
        state,
        now,
        now.plus(ttl)
    ))
    .await?;
    Ok(())
}

/// Takes the live ceremony state of `binding` for `account`: it is deleted
/// in the same statement, so of two answers to one challenge only one
/// gets it.
pub async fn take_challenge(
    ex: &mut impl Exec,
    binding: &str,
    account: AccountId,
    now: Timestamp,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String, i64)> = ex
        .fetch_optional(q!(
            "DELETE FROM webauthn_challenges WHERE binding = $1 AND account_id = $2
             RETURNING state, expires_at",
            binding,
            account.0
        ))
        .await?;
    Ok(row.filter(|(_, exp)| *exp > now.millis()).map(|(s, _)| s))
}
