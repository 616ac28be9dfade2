use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::ApiScope;
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::tokens;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::{Ctx, FormData};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, format_time, render_with};
use crate::state::AppState;

struct TokenView {
    id: i64,
    name: String,
    hint: String,
    scopes: String,
    last_used: String,
    status_key: &'static str,
    active: bool,
}

#[derive(askama::Template)]
#[template(path = "account/tokens.html")]
struct TokensPage<'a> {
    ctx: &'a RequestCtx,
    tokens: Vec<TokenView>,
    created: Option<String>,
    name: String,
    errors: FieldErrors,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Ctx,
    created: Option<String>,
    name: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let now = Timestamp::now();
    let tokens = tokens::list_for_account(&mut state.db(), user.account())
        .await?
        .into_iter()
        .map(|t| {
            let expired = t.expires_at.is_some_and(|e| e <= now.millis());
            let (status_key, active) = match (t.revoked_at, expired) {
                (Some(_), _) => ("tokens.revoked", false),
                (None, true) => ("tokens.expired", false),
                (None, false) => ("tokens.active", true),
            };
            TokenView {
                id: t.id,
                name: t.name,
                hint: t.token_hint,
                scopes: t.scopes,
                last_used: t.last_used_at.map_or_else(
                    || ctx.t("tokens.never_used").into_owned(),
                    |u| format_time(Timestamp(u), ctx.lang),
                ),
                status_key,
                active,
            }
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_with(
        status,
        &TokensPage {
            ctx,
            tokens,
            created,
            name,
            errors,
        },
    )
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    page(
        &state,
        &user,
        &ctx,
        None,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    name: String,
    scope_read: Option<String>,
    scope_write: Option<String>,
    scope_admin: Option<String>,
    #[serde(default)]
    expires_days: u32,
}

/// Issues a token and shows it once.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<NewToken>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("name", ctx.t("tokens.name_required").into_owned());
    }
    let scopes: Vec<ApiScope> = [
        (form.scope_read.is_some(), ApiScope::Read),
        (form.scope_write.is_some(), ApiScope::Write),
        (form.scope_admin.is_some(), ApiScope::Admin),
    ]
    .into_iter()
    .filter_map(|(on, s)| on.then_some(s))
    .collect();
    if scopes.is_empty() {
        errors.add("scopes", ctx.t("tokens.scopes_required").into_owned());
    }
    if form.expires_days > 3650 {
        errors.add("expires_days", ctx.t("tokens.expiry_invalid").into_owned());
    }
    if !errors.is_empty() {
        return page(&state, &user, &ctx, None, name, errors).await;
    }
    let expires_at = (form.expires_days > 0).then(|| {
        Timestamp::now().plus(std::time::Duration::from_secs(
            u64::from(form.expires_days) * 86_400,
        ))
    });
    let mut db = state.db();
    let (id, token) = tokens::create(&mut db, user.account(), &name, &scopes, expires_at).await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::TOKEN_ISSUED,
            actor: Some((user.account(), &user.info.username)),
            subject: Some((user.account().0, &user.info.username)),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "token_id": id, "name": name, "scopes": tokens::encode_scopes(&scopes) })),
            ..Default::default()
        },
    )
    .await?;
    page(
        &state,
        &user,
        &ctx,
        Some(token),
        String::new(),
        FieldErrors::default(),
    )
    .await
}

pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mut db = state.db();
    let name = tokens::revoke(&mut db, user.account(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::TOKEN_REVOKED,
            actor: Some((user.account(), &user.info.username)),
            subject: Some((user.account().0, &user.info.username)),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "token_id": id, "name": name })),
            ..Default::default()
        },
    )
    .await?;
    Ok(Redirect::to("/akun/token").into_response())
}
