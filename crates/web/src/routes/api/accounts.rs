use axum::Json;
use axum::extract::{Path, State};
use rumah_domain::authz::Permission;
use rumah_domain::identity::AccountId;
use rumah_store::identity::accounts;
use serde::Deserialize;

use super::Paging;
use super::me::{AccountJson, account_json};
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::extract::QueryParams;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AccountQuery {
    /// Search in username, name, NIP and e-mail.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Accounts inside the caller's scope (administrators; token scope `admin`).
#[utoipa::path(get, path = "/api/v1/accounts", tag = "identity", security(("bearer" = []), ("session" = [])), params(AccountQuery),
    responses((status = 200, body = [AccountJson]), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    QueryParams(q): QueryParams<AccountQuery>,
) -> AppResult<Json<Vec<AccountJson>>> {
    let scope = caller.require(Permission::ManageAccounts)?;
    let paging = Paging {
        limit: q.limit,
        offset: q.offset,
    };
    let found = accounts::list_in_scope(
        &mut state.db(),
        &scope,
        q.q.as_deref(),
        paging.limit(),
        paging.offset(),
    )
    .await?;
    let mut out = Vec::with_capacity(found.len());
    for a in found {
        out.push(account_json(&state, a).await?);
    }
    Ok(Json(out))
}

/// One account inside the caller's scope; 404 when it is outside.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "identity", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = AccountJson), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<AccountJson>> {
    let scope = caller.require(Permission::ManageAccounts)?;
    let account = accounts::get_in_scope(&mut state.db(), &scope, AccountId(id))
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(account_json(&state, account).await?))
}
