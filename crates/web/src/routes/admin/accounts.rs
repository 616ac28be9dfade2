use axum::extract::State;
use axum::response::Response;
use rumah_domain::authz::Permission;
use rumah_store::identity::accounts::{self, Account};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::{Ctx, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;

#[derive(askama::Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage<'a> {
    ctx: &'a RequestCtx,
    accounts: Vec<Account>,
    q: String,
    prev_page: Option<i64>,
    next_page: Option<i64>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default = "first_page")]
    halaman: i64,
}

fn first_page() -> i64 {
    1
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    QueryParams(query): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageAccounts)?;
    let page = query.halaman.clamp(1, 10_000);
    let mut found = accounts::list_in_scope(
        &mut state.db(),
        &scope,
        Some(&query.q),
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let has_more = found.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    found.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    render(&AccountsPage {
        ctx: &ctx,
        accounts: found,
        q: query.q,
        prev_page: (page > 1).then_some(page - 1),
        next_page: has_more.then_some(page + 1),
    })
}
