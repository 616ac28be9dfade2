use axum::extract::State;
use axum::response::Response;
use rumah_domain::authz::Permission;
use rumah_domain::time::Timestamp;
use rumah_store::audit;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::{Ctx, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{format_time, render};
use crate::state::AppState;

const PAGE_SIZE: i64 = 100;

pub struct EntryView {
    when: String,
    event: String,
    actor: String,
    subject: String,
    ip: String,
    details: String,
}

#[derive(askama::Template)]
#[template(path = "admin/audit.html")]
struct AuditPage<'a> {
    ctx: &'a RequestCtx,
    entries: Vec<EntryView>,
    events: &'static [&'static str],
    filter_event: String,
    filter_user: String,
    filter_client: String,
    next_before: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    event: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    client: String,
    sebelum: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    QueryParams(q): QueryParams<AuditQuery>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ViewAudit)?;
    let filter = audit::Filter {
        event: Some(q.event.clone()),
        user: Some(q.user.clone()),
        client_id: Some(q.client.clone()),
        before_id: q.sebelum,
        limit: PAGE_SIZE,
    };
    let records = audit::list(&mut state.db(), &scope, &filter).await?;
    let next_before = (records.len() == usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX))
        .then(|| records.last().map(|r| r.id))
        .flatten();
    let entries = records
        .into_iter()
        .map(|r| EntryView {
            when: format_time(Timestamp(r.at), ctx.lang),
            event: r.event,
            actor: r.actor_label.unwrap_or_default(),
            subject: r.subject_label.unwrap_or_default(),
            ip: r.ip.unwrap_or_default(),
            details: r.details.unwrap_or_default(),
        })
        .collect();
    render(&AuditPage {
        ctx: &ctx,
        entries,
        events: audit::event::ALL,
        filter_event: q.event,
        filter_user: q.user,
        filter_client: q.client,
        next_before,
    })
}
