//! The public results of a unit: `GET /skm/{slug}/hasil?periode=&layanan=`.
//! Computed from the monthly tallies (never from raw answers), so a unit
//! with a million responses costs the same as one with ten.

use axum::extract::{Path, State};
use axum::response::Response;
use rumah_domain::surveys::period::Period;
use rumah_domain::surveys::skm::{self, Tally, krejcie_morgan};
use rumah_store::surveys::feedback::{self, Feedback};
use rumah_store::surveys::tallies;
use rumah_store::surveys::units::{self, Service, Unit};
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::extract::{Ctx, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::state::AppState;

use super::view::{self, ElementRow, Score, TrendBar, fmt_int, period_label};

/// How many periods the trend chart shows.
const TREND_PERIODS: usize = 6;

#[derive(Deserialize)]
pub struct ResultsQuery {
    periode: Option<String>,
    layanan: Option<i64>,
}

pub struct ServiceRow {
    pub id: i64,
    pub name: String,
    pub score: Score,
}

pub struct Sample {
    pub population: String,
    pub target: String,
    pub achieved: String,
    pub met: bool,
}

#[derive(askama::Template)]
#[template(path = "surveys/results.html")]
struct ResultsPage<'a> {
    ctx: &'a RequestCtx,
    unit: Unit,
    period: Period,
    period_label: String,
    periods: Vec<(String, String, bool)>,
    service: Option<Service>,
    services: Vec<ServiceRow>,
    score: Score,
    elements: Vec<ElementRow>,
    trend: Vec<TrendBar>,
    sample: Option<Sample>,
    feedback: Vec<Feedback>,
    weight_rule: String,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    QueryParams(q): QueryParams<ResultsQuery>,
) -> AppResult<Response> {
    let period = view::period_param(q.periode.as_deref())?;
    let rounding = state.config().skm.rounding;
    let mut db = state.db();
    let unit = units::by_slug(&mut db, &slug)
        .await?
        .ok_or_else(AppError::not_found)?;
    let all_services = units::services(&mut db, unit.id).await?;
    let service = match q.layanan {
        Some(id) => Some(
            all_services
                .iter()
                .find(|s| s.id == id)
                .cloned()
                .ok_or_else(AppError::not_found)?,
        ),
        None => None,
    };
    let (from, to) = period.month_range();
    let per_service = tallies::by_service(&mut db, unit.id, i64::from(from), i64::from(to)).await?;
    let total: Tally = match &service {
        Some(s) => per_service
            .iter()
            .find(|(id, _)| *id == s.id)
            .map(|(_, t)| *t)
            .unwrap_or_default(),
        None => skm::roll_up(per_service.iter().map(|(_, t)| *t)),
    };
    let result = skm::compute(&total, &rounding);
    let elements = match &result {
        Some(r) => view::element_rows(
            &units::elements(&mut db, &unit.element_version).await?,
            r,
            ctx.lang,
        ),
        None => Vec::new(),
    };
    let trend_periods = period.trend(TREND_PERIODS);
    let trend_from = trend_periods.first().map_or(from, |p| p.month_range().0);
    let months = tallies::by_month(
        &mut db,
        unit.id,
        service.as_ref().map(|s| s.id),
        i64::from(trend_from),
        i64::from(to),
    )
    .await?;
    let trend = view::trend(&trend_periods, &months, &rounding, ctx.lang);
    let services = all_services
        .iter()
        .map(|s| ServiceRow {
            id: s.id,
            name: s.name.clone(),
            score: Score::of(
                &per_service
                    .iter()
                    .find(|(id, _)| *id == s.id)
                    .map(|(_, t)| *t)
                    .unwrap_or_default(),
                &rounding,
                ctx.lang,
            ),
        })
        .collect();
    let sample = match period {
        Period::Year { year } if service.is_none() => {
            units::population(&mut db, unit.id, i64::from(year))
                .await?
                .map(|population| {
                    let target = krejcie_morgan(
                        u64::try_from(population).unwrap_or(0),
                        state.config().skm.sample_rounding,
                    );
                    Sample {
                        population: fmt_int(population, ctx.lang),
                        target: fmt_int(i64::try_from(target).unwrap_or(i64::MAX), ctx.lang),
                        achieved: fmt_int(total.respondents, ctx.lang),
                        met: u64::try_from(total.respondents).unwrap_or(0) >= target,
                    }
                })
        }
        _ => None,
    };
    let feedback = feedback::published(&mut db, unit.id, 20).await?;
    let score = Score::from_result(total.respondents, result.as_ref(), &rounding, ctx.lang);
    let periods = period_choices(&period, ctx.lang);
    render(&ResultsPage {
        period_label: period_label(&period, ctx.lang),
        weight_rule: weight_label(&rounding, ctx.lang),
        ctx: &ctx,
        unit,
        period,
        periods,
        service,
        services,
        score,
        elements,
        trend,
        sample,
        feedback,
    })
}

/// The element weight as used: `0,11` for two decimals, `1/9` when exact.
fn weight_label(rounding: &skm::Rounding, lang: crate::i18n::Lang) -> String {
    match rounding.weight {
        skm::WeightRule::Exact => "1/9".to_owned(),
        rule @ skm::WeightRule::Decimals(d) => view::fmt_dec(rule.weight(), usize::from(d), lang),
    }
}

/// Periods offered in the selector: this year and last year, their
/// semesters and quarters. (key, label, selected)
pub fn period_choices(current: &Period, lang: crate::i18n::Lang) -> Vec<(String, String, bool)> {
    let (year, _) = view::now_wib();
    let mut out = Vec::new();
    for y in [year, year - 1] {
        for key in [
            format!("{y}"),
            format!("{y}-S1"),
            format!("{y}-S2"),
            format!("{y}-Q1"),
            format!("{y}-Q2"),
            format!("{y}-Q3"),
            format!("{y}-Q4"),
        ] {
            if let Ok(p) = Period::parse(&key) {
                out.push((p.key(), period_label(&p, lang), p == *current));
            }
        }
    }
    if !out.iter().any(|(_, _, sel)| *sel) {
        out.insert(0, (current.key(), period_label(current, lang), true));
    }
    out
}
