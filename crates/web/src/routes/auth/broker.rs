//! `GET /masuk/broker/{slug}` sends the user to an upstream provider;
//! `GET /masuk/broker/{slug}/callback` takes them back (see
//! [`crate::broker`]).
//!
//! The authorization request carries a single-use `state` (stored hashed,
//! ten minutes, also set in a cookie so that only the browser that started
//! the sign-in can finish it), a `nonce` and a PKCE S256 challenge. Every
//! failure answers with a page in the user's language, starts no session,
//! makes no link, and is audited (`broker.login_failed`).

use axum::extract::{Path, State};
use axum::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rumah_domain::time::Timestamp;
use rumah_store::identity::broker::{self, Idp};
use rumah_store::secret::new_token;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::session::{clear_cookie, set_cookie, start_session_headers};
use crate::broker::id_token::{self, IdTokenError};
use crate::broker::signin::{self, Outcome, Refusal};
use crate::broker::upstream::{self, UpstreamError};
use crate::error::AppResult;
use crate::extract::{Ctx, QueryParams, safe_return_path};
use crate::middleware::RequestCtx;
use crate::pages::render_with;
use crate::state::AppState;

/// How long a sign-in may take at the upstream.
pub const STATE_TTL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

fn state_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-rumah_broker"
    } else {
        "rumah_broker"
    }
}

/// Our redirect URI at the upstream for `slug`.
pub fn callback_url(state: &AppState, slug: &str) -> String {
    format!(
        "{}/masuk/broker/{slug}/callback",
        state.config().public_origin()
    )
}

#[derive(askama::Template)]
#[template(path = "auth/broker_refused.html")]
struct RefusedPage<'a> {
    ctx: &'a RequestCtx,
    message: String,
    next: String,
}

#[derive(askama::Template)]
#[template(path = "auth/broker_pending.html")]
struct PendingPage<'a> {
    ctx: &'a RequestCtx,
    idp_name: String,
}

/// A failure: audited, then a page that says what happened.
struct Failure {
    status: StatusCode,
    reason: &'static str,
    message_key: &'static str,
    detail: Option<String>,
}

impl Failure {
    fn new(status: StatusCode, reason: &'static str, message_key: &'static str) -> Self {
        Self {
            status,
            reason,
            message_key,
            detail: None,
        }
    }

    fn detail(mut self, d: impl std::fmt::Display) -> Self {
        self.detail = Some(d.to_string().chars().take(200).collect());
        self
    }
}

impl From<UpstreamError> for Failure {
    fn from(e: UpstreamError) -> Self {
        match e {
            UpstreamError::Unreachable(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                "upstream_unreachable",
                "broker.error_unreachable",
            ),
            UpstreamError::Invalid(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                "upstream_invalid",
                "broker.error_unreachable",
            ),
            UpstreamError::Refused(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "code_refused",
                "broker.error_code_refused",
            ),
        }
        .detail(e)
    }
}

async fn fail(
    state: &AppState,
    ctx: &RequestCtx,
    idp: Option<&Idp>,
    f: Failure,
) -> AppResult<Response> {
    tracing::info!(
        broker.idp = idp.map(|i| i.slug.as_str()),
        broker.reason = f.reason,
        broker.detail = f.detail.as_deref(),
        "brokered sign-in failed"
    );
    signin::record_failure(
        state,
        idp.map(|i| i.slug.as_str()),
        f.reason,
        f.detail.as_deref(),
        None,
        ctx.client_ip,
    )
    .await?;
    let name = idp.map_or_else(String::new, |i| i.display_name.clone());
    let mut res = render_with(
        f.status,
        &RefusedPage {
            ctx,
            message: ctx.tf(f.message_key, &[("idp", &name)]),
            next: "/".into(),
        },
    )?;
    res.headers_mut().append(
        SET_COOKIE,
        clear_cookie(
            state_cookie_name(state.config().secure_cookies),
            state.config().secure_cookies,
        ),
    );
    Ok(res)
}

async fn enabled_idp(state: &AppState, slug: &str) -> AppResult<Option<Idp>> {
    Ok(broker::by_slug(&mut state.db(), slug)
        .await?
        .filter(|i| i.enabled))
}

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
    login_hint: Option<String>,
}

/// `GET /masuk/broker/{slug}`
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    QueryParams(q): QueryParams<StartQuery>,
) -> AppResult<Response> {
    let Some(idp) = enabled_idp(&state, &slug).await? else {
        let f = Failure::new(
            StatusCode::NOT_FOUND,
            "unknown_idp",
            "broker.error_unknown_idp",
        );
        return fail(&state, &ctx, None, f.detail(&slug)).await;
    };
    let meta = match upstream::metadata(&idp.issuer).await {
        Ok(m) => m,
        Err(e) => return fail(&state, &ctx, Some(&idp), e.into()).await,
    };
    let verifier = new_token("");
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let nonce = new_token("");
    let next = safe_return_path(q.next.as_deref());
    let st = broker::create_state(
        &mut state.db(),
        idp.id,
        &nonce,
        &verifier,
        &next,
        Timestamp::now(),
        STATE_TTL,
    )
    .await?;
    let mut url = url::Url::parse(&meta.authorization_endpoint)
        .map_err(|e| crate::AppError::internal(format!("authorization_endpoint: {e}")))?;
    {
        let mut pairs = url.query_pairs_mut();
        pairs
            .append_pair("response_type", "code")
            .append_pair("client_id", &idp.client_id)
            .append_pair("redirect_uri", &callback_url(&state, &idp.slug))
            .append_pair("scope", &idp.scopes)
            .append_pair("state", &st)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(hint) = q
            .login_hint
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty() && h.len() <= 254)
        {
            pairs.append_pair("login_hint", hint);
        }
    }
    let secure = state.config().secure_cookies;
    Ok((
        [(
            SET_COOKIE,
            set_cookie(state_cookie_name(secure), &st, secure, Some(STATE_TTL)),
        )],
        Redirect::to(url.as_str()),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

fn state_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = state_cookie_name(state.config().secure_cookies);
    headers
        .get_all(COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// `GET /masuk/broker/{slug}/callback`
pub async fn callback(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    QueryParams(q): QueryParams<CallbackQuery>,
) -> AppResult<Response> {
    let bad = |reason, key| Failure::new(StatusCode::BAD_REQUEST, reason, key);
    let Some(idp) = enabled_idp(&state, &slug).await? else {
        let f = Failure::new(
            StatusCode::NOT_FOUND,
            "unknown_idp",
            "broker.error_unknown_idp",
        );
        return fail(&state, &ctx, None, f.detail(&slug)).await;
    };
    let Some(presented) = q.state.as_deref().filter(|s| !s.is_empty()) else {
        let f = bad("state_missing", "broker.error_state");
        return fail(&state, &ctx, Some(&idp), f).await;
    };
    // Taken first: whatever happens next, this state never works again.
    let Some(login) = broker::take_state(&mut state.db(), presented).await? else {
        let f = bad("state_unknown", "broker.error_state");
        return fail(&state, &ctx, Some(&idp), f).await;
    };
    if login.idp_id != idp.id || state_cookie(&state, &headers).as_deref() != Some(presented) {
        let f = bad("state_mismatch", "broker.error_state");
        return fail(&state, &ctx, Some(&idp), f).await;
    }
    if login.expires_at <= Timestamp::now() {
        let f = bad("state_expired", "broker.error_expired");
        return fail(&state, &ctx, Some(&idp), f).await;
    }
    if let Some(error) = q.error.as_deref() {
        let f = bad("upstream_error", "broker.error_upstream").detail(error);
        return fail(&state, &ctx, Some(&idp), f).await;
    }
    // RFC 9207: when the upstream names itself, it must be the issuer.
    if q.iss.as_deref().is_some_and(|iss| iss != idp.issuer) {
        let f = bad("iss_mismatch", "broker.error_token");
        return fail(&state, &ctx, Some(&idp), f).await;
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        let f = bad("code_missing", "broker.error_token");
        return fail(&state, &ctx, Some(&idp), f).await;
    };
    let claims = match verified_claims(&state, &idp, code, &login).await {
        Ok(c) => c,
        Err(f) => return fail(&state, &ctx, Some(&idp), f).await,
    };
    let client = signin::Client {
        ip: ctx.client_ip,
        user_agent: headers.get(USER_AGENT).and_then(|v| v.to_str().ok()),
    };
    let secure = state.config().secure_cookies;
    let clear_state = (SET_COOKIE, clear_cookie(state_cookie_name(secure), secure));
    match signin::complete(&state, &idp, &claims, &login.return_to, &client).await? {
        Outcome::Session(token) => {
            let [session] = start_session_headers(&token, &state);
            Ok((
                AppendHeaders([session, clear_state]),
                Redirect::to(&login.return_to),
            )
                .into_response())
        }
        Outcome::SecondStep(token) => Ok((
            AppendHeaders([
                (
                    SET_COOKIE,
                    crate::auth::mfa::set_pending_cookie(&state, &token),
                ),
                clear_state,
            ]),
            Redirect::to(crate::routes::auth::mfa::STEP_PATH),
        )
            .into_response()),
        Outcome::Pending => {
            let mut res = render_with(
                StatusCode::ACCEPTED,
                &PendingPage {
                    ctx: &ctx,
                    idp_name: idp.display_name.clone(),
                },
            )?;
            res.headers_mut().append(SET_COOKIE, clear_state.1);
            Ok(res)
        }
        Outcome::Refused(r) => {
            let key = match r {
                Refusal::Locked => "broker.error_locked",
                Refusal::AccountPending => "broker.error_account_pending",
                Refusal::LinkedElsewhere => "broker.error_linked_elsewhere",
            };
            let mut res = render_with(
                StatusCode::FORBIDDEN,
                &RefusedPage {
                    ctx: &ctx,
                    message: ctx.tf(key, &[("idp", &idp.display_name)]),
                    next: "/".into(),
                },
            )?;
            res.headers_mut().append(SET_COOKIE, clear_state.1);
            Ok(res)
        }
    }
}

/// The code exchanged and the ID token verified (one JWKS refresh when it
/// names an unknown key).
async fn verified_claims(
    state: &AppState,
    idp: &Idp,
    code: &str,
    login: &broker::LoginState,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let meta = upstream::metadata(&idp.issuer).await?;
    let secret = crate::broker::open_secret(state.kek(), idp).map_err(|_| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "secret_unreadable",
            "broker.error_unreachable",
        )
    })?;
    let tokens = upstream::exchange_code(
        &meta,
        &idp.client_id,
        &secret,
        code,
        &callback_url(state, &idp.slug),
        &login.pkce_verifier,
    )
    .await?;
    let invalid = |e: IdTokenError| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "id_token_invalid",
            "broker.error_token",
        )
        .detail(e)
    };
    let token = tokens
        .id_token
        .ok_or_else(|| invalid(IdTokenError::Malformed))?;
    let keys = upstream::jwks(&idp.issuer, &meta, false).await?;
    match id_token::verify(&token, &keys, &idp.issuer, &idp.client_id, &login.nonce) {
        Err(IdTokenError::UnknownKey) => {
            let keys = upstream::jwks(&idp.issuer, &meta, true).await?;
            id_token::verify(&token, &keys, &idp.issuer, &idp.client_id, &login.nonce)
                .map_err(invalid)
        }
        other => other.map_err(invalid),
    }
}
