use axum::extract::State;
use axum::response::Response;
use rumah_domain::identity::Nip;
use rumah_store::identity::accounts::{self, Account};

use super::GrantView;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::Ctx;
use crate::middleware::RequestCtx;
use crate::pages::{kind_key, render};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "account/profile.html")]
struct ProfilePage<'a> {
    ctx: &'a RequestCtx,
    account: Account,
    kind_key: &'static str,
    nip: Option<String>,
    grants: Vec<GrantView>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    let mut db = state.db();
    let account = accounts::get(&mut db, user.account())
        .await?
        .ok_or_else(AppError::not_found)?;
    let grants = accounts::grants(&mut db, user.account())
        .await?
        .into_iter()
        .map(GrantView::from)
        .collect();
    let nip = account
        .nip
        .as_deref()
        .and_then(|n| Nip::parse(n).ok())
        .map(|n| n.grouped());
    render(&ProfilePage {
        ctx: &ctx,
        kind_key: kind_key(account.kind),
        nip,
        account,
        grants,
    })
}
