use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::sessions;

use crate::auth::CurrentUser;
use crate::auth::session::{clear_cookie, session_cookie_name};
use crate::error::{AppError, AppResult};
use crate::extract::Ctx;
use crate::middleware::RequestCtx;
use crate::pages::{format_time, render};
use crate::state::AppState;

struct SessionView {
    id: i64,
    device: String,
    ip: String,
    last_seen: String,
    current: bool,
}

#[derive(askama::Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage<'a> {
    ctx: &'a RequestCtx,
    sessions: Vec<SessionView>,
}

/// A short, human description of a user agent string.
fn describe_device(ua: Option<&str>) -> String {
    let ua = ua.unwrap_or("");
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/"]
        .iter()
        .find(|b| ua.contains(*b))
        .map_or("", |b| match *b {
            "Edg/" => "Edge",
            "Firefox/" => "Firefox",
            "Chrome/" => "Chrome",
            _ => "Safari",
        });
    let os = ["Android", "iPhone", "Windows", "Mac OS", "Linux"]
        .iter()
        .find(|o| ua.contains(*o))
        .copied()
        .unwrap_or("");
    match (browser, os) {
        ("", "") => ua.chars().take(60).collect(),
        (b, "") => b.to_owned(),
        ("", o) => o.to_owned(),
        (b, o) => format!("{b} · {o}"),
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    let mut db = state.db();
    let sessions = sessions::list_for_account(&mut db, user.account(), Timestamp::now())
        .await?
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            device: describe_device(s.user_agent.as_deref()),
            ip: s.ip.unwrap_or_default(),
            last_seen: format_time(Timestamp(s.last_seen_at), ctx.lang),
            current: s.id == user.info.session_id,
        })
        .collect();
    render(&SessionsPage {
        ctx: &ctx,
        sessions,
    })
}

pub async fn end_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if !sessions::delete_one(&mut state.db(), user.account(), id).await? {
        return Err(AppError::not_found());
    }
    Ok(Redirect::to("/akun/sesi").into_response())
}

/// "Sign out of every device", this one included.
pub async fn end_all(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    let mut db = state.db();
    let ended = sessions::delete_all(&mut db, user.account()).await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::SESSIONS_REVOKED,
            actor: Some((user.account(), &user.info.username)),
            subject: Some((user.account().0, &user.info.username)),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "sessions": ended })),
            ..Default::default()
        },
    )
    .await?;
    let secure = state.config().secure_cookies;
    Ok((
        [(
            SET_COOKIE,
            clear_cookie(session_cookie_name(secure), secure),
        )],
        Redirect::to("/masuk"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_described_briefly() {
        let android = "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(describe_device(Some(android)), "Chrome · Android");
        assert_eq!(describe_device(Some("curl/8.5.0")), "curl/8.5.0");
        assert_eq!(describe_device(None), "");
    }
}
