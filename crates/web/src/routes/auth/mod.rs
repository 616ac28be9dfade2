//! Signing in and out (the full OpenID Connect provider builds on this).

pub mod broker;
mod login;
mod logout;
pub mod mfa;
pub mod reset;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/masuk", get(login::show).post(login::submit))
        .route("/keluar", post(logout::submit))
        .route("/masuk/broker/{slug}", get(broker::start))
        .route("/masuk/broker/{slug}/callback", get(broker::callback))
        .route(mfa::STEP_PATH, get(mfa::show).post(mfa::submit))
        .route(mfa::WEBAUTHN_PATH, post(mfa::submit_webauthn))
        .route(
            mfa::ENROL_PATH,
            get(mfa::show_enrol).post(mfa::submit_enrol),
        )
        .route(
            reset::REQUEST_PATH,
            get(reset::show_request).post(reset::submit_request),
        )
        .route(
            reset::RESET_PATH,
            get(reset::show_reset).post(reset::submit_reset),
        )
}
