use axum::response::Response;
use rumah_domain::authz::Permission;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::Ctx;
use crate::middleware::RequestCtx;
use crate::pages::{render, role_key};

#[derive(askama::Template)]
#[template(path = "admin/index.html")]
struct AdminIndex<'a> {
    ctx: &'a RequestCtx,
    scopes: Vec<String>,
    can_accounts: bool,
    can_orgs: bool,
    can_audit: bool,
    can_clients: bool,
}

pub async fn show(user: CurrentUser, ctx: Ctx) -> AppResult<Response> {
    let (can_accounts, can_orgs, can_audit) = (
        user.can(Permission::ManageAccounts),
        user.can(Permission::ManageOrgs),
        user.can(Permission::ViewAudit),
    );
    // Clients serve the whole province: only its administrators see them.
    let can_clients = user
        .principal
        .scope(Permission::ManageClients)
        .is_some_and(|s| s.is_province_wide());
    if !(can_accounts || can_orgs || can_audit) {
        return Err(AppError::forbidden());
    }
    let scopes = user
        .principal
        .grants()
        .iter()
        .map(|g| format!("{} — {}", ctx.t(role_key(g.role)), g.org))
        .collect();
    render(&AdminIndex {
        ctx: &ctx,
        scopes,
        can_accounts,
        can_orgs,
        can_audit,
        can_clients,
    })
}
