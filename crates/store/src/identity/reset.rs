//! "Forgot password": single-use, short-lived reset links.
//!
//! A link carries a 256-bit random token; only its SHA-256 is stored, bound
//! to one account. Creating a link deletes the account's older ones (only
//! the latest works), and using one marks it used in the same statement
//! that checks it, so two concurrent uses cannot both succeed.

use std::time::Duration;

use rumah_domain::identity::{AccountId, LoginId};
use rumah_domain::time::Timestamp;

use crate::secret::{new_token, token_hash};
use crate::{Exec, SqlBuilder, StoreError, q};

/// Prefix of reset tokens (recognisable in a leaked log line).
pub const TOKEN_PREFIX: &str = "rumah_reset_";

/// The account a reset request names, with where to send the link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub status: String,
    pub org_code: Option<String>,
}

impl Recipient {
    pub fn account_id(&self) -> AccountId {
        AccountId(self.id)
    }
}

/// The account named by a username, NIP or e-mail address.
pub async fn recipient(
    ex: &mut impl Exec,
    login: &LoginId,
) -> Result<Option<Recipient>, StoreError> {
    let select = "SELECT a.id, a.username, a.display_name, a.email, a.status, o.code AS org_code
                  FROM accounts a LEFT JOIN org_nodes o ON o.id = a.org_id WHERE ";
    let mut b = SqlBuilder::new(select);
    super::accounts::where_login(&mut b, login);
    ex.fetch_optional(b.build()).await
}

/// A fresh token for `account`, valid for `ttl`; the account's older
/// tokens stop working.
pub async fn create(
    ex: &mut impl Exec,
    account: AccountId,
    now: Timestamp,
    ttl: Duration,
) -> Result<String, StoreError> {
    let token = new_token(TOKEN_PREFIX);
    ex.execute(q!(
        "DELETE FROM password_resets WHERE account_id = $1",
        account.0
    ))
    .await?;
    ex.execute(q!(
        "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash(&token),
        account.0,
        now,
        now.plus(ttl)
    ))
    .await?;
    Ok(token)
}

/// Why a token does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued, tampered with, or replaced by a newer link.
    Unknown,
    Expired,
    Used,
}

/// The account a still-usable token is for.
pub async fn check(
    ex: &mut impl Exec,
    token: &str,
    now: Timestamp,
) -> Result<Result<AccountId, Refusal>, StoreError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Ok(Err(Refusal::Unknown));
    }
    let row: Option<(i64, i64, Option<i64>)> = ex
        .fetch_optional(q!(
            "SELECT account_id, expires_at, used_at FROM password_resets WHERE token_hash = $1",
            token_hash(token)
        ))
        .await?;
    Ok(match row {
        None => Err(Refusal::Unknown),
        Some((_, _, Some(_))) => Err(Refusal::Used),
        Some((_, expires, None)) if expires <= now.0 => Err(Refusal::Expired),
        Some((account, _, None)) => Ok(AccountId(account)),
    })
}

/// Marks the token used if it is still usable for `account`; `false` when
/// it is not (used meanwhile, expired, replaced).
pub async fn consume(
    ex: &mut impl Exec,
    token: &str,
    account: AccountId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE password_resets SET used_at = $1
             WHERE token_hash = $2 AND account_id = $3 AND used_at IS NULL AND expires_at > $1",
            now,
            token_hash(token),
            account.0
        ))
        .await?
        == 1)
}

/// The database work of [`create`] without its effect, for requests that
/// get no link (unknown account and the like), so that both take about the
/// same time: a token minted and hashed, and a write that matches nothing.
pub async fn decoy(ex: &mut impl Exec) -> Result<(), StoreError> {
    let token = new_token(TOKEN_PREFIX);
    ex.execute(q!(
        "DELETE FROM password_resets WHERE token_hash = $1",
        token_hash(&token)
    ))
    .await?;
    Ok(())
}
