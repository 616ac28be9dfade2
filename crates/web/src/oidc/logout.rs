//! Logout for Satu Akun: RP-initiated logout (OpenID Connect RP-Initiated
//! Logout 1.0, the `end_session_endpoint`) and back-channel logout
//! (Back-Channel Logout 1.0).
//!
//! - `GET|POST /oidc/logout`: a client sends the user here to sign out.
//!   The `id_token_hint` must carry our signature (an expired one is fine);
//!   `post_logout_redirect_uri` is followed only when it is registered
//!   exactly for the client, otherwise the user lands on our own "signed
//!   out" page. When the hint does not name the signed-in user, the user
//!   confirms first (a CSRF-protected form).
//! - Every client that received tokens in a browser session (recorded
//!   with the session's `sid` when the tokens are issued) and registered a
//!   `backchannel_logout_uri` gets a logout token when the session ends,
//!   however it ends (this endpoint, `/keluar`, "sign out of every device",
//!   a password change, an administrator locking the account): the store
//!   queues them in `oidc_logout_outbox` and [`BackChannel`] delivers them
//!   with retries.

use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jsonwebtoken::{Validation, decode, decode_header};
use rumah_domain::time::Timestamp;
use rumah_store::Db;
use rumah_store::audit::{self, event};
use rumah_store::identity::sessions;
use rumah_store::oidc::clients;
use rumah_store::oidc::logout as store;
use serde::Deserialize;
use serde_json::json;

use crate::auth::session::{SessionUser, clear_cookie, session_cookie_name};
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData};
use crate::i18n::Lang;
use crate::oidc::keys::{self, Kek, KeyError};
use crate::state::AppState;

pub const END_SESSION_PATH: &str = "/oidc/logout";
pub const CONFIRM_ACTION: &str = "/oidc/logout/konfirmasi";
pub const DONE_PATH: &str = "/oidc/logout/selesai";

/// The event of a back-channel logout token.
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The end-session endpoint and the "signed out" page (no CSRF layer: a
/// client may POST here from its own site; nothing here acts on the user's
/// session without either a hint naming the user or the confirmation form).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(END_SESSION_PATH, get(end_session).post(end_session))
        .route(DONE_PATH, get(done))
}

/// The confirmation form's target, a browser route (CSRF-checked).
pub fn browser_routes() -> Router<AppState> {
    Router::new().route(CONFIRM_ACTION, post(confirm))
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct EndSessionParams {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    ui_locales: Option<String>,
}

/// The first supported language of a `ui_locales` list.
fn ui_lang(ui_locales: Option<&str>) -> Option<Lang> {
    ui_locales?.split(' ').find_map(|tag| {
        Lang::from_code(tag).or_else(|| Lang::from_code(tag.split('-').next().unwrap_or(tag)))
    })
}

/// What a verified `id_token_hint` says.
#[derive(Debug, Deserialize)]
struct Hint {
    sub: String,
    aud: serde_json::Value,
    #[serde(default)]
    azp: Option<String>,
}

impl Hint {
    fn audiences(&self) -> Vec<&str> {
        match &self.aud {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The client the token was issued to.
    fn client(&self) -> Option<&str> {
        self.azp.as_deref().or_else(|| match self.audiences()[..] {
            [one] => Some(one),
            _ => None,
        })
    }
}

/// Checks that `token` is an ID token this provider signed. Its expiry is
/// not checked (RP-Initiated Logout §2 allows an expired hint).
async fn verify_hint(state: &AppState, token: &str) -> Option<Hint> {
    let header = decode_header(token).ok()?;
    if header.typ.as_deref() != Some("JWT") {
        return None;
    }
    let (alg, key) = keys::decoding_key(&mut state.db(), header.kid.as_deref()?)
        .await
        .ok()??;
    if alg != header.alg {
        return None;
    }
    let mut v = Validation::new(alg);
    v.set_issuer(&[state.config().public_origin()]);
    v.validate_exp = false;
    v.validate_aud = false;
    v.set_required_spec_claims(&["iss", "sub", "aud"]);
    decode::<Hint>(token, &key, &v).ok().map(|d| d.claims)
}

/// Where to send the user afterwards: the client's registered
/// `post_logout_redirect_uri` (exact match) with `state`, or nothing.
async fn redirect_target(
    state: &AppState,
    client_id: Option<&str>,
    uri: Option<&str>,
    st: Option<&str>,
) -> AppResult<Option<String>> {
    let (Some(client_id), Some(uri)) = (client_id, uri.filter(|u| !u.is_empty())) else {
        return Ok(None);
    };
    let Some(settings) = store::settings(&mut state.db(), client_id).await? else {
        return Ok(None);
    };
    if !settings
        .post_logout_redirect_uris()
        .iter()
        .any(|r| r == uri)
    {
        return Ok(None);
    }
    let Ok(mut url) = url::Url::parse(uri) else {
        return Ok(None);
    };
    if let Some(s) = st.filter(|s| !s.is_empty()) {
        url.query_pairs_mut().append_pair("state", s);
    }
    Ok(Some(url.into()))
}

fn done_url(lang: Lang) -> String {
    format!("{DONE_PATH}?ui_locales={}", lang.code())
}

/// `GET|POST /oidc/logout`
async fn end_session(
    State(state): State<AppState>,
    ctx: Ctx,
    method: axum::http::Method,
    FormData(p): FormData<EndSessionParams>,
) -> AppResult<Response> {
    if method == axum::http::Method::POST && ctx.session.is_none() {
        // A form posted from the client's site carries no session cookie
        // (SameSite=Lax); the same request as a top-level GET does.
        let query = serde_urlencoded::to_string(&p).map_err(AppError::internal)?;
        return Ok(Redirect::to(&format!("{END_SESSION_PATH}?{query}")).into_response());
    }
    let lang = ui_lang(p.ui_locales.as_deref()).unwrap_or(ctx.lang);
    let hint = match p.id_token_hint.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(verify_hint(&state, t).await.ok_or_else(|| {
            AppError::bad_request("invalid_id_token_hint", Msg::new("oidc.logout.bad_hint"))
        })?),
        None => None,
    };
    let client_id = p.client_id.as_deref().filter(|c| !c.is_empty());
    if let (Some(c), Some(h)) = (client_id, &hint)
        && !h.audiences().contains(&c)
    {
        return Err(AppError::bad_request(
            "invalid_request",
            Msg::new("oidc.logout.client_mismatch"),
        ));
    }
    let client_id = client_id.or_else(|| hint.as_ref().and_then(Hint::client));
    let client = match client_id {
        Some(c) => clients::by_client_id(&mut state.db(), c).await?,
        None => None,
    };
    let target = redirect_target(
        &state,
        client.as_ref().map(|c| c.client_id.as_str()),
        p.post_logout_redirect_uri.as_deref(),
        p.state.as_deref(),
    )
    .await?;
    let Some(user) = &ctx.session else {
        // Nobody is signed in here: nothing to end.
        return Ok(Redirect::to(&target.unwrap_or_else(|| done_url(lang))).into_response());
    };
    if hint
        .as_ref()
        .is_some_and(|h| h.sub == user.account().0.to_string())
    {
        end(
            &state,
            &ctx,
            user,
            client.as_ref().map(|c| c.client_id.as_str()),
        )
        .await?;
        return Ok(signed_out(&state, target, lang));
    }
    let t = |k: &str| lang.t(k).into_owned();
    crate::pages::render(&ConfirmPage {
        ctx: &ctx,
        lang: lang.code(),
        title: t("oidc.logout.title"),
        question: match &client {
            Some(c) => lang.tf("oidc.logout.question_client", &[("client", &c.name)]),
            None => t("oidc.logout.question"),
        },
        yes: t("oidc.logout.yes"),
        no: t("oidc.logout.no"),
        action: CONFIRM_ACTION,
        client_id: client.map(|c| c.client_id).unwrap_or_default(),
        post_logout_redirect_uri: if target.is_some() {
            p.post_logout_redirect_uri.unwrap_or_default()
        } else {
            String::new()
        },
        state: p.state.unwrap_or_default(),
    })
}

#[derive(askama::Template)]
#[template(path = "oidc/logout_confirm.html")]
struct ConfirmPage<'a> {
    ctx: &'a crate::middleware::RequestCtx,
    /// The page's language (`ui_locales`, else the user's).
    lang: &'static str,
    title: String,
    question: String,
    yes: String,
    no: String,
    action: &'static str,
    client_id: String,
    post_logout_redirect_uri: String,
    state: String,
}

#[derive(Debug, Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    post_logout_redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    decision: String,
}

/// `POST /oidc/logout/konfirmasi`: the user's answer.
async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<ConfirmForm>,
) -> AppResult<Response> {
    let lang = Lang::from_code(&form.lang).unwrap_or(ctx.lang);
    let client_id = Some(form.client_id.as_str()).filter(|c| !c.is_empty());
    // The hidden fields are checked again: the form is the user's, not ours.
    let target = redirect_target(
        &state,
        client_id,
        Some(&form.post_logout_redirect_uri),
        Some(&form.state),
    )
    .await?;
    if form.decision != "logout" {
        return Ok(Redirect::to("/").into_response());
    }
    match &ctx.session {
        Some(user) => {
            end(&state, &ctx, user, client_id).await?;
            Ok(signed_out(&state, target, lang))
        }
        None => Ok(Redirect::to(&target.unwrap_or_else(|| done_url(lang))).into_response()),
    }
}

/// Ends the user's browser session (the store queues the back-channel
/// logout tokens of the clients that shared it) and audits it.
async fn end(
    state: &AppState,
    ctx: &crate::middleware::RequestCtx,
    user: &SessionUser,
    client_id: Option<&str>,
) -> AppResult<()> {
    let mut db = state.db();
    sessions::delete_one(&mut db, user.account(), user.info.session_id).await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::OIDC_LOGOUT,
            actor: Some((user.account(), &user.info.username)),
            subject: Some((user.account().0, &user.info.username)),
            client_id,
            ip: Some(&ctx.client_ip.to_string()),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

fn signed_out(state: &AppState, target: Option<String>, lang: Lang) -> Response {
    let secure = state.config().secure_cookies;
    (
        [(
            SET_COOKIE,
            clear_cookie(session_cookie_name(secure), secure),
        )],
        Redirect::to(&target.unwrap_or_else(|| done_url(lang))),
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
struct DoneParams {
    ui_locales: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "oidc/logout_done.html")]
struct DonePage<'a> {
    ctx: &'a crate::middleware::RequestCtx,
    lang: &'static str,
    title: String,
    message: String,
    home: String,
}

/// `GET /oidc/logout/selesai`: our own "signed out" page.
async fn done(ctx: Ctx, Query(p): Query<DoneParams>) -> AppResult<Response> {
    let lang = ui_lang(p.ui_locales.as_deref()).unwrap_or(ctx.lang);
    crate::pages::render(&DonePage {
        ctx: &ctx,
        lang: lang.code(),
        title: lang.t("oidc.logout.done_title").into_owned(),
        message: if ctx.session.is_some() {
            lang.t("oidc.logout.still_signed_in").into_owned()
        } else {
            lang.t("oidc.logout.done").into_owned()
        },
        home: lang.t("oidc.logout.home").into_owned(),
    })
}

/// The `sid` to put in an ID token issued from `family` (a grant that
/// started with an authorization code in a browser session), recording that
/// `client_id` shares that session. `None` when the session has ended.
/// With `refresh`, only reads the `sid` the code exchange recorded.
pub async fn sid_for_tokens(
    state: &AppState,
    family: Option<&str>,
    client_id: &str,
    refresh: bool,
) -> Result<Option<String>, rumah_store::StoreError> {
    let Some(code_id) = family
        .and_then(|f| f.strip_prefix("code-"))
        .and_then(|n| n.parse::<i64>().ok())
    else {
        return Ok(None);
    };
    let mut db = state.db();
    if refresh {
        // The code exchange of this family recorded the session and client.
        return store::sid_of_code(&mut db, code_id).await;
    }
    let Some((session_id, account_id)) = store::session_of_code(&mut db, code_id).await? else {
        return Ok(None);
    };
    let now = Timestamp::now().0;
    let sid = store::sid_of_session(&mut db, session_id, account_id, now).await?;
    store::add_client(&mut db, session_id, client_id, now).await?;
    Ok(Some(sid))
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: u32,
    /// Failed this time, tried again later.
    pub retrying: u32,
    /// Given up: the token would have expired.
    pub failed: u32,
}

/// Delivers queued back-channel logout tokens. Every node may run one
/// against the same database: rows are claimed one at a time with a
/// conditional update ([`store::claim`]).
#[derive(Clone)]
pub struct BackChannel {
    db: Db,
    kek: Kek,
    issuer: String,
    /// A logout token is valid (and retried) this long after the logout.
    window_ms: i64,
    http: reqwest::Client,
}

/// The first retry waits this long; each next one twice as long, at most
/// [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: i64 = 5_000;
const MAX_BACKOFF_MS: i64 = 60_000;

impl BackChannel {
    pub fn new(db: Db, kek: Kek, issuer: String, window: Duration) -> Self {
        rumah_store::blobs::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Satu Akun back-channel logout")
            .build()
            .unwrap_or_default();
        Self {
            db,
            kek,
            issuer,
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            http,
        }
    }

    pub fn for_state(state: &AppState) -> Self {
        Self::new(
            state.db(),
            state.kek().clone(),
            state.config().public_origin(),
            state.config().oidc_logout_window,
        )
    }

    /// The wait before the next attempt after `attempts` failed ones.
    pub fn backoff_ms(attempts: i64) -> i64 {
        let shift = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
        (FIRST_BACKOFF_MS << shift).min(MAX_BACKOFF_MS)
    }

    /// One round: every row due at `now` (milliseconds) that this node
    /// manages to claim gets one attempt.
    pub async fn deliver_due(&self, now: i64) -> Result<Round, KeyError> {
        let mut db = self.db.clone();
        let mut round = Round::default();
        let due = store::due(&mut db, now, 100).await?;
        if due.is_empty() {
            return Ok(round);
        }
        // Each client's tokens are signed with its algorithm; one signer each.
        let mut signers: std::collections::HashMap<String, keys::Signer> =
            std::collections::HashMap::new();
        for id in due {
            let Some(p) = store::claim(&mut db, id, now).await? else {
                continue;
            };
            let expires = p.created_at.saturating_add(self.window_ms);
            let error = if now >= expires {
                "expired before it could be delivered".to_owned()
            } else {
                let alg = rumah_store::oidc::clients::by_client_id(&mut db, &p.client_id)
                    .await?
                    .map_or_else(
                        || keys::DEFAULT_ALG.to_owned(),
                        |c| c.id_token_signed_response_alg,
                    );
                if !signers.contains_key(&alg) {
                    let signer = keys::signer(&mut db, &self.kek, &alg).await?;
                    signers.insert(alg.clone(), signer);
                }
                let signer = &signers[&alg];
                let token = signer.sign(
                    "logout+jwt",
                    &json!({
                        "iss": self.issuer, "aud": p.client_id, "iat": now / 1000, "exp": expires / 1000,
                        "jti": p.jti, "sub": p.sub, "sid": p.sid,
                        "events": { BACKCHANNEL_EVENT: {} },
                    }),
                )?;
                match self
                    .http
                    .post(&p.uri)
                    .form(&[("logout_token", token.as_str())])
                    .send()
                    .await
                {
                    Ok(res) if res.status().is_success() => {
                        store::delivered(&mut db, p.id, now).await?;
                        self.audit(&mut db, event::OIDC_BACKCHANNEL_DELIVERED, &p, None)
                            .await?;
                        round.delivered += 1;
                        continue;
                    }
                    Ok(res) => format!("HTTP {}", res.status().as_u16()),
                    Err(e) => e.without_url().to_string(),
                }
            };
            let next = now.saturating_add(Self::backoff_ms(p.attempts));
            if next >= expires {
                store::failed(&mut db, p.id, now, &error).await?;
                self.audit(&mut db, event::OIDC_BACKCHANNEL_FAILED, &p, Some(&error))
                    .await?;
                tracing::warn!(client_id = %p.client_id, attempts = p.attempts, error = %error, "back-channel logout given up");
                round.failed += 1;
            } else {
                store::retry_at(&mut db, p.id, next, &error).await?;
                tracing::info!(client_id = %p.client_id, attempts = p.attempts, error = %error, "back-channel logout will be retried");
                round.retrying += 1;
            }
        }
        Ok(round)
    }

    async fn audit(
        &self,
        db: &mut Db,
        event: &'static str,
        p: &store::Pending,
        error: Option<&str>,
    ) -> Result<(), rumah_store::StoreError> {
        audit::record(
            db,
            &audit::Entry {
                event,
                subject: p.sub.parse::<i64>().ok().map(|id| (id, "")),
                client_id: Some(&p.client_id),
                details: Some(
                    json!({ "jti": p.jti, "sid": p.sid, "attempts": p.attempts, "error": error }),
                ),
                ..Default::default()
            },
        )
        .await
    }

    /// Runs rounds every `every` until the task is aborted; finished rows
    /// are forgotten after a day.
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut rounds: u64 = 0;
            loop {
                tick.tick().await;
                let now = Timestamp::now().0;
                if let Err(e) = self.deliver_due(now).await {
                    tracing::warn!(error = %e, "back-channel logout round failed");
                }
                rounds += 1;
                if rounds % 1000 == 1 {
                    let mut db = self.db.clone();
                    if let Err(e) = store::purge_finished(&mut db, now - 24 * 3_600_000).await {
                        tracing::warn!(error = %e, "cannot purge the logout outbox");
                    }
                }
            }
        })
    }
}
