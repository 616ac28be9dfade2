//! Brokering: upstream OpenID Connect providers, the links from their
//! users to our accounts, sign-ups waiting for approval, and the one-time
//! state of a sign-in on its way through an upstream.

use rumah_domain::identity::AccountId;
use rumah_domain::time::Timestamp;

use crate::secret::{new_token, token_hash};
use crate::{Exec, StoreError, q};

/// An upstream provider as configured. The secret stays sealed here; the
/// web layer opens it with the key-encryption key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Idp {
    pub id: i64,
    pub slug: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Vec<u8>,
    pub scopes: String,
    pub nip_claim: Option<String>,
    pub trust_email: bool,
    pub enabled: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewIdp<'a> {
    pub slug: &'a str,
    pub display_name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret_sealed: &'a [u8],
    pub scopes: &'a str,
    pub nip_claim: Option<&'a str>,
    pub trust_email: bool,
    pub enabled: bool,
}

const SELECT_IDP: &str =
    "SELECT id, slug, display_name, issuer, client_id, client_secret_sealed, scopes,
        nip_claim, trust_email, enabled, created_at FROM broker_idps";

/// Adds a provider; `StoreError::Unique` when the slug is taken.
pub async fn create(ex: &mut impl Exec, new: &NewIdp<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .fetch_one(q!(
            "INSERT INTO broker_idps (slug, display_name, issuer, client_id, client_secret_sealed, scopes,
                                      nip_claim, trust_email, enabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            new.slug,
            new.display_name,
            new.issuer,
            new.client_id,
            new.client_secret_sealed.to_vec(),
            new.scopes,
            new.nip_claim,
            new.trust_email,
            new.enabled,
            Timestamp::now()
        ))
        .await?;
    Ok(id)
}

/// Every provider, by slug.
pub async fn list(ex: &mut impl Exec) -> Result<Vec<Idp>, StoreError> {
    let mut b = crate::SqlBuilder::new(SELECT_IDP);
    b.push(" ORDER BY slug");
    ex.fetch_all(b.build()).await
}

pub async fn by_slug(ex: &mut impl Exec, slug: &str) -> Result<Option<Idp>, StoreError> {
    let mut b = crate::SqlBuilder::new(SELECT_IDP);
    b.push(" WHERE slug = ").bind(slug);
    ex.fetch_optional(b.build()).await
}

pub async fn by_id(ex: &mut impl Exec, id: i64) -> Result<Option<Idp>, StoreError> {
    let mut b = crate::SqlBuilder::new(SELECT_IDP);
    b.push(" WHERE id = ").bind(id);
    ex.fetch_optional(b.build()).await
}

/// Removes a provider with its links, sign-ups and states; false if none.
pub async fn delete(ex: &mut impl Exec, slug: &str) -> Result<bool, StoreError> {
    let Some(idp) = by_slug(ex, slug).await? else {
        return Ok(false);
    };
    // Explicitly, not only by cascade: SQLite enforces foreign keys only
    // when the connection asks for it.
    for table in [
        q!("DELETE FROM broker_links WHERE idp_id = $1", idp.id),
        q!("DELETE FROM broker_signups WHERE idp_id = $1", idp.id),
        q!("DELETE FROM broker_login_states WHERE idp_id = $1", idp.id),
        q!("DELETE FROM broker_idps WHERE id = $1", idp.id),
    ] {
        ex.execute(table).await?;
    }
    Ok(true)
}

pub async fn set_enabled(
    ex: &mut impl Exec,
    slug: &str,
    enabled: bool,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE broker_idps SET enabled = $1 WHERE slug = $2",
            enabled,
            slug
        ))
        .await?
        == 1)
}

/// A sign-in started at an upstream, as the callback finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginState {
    pub idp_id: i64,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub expires_at: Timestamp,
}

/// Stores a new sign-in's state and returns the `state` value to send
/// (only its hash is kept). Expired ones are swept at the same time.
pub async fn create_state(
    ex: &mut impl Exec,
    idp_id: i64,
    nonce: &str,
    pkce_verifier: &str,
    return_to: &str,
    now: Timestamp,
    ttl: std::time::Duration,
) -> Result<String, StoreError> {
    ex.execute(q!(
        "DELETE FROM broker_login_states WHERE expires_at <= $1",
        now
    ))
    .await?;
    let state = new_token("");
    ex.execute(q!(
        "INSERT INTO broker_login_states (state_hash, idp_id, nonce, pkce_verifier, return_to, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        token_hash(&state),
        idp_id,
        nonce,
        pkce_verifier,
        return_to,
        now,
        now.plus(ttl)
    ))
    .await?;
    Ok(state)
}

/// Takes (deletes) the state a callback presents: it never works again,
/// even when it turns out to have expired (the caller checks
/// `expires_at`). `None` when unknown or already taken.
pub async fn take_state(ex: &mut impl Exec, state: &str) -> Result<Option<LoginState>, StoreError> {
    if state.is_empty() || state.len() > 200 {
        return Ok(None);
    }
    let row: Option<(i64, String, String, String, i64)> = ex
        .fetch_optional(q!(
            "DELETE FROM broker_login_states WHERE state_hash = $1
             RETURNING idp_id, nonce, pkce_verifier, return_to, expires_at",
            token_hash(state)
        ))
        .await?;
    Ok(row.map(
        |(idp_id, nonce, pkce_verifier, return_to, expires_at)| LoginState {
            idp_id,
            nonce,
            pkce_verifier,
            return_to,
            expires_at: Timestamp(expires_at),
        },
    ))
}

/// The account an upstream identity is linked to.
pub async fn linked_account(
    ex: &mut impl Exec,
    idp_id: i64,
    sub: &str,
) -> Result<Option<AccountId>, StoreError> {
    let row: Option<(i64,)> = ex
        .fetch_optional(q!(
            "SELECT account_id FROM broker_links WHERE idp_id = $1 AND sub = $2",
            idp_id,
            sub
        ))
        .await?;
    Ok(row.map(|(a,)| AccountId(a)))
}

/// Whether the account already has a (different) identity at this IdP.
pub async fn account_linked_to(
    ex: &mut impl Exec,
    idp_id: i64,
    account: AccountId,
) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = ex
        .fetch_optional(q!(
            "SELECT id FROM broker_links WHERE idp_id = $1 AND account_id = $2",
            idp_id,
            account.0
        ))
        .await?;
    Ok(row.is_some())
}

pub async fn link(
    ex: &mut impl Exec,
    idp_id: i64,
    sub: &str,
    account: AccountId,
    now: Timestamp,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO broker_links (idp_id, sub, account_id, created_at) VALUES ($1, $2, $3, $4)",
        idp_id,
        sub,
        account.0,
        now
    ))
    .await?;
    Ok(())
}

pub async fn touch_link(
    ex: &mut impl Exec,
    idp_id: i64,
    sub: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE broker_links SET last_login_at = $1 WHERE idp_id = $2 AND sub = $3",
        now,
        idp_id,
        sub
    ))
    .await?;
    Ok(())
}

/// The links of an account: (IdP display name, IdP slug).
pub async fn links_of(
    ex: &mut impl Exec,
    account: AccountId,
) -> Result<Vec<(String, String)>, StoreError> {
    ex.fetch_all(q!(
        "SELECT i.display_name, i.slug FROM broker_links l JOIN broker_idps i ON i.id = l.idp_id
         WHERE l.account_id = $1 ORDER BY i.slug",
        account.0
    ))
    .await
}

/// The only account with this NIP, if any.
pub async fn account_by_nip(
    ex: &mut impl Exec,
    nip: &str,
) -> Result<Option<AccountId>, StoreError> {
    let rows: Vec<(i64,)> = ex
        .fetch_all(q!("SELECT id FROM accounts WHERE nip = $1", nip))
        .await?;
    Ok(match rows.as_slice() {
        [(id,)] => Some(AccountId(*id)),
        _ => None,
    })
}

/// The only account with this e-mail address (any case), if any.
pub async fn account_by_email(
    ex: &mut impl Exec,
    email: &str,
) -> Result<Option<AccountId>, StoreError> {
    let rows: Vec<(i64,)> = ex
        .fetch_all(q!(
            "SELECT id FROM accounts WHERE lower(email) = $1",
            email.to_lowercase()
        ))
        .await?;
    Ok(match rows.as_slice() {
        [(id,)] => Some(AccountId(*id)),
        _ => None,
    })
}

/// What an upstream said about a user who matched no account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Signup {
    pub id: i64,
    pub idp_id: i64,
    pub sub: String,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub nip: Option<String>,
    pub created_at: i64,
}

/// A waiting sign-up with its provider's name, for the administrators.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignupListItem {
    pub id: i64,
    pub idp_slug: String,
    pub idp_name: String,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub nip: Option<String>,
    pub created_at: i64,
}

/// What an upstream said about a user who matched no account.
#[derive(Debug, Clone)]
pub struct NewSignup<'a> {
    pub idp_id: i64,
    pub sub: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub nip: Option<&'a str>,
}

/// Records a sign-up (or refreshes the one already waiting for the same
/// upstream identity); returns its id and whether it is new.
pub async fn upsert_signup(
    ex: &mut impl Exec,
    new: &NewSignup<'_>,
    now: Timestamp,
) -> Result<(i64, bool), StoreError> {
    let existing: Option<(i64,)> = ex
        .fetch_optional(q!(
            "SELECT id FROM broker_signups WHERE idp_id = $1 AND sub = $2",
            new.idp_id,
            new.sub
        ))
        .await?;
    if let Some((id,)) = existing {
        ex.execute(q!(
            "UPDATE broker_signups SET name = $1, email = $2, email_verified = $3, nip = $4 WHERE id = $5",
            new.name,
            new.email,
            new.email_verified,
            new.nip,
            id
        ))
        .await?;
        return Ok((id, false));
    }
    let (id,): (i64,) = ex
        .fetch_one(q!(
            "INSERT INTO broker_signups (idp_id, sub, name, email, email_verified, nip, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            new.idp_id,
            new.sub,
            new.name,
            new.email,
            new.email_verified,
            new.nip,
            now
        ))
        .await?;
    Ok((id, true))
}

pub async fn signup(ex: &mut impl Exec, id: i64) -> Result<Option<Signup>, StoreError> {
    ex.fetch_optional(q!(
        "SELECT id, idp_id, sub, name, email, email_verified, nip, created_at FROM broker_signups WHERE id = $1",
        id
    ))
    .await
}

pub async fn list_signups(ex: &mut impl Exec) -> Result<Vec<SignupListItem>, StoreError> {
    ex.fetch_all(q!(
        "SELECT s.id, i.slug AS idp_slug, i.display_name AS idp_name, s.name, s.email, s.email_verified,
                s.nip, s.created_at
         FROM broker_signups s JOIN broker_idps i ON i.id = s.idp_id ORDER BY s.id"
    ))
    .await
}

/// Ends a sign-up (approved or rejected); false if it was already gone, so
/// only one of two racing decisions takes effect.
pub async fn remove_signup(ex: &mut impl Exec, id: i64) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!("DELETE FROM broker_signups WHERE id = $1", id))
        .await?
        == 1)
}
