//! What keeps an innovation alive: its institutionalisation, monitoring
//! reports and replication links (officers, `/inovasi/kelola/{id}/keberlanjutan`),
//! the sustainability assessment shown with them, the province-wide "at
//! risk" list (`/inovasi/berisiko`), and replication counts and suggestions
//! per region (`/inovasi/replikasi`, public).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::Permission;
use rumah_domain::innovations::{
    LegalKind, Level, MONITORING_WINDOW_MONTHS, Sustainability, assess,
};
use rumah_store::innovations::lifecycle::{self, Indicator, Institution, NewReport, Report};
use rumah_store::innovations::profiles::{self, Innovation};
use rumah_store::innovations::replication::{self, Link, LinkError, RegionCounts, Suggestion};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render, render_with};
use crate::state::AppState;

use super::today_wib;

/// The assessment of one innovation, today.
pub async fn sustainability_of(state: &AppState, id: i64) -> AppResult<Option<Sustainability>> {
    let today = today_wib();
    Ok(lifecycle::facts_of(&mut state.db(), id, today.year())
        .await?
        .map(|s| assess(&s.facts, today, MONITORING_WINDOW_MONTHS)))
}

/// One bar of the beneficiaries chart (SVG units).
pub struct Bar {
    pub label: String,
    pub value: String,
    pub x: usize,
    pub height: f64,
}

pub fn beneficiary_bars(reports: &[Report], lang: crate::i18n::Lang) -> Vec<Bar> {
    let max = reports
        .iter()
        .filter_map(|r| r.beneficiaries)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    reports
        .iter()
        .filter(|r| r.beneficiaries.is_some())
        .enumerate()
        .map(|(i, r)| {
            let v = r.beneficiaries.unwrap_or(0);
            Bar {
                label: r.period_end.clone(),
                value: crate::routes::surveys::view::fmt_int(v, lang),
                x: i * 70,
                height: v as f64 / max * 100.0,
            }
        })
        .collect()
}

#[derive(Deserialize, Default, Clone)]
pub struct InstitutionForm {
    #[serde(default)]
    legal_kind: String,
    #[serde(default)]
    legal_number: String,
    #[serde(default)]
    legal_date: String,
    #[serde(default)]
    budget_year: String,
    #[serde(default)]
    budget_line: String,
    #[serde(default)]
    has_sop: String,
    #[serde(default)]
    in_rkpd: String,
    #[serde(default)]
    dedicated_staff: String,
}

impl InstitutionForm {
    fn from(i: &Institution) -> Self {
        let yes = |b: bool| if b { "ya".to_owned() } else { String::new() };
        Self {
            legal_kind: i
                .legal_kind
                .map(|k| k.code().to_owned())
                .unwrap_or_default(),
            legal_number: i.legal_number.clone().unwrap_or_default(),
            legal_date: i.legal_date.map(|d| d.to_string()).unwrap_or_default(),
            budget_year: i.budget_year.map(|y| y.to_string()).unwrap_or_default(),
            budget_line: i.budget_line.clone().unwrap_or_default(),
            has_sop: yes(i.has_sop),
            in_rkpd: yes(i.in_rkpd),
            dedicated_staff: yes(i.dedicated_staff),
        }
    }

    fn parse(&self, ctx: &RequestCtx, errors: &mut FieldErrors) -> Institution {
        let text = |s: &str| {
            Some(s.trim())
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(200).collect::<String>())
        };
        let legal_kind = match self.legal_kind.as_str() {
            "" => None,
            c => LegalKind::from_code(c).or_else(|| {
                errors.add("legal_kind", ctx.t("skm.choice_invalid").into_owned());
                None
            }),
        };
        let legal_date = match self.legal_date.trim() {
            "" => None,
            s => parse_date(s).filter(|d| *d <= today_wib()).or_else(|| {
                errors.add(
                    "legal_date",
                    ctx.t("innovation.err.date_invalid").into_owned(),
                );
                None
            }),
        };
        if legal_kind.is_some()
            && (self.legal_number.trim().is_empty() || legal_date.is_none())
            && errors.get("legal_date").is_none()
        {
            errors.add(
                "legal_number",
                ctx.t("innovation.legal_incomplete").into_owned(),
            );
        }
        let budget_year = match self.budget_year.trim() {
            "" => None,
            s => s
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=today_wib().year() + 1).contains(y))
                .or_else(|| {
                    errors.add(
                        "budget_year",
                        ctx.t("innovation.budget_year_invalid").into_owned(),
                    );
                    None
                }),
        };
        Institution {
            legal_kind,
            legal_number: text(&self.legal_number),
            legal_date,
            budget_year,
            budget_line: text(&self.budget_line),
            has_sop: self.has_sop == "ya",
            in_rkpd: self.in_rkpd == "ya",
            dedicated_staff: self.dedicated_staff == "ya",
        }
    }
}

fn parse_date(s: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).ok()
}

#[derive(askama::Template)]
#[template(path = "innovations/lifecycle.html")]
struct LifecyclePage<'a> {
    ctx: &'a RequestCtx,
    inn: Innovation,
    form: InstitutionForm,
    legal_kinds: Vec<(&'static str, &'static str)>,
    sustainability: Option<Sustainability>,
    reports: Vec<Report>,
    bars: Vec<Bar>,
    up: Vec<Link>,
    down: Vec<Link>,
    errors: FieldErrors,
    notice: Option<String>,
    statuses: &'static [&'static str],
}

async fn managed(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Innovation> {
    let scope = user.require(Permission::ManageInnovations)?;
    profiles::in_scope(&mut state.db(), &scope, id)
        .await?
        .ok_or_else(AppError::not_found)
}

async fn page(
    state: &AppState,
    ctx: &RequestCtx,
    inn: Innovation,
    status: StatusCode,
    form: Option<InstitutionForm>,
    errors: FieldErrors,
    notice: Option<String>,
) -> AppResult<Response> {
    let mut db = state.db();
    let form = match form {
        Some(f) => f,
        None => InstitutionForm::from(&lifecycle::institution(&mut db, inn.id).await?),
    };
    let reports = lifecycle::reports(&mut db, inn.id).await?;
    let (up, down) = replication::lineage(&mut db, inn.id).await?;
    render_with(
        status,
        &LifecyclePage {
            ctx,
            sustainability: sustainability_of(state, inn.id).await?,
            bars: beneficiary_bars(&reports, ctx.lang),
            legal_kinds: LegalKind::ALL
                .iter()
                .map(|k| (k.code(), k.label_key()))
                .collect(),
            inn,
            form,
            reports,
            up,
            down,
            errors,
            notice,
            statuses: &replication::STATUSES,
        },
    )
}

#[derive(Deserialize)]
pub struct Notice {
    ok: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let notice = n.ok.map(|_| ctx.t("skm.saved").into_owned());
    page(
        &state,
        &ctx,
        inn,
        StatusCode::OK,
        None,
        FieldErrors::default(),
        notice,
    )
    .await
}

pub async fn save_institution(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<InstitutionForm>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let mut errors = FieldErrors::default();
    let inst = form.parse(&ctx, &mut errors);
    if !errors.is_empty() {
        return page(
            &state,
            &ctx,
            inn,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(form),
            errors,
            None,
        )
        .await;
    }
    let mut tx = state.db().begin().await?;
    lifecycle::save_institution(&mut tx, inn.id, &inst, &user.info.username).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/inovasi/kelola/{id}/keberlanjutan?ok=1")).into_response())
}

/// A monitoring report: the period's last day, beneficiaries, notes, and up
/// to five indicators (name, unit, baseline, target, actual).
pub async fn add_report(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut errors = FieldErrors::default();
    let period_end = parse_date(&get("period_end")).filter(|d| *d <= today_wib());
    if period_end.is_none() {
        errors.add(
            "period_end",
            ctx.t("innovation.err.date_invalid").into_owned(),
        );
    }
    let number = |s: &str, field: &'static str, errors: &mut FieldErrors| -> Option<f64> {
        if s.is_empty() {
            return None;
        }
        let n = s
            .replace('.', "")
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite());
        if n.is_none() {
            errors.add(field, ctx.t("survey.err_not_a_number").into_owned());
        }
        n
    };
    let beneficiaries = match get("beneficiaries").as_str() {
        "" => None,
        s => s
            .replace('.', "")
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .or_else(|| {
                errors.add(
                    "beneficiaries",
                    ctx.t("innovation.err.beneficiaries_invalid").into_owned(),
                );
                None
            }),
    };
    let notes = get("notes");
    if notes.chars().count() > 4000 {
        errors.add("notes", ctx.tf("skm.feedback_too_long", &[("max", "4000")]));
    }
    let mut indicators = Vec::new();
    for n in 0..5 {
        let name = get(&format!("ind{n}_name"));
        if name.is_empty() {
            continue;
        }
        let field: &'static str = [
            "ind0_name",
            "ind1_name",
            "ind2_name",
            "ind3_name",
            "ind4_name",
        ][n];
        indicators.push(Indicator {
            name: name.chars().take(200).collect(),
            unit: get(&format!("ind{n}_unit")).chars().take(50).collect(),
            baseline: number(&get(&format!("ind{n}_baseline")), field, &mut errors),
            target: number(&get(&format!("ind{n}_target")), field, &mut errors),
            actual: number(&get(&format!("ind{n}_actual")), field, &mut errors),
        });
    }
    let Some(period_end) = period_end.filter(|_| errors.is_empty()) else {
        return page(
            &state,
            &ctx,
            inn,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
            None,
        )
        .await;
    };
    let mut tx = state.db().begin().await?;
    lifecycle::add_report(
        &mut tx,
        inn.id,
        &NewReport {
            period_end,
            beneficiaries,
            notes: &notes,
            indicators: &indicators,
        },
        &user.info.username,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/inovasi/kelola/{id}/keberlanjutan?ok=1#monitoring"
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
pub struct LinkForm {
    #[serde(default)]
    origin: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    notes: String,
}

/// Records that this innovation replicates a published one of another region.
pub async fn add_link(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<LinkForm>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let mut errors = FieldErrors::default();
    // The origin is given by its id or by the link of its public page.
    let origin = form
        .origin
        .trim()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse::<i64>().ok());
    let result = match origin {
        None => Err(LinkError::Origin),
        Some(origin) => {
            let mut tx = state.db().begin().await?;
            let notes: String = form.notes.trim().chars().take(2000).collect();
            match replication::link(
                &mut tx,
                inn.id,
                &inn.region_code,
                origin,
                &form.status,
                &notes,
            )
            .await
            {
                Ok(()) => {
                    tx.commit().await?;
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/inovasi/kelola/{id}/keberlanjutan?ok=1#replikasi"
        ))
        .into_response()),
        Err(LinkError::Store(e)) => Err(e.into()),
        Err(e) => {
            let (field, key) = match e {
                LinkError::Status => ("status", "skm.choice_invalid"),
                LinkError::SelfLink => ("origin", "innovation.link_self"),
                LinkError::Cycle => ("origin", "innovation.link_cycle"),
                _ => ("origin", "innovation.link_origin"),
            };
            errors.add(field, ctx.t(key).into_owned());
            page(
                &state,
                &ctx,
                inn,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
                None,
            )
            .await
        }
    }
}

/// One row of the at-risk list.
pub struct RiskRow {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub region_name: String,
    pub level: Level,
    pub reasons: Vec<&'static str>,
}

#[derive(askama::Template)]
#[template(path = "innovations/at_risk.html")]
struct AtRiskPage<'a> {
    ctx: &'a RequestCtx,
    rows: Vec<RiskRow>,
    total: usize,
}

/// Published innovations inside the caller's scope that are at risk or
/// need attention, worst first. For curators (the whole province) and
/// officers (their nodes).
pub async fn at_risk(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    let scope = user
        .require(Permission::CurateInnovations)
        .or_else(|_| user.require(Permission::ManageInnovations))?;
    let today = today_wib();
    let subjects = lifecycle::published_facts(&mut state.db(), &scope, today.year()).await?;
    let total = subjects.len();
    let mut rows: Vec<RiskRow> = subjects
        .into_iter()
        .map(|s| {
            let a = assess(&s.facts, today, MONITORING_WINDOW_MONTHS);
            RiskRow {
                id: s.id,
                name: s.name,
                org_name: s.org_name,
                region_name: s.region_name,
                level: a.level,
                reasons: a.reasons.iter().map(|r| r.label_key()).collect(),
            }
        })
        .filter(|r| r.level != Level::Terjaga)
        .collect();
    rows.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.region_name.cmp(&b.region_name))
    });
    render(&AtRiskPage {
        ctx: &ctx,
        rows,
        total,
    })
}

#[derive(Deserialize)]
pub struct RegionQuery {
    wilayah: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "innovations/replication.html")]
struct ReplicationPage<'a> {
    ctx: &'a RequestCtx,
    counts: Vec<RegionCounts>,
    region: Option<(String, String)>,
    suggestions: Vec<Suggestion>,
}

/// Replication per region, and for a chosen region the published
/// innovations elsewhere it could adopt.
pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryParams(q): QueryParams<RegionQuery>,
) -> AppResult<Response> {
    let mut db = state.db();
    let counts = replication::region_counts(&mut db).await?;
    let region = match q
        .wilayah
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(code) => Some(
            counts
                .iter()
                .find(|c| c.region_code == code)
                .map(|c| (c.region_code.clone(), c.region_name.clone()))
                .ok_or_else(|| {
                    AppError::bad_request("invalid_query", Msg::new("skm.region_invalid"))
                        .with_field("wilayah")
                })?,
        ),
    };
    let suggestions = match &region {
        Some((code, _)) => replication::suggestions(&mut db, code, 20).await?,
        None => Vec::new(),
    };
    render(&ReplicationPage {
        ctx: &ctx,
        counts,
        region,
        suggestions,
    })
}
