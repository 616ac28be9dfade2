//! Routes, one module per bounded context and one file per action.
//!
//! Three routers with different protection:
//! - **browser** pages: session cookie, CSRF token and cross-origin check on
//!   every unsafe request;
//! - **api** (`/api/v1`): bearer token or session cookie (with CSRF);
//! - **ops** (`/healthz`, `/readyz`, `/metrics`, static files): no session.

pub mod account;
pub mod admin;
pub mod api;
pub mod auth;
pub mod home;
pub mod innovations;
pub mod lang;
pub mod oidc;
pub mod ops;
pub mod sitemap;
pub mod surveys;

use axum::Router;

use crate::state::AppState;

/// Page routes.
pub fn browser() -> Router<AppState> {
    Router::new()
        .merge(home::routes())
        .merge(lang::routes())
        .merge(auth::routes())
        .merge(account::routes())
        .merge(admin::routes())
        .merge(surveys::routes())
        .merge(innovations::routes())
        .merge(sitemap::routes())
        .merge(innovations::iid::routes())
        .merge(innovations::files::routes())
        .merge(oidc::browser_routes())
}
