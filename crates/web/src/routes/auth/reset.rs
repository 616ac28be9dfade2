//! "Forgot password": a reset link by e-mail.
//!
//! `GET/POST /masuk/lupa-sandi` asks for a username, NIP or e-mail address
//! and always answers the same page ("if an account exists, we sent a
//! link"), for a known account or not, with the same work done (lookup,
//! throttle bookkeeping, a token minted and hashed, an audit row) and the
//! mail queued to a background task, so neither the answer nor its timing
//! tells whether the account exists. Requests are limited per client
//! address (429) and per account or identifier (further requests send no
//! mail, same answer).
//!
//! `GET/POST /masuk/atur-ulang-sandi/{token}` shows and takes the new
//! password. The token works once, for a configured time (30 minutes by
//! default), and only the latest one of an account; a new password ends
//! every session of the account.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rumah_domain::identity::{AccountId, AccountStatus, LoginId};
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::reset::{self, Refusal};
use rumah_store::identity::{accounts, sessions, throttle};
use serde::Deserialize;

use crate::auth::login::address_key;
use crate::error::{AppError, AppResult, Msg};
use crate::i18n::Lang;
use crate::mail::Outgoing;
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render, render_with};
use crate::routes::account::password_error_key;
use crate::state::AppState;

pub const REQUEST_PATH: &str = "/masuk/lupa-sandi";
pub const RESET_PATH: &str = "/masuk/atur-ulang-sandi/{token}";
const RESET_PREFIX: &str = "/masuk/atur-ulang-sandi/";

#[derive(askama::Template)]
#[template(path = "auth/reset_request.html")]
struct RequestPage<'a> {
    ctx: &'a RequestCtx,
    login: String,
    error: Option<String>,
    sent: bool,
}

#[derive(askama::Template)]
#[template(path = "auth/reset_form.html")]
struct FormPage<'a> {
    ctx: &'a RequestCtx,
    action: String,
    username: String,
    min_chars: String,
    errors: FieldErrors,
}

#[derive(askama::Template)]
#[template(path = "auth/reset_done.html")]
struct DonePage<'a> {
    ctx: &'a RequestCtx,
}

#[derive(askama::Template)]
#[template(path = "auth/reset_refused.html")]
struct RefusedPage<'a> {
    ctx: &'a RequestCtx,
    message: String,
}

/// `GET /masuk/lupa-sandi`
pub async fn show_request(ctx: crate::extract::Ctx) -> AppResult<Response> {
    render(&RequestPage {
        ctx: &ctx,
        login: String::new(),
        error: None,
        sent: false,
    })
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    login: String,
}

/// The throttle key of the identifier as typed (normalised).
fn throttle_keys(login: Option<&LoginId>, raw: &str) -> String {
    match login {
        Some(l) => format!("reset:{}", l.throttle_key()),
        None => format!(
            "reset:x:{}",
            raw.trim()
                .to_lowercase()
                .chars()
                .take(100)
                .collect::<String>()
        ),
    }
}

fn mail_for(
    state: &AppState,
    lang: Lang,
    r: &reset::Recipient,
    email: &str,
    token: &str,
) -> Outgoing {
    let mut link = state.config().public_url.clone();
    link.set_path(&format!("{RESET_PREFIX}{token}"));
    link.set_query(None);
    let minutes = state
        .config()
        .password_reset_ttl
        .as_secs()
        .div_ceil(60)
        .to_string();
    Outgoing {
        to: email.to_owned(),
        to_name: r.display_name.clone(),
        subject: lang.t("reset.mail_subject").into_owned(),
        body: lang.tf(
            "reset.mail_body",
            &[
                ("name", r.display_name.as_str()),
                ("username", r.username.as_str()),
                ("link", link.as_str()),
                ("minutes", minutes.as_str()),
            ],
        ),
        account: (r.id, r.username.clone()),
    }
}

/// `POST /masuk/lupa-sandi`
pub async fn submit_request(
    State(state): State<AppState>,
    ctx: crate::extract::Ctx,
    crate::extract::FormData(form): crate::extract::FormData<RequestForm>,
) -> AppResult<Response> {
    let raw: String = form.login.trim().chars().take(254).collect();
    if raw.is_empty() {
        return render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RequestPage {
                ctx: &ctx,
                login: String::new(),
                error: Some(ctx.t("reset.login_missing").into_owned()),
                sent: false,
            },
        );
    }
    let config = state.config();
    let mut db = state.db();
    let now = Timestamp::now();
    let ip_key = format!("reset:{}", address_key(ctx.client_ip));
    if let Some(until) = throttle::locked_until(&mut db, &[&ip_key], now).await? {
        let secs = u64::try_from((until.millis() - now.millis()).max(1000) / 1000).unwrap_or(1);
        let mut res = render_with(
            StatusCode::TOO_MANY_REQUESTS,
            &RequestPage {
                ctx: &ctx,
                login: raw.clone(),
                error: Some(
                    Msg::new("error.rate_limited")
                        .arg("minutes", secs.div_ceil(60).max(1))
                        .render(ctx.lang),
                ),
                sent: false,
            },
        )?;
        if let Some(v) = AppError::too_many_requests(secs)
            .into_response()
            .headers()
            .get(axum::http::header::RETRY_AFTER)
        {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v.clone());
        }
        return Ok(res);
    }
    throttle::record_failure(&mut db, &ip_key, now, &config.throttle_reset_address).await?;

    let login = LoginId::parse(&raw);
    let id_key = throttle_keys(login.as_ref(), &raw);
    let recipient = match &login {
        Some(l) => reset::recipient(&mut db, l).await?,
        None => None,
    };
    let account_key = recipient.as_ref().map(|r| format!("reset:a:{}", r.id));
    let mut keys = vec![id_key.as_str()];
    keys.extend(account_key.as_deref());
    let throttled = throttle::locked_until(&mut db, &keys, now).await?.is_some();
    if !throttled {
        for key in &keys {
            throttle::record_failure(&mut db, key, now, &config.throttle_reset).await?;
        }
    }

    let email = recipient
        .as_ref()
        .and_then(|r| r.email.as_deref())
        .filter(|e| !e.trim().is_empty());
    let outcome: &str = match (&recipient, email) {
        (None, _) => "unknown",
        (Some(_), _) if throttled => "throttled",
        (Some(r), _) if r.status != AccountStatus::Active.code() => "inactive",
        (Some(_), None) => "no_email",
        (Some(r), Some(email)) if state.mailer().is_configured() => {
            let token =
                reset::create(&mut db, r.account_id(), now, config.password_reset_ttl).await?;
            match state
                .mailer()
                .queue(mail_for(&state, ctx.lang, r, email, &token))
            {
                Ok(()) => "queued",
                Err(e) => e.code(),
            }
        }
        (Some(_), Some(_)) => {
            tracing::warn!(
                "a password-reset link was requested but no [smtp] server is configured; no mail was sent"
            );
            crate::mail::NotQueued::NoServer.code()
        }
    };
    if !matches!(outcome, "queued" | "bad_address" | "mail_queue_full") {
        // The same token and database work as for a link that is sent.
        reset::decoy(&mut db).await?;
    }
    let ip = ctx.client_ip.to_string();
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::PASSWORD_RESET_REQUESTED,
            subject: recipient.as_ref().map(|r| (r.id, r.username.as_str())),
            org_code: recipient.as_ref().and_then(|r| r.org_code.as_deref()),
            ip: Some(&ip),
            details: Some(serde_json::json!({ "outcome": outcome })),
            ..Default::default()
        },
    )
    .await?;
    if matches!(
        outcome,
        "no_mail_server" | "bad_address" | "mail_queue_full"
    ) && let Some(r) = &recipient
    {
        audit::record(
            &mut db,
            &audit::Entry {
                event: event::PASSWORD_RESET_FAILED,
                subject: Some((r.id, &r.username)),
                org_code: r.org_code.as_deref(),
                ip: Some(&ip),
                details: Some(serde_json::json!({ "reason": outcome })),
                ..Default::default()
            },
        )
        .await?;
    }
    render(&RequestPage {
        ctx: &ctx,
        login: String::new(),
        error: None,
        sent: true,
    })
}

fn refusal_key(r: Refusal) -> (StatusCode, &'static str, &'static str) {
    match r {
        Refusal::Unknown => (StatusCode::NOT_FOUND, "reset.link_unknown", "unknown"),
        Refusal::Expired => (StatusCode::GONE, "reset.link_expired", "expired"),
        Refusal::Used => (StatusCode::GONE, "reset.link_used", "used"),
    }
}

async fn refused(state: &AppState, ctx: &RequestCtx, r: Refusal) -> AppResult<Response> {
    let (status, key, reason) = refusal_key(r);
    audit::record(
        &mut state.db(),
        &audit::Entry {
            event: event::PASSWORD_RESET_FAILED,
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "reason": reason })),
            ..Default::default()
        },
    )
    .await?;
    let mut res = render_with(
        status,
        &RefusedPage {
            ctx,
            message: ctx.t(key).into_owned(),
        },
    )?;
    no_referrer(&mut res);
    Ok(res)
}

fn no_referrer(res: &mut Response) {
    res.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// The active account a usable token is for.
async fn usable(
    state: &AppState,
    token: &str,
) -> AppResult<Result<(AccountId, accounts::Account), Refusal>> {
    let mut db = state.db();
    let account = match reset::check(&mut db, token, Timestamp::now()).await? {
        Ok(a) => a,
        Err(r) => return Ok(Err(r)),
    };
    Ok(match accounts::get(&mut db, account).await? {
        Some(a) if a.status == AccountStatus::Active => Ok((account, a)),
        _ => Err(Refusal::Unknown),
    })
}

fn form_page<'a>(
    state: &AppState,
    ctx: &'a RequestCtx,
    token: &str,
    username: String,
    errors: FieldErrors,
) -> FormPage<'a> {
    FormPage {
        ctx,
        action: format!("{RESET_PREFIX}{token}"),
        username,
        min_chars: state.config().password_policy.min_chars.to_string(),
        errors,
    }
}

/// `GET /masuk/atur-ulang-sandi/{token}`
pub async fn show_reset(
    State(state): State<AppState>,
    ctx: crate::extract::Ctx,
    Path(token): Path<String>,
) -> AppResult<Response> {
    match usable(&state, &token).await? {
        Err(r) => refused(&state, &ctx, r).await,
        Ok((_, a)) => {
            let mut res = render(&form_page(
                &state,
                &ctx,
                &token,
                a.username,
                FieldErrors::default(),
            ))?;
            no_referrer(&mut res);
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /masuk/atur-ulang-sandi/{token}`
pub async fn submit_reset(
    State(state): State<AppState>,
    ctx: crate::extract::Ctx,
    Path(token): Path<String>,
    crate::extract::FormData(form): crate::extract::FormData<ResetForm>,
) -> AppResult<Response> {
    let (account, a) = match usable(&state, &token).await? {
        Err(r) => return refused(&state, &ctx, r).await,
        Ok(x) => x,
    };
    let policy = state.config().password_policy;
    let mut errors = FieldErrors::default();
    if let Err(e) = policy.check(&form.new, Some(&a.username)) {
        errors.add(
            "new",
            Msg::new(password_error_key(&e))
                .arg("min", policy.min_chars.to_string())
                .arg("max", policy.max_bytes)
                .render(ctx.lang),
        );
    } else if form.new != form.confirm {
        errors.add("confirm", ctx.t("reset.mismatch").into_owned());
    }
    if !errors.is_empty() {
        let mut res = render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&state, &ctx, &token, a.username, errors),
        )?;
        no_referrer(&mut res);
        return Ok(res);
    }
    let hash = state.hasher().hash(&form.new).await;
    let mut tx = state.db().begin().await?;
    if !reset::consume(&mut tx, &token, account, Timestamp::now()).await? {
        drop(tx);
        // Used or expired meanwhile (another tab); say which.
        let r = reset::check(&mut state.db(), &token, Timestamp::now())
            .await?
            .err()
            .unwrap_or(Refusal::Used);
        return refused(&state, &ctx, r).await;
    }
    accounts::set_password_hash(&mut tx, account, &hash).await?;
    let ended = sessions::delete_all(&mut tx, account).await?;
    // A reset is often what follows a lock-out: the account's identifiers
    // may sign in again (the address's counter stays).
    for id in [
        Some(a.username.as_str()),
        a.nip.as_deref(),
        a.email.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter_map(LoginId::parse)
    {
        throttle::clear(&mut tx, &id.throttle_key()).await?;
    }
    tx.commit().await?;
    audit::record(
        &mut state.db(),
        &audit::Entry {
            event: event::PASSWORD_RESET_COMPLETED,
            subject: Some((account.0, &a.username)),
            org_code: a.org_code.as_deref(),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "sessions_ended": ended })),
            ..Default::default()
        },
    )
    .await?;
    let mut res = render(&DonePage { ctx: &ctx })?;
    no_referrer(&mut res);
    Ok(res)
}
