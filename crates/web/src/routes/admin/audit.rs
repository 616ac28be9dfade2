use axum::extract::State;
use axum::response::Response;
use rumah_domain::authz::Permission;
use rumah_domain::time::Timestamp;
use rumah_store::audit;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
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

impl AuditQuery {
    fn filter(&self, limit: i64) -> audit::Filter {
        audit::Filter {
            event: Some(self.event.clone()),
            user: Some(self.user.clone()),
            client_id: Some(self.client.clone()),
            before_id: self.sebelum,
            limit,
        }
    }
}

/// Rows in one CSV export at most (a year of a busy province's sign-ins
/// fits in a narrower filter).
const CSV_MAX_ROWS: usize = 50_000;

/// `GET /admin/audit.csv`: the filtered entries (the query of the page),
/// newest first, inside the caller's scope, as CSV.
pub async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    QueryParams(q): QueryParams<AuditQuery>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ViewAudit)?;
    let mut filter = q.filter(500);
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "at_utc",
        "event",
        "actor",
        "subject",
        "org",
        "client_id",
        "ip",
        "details",
    ];
    out.write_record(header).map_err(AppError::internal)?;
    let mut rows = 0;
    let mut db = state.db();
    loop {
        let page = audit::list(&mut db, &scope, &filter).await?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        for r in &page {
            let t = Timestamp(r.at).to_utc();
            let at = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            out.write_record([
                r.id.to_string().as_str(),
                &at,
                &r.event,
                r.actor_label.as_deref().unwrap_or(""),
                r.subject_label.as_deref().unwrap_or(""),
                r.org_code.as_deref().unwrap_or(""),
                r.client_id.as_deref().unwrap_or(""),
                r.ip.as_deref().unwrap_or(""),
                r.details.as_deref().unwrap_or(""),
            ])
            .map_err(AppError::internal)?;
        }
        rows += page.len();
        if rows >= CSV_MAX_ROWS || page.len() < 500 {
            break;
        }
        filter.before_id = Some(last);
    }
    let body = out.into_inner().map_err(AppError::internal)?;
    Ok(crate::download::attachment(
        "text/csv; charset=utf-8",
        "log-audit.csv",
        body,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    QueryParams(q): QueryParams<AuditQuery>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ViewAudit)?;
    let filter = q.filter(PAGE_SIZE);
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
