//! The signed-in user's own account: profile, password, second factor
//! (MFA), sessions, tokens.

pub mod mfa;
mod password;
pub use password::password_error_key;
mod profile;
mod sessions;
mod tokens;
mod webauthn;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/akun", get(profile::show))
        .route(
            "/akun/kata-sandi",
            get(password::show).post(password::submit),
        )
        .route(mfa::PAGE, get(mfa::show))
        .route(mfa::ENABLE, post(mfa::enable))
        .route(mfa::REGENERATE, post(mfa::regenerate))
        .route(mfa::DISABLE, post(mfa::disable))
        .route(webauthn::ADD, post(webauthn::add))
        .route(webauthn::REMOVE, post(webauthn::remove))
        .route("/akun/sesi", get(sessions::list))
        .route("/akun/sesi/keluar-semua", post(sessions::end_all))
        .route("/akun/sesi/{id}/akhiri", post(sessions::end_one))
        .route("/akun/token", get(tokens::list).post(tokens::create))
        .route("/akun/token/{id}/cabut", post(tokens::revoke))
}

/// A role grant ready for display.
pub struct GrantView {
    pub id: i64,
    pub role_key: &'static str,
    pub org_code: String,
    pub org_name: String,
}

impl From<rumah_store::identity::accounts::GrantInfo> for GrantView {
    fn from(g: rumah_store::identity::accounts::GrantInfo) -> Self {
        Self {
            id: g.id,
            role_key: crate::pages::role_key(g.role),
            org_code: g.org_code.to_string(),
            org_name: g.org_name,
        }
    }
}
