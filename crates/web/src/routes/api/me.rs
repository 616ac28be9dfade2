use axum::Json;
use axum::extract::State;
use rumah_domain::authz::ApiScope;
use rumah_store::identity::accounts;
use serde::Serialize;

use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrgRef {
    #[schema(example = "35.15.DINKES")]
    pub code: String,
    #[schema(example = "Dinas Kesehatan")]
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleJson {
    #[schema(example = "innovation_admin")]
    pub role: String,
    #[schema(example = "35.15")]
    pub org: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountJson {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `asn`, `public` or `service`.
    pub kind: String,
    /// `active`, `locked` or `pending`.
    pub status: String,
    pub email: Option<String>,
    pub nip: Option<String>,
    pub org: Option<OrgRef>,
    pub position: Option<String>,
    pub roles: Vec<RoleJson>,
}

pub async fn account_json(state: &AppState, account: accounts::Account) -> AppResult<AccountJson> {
    let roles = accounts::grants(&mut state.db(), account.id)
        .await?
        .into_iter()
        .map(|g| RoleJson {
            role: g.role.code().to_owned(),
            org: g.org_code.to_string(),
        })
        .collect();
    Ok(AccountJson {
        id: account.id.0,
        username: account.username,
        display_name: account.display_name,
        kind: account.kind.code().to_owned(),
        status: account.status.code().to_owned(),
        email: account.email,
        nip: account.nip,
        org: account
            .org_code
            .zip(account.org_name)
            .map(|(code, name)| OrgRef { code, name }),
        position: account.position,
        roles,
    })
}

/// The authenticated caller's own account and roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AccountJson), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> AppResult<Json<AccountJson>> {
    if !caller.principal.has_api_scope(ApiScope::Read) {
        return Err(AppError::forbidden());
    }
    let account = accounts::get(&mut state.db(), caller.principal.account)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    Ok(Json(account_json(&state, account).await?))
}
