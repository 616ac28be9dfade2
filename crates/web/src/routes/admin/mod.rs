//! Administration, always inside the caller's scope: accounts and roles,
//! the org tree, the audit log. Each handler's first line asks the caller's
//! principal for the permission it needs.

mod account_detail;
mod account_new;
mod accounts;
mod audit;
mod index;
mod orgs;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index::show))
        .route("/admin/akun", get(accounts::list))
        .route(
            "/admin/akun/baru",
            get(account_new::show).post(account_new::submit),
        )
        .route("/admin/akun/{id}", get(account_detail::show))
        .route("/admin/akun/{id}/status", post(account_detail::set_status))
        .route("/admin/akun/{id}/peran", post(account_detail::grant))
        .route(
            "/admin/akun/{id}/peran/{grant}/cabut",
            post(account_detail::revoke),
        )
        .route("/admin/organisasi", get(orgs::list).post(orgs::create))
        .route("/admin/audit", get(audit::list))
}
