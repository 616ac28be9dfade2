//! `/akun/mfa`: the signed-in user's second factor. Enrolment shows a QR
//! code and the secret in base32 and takes effect only with a correct code;
//! the ten recovery codes are shown once, then only their hashes remain.
//! Regenerating the recovery codes needs a current code; turning MFA off
//! needs the password and a current code. Every action concerns the
//! session's own account (no account id is ever taken from the request).

use std::net::IpAddr;

use axum::extract::State;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::identity::AccountId;
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::{accounts, mfa, throttle};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::auth::mfa::{self as totp, CodeInput, Verdict};
use crate::auth::password::Verification;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams, safe_return_path};
use crate::middleware::RequestCtx;
use crate::pages::render_with;
use crate::state::AppState;

pub const PAGE: &str = "/akun/mfa";
pub const ENABLE: &str = "/akun/mfa/aktifkan";
pub const REGENERATE: &str = "/akun/mfa/kode-pemulihan";
pub const DISABLE: &str = "/akun/mfa/nonaktifkan";

/// An unconfirmed secret is offered again for this long (a reload of the
/// page after scanning keeps the same secret), then replaced.
const ENROLMENT_REUSE_MS: i64 = 3_600_000;

/// What enrolment shows: the QR code and the secret for manual entry.
pub struct Enrolment {
    /// Inline SVG made here (no user input in it).
    pub qr_svg: String,
    /// The base32 secret in groups of four.
    pub secret: String,
}

/// The enrolment of `account`: its unconfirmed secret if recent, else a new
/// one. `None` if the account already has a confirmed authenticator.
pub async fn enrolment(
    state: &AppState,
    account: AccountId,
    username: &str,
) -> AppResult<Option<Enrolment>> {
    let mut db = state.db();
    let now = Timestamp::now();
    let current = mfa::totp(&mut db, account).await?;
    let secret = match current {
        Some(t) if t.is_confirmed() => return Ok(None),
        Some(t) if now.millis() - t.created_at < ENROLMENT_REUSE_MS => {
            totp::open_secret(state.kek(), account, &t.secret)?
        }
        _ => {
            let secret = totp::new_secret();
            let sealed = totp::seal_secret(state.kek(), account, &secret)?;
            if !mfa::start_enrolment(&mut db, account, &sealed, now).await? {
                return Ok(None);
            }
            secret.to_vec()
        }
    };
    let b32 = totp::base32(&secret);
    let grouped = b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Some(Enrolment {
        qr_svg: totp::qr_svg(&totp::otpauth_uri(username, &b32))?,
        secret: grouped,
    }))
}

/// A refusal to show with the form again.
pub struct Refusal {
    pub status: StatusCode,
    pub msg: Msg,
    pub retry_after: Option<u64>,
}

impl Refusal {
    pub fn new(status: StatusCode, key: &'static str) -> Self {
        Self {
            status,
            msg: Msg::new(key),
            retry_after: None,
        }
    }

    pub fn throttled(secs: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            msg: Msg::new("error.rate_limited").arg("minutes", secs.div_ceil(60).max(1)),
            retry_after: Some(secs),
        }
    }

    /// Adds `Retry-After` to a rendered page when throttled.
    pub fn finish(&self, mut res: Response) -> Response {
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(RETRY_AFTER, v);
        }
        res
    }
}

/// Parses a code field; a malformed one is 422 in the user's language.
pub fn parse(raw: &str, allow_recovery: bool) -> Result<CodeInput, Refusal> {
    totp::parse_code(raw, allow_recovery)
        .map_err(|p| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, p.key()))
}

/// Checks a code of a confirmed authenticator: `Ok(method)` or a refusal.
pub async fn check(
    state: &AppState,
    account: AccountId,
    username: &str,
    input: &CodeInput,
    ip: IpAddr,
) -> AppResult<Result<&'static str, Refusal>> {
    Ok(
        match totp::verify(state, account, username, input, ip).await? {
            Verdict::Accepted(m) => Ok(m),
            Verdict::Wrong => Err(Refusal::new(StatusCode::UNAUTHORIZED, "mfa.code_wrong")),
            Verdict::Throttled { retry_after_secs } => Err(Refusal::throttled(retry_after_secs)),
        },
    )
}

/// Confirms a pending enrolment with its first code; returns the new
/// recovery codes (to show once).
pub async fn confirm_enrolment(
    state: &AppState,
    account: AccountId,
    username: &str,
    raw_code: &str,
    ip: IpAddr,
) -> AppResult<Result<Vec<String>, Refusal>> {
    let input = match parse(raw_code, false) {
        Ok(i) => i,
        Err(r) => return Ok(Err(r)),
    };
    let CodeInput::Totp(code) = input else {
        return Ok(Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mfa.code_malformed",
        )));
    };
    let mut db = state.db();
    let now = Timestamp::now();
    let key = format!("mfa:{}", account.0);
    if let Some(until) = throttle::locked_until(&mut db, &[&key], now).await? {
        let secs = u64::try_from((until.millis() - now.millis()).max(1000) / 1000).unwrap_or(1);
        return Ok(Err(Refusal::throttled(secs)));
    }
    let Some(t) = mfa::totp(&mut db, account)
        .await?
        .filter(|t| !t.is_confirmed())
    else {
        return Ok(Err(Refusal::new(StatusCode::CONFLICT, "mfa.no_enrolment")));
    };
    let secret = totp::open_secret(state.kek(), account, &t.secret)?;
    let confirmed = match totp::matching_step(&secret, &code, now.millis() / 1000) {
        Some(step) => mfa::confirm(&mut db, account, step, now).await?,
        None => false,
    };
    if !confirmed {
        throttle::record_failure(&mut db, &key, now, &state.config().throttle_login).await?;
        audit::record(
            &mut db,
            &audit::Entry {
                event: event::MFA_FAILED,
                subject: Some((account.0, username)),
                ip: Some(&ip.to_string()),
                details: Some(serde_json::json!({ "kind": "enrolment" })),
                ..Default::default()
            },
        )
        .await?;
        return Ok(Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "mfa.code_wrong",
        )));
    }
    throttle::clear(&mut db, &key).await?;
    let (codes, hashes) = totp::new_recovery_codes(account);
    mfa::replace_recovery_codes(&mut db, account, &hashes, now).await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::MFA_ENABLED,
            actor: Some((account, username)),
            subject: Some((account.0, username)),
            ip: Some(&ip.to_string()),
            ..Default::default()
        },
    )
    .await?;
    Ok(Ok(codes))
}

#[derive(askama::Template)]
#[template(path = "account/mfa.html")]
struct MfaPage<'a> {
    ctx: &'a RequestCtx,
    enabled: bool,
    required: bool,
    codes_left: String,
    enrol: Option<Enrolment>,
    next: String,
    error: Option<String>,
    webauthn: super::webauthn::Section,
}

/// The recovery codes, shown once, and where to go on.
#[derive(askama::Template)]
#[template(path = "account/mfa_codes.html")]
pub struct CodesPage<'a> {
    pub ctx: &'a RequestCtx,
    pub codes: Vec<String>,
    pub next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub(super) async fn page(
    state: &AppState,
    user: &CurrentUser,
    ctx: &RequestCtx,
    next: String,
    refusal: Option<Refusal>,
) -> AppResult<Response> {
    let account = user.account();
    let enrol = enrolment(state, account, &user.info.username).await?;
    let enabled = enrol.is_none();
    let codes_left = if enabled {
        mfa::recovery_codes_left(&mut state.db(), account).await?
    } else {
        0
    };
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| r.status);
    let res = render_with(
        status,
        &MfaPage {
            ctx,
            enabled,
            required: totp::required_by_role(state, account).await?,
            codes_left: codes_left.to_string(),
            enrol,
            next,
            error: refusal.as_ref().map(|r| r.msg.render(ctx.lang)),
            webauthn: super::webauthn::section(state, user, ctx).await?,
        },
    )?;
    Ok(match refusal {
        Some(r) => r.finish(res),
        None => res,
    })
}

/// `GET /akun/mfa`
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    QueryParams(q): QueryParams<NextQuery>,
) -> AppResult<Response> {
    let next = q
        .next
        .as_deref()
        .map(|n| safe_return_path(Some(n)))
        .unwrap_or_default();
    page(&state, &user, &ctx, next, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

fn next_of(form: &CodeForm) -> String {
    form.next
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| safe_return_path(Some(n)))
        .unwrap_or_default()
}

/// `POST /akun/mfa/aktifkan`: confirms enrolment with a code; the session
/// counts as having used both factors from now on.
pub async fn enable(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<CodeForm>,
) -> AppResult<Response> {
    let next = next_of(&form);
    let account = user.account();
    match confirm_enrolment(
        &state,
        account,
        &user.info.username,
        &form.code,
        ctx.client_ip,
    )
    .await?
    {
        Ok(codes) => {
            mfa::mark_session(
                &mut state.db(),
                user.info.session_id,
                totp::AMR_MFA,
                totp::ACR_MFA,
                Timestamp::now(),
            )
            .await?;
            render_with(
                StatusCode::OK,
                &CodesPage {
                    ctx: &ctx,
                    codes,
                    next: if next.is_empty() {
                        PAGE.to_owned()
                    } else {
                        next
                    },
                },
            )
        }
        Err(r) if r.status == StatusCode::CONFLICT => Ok(Redirect::to(PAGE).into_response()),
        Err(r) => page(&state, &user, &ctx, next, Some(r)).await,
    }
}

/// `POST /akun/mfa/kode-pemulihan`: new recovery codes (the old ones stop
/// working), with a current code.
pub async fn regenerate(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<CodeForm>,
) -> AppResult<Response> {
    let account = user.account();
    let username = user.info.username.clone();
    if !mfa::is_enabled(&mut state.db(), account).await? {
        return Ok(Redirect::to(PAGE).into_response());
    }
    let input = match parse(&form.code, false) {
        Ok(i) => i,
        Err(r) => return page(&state, &user, &ctx, String::new(), Some(r)).await,
    };
    if let Err(r) = check(&state, account, &username, &input, ctx.client_ip).await? {
        return page(&state, &user, &ctx, String::new(), Some(r)).await;
    }
    let (codes, hashes) = totp::new_recovery_codes(account);
    let mut db = state.db();
    mfa::replace_recovery_codes(&mut db, account, &hashes, Timestamp::now()).await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::MFA_RECOVERY_REGENERATED,
            actor: Some((account, &username)),
            subject: Some((account.0, &username)),
            ip: Some(&ctx.client_ip.to_string()),
            ..Default::default()
        },
    )
    .await?;
    render_with(
        StatusCode::OK,
        &CodesPage {
            ctx: &ctx,
            codes,
            next: PAGE.to_owned(),
        },
    )
}

/// `POST /akun/mfa/nonaktifkan`: turns MFA off with the password and a
/// current code; refused while a role of the account requires MFA.
pub async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<CodeForm>,
) -> AppResult<Response> {
    let account = user.account();
    let username = user.info.username.clone();
    if !mfa::is_enabled(&mut state.db(), account).await? {
        return Ok(Redirect::to(PAGE).into_response());
    }
    if totp::required_by_role(&state, account).await? {
        let r = Refusal::new(StatusCode::FORBIDDEN, "mfa.required_cannot_disable");
        return page(&state, &user, &ctx, String::new(), Some(r)).await;
    }
    let input = match parse(&form.code, false) {
        Ok(i) => i,
        Err(r) => return page(&state, &user, &ctx, String::new(), Some(r)).await,
    };
    let mut db = state.db();
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
        // A wrong password counts against the same back-off as wrong codes.
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
        throttle::record_failure(&mut db, &key, now, &state.config().throttle_login).await?;
        let r = Refusal::new(StatusCode::UNAUTHORIZED, "mfa.password_wrong");
        return page(&state, &user, &ctx, String::new(), Some(r)).await;
    }
    if let Err(r) = check(&state, account, &username, &input, ctx.client_ip).await? {
        return page(&state, &user, &ctx, String::new(), Some(r)).await;
    }
    mfa::disable(&mut db, account).await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::MFA_DISABLED,
            actor: Some((account, &username)),
            subject: Some((account.0, &username)),
            org_code: creds.org_code.as_deref(),
            ip: Some(&ctx.client_ip.to_string()),
            ..Default::default()
        },
    )
    .await?;
    Ok(Redirect::to(PAGE).into_response())
}
