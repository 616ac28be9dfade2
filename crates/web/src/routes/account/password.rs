use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rumah_store::audit::{self, event};
use rumah_store::identity::{accounts, sessions};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::auth::password::Verification;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render, render_with};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "account/password.html")]
struct PasswordPage<'a> {
    ctx: &'a RequestCtx,
    username: String,
    min_chars: String,
    errors: FieldErrors,
    saved: bool,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    render(&PasswordPage {
        ctx: &ctx,
        username: user.info.username.clone(),
        min_chars: state.config().password_policy.min_chars.to_string(),
        errors: FieldErrors::default(),
        saved: false,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

/// Changes the password after checking the current one, then ends every
/// other session of the account.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<PasswordForm>,
) -> AppResult<Response> {
    let mut db = state.db();
    let mut errors = FieldErrors::default();
    let creds = accounts::credentials_by_id(&mut db, user.account())
        .await?
        .ok_or_else(AppError::not_found)?;
    if state
        .hasher()
        .verify(&form.current, creds.password_hash.as_deref())
        .await
        == Verification::Invalid
    {
        errors.add("current", ctx.t("password.current_wrong").into_owned());
    }
    if let Err(e) = state
        .config()
        .password_policy
        .check(&form.new, Some(&user.info.username))
    {
        let min = state.config().password_policy.min_chars.to_string();
        errors.add(
            "new",
            Msg::new(password_error_key(&e))
                .arg("min", min)
                .arg("max", state.config().password_policy.max_bytes)
                .render(ctx.lang),
        );
    }
    let page = |errors: FieldErrors, saved: bool| PasswordPage {
        ctx: &ctx,
        username: user.info.username.clone(),
        min_chars: state.config().password_policy.min_chars.to_string(),
        errors,
        saved,
    };
    if !errors.is_empty() {
        return render_with(StatusCode::UNPROCESSABLE_ENTITY, &page(errors, false));
    }
    let hash = state.hasher().hash(&form.new).await;
    accounts::set_password_hash(&mut db, user.account(), &hash).await?;
    sessions::delete_others(&mut db, user.account(), user.info.session_id).await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::PASSWORD_CHANGED,
            actor: Some((user.account(), &user.info.username)),
            subject: Some((user.account().0, &user.info.username)),
            org_code: creds.org_code.as_deref(),
            ip: Some(&ctx.client_ip.to_string()),
            ..Default::default()
        },
    )
    .await?;
    render(&page(FieldErrors::default(), true))
}

pub fn password_error_key(e: &rumah_domain::identity::PasswordPolicyError) -> &'static str {
    use rumah_domain::identity::PasswordPolicyError as P;
    match e {
        P::TooShort { .. } => "password.too_short",
        P::TooLong { .. } => "password.too_long",
        P::ContainsUsername => "password.contains_username",
        P::Common => "password.common",
    }
}
