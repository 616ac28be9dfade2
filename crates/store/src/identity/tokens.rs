//! Personal access tokens: `Authorization: Bearer rumah_pat_…` for scripts
//! and integrations. Stored hashed; listed and revoked by their owner.

use rumah_domain::authz::ApiScope;
use rumah_domain::identity::{AccountId, AccountKind, AccountStatus};
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::secret::{new_token, token_hash};
use crate::{Exec, StoreError, q};

/// Every personal access token starts with this, so secret scanners and
/// people can recognise one.
pub const PREFIX: &str = "rumah_pat_";

pub fn encode_scopes(scopes: &[ApiScope]) -> String {
    let mut codes: Vec<&str> = scopes.iter().map(|s| s.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes.join(" ")
}

pub fn decode_scopes(s: &str) -> Vec<ApiScope> {
    s.split_whitespace()
        .filter_map(ApiScope::from_code)
        .collect()
}

/// Creates a token and returns `(id, plaintext)`. The plaintext is shown
/// once and never stored.
pub async fn create(
    ex: &mut impl Exec,
    account: AccountId,
    name: &str,
    scopes: &[ApiScope],
    expires_at: Option<Timestamp>,
) -> Result<(i64, String), StoreError> {
    let token = new_token(PREFIX);
    let hint: String = token.chars().take(PREFIX.len() + 4).collect();
    let (id,): (i64,) = ex
        .fetch_one(q!(
            "INSERT INTO personal_access_tokens (account_id, name, token_hash, token_hint, scopes, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            account.0,
            name.trim(),
            token_hash(&token),
            hint,
            encode_scopes(scopes),
            Timestamp::now(),
            expires_at
        ))
        .await?;
    Ok((id, token))
}

/// A token that authenticates: not revoked, not expired, owner active.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token_id: i64,
    pub account: AccountId,
    pub username: String,
    pub kind: AccountKind,
    pub scopes: Vec<ApiScope>,
    pub last_used_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct OwnerRow {
    id: i64,
    account_id: i64,
    username: String,
    kind: String,
    scopes: String,
    last_used_at: Option<i64>,
}

pub async fn authenticate(
    ex: &mut impl Exec,
    token: &str,
    now: Timestamp,
) -> Result<Option<TokenOwner>, StoreError> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let row: Option<OwnerRow> = ex
        .fetch_optional(q!(
            "SELECT t.id, t.account_id, a.username, a.kind, t.scopes, t.last_used_at
             FROM personal_access_tokens t JOIN accounts a ON a.id = t.account_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
               AND a.status = $3",
            token_hash(token),
            now,
            AccountStatus::Active.code()
        ))
        .await?;
    row.map(|r| {
        Ok(TokenOwner {
            token_id: r.id,
            account: AccountId(r.account_id),
            username: r.username,
            kind: AccountKind::from_code(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("account kind {:?}", r.kind)))?,
            scopes: decode_scopes(&r.scopes),
            last_used_at: r.last_used_at.map(Timestamp),
        })
    })
    .transpose()
}

pub async fn touch(ex: &mut impl Exec, token_id: i64, now: Timestamp) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE personal_access_tokens SET last_used_at = $1 WHERE id = $2",
        now,
        token_id
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TokenListItem {
    pub id: i64,
    pub name: String,
    pub token_hint: String,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn list_for_account(
    ex: &mut impl Exec,
    account: AccountId,
) -> Result<Vec<TokenListItem>, StoreError> {
    ex.fetch_all(q!(
        "SELECT id, name, token_hint, scopes, created_at, expires_at, last_used_at, revoked_at
         FROM personal_access_tokens WHERE account_id = $1 ORDER BY id DESC",
        account.0
    ))
    .await
}

/// Revokes one of the account's own tokens. Returns its name, or `None` if
/// the account has no such live token.
pub async fn revoke(
    ex: &mut impl Exec,
    account: AccountId,
    token_id: i64,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = ex
        .fetch_optional(q!(
            "UPDATE personal_access_tokens SET revoked_at = $1
             WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL RETURNING name",
            Timestamp::now(),
            token_id,
            account.0
        ))
        .await?;
    Ok(row.map(|(name,)| name))
}
