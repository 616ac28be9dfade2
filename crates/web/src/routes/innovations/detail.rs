//! The public page of a published innovation, `GET /inovasi/{id}`.
//! Anything not published answers 404, exactly like an id that does not
//! exist.

use axum::extract::{Path, State};
use axum::response::Response;
use rumah_domain::innovations::Field;
use rumah_domain::innovations::Sustainability;
use rumah_store::innovations::lifecycle::{self, Report};
use rumah_store::innovations::profiles::{self, Innovation};
use rumah_store::innovations::replication::{self, Link};

use crate::error::{AppError, AppResult};
use crate::extract::Ctx;
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "innovations/detail.html")]
struct DetailPage<'a> {
    ctx: &'a RequestCtx,
    inn: Innovation,
    /// (label key, text) of the narrative sections that are filled in.
    sections: Vec<(&'static str, String)>,
    stages: Vec<(&'static str, String)>,
    beneficiaries: Option<String>,
    sustainability: Option<Sustainability>,
    reports: Vec<Report>,
    bars: Vec<super::lifecycle::Bar>,
    up: Vec<Link>,
    down: Vec<Link>,
    files: Vec<rumah_store::innovations::files::StoredFile>,
    collaborators: Vec<(String, String)>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let inn = profiles::public(&mut state.db(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let sections = super::narrative(&inn.draft);
    let beneficiaries = super::beneficiaries(&inn.draft, ctx.lang);
    let stages = [
        Field::DateInisiatif,
        Field::DateUjiCoba,
        Field::DatePenerapan,
    ]
    .into_iter()
    .map(|f| (f.label_key(), inn.draft.value(f)))
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let mut db = state.db();
    let reports = lifecycle::reports(&mut db, id).await?;
    let (up, down) = replication::lineage(&mut db, id).await?;
    render(&DetailPage {
        files: super::files::public_files(&state, id).await?,
        collaborators: profiles::collaborators(&mut db, id).await?,
        sustainability: super::lifecycle::sustainability_of(&state, id).await?,
        bars: super::lifecycle::beneficiary_bars(&reports, ctx.lang),
        ctx: &ctx,
        inn,
        sections,
        stages,
        beneficiaries,
        reports,
        up,
        down,
    })
}
