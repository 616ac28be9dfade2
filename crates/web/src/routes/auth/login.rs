use axum::extract::State;
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::login::{LoginOutcome, attempt};
use crate::auth::session::start_session_headers;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams, safe_return_path};
use crate::middleware::RequestCtx;
use crate::pages::{render, render_with};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "auth/login.html")]
struct LoginPage<'a> {
    ctx: &'a RequestCtx,
    login: String,
    next: String,
    error: Option<String>,
    /// Upstream providers to sign in with (brokering).
    idps: Vec<(String, String)>,
}

/// The enabled upstream providers: (slug, display name).
async fn idp_buttons(state: &AppState) -> AppResult<Vec<(String, String)>> {
    Ok(rumah_store::identity::broker::list(&mut state.db())
        .await?
        .into_iter()
        .filter(|i| i.enabled)
        .map(|i| (i.slug, i.display_name))
        .collect())
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
    /// Sign in again even with a session (OpenID Connect `prompt=login`
    /// and `max_age`).
    reauth: Option<String>,
    /// A login hint to prefill.
    login: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryParams(q): QueryParams<Next>,
) -> AppResult<Response> {
    let next = safe_return_path(q.next.as_deref());
    if ctx.session.is_some() && q.reauth.as_deref() != Some("1") {
        return Ok(Redirect::to(&next).into_response());
    }
    render(&LoginPage {
        ctx: &ctx,
        login: q.login.unwrap_or_default().chars().take(254).collect(),
        next,
        error: None,
        idps: idp_buttons(&state).await?,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    FormData(form): FormData<LoginForm>,
) -> AppResult<Response> {
    let next = safe_return_path(form.next.as_deref());
    let idps = idp_buttons(&state).await?;
    let again = |status: StatusCode, msg: Msg| {
        render_with(
            status,
            &LoginPage {
                ctx: &ctx,
                login: form.login.clone(),
                next: next.clone(),
                error: Some(msg.render(ctx.lang)),
                idps: idps.clone(),
            },
        )
    };
    if form.login.trim().is_empty() || form.password.is_empty() {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            Msg::new("auth.login.missing"),
        );
    }
    let user_agent = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    match attempt(
        &state,
        &form.login,
        &form.password,
        ctx.client_ip,
        user_agent,
    )
    .await?
    {
        LoginOutcome::Success { session_token, .. } => Ok((
            start_session_headers(&session_token, &state),
            Redirect::to(&next),
        )
            .into_response()),
        LoginOutcome::SecondStep { account, purpose } => {
            let token = rumah_store::identity::mfa::create_pending(
                &mut state.db(),
                account,
                purpose,
                &next,
                rumah_domain::time::Timestamp::now(),
                crate::auth::mfa::PENDING_TTL,
            )
            .await?;
            Ok((
                [(
                    axum::http::header::SET_COOKIE,
                    crate::auth::mfa::set_pending_cookie(&state, &token),
                )],
                Redirect::to(crate::routes::auth::mfa::STEP_PATH),
            )
                .into_response())
        }
        LoginOutcome::Invalid => again(StatusCode::UNAUTHORIZED, Msg::new("auth.login.invalid")),
        LoginOutcome::Inactive { pending: true } => {
            again(StatusCode::FORBIDDEN, Msg::new("auth.login.pending"))
        }
        LoginOutcome::Inactive { pending: false } => {
            again(StatusCode::FORBIDDEN, Msg::new("auth.login.locked"))
        }
        LoginOutcome::Throttled { retry_after_secs } => {
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                Msg::new("error.rate_limited").arg("minutes", retry_after_secs.div_ceil(60).max(1)),
            )?;
            let retry = AppError::too_many_requests(retry_after_secs).into_response();
            if let Some(v) = retry.headers().get(axum::http::header::RETRY_AFTER) {
                res.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v.clone());
            }
            Ok(res)
        }
    }
}
