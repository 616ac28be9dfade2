//! The audit log of security-relevant events.
//!
//! Entries name their actor and subject by id and by the label they had at
//! the time (entries outlive renames and deletions). Each entry carries the
//! org node it concerns; administrators see the entries inside their scope.

use rumah_domain::authz::{Permission, Scope};
use rumah_domain::identity::AccountId;
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::{Exec, SqlBuilder, StoreError, q};

/// Stable event codes. Filters and dashboards depend on them: add, never rename.
pub mod event {
    pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOGIN_THROTTLED: &str = "login.throttled";
    pub const LOGOUT: &str = "logout";
    pub const SESSIONS_REVOKED: &str = "sessions.revoked";
    pub const ACCOUNT_CREATED: &str = "account.created";
    pub const ACCOUNT_LOCKED: &str = "account.locked";
    pub const ACCOUNT_UNLOCKED: &str = "account.unlocked";
    pub const PASSWORD_CHANGED: &str = "password.changed";
    pub const ROLE_GRANTED: &str = "role.granted";
    pub const ROLE_REVOKED: &str = "role.revoked";
    pub const TOKEN_ISSUED: &str = "token.issued";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const ORG_CREATED: &str = "org.created";
    pub const ORG_RENAMED: &str = "org.renamed";
    /// The IID rules of a year (weights, levels, thresholds) were edited.
    pub const IID_RULES_CHANGED: &str = "iid_rules.changed";
    pub const IID_RULES_COPIED: &str = "iid_rules.copied";
    pub const OIDC_CLIENT_CREATED: &str = "oidc.client_created";
    pub const OIDC_CLIENT_DELETED: &str = "oidc.client_deleted";
    /// A client's settings were edited (`details`: what changed).
    pub const OIDC_CLIENT_UPDATED: &str = "oidc.client_updated";
    /// A client was given a new secret; the old one stopped working.
    pub const OIDC_CLIENT_SECRET_ROTATED: &str = "oidc.client_secret_rotated";
    /// Accounts were imported from a personnel list (counts in `details`).
    pub const ACCOUNTS_IMPORTED: &str = "accounts.imported";
    pub const OIDC_KEYS_ROTATED: &str = "oidc.keys_rotated";
    /// An authorization code presented a second time.
    pub const OIDC_CODE_REPLAYED: &str = "oidc.code_replayed";
    /// A rotated refresh token presented again; its family was revoked.
    pub const OIDC_REFRESH_REUSED: &str = "oidc.refresh_reused";
    /// A TOTP authenticator was confirmed (MFA turned on).
    pub const MFA_ENABLED: &str = "mfa.enabled";
    pub const MFA_DISABLED: &str = "mfa.disabled";
    pub const MFA_RECOVERY_REGENERATED: &str = "mfa.recovery_regenerated";
    /// A wrong, replayed or throttled second-factor code.
    pub const MFA_FAILED: &str = "mfa.failed";
    /// A recovery code was used to sign in.
    pub const MFA_RECOVERY_USED: &str = "mfa.recovery_used";
    /// A WebAuthn authenticator (passkey, security key) was registered.
    pub const WEBAUTHN_ADDED: &str = "webauthn.added";
    /// A WebAuthn authenticator was removed.
    pub const WEBAUTHN_REMOVED: &str = "webauthn.removed";
    /// A client sent the user to the end-session endpoint and the session ended.
    pub const OIDC_LOGOUT: &str = "oidc.logout";
    /// A back-channel logout token reached the client (2xx).
    pub const OIDC_BACKCHANNEL_DELIVERED: &str = "oidc.backchannel_delivered";
    /// A back-channel logout token was given up (it would have expired).
    pub const OIDC_BACKCHANNEL_FAILED: &str = "oidc.backchannel_failed";
    /// Someone asked for a password-reset link (for a known account or not;
    /// `details.outcome` says what happened, never shown to the requester).
    pub const PASSWORD_RESET_REQUESTED: &str = "password.reset_requested";
    /// A password was set through a reset link; every session ended.
    pub const PASSWORD_RESET_COMPLETED: &str = "password.reset_completed";
    /// A reset link was refused (unknown, expired, used) or its mail failed.
    pub const PASSWORD_RESET_FAILED: &str = "password.reset_failed";

    /// An upstream OpenID Connect provider was added for brokering.
    pub const BROKER_IDP_CREATED: &str = "broker.idp_created";
    /// An upstream provider was removed (with its links and sign-ups).
    pub const BROKER_IDP_DELETED: &str = "broker.idp_deleted";
    /// An upstream provider was enabled or disabled.
    pub const BROKER_IDP_CHANGED: &str = "broker.idp_changed";
    /// An upstream vouched for a user who has an account here (`details`:
    /// the IdP, `amr` `fed`, the upstream's `acr`, and what came next: a
    /// session or the second factor).
    pub const BROKER_VERIFIED: &str = "broker.verified";
    /// A sign-in through an upstream failed (`details.reason`); no session.
    pub const BROKER_LOGIN_FAILED: &str = "broker.login_failed";
    /// An upstream identity was linked to an account (`details.via`:
    /// `nip`, `email` or `approval`).
    pub const BROKER_LINKED: &str = "broker.linked";
    /// An upstream identity matched no account and waits for approval.
    pub const BROKER_SIGNUP_PENDING: &str = "broker.signup_pending";
    pub const BROKER_SIGNUP_APPROVED: &str = "broker.signup_approved";
    pub const BROKER_SIGNUP_REJECTED: &str = "broker.signup_rejected";

    pub const ALL: &[&str] = &[
        LOGIN_SUCCEEDED,
        LOGIN_FAILED,
        LOGIN_THROTTLED,
        LOGOUT,
        SESSIONS_REVOKED,
        ACCOUNT_CREATED,
        ACCOUNT_LOCKED,
        ACCOUNT_UNLOCKED,
        PASSWORD_CHANGED,
        ROLE_GRANTED,
        ROLE_REVOKED,
        TOKEN_ISSUED,
        TOKEN_REVOKED,
        ORG_CREATED,
        ORG_RENAMED,
        IID_RULES_CHANGED,
        IID_RULES_COPIED,
        OIDC_CLIENT_CREATED,
        OIDC_CLIENT_DELETED,
        OIDC_CLIENT_UPDATED,
        OIDC_CLIENT_SECRET_ROTATED,
        ACCOUNTS_IMPORTED,
        OIDC_KEYS_ROTATED,
        OIDC_CODE_REPLAYED,
        OIDC_REFRESH_REUSED,
        OIDC_LOGOUT,
        OIDC_BACKCHANNEL_DELIVERED,
        OIDC_BACKCHANNEL_FAILED,
        MFA_ENABLED,
        MFA_DISABLED,
        MFA_RECOVERY_REGENERATED,
        MFA_FAILED,
        MFA_RECOVERY_USED,
        WEBAUTHN_ADDED,
        WEBAUTHN_REMOVED,
        PASSWORD_RESET_REQUESTED,
        PASSWORD_RESET_COMPLETED,
        PASSWORD_RESET_FAILED,
        BROKER_IDP_CREATED,
        BROKER_IDP_DELETED,
        BROKER_IDP_CHANGED,
        BROKER_VERIFIED,
        BROKER_LOGIN_FAILED,
        BROKER_LINKED,
        BROKER_SIGNUP_PENDING,
        BROKER_SIGNUP_APPROVED,
        BROKER_SIGNUP_REJECTED,
    ];
}

/// One event to record.
#[derive(Debug, Clone, Default)]
pub struct Entry<'a> {
    pub event: &'static str,
    pub actor: Option<(AccountId, &'a str)>,
    pub subject: Option<(i64, &'a str)>,
    pub org_code: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    /// Extra facts as JSON; never secrets, tokens or passwords.
    pub details: Option<serde_json::Value>,
}

pub async fn record(ex: &mut impl Exec, e: &Entry<'_>) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO audit_log (at, event, actor_id, actor_label, subject_id, subject_label, org_code, client_id, ip, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        Timestamp::now(),
        e.event,
        e.actor.map(|(id, _)| id.0),
        e.actor.map(|(_, label)| label),
        e.subject.map(|(id, _)| id),
        e.subject.map(|(_, label)| label),
        e.org_code,
        e.client_id,
        e.ip,
        e.details.as_ref().map(serde_json::Value::to_string)
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub event: Option<String>,
    /// Matches the actor's or the subject's label (a username).
    pub user: Option<String>,
    pub client_id: Option<String>,
    /// Keyset pagination: only entries with a smaller id.
    pub before_id: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub event: String,
    pub actor_label: Option<String>,
    pub subject_label: Option<String>,
    pub org_code: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub details: Option<String>,
}

/// Entries inside `scope`, newest first.
pub async fn list(
    ex: &mut impl Exec,
    scope: &Scope,
    f: &Filter,
) -> Result<Vec<AuditRecord>, StoreError> {
    debug_assert_eq!(scope.permission(), Permission::ViewAudit);
    let mut b = SqlBuilder::new(
        "SELECT id, at, event, actor_label, subject_label, org_code, client_id, ip, details FROM audit_log WHERE ",
    );
    b.push_scope("org_code", scope);
    if let Some(event) = f.event.as_deref().filter(|e| !e.is_empty()) {
        b.push(" AND event = ").bind(event);
    }
    if let Some(user) = f.user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        let user = user.to_lowercase();
        b.push(" AND (actor_label = ")
            .bind(user.clone())
            .push(" OR subject_label = ")
            .bind(user)
            .push(")");
    }
    if let Some(client) = f.client_id.as_deref().filter(|c| !c.is_empty()) {
        b.push(" AND client_id = ").bind(client);
    }
    if let Some(before) = f.before_id {
        b.push(" AND id < ").bind(before);
    }
    b.push(" ORDER BY id DESC LIMIT ")
        .bind(f.limit.clamp(1, 500));
    ex.fetch_all(b.build()).await
}
