//! Signing in with a password.
//!
//! The same answer, and about the same time, for an unknown identifier and
//! a wrong password: unknown accounts are checked against a dummy hash of
//! the same cost, and throttling is keyed by the identifier as typed
//! (normalised), not by account, so a locked-out unknown name looks like a
//! locked-out real one.

use std::net::IpAddr;

use rumah_domain::identity::{AccountId, LoginId};
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::{accounts, mfa, sessions, throttle, webauthn};

use crate::auth::password::Verification;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug)]
pub enum LoginOutcome {
    Success {
        session_token: String,
        account: AccountId,
    },
    /// Unknown identifier or wrong password; deliberately indistinguishable.
    Invalid,
    /// Too many failures for this identifier or address.
    Throttled { retry_after_secs: u64 },
    /// Right password, but the account is locked or awaits approval.
    Inactive { pending: bool },
    /// Right password; a second factor is due before a session starts
    /// (`Verify`), or a role requires one the account lacks (`Enrol`).
    SecondStep {
        account: AccountId,
        purpose: mfa::Purpose,
    },
}

/// The throttle key of a client address. IPv6 clients are grouped by /64,
/// the block a single subscriber usually controls.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn identifier_key(login: Option<&LoginId>, raw: &str) -> String {
    match login {
        Some(l) => l.throttle_key(),
        None => format!(
            "login:x:{}",
            raw.trim()
                .to_lowercase()
                .chars()
                .take(100)
                .collect::<String>()
        ),
    }
}

pub async fn attempt(
    state: &AppState,
    identifier: &str,
    password: &str,
    ip: IpAddr,
    user_agent: Option<&str>,
) -> Result<LoginOutcome, AppError> {
    let config = state.config();
    let mut db = state.db();
    let now = Timestamp::now();
    let login = LoginId::parse(identifier);
    let id_key = identifier_key(login.as_ref(), identifier);
    let ip_key = address_key(ip);
    let ip_text = ip.to_string();

    if let Some(until) = throttle::locked_until(&mut db, &[&id_key, &ip_key], now).await? {
        let secs = u64::try_from((until.millis() - now.millis()).max(1000) / 1000).unwrap_or(1);
        return Ok(LoginOutcome::Throttled {
            retry_after_secs: secs,
        });
    }

    let creds = match &login {
        Some(l) => accounts::find_credentials(&mut db, l).await?,
        None => None,
    };
    let oversized = password.len() > config.password_policy.max_bytes;
    let stored = creds
        .as_ref()
        .and_then(|c| c.password_hash.as_deref())
        .filter(|_| !oversized);
    let verification = state.hasher().verify(password, stored).await;

    match (verification, creds) {
        (Verification::Valid { needs_rehash }, Some(c)) => {
            if !c.is_active() {
                audit::record(
                    &mut db,
                    &audit::Entry {
                        event: event::LOGIN_FAILED,
                        subject: Some((c.id, &c.username)),
                        org_code: c.org_code.as_deref(),
                        ip: Some(&ip_text),
                        details: Some(
                            serde_json::json!({ "reason": "inactive", "status": c.status }),
                        ),
                        ..Default::default()
                    },
                )
                .await?;
                return Ok(LoginOutcome::Inactive {
                    pending: c.status == "pending",
                });
            }
            if needs_rehash {
                let fresh = state.hasher().hash(password).await;
                accounts::set_password_hash(&mut db, c.account_id(), &fresh).await?;
            }
            throttle::clear(&mut db, &id_key).await?;
            if mfa::is_enabled(&mut db, c.account_id()).await?
                || webauthn::has_any(&mut db, c.account_id()).await?
            {
                return Ok(LoginOutcome::SecondStep {
                    account: c.account_id(),
                    purpose: mfa::Purpose::Verify,
                });
            }
            if crate::auth::mfa::required_by_role(state, c.account_id()).await? {
                return Ok(LoginOutcome::SecondStep {
                    account: c.account_id(),
                    purpose: mfa::Purpose::Enrol,
                });
            }
            let session_token = sessions::create(
                &mut db,
                &sessions::NewSession {
                    account: c.account_id(),
                    expires_at: now.plus(config.session_ttl),
                    auth_time: now,
                    amr: "pwd",
                    acr: None,
                    ip: Some(&ip_text),
                    user_agent,
                },
            )
            .await?;
            audit::record(
                &mut db,
                &audit::Entry {
                    event: event::LOGIN_SUCCEEDED,
                    actor: Some((c.account_id(), &c.username)),
                    subject: Some((c.id, &c.username)),
                    org_code: c.org_code.as_deref(),
                    ip: Some(&ip_text),
                    ..Default::default()
                },
            )
            .await?;
            Ok(LoginOutcome::Success {
                session_token,
                account: c.account_id(),
            })
        }
        (_, creds) => {
            let id_lock =
                throttle::record_failure(&mut db, &id_key, now, &config.throttle_login).await?;
            let ip_lock =
                throttle::record_failure(&mut db, &ip_key, now, &config.throttle_address).await?;
            // Name the attempt only when it looked like an identifier: people
            // sometimes type their password into the username box.
            let label = match (&creds, &login) {
                (Some(c), _) => Some(c.username.clone()),
                (None, Some(l)) => Some(match l {
                    LoginId::Username(u) => u.to_string(),
                    LoginId::Nip(n) => n.to_string(),
                    LoginId::Email(e) => e.to_string(),
                }),
                (None, None) => None,
            };
            let subject = label
                .as_deref()
                .map(|l| (creds.as_ref().map_or(0, |c| c.id), l));
            let org_code = creds.as_ref().and_then(|c| c.org_code.clone());
            audit::record(
                &mut db,
                &audit::Entry {
                    event: event::LOGIN_FAILED,
                    subject,
                    org_code: org_code.as_deref(),
                    ip: Some(&ip_text),
                    details: Some(serde_json::json!({ "reason": "invalid_credentials" })),
                    ..Default::default()
                },
            )
            .await?;
            if id_lock.is_some() || ip_lock.is_some() {
                audit::record(
                    &mut db,
                    &audit::Entry {
                        event: event::LOGIN_THROTTLED,
                        subject,
                        org_code: org_code.as_deref(),
                        ip: Some(&ip_text),
                        details: Some(serde_json::json!({
                            "identifier_locked": id_lock.is_some(),
                            "address_locked": ip_lock.is_some(),
                        })),
                        ..Default::default()
                    },
                )
                .await?;
            }
            Ok(LoginOutcome::Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_share_a_key_per_64_block() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        assert_eq!(address_key("10.1.2.3".parse().unwrap()), "ip:10.1.2.3");
    }
}
