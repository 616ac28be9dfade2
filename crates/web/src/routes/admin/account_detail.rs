//! One account as its administrator sees it: status, roles, lock/unlock,
//! grant and revoke. An account outside the caller's scope is a 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::{Permission, Role, Scope};
use rumah_domain::identity::{AccountId, AccountStatus};
use rumah_domain::orgs::OrgCode;
use rumah_store::audit::{self, event};
use rumah_store::identity::accounts::{self, Account, AdminError};
use rumah_store::identity::sessions;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, kind_key, render_with, role_key, status_key};
use crate::routes::account::GrantView;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "admin/account_detail.html")]
struct DetailPage<'a> {
    ctx: &'a RequestCtx,
    account: Account,
    kind_key: &'static str,
    status_key: &'static str,
    locked: bool,
    grants: Vec<GrantView>,
    roles: Vec<(&'static str, &'static str)>,
    grant_org: String,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct Notice {
    pesan: Option<String>,
}

fn notice_key(code: &str) -> Option<&'static str> {
    match code {
        "dibuat" => Some("admin.notice_created"),
        "peran" => Some("admin.notice_role_granted"),
        "dicabut" => Some("admin.notice_role_revoked"),
        "status" => Some("admin.notice_status"),
        _ => None,
    }
}

/// What the detail page shows besides the account itself.
#[derive(Default)]
struct View {
    status: Option<StatusCode>,
    grant_org: String,
    errors: FieldErrors,
    notice: Option<String>,
}

impl View {
    fn grant_error(grant_org: &str, message: String) -> Self {
        let mut errors = FieldErrors::default();
        errors.add("org", message);
        Self {
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            grant_org: grant_org.to_owned(),
            errors,
            notice: None,
        }
    }
}

async fn detail(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: AccountId,
    view: View,
) -> AppResult<Response> {
    let mut db = state.db();
    let account = accounts::get_in_scope(&mut db, scope, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let grants = accounts::grants(&mut db, id)
        .await?
        .into_iter()
        .map(GrantView::from)
        .collect();
    let roles = Role::ALL.iter().map(|r| (r.code(), role_key(*r))).collect();
    render_with(
        view.status.unwrap_or(StatusCode::OK),
        &DetailPage {
            ctx,
            kind_key: kind_key(account.kind),
            status_key: status_key(account.status),
            locked: account.status != AccountStatus::Active,
            account,
            grants,
            roles,
            grant_org: view.grant_org,
            errors: view.errors,
            notice: view.notice,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageAccounts)?;
    let notice = n
        .pesan
        .as_deref()
        .and_then(notice_key)
        .map(|k| ctx.t(k).into_owned());
    detail(
        &state,
        &ctx,
        &scope,
        AccountId(id),
        View {
            notice,
            ..View::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

/// Locks (and signs out) or unlocks an account.
pub async fn set_status(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<StatusForm>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageAccounts)?;
    let status = match form.status.as_str() {
        "active" => AccountStatus::Active,
        "locked" => AccountStatus::Locked,
        _ => {
            return Err(AppError::invalid(
                "status",
                "invalid_status",
                Msg::new("error.bad_request"),
            ));
        }
    };
    let id = AccountId(id);
    if id == user.account() && status == AccountStatus::Locked {
        return Err(AppError::conflict(
            "cannot_lock_self",
            Msg::new("admin.cannot_lock_self"),
        ));
    }
    let mut db = state.db();
    match accounts::set_status(&mut db, &scope, id, status).await {
        Ok(()) => {}
        Err(AdminError::NotFound) => return Err(AppError::not_found()),
        Err(AdminError::Outranked) => return Err(AppError::forbidden()),
        Err(AdminError::Duplicate) => {}
        Err(AdminError::Store(e)) => return Err(e.into()),
    }
    if status == AccountStatus::Locked {
        sessions::delete_all(&mut db, id).await?;
    }
    let target = accounts::get(&mut db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: if status == AccountStatus::Locked {
                event::ACCOUNT_LOCKED
            } else {
                event::ACCOUNT_UNLOCKED
            },
            actor: Some((user.account(), &user.info.username)),
            subject: Some((id.0, &target.username)),
            org_code: target.org_code.as_deref(),
            ip: Some(&ctx.client_ip.to_string()),
            ..Default::default()
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/akun/{}?pesan=status", id.0)).into_response())
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    org: String,
}

pub async fn grant(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<GrantForm>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageAccounts)?;
    let id = AccountId(id);
    let role = Role::from_code(&form.role)
        .ok_or_else(|| AppError::invalid("role", "invalid_role", Msg::new("admin.role_invalid")))?;
    let field_error = |key: &'static str| View::grant_error(&form.org, ctx.t(key).into_owned());
    let Ok(org) = OrgCode::parse(&form.org) else {
        return detail(&state, &ctx, &scope, id, field_error("admin.org_not_found")).await;
    };
    let mut db = state.db();
    match accounts::add_grant(&mut db, &scope, id, role, &org, Some(user.account())).await {
        Ok(_) => {}
        Err(AdminError::NotFound) => {
            // Either the account or the org is out of reach; tell which only
            // if the account itself is visible.
            if accounts::get_in_scope(&mut db, &scope, id).await?.is_none() {
                return Err(AppError::not_found());
            }
            return detail(&state, &ctx, &scope, id, field_error("admin.org_not_found")).await;
        }
        Err(AdminError::Duplicate) => {
            return detail(
                &state,
                &ctx,
                &scope,
                id,
                field_error("admin.role_duplicate"),
            )
            .await;
        }
        Err(AdminError::Outranked) => return Err(AppError::forbidden()),
        Err(AdminError::Store(e)) => return Err(e.into()),
    }
    let target = accounts::get(&mut db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::ROLE_GRANTED,
            actor: Some((user.account(), &user.info.username)),
            subject: Some((id.0, &target.username)),
            org_code: Some(org.as_str()),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "role": role.code(), "org": org.as_str() })),
            ..Default::default()
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/akun/{}?pesan=peran", id.0)).into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path((id, grant_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageAccounts)?;
    let id = AccountId(id);
    let mut db = state.db();
    let removed = match accounts::remove_grant(&mut db, &scope, id, grant_id).await {
        Ok(g) => g,
        Err(AdminError::Store(e)) => return Err(e.into()),
        Err(_) => return Err(AppError::not_found()),
    };
    let target = accounts::get(&mut db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::ROLE_REVOKED,
            actor: Some((user.account(), &user.info.username)),
            subject: Some((id.0, &target.username)),
            org_code: Some(removed.org_code.as_str()),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "role": removed.role.code(), "org": removed.org_code.as_str() })),
            ..Default::default()
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/akun/{}?pesan=dicabut", id.0)).into_response())
}
