use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use rumah_store::audit::{self, event};
use rumah_store::identity::sessions;

use crate::auth::session::{clear_cookie, session_cookie_name};
use crate::error::AppResult;
use crate::extract::Ctx;
use crate::state::AppState;

/// Ends this browser's session (the cookie is cleared whatever happens).
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> AppResult<Response> {
    let secure = state.config().secure_cookies;
    let name = session_cookie_name(secure);
    let token = headers
        .get_all(COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned());
    if let Some(token) = token {
        let mut db = state.db();
        if let Some(account) = sessions::delete_by_token(&mut db, &token).await? {
            let username = ctx
                .session
                .as_ref()
                .map(|s| s.info.username.clone())
                .unwrap_or_default();
            audit::record(
                &mut db,
                &audit::Entry {
                    event: event::LOGOUT,
                    actor: Some((account, &username)),
                    subject: Some((account.0, &username)),
                    ip: Some(&ctx.client_ip.to_string()),
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    Ok((
        [(SET_COOKIE, clear_cookie(name, secure))],
        Redirect::to("/"),
    )
        .into_response())
}
