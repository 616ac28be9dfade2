//! The SPD aspect of a region (satuan pemerintahan daerah, indicators 1–15):
//! `/iid/wilayah/{code}/spd?tahun=`. Whoever may read the region's IID page
//! sees the levels and evidence; the officers who manage innovations over
//! the region's root node (`ManageInnovations`) fill them in. Another
//! region's page is 404, as on the region page.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::innovations::iid::{Levels, YearRules};
use rumah_store::innovations::iid::{self, Answer};
use rumah_store::orgs::OrgNode;

use super::{
    AssessRow, YearQuery, assess_rows, dec, joined, may_manage_region, parse_answers,
    posted_year_rules, readable_region, year_rules,
};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render_with};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "innovations/iid_spd.html")]
struct SpdPage<'a> {
    ctx: &'a RequestCtx,
    region: OrgNode,
    year: i32,
    years: Vec<i32>,
    rows: Vec<AssessRow>,
    spd: String,
    max_spd: String,
    missing: String,
    may_edit: bool,
    /// Errors of fields that are not SPD indicators of the year.
    stray: Vec<(String, String)>,
    errors: FieldErrors,
    notice: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn page(
    ctx: &RequestCtx,
    user: &CurrentUser,
    region: OrgNode,
    rules: &YearRules,
    years: Vec<i32>,
    answers: &BTreeMap<i64, Answer>,
    (errors, stray): (FieldErrors, Vec<(String, String)>),
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let levels: Levels = answers.iter().map(|(n, a)| (*n, a.level)).collect();
    render_with(
        status,
        &SpdPage {
            ctx,
            may_edit: may_manage_region(user, &region),
            region,
            year: rules.year,
            years,
            rows: assess_rows(ctx, &rules.spd_indicators, answers, &errors),
            spd: dec(rules.spd(&levels), ctx.lang),
            max_spd: dec(rules.max_spd(), ctx.lang),
            missing: joined(&rules.missing_spd_mandatory(&levels)),
            stray,
            errors,
            notice,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(code): Path<String>,
    QueryParams(q): QueryParams<YearQuery>,
) -> AppResult<Response> {
    let region = readable_region(&state, &user, &code).await?;
    let (rules, years) = year_rules(&state, q.tahun.as_deref()).await?;
    let answers = iid::region_spd(&mut state.db(), region.code.as_str(), rules.year).await?;
    let notice = q.ok.map(|_| ctx.t("iid.saved").into_owned());
    page(
        &ctx,
        &user,
        region,
        &rules,
        years,
        &answers,
        (FieldErrors::default(), Vec::new()),
        notice,
        StatusCode::OK,
    )
}

pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(code): Path<String>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    let region = readable_region(&state, &user, &code).await?;
    if !may_manage_region(&user, &region) {
        return Err(AppError::forbidden());
    }
    let (rules, years) = posted_year_rules(&state, &pairs).await?;
    let (answers, errors, stray) = parse_answers(&ctx, &rules.spd_indicators, &pairs);
    if !errors.is_empty() {
        return page(
            &ctx,
            &user,
            region,
            &rules,
            years,
            &answers,
            (errors, stray),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let mut tx = state.db().begin().await?;
    iid::save_region_spd(
        &mut tx,
        region.code.as_str(),
        rules.year,
        &answers,
        &user.info.username,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/iid/wilayah/{}/spd?tahun={}&ok=1",
        region.code.as_str(),
        rules.year
    ))
    .into_response())
}
