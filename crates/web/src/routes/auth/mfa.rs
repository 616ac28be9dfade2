//! The second step of signing in, and step-up.
//!
//! After a right password for an account with MFA, the login form leaves a
//! pending sign-in (a short-lived, stored, cookie-named state that is not a
//! session) and sends the user here for a TOTP or recovery code; the
//! session starts only then, with `amr` `pwd otp`. An account whose role
//! requires MFA and has none enrols here first (`/masuk/mfa/daftar`).
//!
//! A signed-in user whose session used only a password (sent here by an
//! OpenID Connect client that requires MFA) steps up: a correct code marks
//! the session as having used both factors.
//!
//! An account with a WebAuthn key (passkey, security key) may answer the
//! same step with it instead (`POST /masuk/mfa/kunci`); the session then
//! has `amr` `pwd hwk` and the same `acr`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use rumah_domain::identity::{AccountId, AccountStatus};
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::{accounts, mfa};
use serde::Deserialize;

use crate::auth::SessionUser;
use crate::auth::mfa::{self as totp, Verdict};
use crate::auth::session::start_session_headers;
use crate::auth::webauthn::{self, Outcome};
use crate::error::AppResult;
use crate::extract::{Ctx, FormData, QueryParams, safe_return_path};
use crate::middleware::RequestCtx;
use crate::pages::{render, render_with};
use crate::routes::account::mfa::{self as account_mfa, CodesPage, Enrolment, Refusal};
use crate::state::AppState;

pub const STEP_PATH: &str = "/masuk/mfa";
pub const ENROL_PATH: &str = "/masuk/mfa/daftar";
pub const WEBAUTHN_PATH: &str = "/masuk/mfa/kunci";

#[derive(askama::Template)]
#[template(path = "auth/mfa.html")]
struct StepPage<'a> {
    ctx: &'a RequestCtx,
    next: String,
    step_up: bool,
    /// The account has a TOTP authenticator (show the code form).
    totp: bool,
    /// Options for `navigator.credentials.get` if the account has a key.
    webauthn_options: Option<String>,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "auth/mfa_enrol.html")]
struct EnrolPage<'a> {
    ctx: &'a RequestCtx,
    enrol: Enrolment,
    error: Option<String>,
}

/// Who the second step is for.
enum Subject {
    /// Between password and code (no session yet).
    Pending(mfa::Pending, String),
    /// A signed-in user stepping up.
    StepUp(SessionUser),
}

fn pending_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = totp::pending_cookie_name(state.config().secure_cookies);
    headers
        .get_all(COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

async fn subject(
    state: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
) -> AppResult<Option<Subject>> {
    if let Some(token) = pending_token(state, headers) {
        let mut db = state.db();
        if let Some(p) = mfa::pending(&mut db, &token, Timestamp::now()).await?
            && let Some(a) = accounts::get(&mut db, p.account).await?
            && a.status == AccountStatus::Active
        {
            return Ok(Some(Subject::Pending(p, a.username)));
        }
    }
    Ok(ctx.session.clone().map(Subject::StepUp))
}

impl Subject {
    fn account(&self) -> AccountId {
        match self {
            Self::Pending(p, _) => p.account,
            Self::StepUp(u) => u.account(),
        }
    }

    /// Where this second step's WebAuthn challenge is kept.
    fn binding(&self) -> String {
        match self {
            Self::Pending(p, _) => webauthn::login_binding(p.id),
            Self::StepUp(u) => webauthn::step_up_binding(u.info.session_id),
        }
    }
}

/// The second-step page for `subject`, with a fresh WebAuthn challenge if
/// the account has a key, and the refusal if there is one.
async fn step_page(
    state: &AppState,
    ctx: &RequestCtx,
    subject: &Subject,
    next: String,
    refusal: Option<&Refusal>,
) -> AppResult<Response> {
    let account = subject.account();
    let totp = mfa::is_enabled(&mut state.db(), account).await?;
    let webauthn_options =
        webauthn::begin_authentication(state, account, &subject.binding()).await?;
    let page = StepPage {
        ctx,
        next,
        step_up: matches!(subject, Subject::StepUp(_)),
        totp,
        webauthn_options,
        error: refusal.map(|r| r.msg.render(ctx.lang)),
    };
    match refusal {
        None => render(&page),
        Some(r) => Ok(r.finish(render_with(r.status, &page)?)),
    }
}

fn to_login(next: &str) -> Response {
    Redirect::to(&format!(
        "/masuk?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /masuk/mfa`
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    QueryParams(q): QueryParams<NextQuery>,
) -> AppResult<Response> {
    let next = safe_return_path(q.next.as_deref());
    match subject(&state, &ctx, &headers).await? {
        None => Ok(to_login(&next)),
        Some(Subject::Pending(p, _)) if p.purpose == mfa::Purpose::Enrol => {
            Ok(Redirect::to(ENROL_PATH).into_response())
        }
        Some(s @ Subject::Pending(..)) => step_page(&state, &ctx, &s, String::new(), None).await,
        Some(Subject::StepUp(u)) => {
            if totp::has_second_factor(&u.info.amr) {
                return Ok(Redirect::to(&next).into_response());
            }
            let mut db = state.db();
            if !mfa::is_enabled(&mut db, u.account()).await?
                && !rumah_store::identity::webauthn::has_any(&mut db, u.account()).await?
            {
                return Ok(Redirect::to(&format!(
                    "{}?next={}",
                    account_mfa::PAGE,
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                ))
                .into_response());
            }
            step_page(&state, &ctx, &Subject::StepUp(u), next, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

async fn audit_login(
    state: &AppState,
    account: AccountId,
    username: &str,
    ip: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        &mut state.db(),
        &audit::Entry {
            event: event::LOGIN_SUCCEEDED,
            actor: Some((account, username)),
            subject: Some((account.0, username)),
            ip: Some(ip),
            details: Some(details),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Starts the session of a completed pending sign-in: the session cookie
/// set, the pending cookie cleared.
async fn complete(
    state: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    p: &mfa::Pending,
    username: &str,
    method: &str,
) -> AppResult<Option<AppendHeaders<[(axum::http::HeaderName, HeaderValue); 2]>>> {
    if !mfa::finish_pending(&mut state.db(), p.id).await? {
        return Ok(None);
    }
    let ua = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let token = totp::start_session(state, p.account, amr_of(method), ctx.client_ip, ua).await?;
    audit_login(
        state,
        p.account,
        username,
        &ctx.client_ip.to_string(),
        serde_json::json!({ "mfa": method }),
    )
    .await?;
    let [session] = start_session_headers(&token, state);
    // Two cookies: appended, not one replacing the other.
    Ok(Some(AppendHeaders([
        session,
        (SET_COOKIE, totp::clear_pending_cookie(state)),
    ])))
}

/// `POST /masuk/mfa`
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    FormData(form): FormData<CodeForm>,
) -> AppResult<Response> {
    let next = safe_return_path(form.next.as_deref());
    let subject = subject(&state, &ctx, &headers).await?;
    let (account, username, step_up) = match &subject {
        None => return Ok(to_login(&next)),
        Some(Subject::Pending(p, _)) if p.purpose == mfa::Purpose::Enrol => {
            return Ok(Redirect::to(ENROL_PATH).into_response());
        }
        Some(Subject::Pending(p, name)) => (p.account, name.clone(), false),
        Some(Subject::StepUp(u)) => (u.account(), u.info.username.clone(), true),
    };
    let shown_next = if step_up { next.clone() } else { String::new() };
    let input = match account_mfa::parse(&form.code, true) {
        Ok(i) => i,
        Err(r) => return refused(&state, &ctx, subject, shown_next, &r).await,
    };
    let method = match account_mfa::check(&state, account, &username, &input, ctx.client_ip).await?
    {
        Ok(m) => m,
        Err(r) => return refused(&state, &ctx, subject, shown_next, &r).await,
    };
    finish(&state, &ctx, &headers, subject, next, method).await
}

async fn refused(
    state: &AppState,
    ctx: &RequestCtx,
    subject: Option<Subject>,
    next: String,
    r: &Refusal,
) -> AppResult<Response> {
    match subject {
        Some(s) => step_page(state, ctx, &s, next, Some(r)).await,
        None => Ok(to_login(&next)),
    }
}

/// Completes a second step answered with `method`: starts the session of
/// a pending sign-in, or marks a stepping-up session.
async fn finish(
    state: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    subject: Option<Subject>,
    next: String,
    method: &str,
) -> AppResult<Response> {
    match subject {
        Some(Subject::Pending(p, username)) => {
            match complete(state, ctx, headers, &p, &username, method).await? {
                Some(cookies) => Ok((cookies, Redirect::to(&p.next)).into_response()),
                None => Ok(to_login(&p.next)),
            }
        }
        Some(Subject::StepUp(u)) => {
            mfa::mark_session(
                &mut state.db(),
                u.info.session_id,
                amr_of(method),
                totp::ACR_MFA,
                Timestamp::now(),
            )
            .await?;
            audit_login(
                state,
                u.account(),
                &u.info.username,
                &ctx.client_ip.to_string(),
                serde_json::json!({ "mfa": method, "step_up": true }),
            )
            .await?;
            Ok(Redirect::to(&next).into_response())
        }
        None => Ok(to_login(&next)),
    }
}

/// The `amr` of a session whose second step used `method`.
fn amr_of(method: &str) -> &'static str {
    if method == "webauthn" {
        webauthn::AMR_WEBAUTHN
    } else {
        totp::AMR_MFA
    }
}

#[derive(Deserialize)]
pub struct WebauthnForm {
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[serde(default)]
    credential: String,
    next: Option<String>,
}

/// `POST /masuk/mfa/kunci`: the second step (or step-up) answered with a
/// WebAuthn key instead of a code.
pub async fn submit_webauthn(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    FormData(form): FormData<WebauthnForm>,
) -> AppResult<Response> {
    let next = safe_return_path(form.next.as_deref());
    let subject = subject(&state, &ctx, &headers).await?;
    let (account, username, step_up) = match &subject {
        None => return Ok(to_login(&next)),
        Some(Subject::Pending(p, _)) if p.purpose == mfa::Purpose::Enrol => {
            return Ok(Redirect::to(ENROL_PATH).into_response());
        }
        Some(Subject::Pending(p, name)) => (p.account, name.clone(), false),
        Some(Subject::StepUp(u)) => (u.account(), u.info.username.clone(), true),
    };
    let shown_next = if step_up { next.clone() } else { String::new() };
    let binding = subject.as_ref().map(Subject::binding).unwrap_or_default();
    let outcome = webauthn::verify(
        &state,
        account,
        &username,
        &binding,
        &form.credential,
        ctx.client_ip,
    )
    .await?;
    let refusal = match outcome {
        Outcome::Checked(Verdict::Accepted(method)) => {
            return finish(&state, &ctx, &headers, subject, next, method).await;
        }
        Outcome::Checked(Verdict::Wrong) => {
            Refusal::new(StatusCode::UNAUTHORIZED, "webauthn.rejected")
        }
        Outcome::Checked(Verdict::Throttled { retry_after_secs }) => {
            Refusal::throttled(retry_after_secs)
        }
        Outcome::Refused(p) => Refusal::new(p.status(), p.key()),
    };
    refused(&state, &ctx, subject, shown_next, &refusal).await
}

/// The pending sign-in that must enrol, if that is what the cookie names.
async fn enrolling(
    state: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
) -> AppResult<Option<(mfa::Pending, String)>> {
    Ok(match subject(state, ctx, headers).await? {
        Some(Subject::Pending(p, name)) if p.purpose == mfa::Purpose::Enrol => Some((p, name)),
        _ => None,
    })
}

/// `GET /masuk/mfa/daftar`: enrolment required by a role, before the
/// session starts.
pub async fn show_enrol(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some((p, username)) = enrolling(&state, &ctx, &headers).await? else {
        return Ok(Redirect::to(STEP_PATH).into_response());
    };
    match account_mfa::enrolment(&state, p.account, &username).await? {
        Some(enrol) => render(&EnrolPage {
            ctx: &ctx,
            enrol,
            error: None,
        }),
        // Enrolled meanwhile (another tab): enter a code instead.
        None => Ok(Redirect::to(STEP_PATH).into_response()),
    }
}

#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    code: String,
}

/// `POST /masuk/mfa/daftar`
pub async fn submit_enrol(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    FormData(form): FormData<EnrolForm>,
) -> AppResult<Response> {
    let Some((p, username)) = enrolling(&state, &ctx, &headers).await? else {
        return Ok(Redirect::to(STEP_PATH).into_response());
    };
    match account_mfa::confirm_enrolment(&state, p.account, &username, &form.code, ctx.client_ip)
        .await?
    {
        Ok(codes) => match complete(&state, &ctx, &headers, &p, &username, "enrolment").await? {
            Some(cookies) => {
                let page = render(&CodesPage {
                    ctx: &ctx,
                    codes,
                    next: p.next.clone(),
                })?;
                Ok((cookies, page).into_response())
            }
            None => Ok(to_login(&p.next)),
        },
        Err(r) => {
            let Some(enrol) = account_mfa::enrolment(&state, p.account, &username).await? else {
                return Ok(Redirect::to(STEP_PATH).into_response());
            };
            let res = render_with(
                if r.status == StatusCode::CONFLICT {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    r.status
                },
                &EnrolPage {
                    ctx: &ctx,
                    enrol,
                    error: Some(r.msg.render(ctx.lang)),
                },
            )?;
            Ok(r.finish(res))
        }
    }
}
