//! The visible language switch: `/bahasa/en?kembali=/path` remembers the
//! choice in a cookie and returns to the page.

use axum::Router;
use axum::extract::Path;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::session::{LANG_COOKIE, set_cookie};
use crate::error::AppError;
use crate::extract::{QueryParams, safe_return_path};
use crate::i18n::Lang;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/bahasa/{code}", get(switch))
}

#[derive(Deserialize)]
struct Back {
    kembali: Option<String>,
}

async fn switch(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(code): Path<String>,
    QueryParams(back): QueryParams<Back>,
) -> Result<Response, AppError> {
    let lang = Lang::from_code(&code).ok_or_else(AppError::not_found)?;
    let secure = state.config().secure_cookies;
    let one_year = std::time::Duration::from_secs(365 * 24 * 3600);
    Ok((
        [(
            SET_COOKIE,
            set_cookie(LANG_COOKIE, lang.code(), secure, Some(one_year)),
        )],
        Redirect::to(&safe_return_path(back.kembali.as_deref())),
    )
        .into_response())
}
