//! Signing in and out (the full OpenID Connect provider builds on this).

mod login;
mod logout;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/masuk", get(login::show).post(login::submit))
        .route("/keluar", post(logout::submit))
}
