//! What a verified upstream identity signs in to.
//!
//! 1. A link (IdP, `sub`) names the account.
//! 2. Otherwise, on the first sign-in, an existing account is linked only on
//!    a verified identifier: the configured NIP claim naming exactly one
//!    account, or an e-mail the upstream marks `email_verified: true` (and
//!    the IdP is trusted for e-mail) naming exactly one account.
//! 3. Otherwise the user waits as a sign-up until a province administrator
//!    approves it (an account and its link are made) or rejects it.
//!
//! A locked or unapproved account is refused and not linked. The session
//! starts through the same code as a password sign-in: the second factor
//! still applies (the pending sign-in of [`crate::auth::mfa`]), and the
//! session's `amr` is `fed` (RFC 8176).

use std::net::IpAddr;

use rumah_domain::identity::{AccountId, Email, Nip};
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::broker::{self, Idp};
use rumah_store::identity::{accounts, mfa, sessions, webauthn};
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::state::AppState;

/// The `amr` of a brokered session (RFC 8176: federated).
pub const AMR_FED: &str = "fed";

/// Why a verified upstream identity still gets no session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Locked,
    /// The account itself waits for approval.
    AccountPending,
    /// The matching account is already linked to another identity at the
    /// same IdP.
    LinkedElsewhere,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::Locked => "account_locked",
            Self::AccountPending => "account_pending",
            Self::LinkedElsewhere => "linked_elsewhere",
        }
    }
}

#[derive(Debug)]
pub enum Outcome {
    /// Signed in: the session cookie's value.
    Session(String),
    /// The second factor is due: the pending sign-in's cookie value.
    SecondStep(String),
    /// Waiting for an administrator.
    Pending,
    Refused(Refusal),
}

/// Where the request came from, for the session and the audit log.
pub struct Client<'a> {
    pub ip: IpAddr,
    pub user_agent: Option<&'a str>,
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The NIP the upstream gives in the configured claim (a string or a
/// number), if it is a valid NIP.
pub fn nip_of(idp: &Idp, claims: &Map<String, Value>) -> Option<Nip> {
    let claim = idp.nip_claim.as_deref()?;
    let raw = match claims.get(claim)? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Nip::parse(&raw).ok()
}

/// The e-mail address and whether the upstream says it verified it
/// (`email_verified` must be the JSON `true`).
pub fn email_of(claims: &Map<String, Value>) -> Option<(Email, bool)> {
    let email = Email::parse(text(claims, "email")?).ok()?;
    Some((
        email,
        claims.get("email_verified") == Some(&Value::Bool(true)),
    ))
}

/// A display name from the usual claims.
pub fn name_of(claims: &Map<String, Value>) -> String {
    let name = text(claims, "name").map(str::to_owned).or_else(|| {
        let parts: Vec<&str> = ["given_name", "family_name"]
            .iter()
            .filter_map(|c| text(claims, c))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    name.or_else(|| text(claims, "preferred_username").map(str::to_owned))
        .or_else(|| text(claims, "email").map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
        .chars()
        .take(120)
        .collect()
}

/// Records a failed brokered sign-in.
pub async fn record_failure(
    state: &AppState,
    idp: Option<&str>,
    reason: &str,
    detail: Option<&str>,
    subject: Option<(i64, &str)>,
    ip: IpAddr,
) -> Result<(), AppError> {
    audit::record(
        &mut state.db(),
        &audit::Entry {
            event: event::BROKER_LOGIN_FAILED,
            subject,
            ip: Some(&ip.to_string()),
            details: Some(serde_json::json!({ "idp": idp, "reason": reason, "detail": detail })),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Resolves a verified upstream identity and starts what follows.
pub async fn complete(
    state: &AppState,
    idp: &Idp,
    claims: &Map<String, Value>,
    next: &str,
    client: &Client<'_>,
) -> Result<Outcome, AppError> {
    let sub = text(claims, "sub").unwrap_or_default().to_owned();
    let mut db = state.db();
    let now = Timestamp::now();
    let ip = client.ip.to_string();
    if let Some(account) = broker::linked_account(&mut db, idp.id, &sub).await? {
        return start(state, idp, claims, account, "link", next, client).await;
    }
    let by_nip = match nip_of(idp, claims) {
        Some(nip) => broker::account_by_nip(&mut db, nip.as_str())
            .await?
            .map(|a| (a, "nip")),
        None => None,
    };
    let matched = match by_nip {
        Some(m) => Some(m),
        None => match email_of(claims) {
            Some((email, true)) if idp.trust_email => {
                broker::account_by_email(&mut db, email.as_str())
                    .await?
                    .map(|a| (a, "email"))
            }
            _ => None,
        },
    };
    if let Some((account, via)) = matched {
        let creds = match may_sign_in(state, idp, account, client).await? {
            Ok(creds) => creds,
            Err(refused) => return Ok(refused),
        };
        if broker::account_linked_to(&mut db, idp.id, account).await? {
            record_failure(
                state,
                Some(&idp.slug),
                Refusal::LinkedElsewhere.code(),
                None,
                Some((creds.id, &creds.username)),
                client.ip,
            )
            .await?;
            return Ok(Outcome::Refused(Refusal::LinkedElsewhere));
        }
        let mut tx = db.begin().await?;
        broker::link(&mut tx, idp.id, &sub, account, now).await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                event: event::BROKER_LINKED,
                subject: Some((creds.id, &creds.username)),
                org_code: creds.org_code.as_deref(),
                ip: Some(&ip),
                details: Some(serde_json::json!({ "idp": idp.slug, "via": via })),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        return start(state, idp, claims, account, via, next, client).await;
    }
    let email = email_of(claims);
    let nip = nip_of(idp, claims);
    let name = name_of(claims);
    let (id, fresh) = broker::upsert_signup(
        &mut db,
        &broker::NewSignup {
            idp_id: idp.id,
            sub: &sub,
            name: &name,
            email: email.as_ref().map(|(e, _)| e.as_str()),
            email_verified: email.as_ref().is_some_and(|(_, v)| *v),
            nip: nip.as_ref().map(Nip::as_str),
        },
        now,
    )
    .await?;
    if fresh {
        audit::record(
            &mut db,
            &audit::Entry {
                event: event::BROKER_SIGNUP_PENDING,
                ip: Some(&ip),
                details: Some(serde_json::json!({ "idp": idp.slug, "signup": id })),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(Outcome::Pending)
}

/// The credentials of `account` when it may sign in; otherwise the
/// refusal (pending or locked), recorded in the audit log.
async fn may_sign_in(
    state: &AppState,
    idp: &Idp,
    account: AccountId,
    client: &Client<'_>,
) -> Result<Result<accounts::Credentials, Outcome>, AppError> {
    let creds = accounts::credentials_by_id(&mut state.db(), account)
        .await?
        .ok_or_else(|| AppError::internal("a matched or linked account vanished"))?;
    let refusal = if creds.is_active() {
        return Ok(Ok(creds));
    } else if creds.status == "pending" {
        Refusal::AccountPending
    } else {
        Refusal::Locked
    };
    record_failure(
        state,
        Some(&idp.slug),
        refusal.code(),
        None,
        Some((creds.id, &creds.username)),
        client.ip,
    )
    .await?;
    Ok(Err(Outcome::Refused(refusal)))
}

/// Signs in to `account` (or starts the second step), as the password
/// sign-in does.
async fn start(
    state: &AppState,
    idp: &Idp,
    claims: &Map<String, Value>,
    account: AccountId,
    via: &str,
    next: &str,
    client: &Client<'_>,
) -> Result<Outcome, AppError> {
    let mut db = state.db();
    let now = Timestamp::now();
    let ip = client.ip.to_string();
    let creds = match may_sign_in(state, idp, account, client).await? {
        Ok(creds) => creds,
        Err(refused) => return Ok(refused),
    };
    let sub = text(claims, "sub").unwrap_or_default();
    broker::touch_link(&mut db, idp.id, sub, now).await?;
    let second =
        if mfa::is_enabled(&mut db, account).await? || webauthn::has_any(&mut db, account).await? {
            Some(mfa::Purpose::Verify)
        } else if crate::auth::mfa::required_by_role(state, account).await? {
            Some(mfa::Purpose::Enrol)
        } else {
            None
        };
    let upstream_acr = text(claims, "acr");
    let details = serde_json::json!({
        "idp": idp.slug, "via": via, "amr": AMR_FED, "upstream_acr": upstream_acr,
        "next_step": if second.is_some() { "second_factor" } else { "session" },
    });
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::BROKER_VERIFIED,
            actor: Some((account, &creds.username)),
            subject: Some((creds.id, &creds.username)),
            org_code: creds.org_code.as_deref(),
            ip: Some(&ip),
            details: Some(details.clone()),
            ..Default::default()
        },
    )
    .await?;
    if let Some(purpose) = second {
        let token = mfa::create_pending(
            &mut db,
            account,
            purpose,
            next,
            now,
            crate::auth::mfa::PENDING_TTL,
        )
        .await?;
        return Ok(Outcome::SecondStep(token));
    }
    let token = sessions::create(
        &mut db,
        &sessions::NewSession {
            account,
            expires_at: now.plus(state.config().session_ttl),
            auth_time: now,
            amr: AMR_FED,
            acr: None,
            ip: Some(&ip),
            user_agent: client.user_agent,
        },
    )
    .await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::LOGIN_SUCCEEDED,
            actor: Some((account, &creds.username)),
            subject: Some((creds.id, &creds.username)),
            org_code: creds.org_code.as_deref(),
            ip: Some(&ip),
            details: Some(details),
            ..Default::default()
        },
    )
    .await?;
    Ok(Outcome::Session(token))
}
