//! A province administrator's decision on a waiting sign-up: approve (an
//! account is made from what the upstream said, linked, and can sign in
//! through the upstream at once) or reject (the sign-up is forgotten; a
//! later sign-in there waits again).

use rumah_domain::identity::{AccountId, AccountKind, AccountStatus, Email, Nip, Username};
use rumah_domain::time::Timestamp;
use rumah_store::identity::accounts::{self, CreateAccountError, NewAccount};
use rumah_store::identity::broker::{self, Signup};
use rumah_store::{Exec, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    #[error("no such sign-up")]
    NotFound,
    /// The NIP or e-mail is another account's by now.
    #[error("the NIP or e-mail is already another account's")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A username from the e-mail's local part or the name: lowercase letters,
/// digits, `.`, `-`, `_`; a number appended while taken.
async fn free_username(ex: &mut impl Exec, s: &Signup) -> Result<Username, StoreError> {
    let source = s
        .email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .unwrap_or(&s.name);
    let mut base: String = source
        .to_lowercase()
        .chars()
        .map(|c| if c.is_whitespace() { '.' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(24)
        .collect();
    base = base.trim_start_matches(['.', '-', '_']).to_owned();
    if base.len() < 3 || Username::parse(&base).is_err() {
        base = format!("asn{}", s.id);
    }
    for n in 1..1000 {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}{n}")
        };
        let Ok(u) = Username::parse(&candidate) else {
            continue;
        };
        if accounts::by_username(ex, &u).await?.is_none() {
            return Ok(u);
        }
    }
    Err(StoreError::Corrupt("no free username".into()))
}

/// Approves sign-up `id`: the account (active, no password, no org yet)
/// and its link, in the caller's transaction. Returns the account and the
/// sign-up as it was.
pub async fn approve(
    ex: &mut impl Exec,
    id: i64,
) -> Result<(AccountId, Username, Signup), ApproveError> {
    let s = broker::signup(ex, id)
        .await?
        .ok_or(ApproveError::NotFound)?;
    let username = free_username(ex, &s).await?;
    let nip = s.nip.as_deref().and_then(|n| Nip::parse(n).ok());
    let email = s.email.as_deref().and_then(|e| Email::parse(e).ok());
    let account = accounts::create(
        ex,
        &NewAccount {
            kind: if nip.is_some() {
                AccountKind::Asn
            } else {
                AccountKind::Public
            },
            username: &username,
            display_name: &s.name,
            email: email.as_ref(),
            email_verified: s.email_verified,
            nip: nip.as_ref(),
            org_id: None,
            position: None,
            password_hash: None,
            status: AccountStatus::Active,
        },
    )
    .await
    .map_err(|e| match e {
        CreateAccountError::Store(e) => ApproveError::Store(e),
        _ => ApproveError::Conflict,
    })?;
    broker::link(ex, s.idp_id, &s.sub, account, Timestamp::now()).await?;
    if !broker::remove_signup(ex, id).await? {
        return Err(ApproveError::NotFound);
    }
    Ok((account, username, s))
}
