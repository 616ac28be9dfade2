//! `/akun/mfa` (its WebAuthn part): the signed-in user's passkeys and
//! security keys. The page carries a registration challenge bound to the
//! session; the browser's answer comes back with a name for the key.
//! Removing a key needs the password. Every action concerns the session's
//! own account: a key id of another account is "not found".

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::time::Timestamp;
use rumah_store::identity::{accounts, mfa, throttle, webauthn as store};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::auth::mfa as totp;
use crate::auth::password::Verification;
use crate::auth::webauthn;
use crate::error::{AppError, AppResult};
use crate::extract::{Ctx, FormData, safe_return_path};
use crate::middleware::RequestCtx;
use crate::pages::format_time;
use crate::routes::account::mfa::{PAGE, Refusal, page};
use crate::state::AppState;

pub const ADD: &str = "/akun/mfa/kunci";
pub const REMOVE: &str = "/akun/mfa/kunci/{id}/hapus";

/// A registered key as the account page lists it.
pub struct KeyView {
    pub id: i64,
    pub name: String,
    pub added: String,
    pub last_used: Option<String>,
    /// Synced to other devices (a backed-up passkey).
    pub synced: bool,
}

/// The WebAuthn part of the account page.
pub struct Section {
    pub keys: Vec<KeyView>,
    /// Options for `navigator.credentials.create`; `None` where WebAuthn
    /// is unavailable (the public URL has no domain name).
    pub options: Option<String>,
}

/// The user's keys and a fresh registration challenge for this session.
pub async fn section(state: &AppState, user: &CurrentUser, ctx: &RequestCtx) -> AppResult<Section> {
    let account = user.account();
    let keys = store::list(&mut state.db(), account)
        .await?
        .into_iter()
        .map(|c| KeyView {
            id: c.id,
            name: c.name,
            added: format_time(Timestamp(c.created_at), ctx.lang),
            last_used: c.last_used_at.map(|t| format_time(Timestamp(t), ctx.lang)),
            synced: c.backup_state,
        })
        .collect();
    let options = webauthn::begin_registration(
        state,
        account,
        &user.info.username,
        &user.info.display_name,
        user.info.session_id,
    )
    .await?;
    Ok(Section { keys, options })
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    /// The `PublicKeyCredential` from `navigator.credentials.create`, as
    /// JSON.
    #[serde(default)]
    credential: String,
    next: Option<String>,
}

/// `POST /akun/mfa/kunci`: registers a key; like confirming TOTP, the
/// session counts as having used a second factor from now on.
pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<AddForm>,
) -> AppResult<Response> {
    let next = form
        .next
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| safe_return_path(Some(n)))
        .unwrap_or_default();
    let account = user.account();
    match webauthn::finish_registration(
        &state,
        account,
        &user.info.username,
        user.info.session_id,
        &form.name,
        &form.credential,
        ctx.client_ip,
    )
    .await?
    {
        Ok(()) => {
            if !totp::has_second_factor(&user.info.amr) {
                mfa::mark_session(
                    &mut state.db(),
                    user.info.session_id,
                    webauthn::AMR_WEBAUTHN,
                    totp::ACR_MFA,
                    Timestamp::now(),
                )
                .await?;
            }
            let to = if next.is_empty() { PAGE } else { &next };
            Ok(Redirect::to(to).into_response())
        }
        Err(p) => {
            let r = Refusal::new(p.status(), p.key());
            page(&state, &user, &ctx, next, Some(r)).await
        }
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    password: String,
}

/// `POST /akun/mfa/kunci/{id}/hapus`: removes a key, with the password.
/// The last second factor of an account whose role requires MFA stays.
pub async fn remove(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<RemoveForm>,
) -> AppResult<Response> {
    let account = user.account();
    let mut db = state.db();
    let keys = store::list(&mut db, account).await?;
    if !keys.iter().any(|k| k.id == id) {
        return Err(AppError::not_found());
    }
    if keys.len() == 1
        && !mfa::is_enabled(&mut db, account).await?
        && totp::required_by_role(&state, account).await?
    {
        let r = Refusal::new(StatusCode::FORBIDDEN, "webauthn.last_required");
        return page(&state, &user, &ctx, String::new(), Some(r)).await;
    }
    let now = Timestamp::now();
    let key = format!("mfa:{}", account.0);
    if let Some(until) = throttle::locked_until(&mut db, &[&key], now).await? {
        let secs = u64::try_from((until.millis() - now.millis()).max(1000) / 1000).unwrap_or(1);
        return page(
            &state,
            &user,
            &ctx,
            String::new(),
            Some(Refusal::throttled(secs)),
        )
        .await;
    }
    let creds = accounts::credentials_by_id(&mut db, account)
        .await?
        .ok_or_else(AppError::not_found)?;
    let password_ok = form.password.len() <= state.config().password_policy.max_bytes
        && state
            .hasher()
            .verify(&form.password, creds.password_hash.as_deref())
            .await
            != Verification::Invalid;
    if !password_ok {
        throttle::record_failure(&mut db, &key, now, &state.config().throttle_login).await?;
        let r = Refusal::new(StatusCode::UNAUTHORIZED, "mfa.password_wrong");
        return page(&state, &user, &ctx, String::new(), Some(r)).await;
    }
    throttle::clear(&mut db, &key).await?;
    if !webauthn::remove(&state, account, &user.info.username, id, ctx.client_ip).await? {
        return Err(AppError::not_found());
    }
    Ok(Redirect::to(PAGE).into_response())
}
