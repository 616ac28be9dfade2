//! WebAuthn / passkeys as a second factor, through `webauthn-rs` (kanidm).
//!
//! The relying party is the configured public URL: its host is the RP id
//! and its origin the only accepted origin. A public URL whose host is an
//! IP address cannot be an RP id (browsers refuse it too), so there the
//! feature is simply not offered.
//!
//! Every ceremony's state stays on the server (`webauthn_challenges`),
//! bound to what it is for: the session that registers a key, the pending
//! sign-in, or the session that steps up. Answering takes (deletes) the
//! state first, so a challenge is answered at most once and a replayed
//! assertion finds nothing to match; webauthn-rs also refuses a sign
//! counter that did not grow. Failures count against the same back-off as
//! wrong TOTP codes and are audited (`mfa.failed`, `kind` `webauthn`).

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rumah_domain::identity::AccountId;
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::{throttle, webauthn as store};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid, Webauthn, WebauthnBuilder,
};

use crate::auth::mfa::Verdict;
use crate::config::WebConfig;
use crate::error::AppError;
use crate::state::AppState;

/// The `amr` (RFC 8176) of a session whose second factor was WebAuthn:
/// `hwk`, proof of possession of a hardware-secured key.
pub const AMR_WEBAUTHN: &str = "pwd hwk";
/// How long a challenge may be answered.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);
/// The longest name of a key.
pub const NAME_MAX_CHARS: usize = 64;
/// The largest credential (JSON) accepted from a browser.
pub const CREDENTIAL_MAX_BYTES: usize = 16 * 1024;
const RP_NAME: &str = "Satu Akun Jatim";

/// The relying party of the configured public URL, `None` where WebAuthn
/// cannot work (an IP address as host).
pub fn relying_party(config: &WebConfig) -> Option<Webauthn> {
    let url = &config.public_url;
    let host = url.domain()?;
    WebauthnBuilder::new(host, url)
        .and_then(|b| b.rp_name(RP_NAME).timeout(CHALLENGE_TTL).build())
        .map_err(|e| tracing::warn!(error = %e, "WebAuthn unavailable for this public URL"))
        .ok()
}

/// The WebAuthn user handle of an account: stable, and not the bare id.
fn user_handle(account: AccountId) -> Uuid {
    Uuid::from_u64_pair(0x7275_6d61_6821_0000, account.0.cast_unsigned())
}

pub fn registration_binding(session_id: i64) -> String {
    format!("reg:{session_id}")
}

pub fn login_binding(pending_id: i64) -> String {
    format!("login:{pending_id}")
}

pub fn step_up_binding(session_id: i64) -> String {
    format!("stepup:{session_id}")
}

/// The base64url id of a credential (how it is stored and looked up).
pub fn credential_id_text(pk: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(pk.cred_id())
}

/// The counter and backup flags of a credential, read from its serialised
/// form (webauthn-rs keeps them private; they are stored for display).
fn counters(json: &str) -> (i64, bool, bool) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let c = &v["cred"];
    (
        c["counter"].as_i64().unwrap_or(0),
        c["backup_eligible"].as_bool().unwrap_or(false),
        c["backup_state"].as_bool().unwrap_or(false),
    )
}

fn passkeys(creds: &[store::Credential]) -> Result<Vec<Passkey>, AppError> {
    creds
        .iter()
        .map(|c| serde_json::from_str(&c.passkey).map_err(AppError::internal))
        .collect()
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(AppError::internal)
}

/// Starts a registration for the signed-in `account` (its other keys are
/// excluded); returns the options for `navigator.credentials.create`, or
/// `None` where WebAuthn is unavailable.
pub async fn begin_registration(
    state: &AppState,
    account: AccountId,
    username: &str,
    display_name: &str,
    session_id: i64,
) -> Result<Option<String>, AppError> {
    let Some(rp) = relying_party(state.config()) else {
        return Ok(None);
    };
    let mut db = state.db();
    let existing = passkeys(&store::list(&mut db, account).await?)?;
    let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
    let (options, reg) = rp
        .start_passkey_registration(user_handle(account), username, display_name, Some(exclude))
        .map_err(AppError::internal)?;
    store::put_challenge(
        &mut db,
        &registration_binding(session_id),
        account,
        &to_json(&reg)?,
        Timestamp::now(),
        CHALLENGE_TTL,
    )
    .await?;
    Ok(Some(to_json(&options)?))
}

/// Why a registration or a sign-in answer was refused; each is a message
/// key and a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Not JSON of the expected shape, or too large (422, nothing changed).
    Malformed,
    /// The key name is empty, too long or has control characters (422).
    BadName,
    /// No live challenge for this answer (expired, used, never made).
    NoChallenge,
    /// The authenticator's answer did not verify.
    Rejected,
    /// The key is already registered.
    Duplicate,
    /// WebAuthn is not available on this server.
    Unavailable,
}

impl Problem {
    pub fn key(self) -> &'static str {
        match self {
            Self::Malformed => "webauthn.malformed",
            Self::BadName => "webauthn.name_invalid",
            Self::NoChallenge => "webauthn.expired",
            Self::Rejected => "webauthn.rejected",
            Self::Duplicate => "webauthn.duplicate",
            Self::Unavailable => "webauthn.unavailable",
        }
    }

    pub fn status(self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::Malformed | Self::BadName => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NoChallenge | Self::Duplicate => StatusCode::CONFLICT,
            Self::Rejected => StatusCode::UNAUTHORIZED,
            Self::Unavailable => StatusCode::NOT_FOUND,
        }
    }
}

/// A key's name as typed: trimmed, 1 to 64 characters, no control
/// characters.
pub fn parse_name(raw: &str) -> Result<String, Problem> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > NAME_MAX_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(Problem::BadName);
    }
    Ok(name.to_owned())
}

fn parse_credential<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, Problem> {
    if raw.len() > CREDENTIAL_MAX_BYTES {
        return Err(Problem::Malformed);
    }
    serde_json::from_str(raw).map_err(|_| Problem::Malformed)
}

async fn audit_failure(
    state: &AppState,
    account: AccountId,
    username: &str,
    ip: IpAddr,
    kind: &str,
    reason: &str,
) -> Result<(), AppError> {
    audit::record(
        &mut state.db(),
        &audit::Entry {
            event: event::MFA_FAILED,
            subject: Some((account.0, username)),
            ip: Some(&ip.to_string()),
            details: Some(serde_json::json!({ "kind": kind, "reason": reason })),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Finishes a registration: checks the answer against the session's
/// challenge and stores the key under `raw_name`.
pub async fn finish_registration(
    state: &AppState,
    account: AccountId,
    username: &str,
    session_id: i64,
    raw_name: &str,
    raw_credential: &str,
    ip: IpAddr,
) -> Result<Result<(), Problem>, AppError> {
    let Some(rp) = relying_party(state.config()) else {
        return Ok(Err(Problem::Unavailable));
    };
    let name = match parse_name(raw_name) {
        Ok(n) => n,
        Err(p) => return Ok(Err(p)),
    };
    let credential: RegisterPublicKeyCredential = match parse_credential(raw_credential) {
        Ok(c) => c,
        Err(p) => return Ok(Err(p)),
    };
    let mut db = state.db();
    let now = Timestamp::now();
    let Some(reg) =
        store::take_challenge(&mut db, &registration_binding(session_id), account, now).await?
    else {
        return Ok(Err(Problem::NoChallenge));
    };
    let reg: PasskeyRegistration = serde_json::from_str(&reg).map_err(AppError::internal)?;
    let passkey = match rp.finish_passkey_registration(&credential, &reg) {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(error = %e, "WebAuthn registration rejected");
            audit_failure(
                state,
                account,
                username,
                ip,
                "webauthn_registration",
                "rejected",
            )
            .await?;
            return Ok(Err(Problem::Rejected));
        }
    };
    let json = to_json(&passkey)?;
    let (sign_count, backup_eligible, backup_state) = counters(&json);
    let credential_id = credential_id_text(&passkey);
    let added = store::add(
        &mut db,
        &store::NewCredential {
            account,
            credential_id: &credential_id,
            name: &name,
            passkey: &json,
            sign_count,
            backup_eligible,
            backup_state,
        },
        now,
    )
    .await?;
    if !added {
        return Ok(Err(Problem::Duplicate));
    }
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::WEBAUTHN_ADDED,
            actor: Some((account, username)),
            subject: Some((account.0, username)),
            ip: Some(&ip.to_string()),
            details: Some(serde_json::json!({
                "name": name,
                "credential_id": credential_id,
                "backup_eligible": backup_eligible,
            })),
            ..Default::default()
        },
    )
    .await?;
    Ok(Ok(()))
}

/// Starts a sign-in (or step-up) with the account's keys under `binding`;
/// the options for `navigator.credentials.get`, or `None` if the account
/// has no key (or WebAuthn is unavailable).
pub async fn begin_authentication(
    state: &AppState,
    account: AccountId,
    binding: &str,
) -> Result<Option<String>, AppError> {
    let Some(rp) = relying_party(state.config()) else {
        return Ok(None);
    };
    let mut db = state.db();
    let keys = passkeys(&store::list(&mut db, account).await?)?;
    if keys.is_empty() {
        return Ok(None);
    }
    let (options, auth) = rp
        .start_passkey_authentication(&keys)
        .map_err(AppError::internal)?;
    store::put_challenge(
        &mut db,
        binding,
        account,
        &to_json(&auth)?,
        Timestamp::now(),
        CHALLENGE_TTL,
    )
    .await?;
    Ok(Some(to_json(&options)?))
}

/// The outcome of answering a sign-in challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted, wrong (counted) or throttled, as for TOTP codes.
    Checked(Verdict),
    /// Not even checked (malformed; nothing changed).
    Refused(Problem),
}

/// Checks an assertion of one of `account`'s keys against the challenge
/// under `binding`, with back-off and audit.
pub async fn verify(
    state: &AppState,
    account: AccountId,
    username: &str,
    binding: &str,
    raw_credential: &str,
    ip: IpAddr,
) -> Result<Outcome, AppError> {
    let Some(rp) = relying_party(state.config()) else {
        return Ok(Outcome::Refused(Problem::Unavailable));
    };
    let mut db = state.db();
    let now = Timestamp::now();
    let key = format!("mfa:{}", account.0);
    let ip_key = crate::auth::login::address_key(ip);
    if let Some(until) = throttle::locked_until(&mut db, &[&key, &ip_key], now).await? {
        let secs = u64::try_from((until.millis() - now.millis()).max(1000) / 1000).unwrap_or(1);
        return Ok(Outcome::Checked(Verdict::Throttled {
            retry_after_secs: secs,
        }));
    }
    let credential: PublicKeyCredential = match parse_credential(raw_credential) {
        Ok(c) => c,
        Err(p) => return Ok(Outcome::Refused(p)),
    };
    let checked = match store::take_challenge(&mut db, binding, account, now).await? {
        None => Err("no_challenge"),
        Some(s) => {
            let auth: PasskeyAuthentication =
                serde_json::from_str(&s).map_err(AppError::internal)?;
            match rp.finish_passkey_authentication(&credential, &auth) {
                Ok(result) => Ok(result),
                Err(e) => {
                    tracing::info!(error = %e, "WebAuthn assertion rejected");
                    Err("rejected")
                }
            }
        }
    };
    let stored = match checked {
        Ok(result) => {
            let creds = store::list(&mut db, account).await?;
            let mut found = None;
            for c in creds {
                let mut pk: Passkey =
                    serde_json::from_str(&c.passkey).map_err(AppError::internal)?;
                if pk.update_credential(&result).is_some() {
                    found = Some((c.id, pk));
                    break;
                }
            }
            found.ok_or("unknown_credential")
        }
        Err(reason) => Err(reason),
    };
    match stored {
        Ok((id, pk)) => {
            let json = to_json(&pk)?;
            let (count, _, backup_state) = counters(&json);
            store::record_use(&mut db, id, &json, count, backup_state, now).await?;
            throttle::clear(&mut db, &key).await?;
            Ok(Outcome::Checked(Verdict::Accepted("webauthn")))
        }
        Err(reason) => {
            let lock = throttle::record_failure(&mut db, &key, now, &state.config().throttle_login)
                .await?;
            let ip_lock =
                throttle::record_failure(&mut db, &ip_key, now, &state.config().throttle_address)
                    .await?;
            audit::record(
                &mut db,
                &audit::Entry {
                    event: event::MFA_FAILED,
                    subject: Some((account.0, username)),
                    ip: Some(&ip.to_string()),
                    details: Some(serde_json::json!({
                        "kind": "webauthn",
                        "reason": reason,
                        "locked": lock.is_some() || ip_lock.is_some(),
                    })),
                    ..Default::default()
                },
            )
            .await?;
            Ok(Outcome::Checked(Verdict::Wrong))
        }
    }
}

/// Removes one of the account's keys (the caller has checked the
/// password); false if it is not the account's.
pub async fn remove(
    state: &AppState,
    account: AccountId,
    username: &str,
    id: i64,
    ip: IpAddr,
) -> Result<bool, AppError> {
    let mut db = state.db();
    let Some(name) = store::remove(&mut db, account, id).await? else {
        return Ok(false);
    };
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::WEBAUTHN_REMOVED,
            actor: Some((account, username)),
            subject: Some((account.0, username)),
            ip: Some(&ip.to_string()),
            details: Some(serde_json::json!({ "id": id, "name": name })),
            ..Default::default()
        },
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  YubiKey 5 ").unwrap(), "YubiKey 5");
        assert_eq!(parse_name("   "), Err(Problem::BadName));
        assert_eq!(parse_name(&"k".repeat(65)), Err(Problem::BadName));
        assert_eq!(parse_name("a\u{0}b"), Err(Problem::BadName));
        assert!(parse_name(&"é".repeat(64)).is_ok());
    }

    #[test]
    fn the_relying_party_needs_a_domain() {
        let c = WebConfig::for_public_url("https://akun.jatimprov.go.id/".parse().unwrap());
        assert!(relying_party(&c).is_some());
        let c = WebConfig::for_public_url("http://localhost:8080".parse().unwrap());
        assert!(relying_party(&c).is_some());
        let c = WebConfig::for_public_url("http://127.0.0.1:8080".parse().unwrap());
        assert!(relying_party(&c).is_none());
    }
}
