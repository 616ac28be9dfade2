//! IID self-assessment (Indeks Inovasi Daerah, innovation level):
//!
//! - `/inovasi/kelola/{id}/iid?tahun=` — the officers of the innovation's
//!   node choose a level and give evidence per indicator;
//! - `/iid/wilayah/{code}?tahun=` — the region's SPD, its published
//!   innovations with their totals, the SID, the full index and predikat
//!   (officers of the region, curators and administrators of the province),
//!   and its XLSX export `/iid/wilayah/{code}/ekspor.xlsx?tahun=`;
//! - `/iid/wilayah/{code}/spd?tahun=` — the region's officers choose a
//!   level and give evidence per SPD indicator (module [`spd`]);
//! - `/admin/iid?tahun=` — the province administrator edits the year's
//!   SPD and SID weights, level descriptions, region formula and
//!   thresholds, and copies a year to a new one.
//!
//! The rules are data (`rumah_store::innovations::iid`), the arithmetic is
//! `rumah_domain::innovations::iid`; see `docs/IID.md`.

mod spd;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rumah_domain::authz::Permission;
use rumah_domain::innovations::iid::{
    EVIDENCE_MAX, IidLevel, Indicator, Levels, Predikat, RegionScore, YEAR_MAX, YEAR_MIN,
    YearRules, score,
};
use rumah_domain::orgs::{OrgCode, PROVINCE_CODE};
use rumah_store::audit;
use rumah_store::innovations::iid::{self, Answer, CopyError, RegionInnovation, Yandas};
use rumah_store::innovations::profiles::{self, Innovation};
use rumah_store::orgs::{self, OrgNode};
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::download::attachment;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::i18n::Lang;
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render_with};
use crate::routes::surveys::view::{fmt_dec, now_wib};
use crate::state::AppState;

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/inovasi/kelola/{id}/iid",
            get(assess_show).post(assess_save),
        )
        .route("/iid/wilayah/{code}", get(region_show))
        .route("/iid/wilayah/{code}/ekspor.xlsx", get(region_xlsx))
        .route("/iid/wilayah/{code}/spd", get(spd::show).post(spd::save))
        .route("/admin/iid", get(admin_show).post(admin_save))
        .route("/admin/iid/salin", post(admin_copy))
}

// ---------------------------------------------------------------------------
// Years
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct YearQuery {
    tahun: Option<String>,
    ok: Option<String>,
}

/// A year as typed: `None` when absent or empty, 400 naming `tahun` when
/// it is not a year.
fn parse_year(raw: Option<&str>) -> AppResult<Option<i32>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|y| (YEAR_MIN..=YEAR_MAX).contains(y))
            .map(Some)
            .ok_or_else(|| {
                AppError::bad_request("iid_year_invalid", Msg::new("iid.err.year_invalid"))
                    .with_field("tahun")
            }),
    }
}

/// The rules of the requested year, or of this year, or of the newest year
/// with rules; and every year with rules.
async fn year_rules(state: &AppState, raw: Option<&str>) -> AppResult<(YearRules, Vec<i32>)> {
    let mut db = state.db();
    let years = iid::years(&mut db).await?;
    let year = match parse_year(raw)? {
        Some(y) => y,
        None => {
            let this = now_wib().0;
            if years.contains(&this) {
                this
            } else {
                *years.first().ok_or_else(AppError::not_found)?
            }
        }
    };
    let rules = iid::rules(&mut db, year).await?.ok_or_else(|| {
        AppError::bad_request("iid_year_unknown", Msg::new("iid.err.year_unknown"))
            .with_field("tahun")
    })?;
    Ok((rules, years))
}

fn dec(x: f64, lang: Lang) -> String {
    fmt_dec(x, 2, lang)
}

/// A number as typed by the administrator: `2,5` or `2.5`.
fn parse_number(s: &str) -> Option<f64> {
    s.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

/// A weight as written in a form field: no trailing zeros.
fn plain(x: f64) -> String {
    let s = format!("{x}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

// ---------------------------------------------------------------------------
// The officer's assessment of one innovation
// ---------------------------------------------------------------------------

/// One level radio of an indicator.
pub struct Choice {
    pub value: u8,
    pub text: String,
    pub checked: bool,
}

/// One indicator row of the assessment form.
pub struct AssessRow {
    pub number: i64,
    pub name: String,
    pub variable: String,
    pub weight: String,
    pub mandatory: bool,
    pub choices: Vec<Choice>,
    pub evidence: String,
    pub score: String,
    pub f_level: String,
    pub f_evidence: String,
    pub err_level: Option<String>,
    pub err_evidence: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "innovations/iid_assess.html")]
struct AssessPage<'a> {
    ctx: &'a RequestCtx,
    inn: Innovation,
    year: i32,
    years: Vec<i32>,
    rows: Vec<AssessRow>,
    total: String,
    max_total: String,
    missing: Vec<String>,
    region_link: Option<String>,
    /// Errors of fields that are not indicators of the year.
    stray: Vec<(String, String)>,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn managed(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Innovation> {
    let scope = user.require(Permission::ManageInnovations)?;
    profiles::in_scope(&mut state.db(), &scope, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Whether the user may read the region summary of `region`.
fn may_read_region(user: &CurrentUser, region: &OrgCode) -> bool {
    [Permission::ManageInnovations, Permission::CurateInnovations]
        .into_iter()
        .filter_map(|p| user.require(p).ok())
        .any(|s| s.contains(region))
}

#[allow(clippy::too_many_arguments)]
fn assess_page(
    ctx: &RequestCtx,
    user: &CurrentUser,
    inn: Innovation,
    rules: &YearRules,
    years: Vec<i32>,
    answers: &BTreeMap<i64, Answer>,
    (errors, stray): (FieldErrors, Vec<(String, String)>),
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let rows = assess_rows(ctx, &rules.indicators, answers, &errors);
    let levels: Levels = answers.iter().map(|(n, a)| (*n, a.level)).collect();
    let region_link = OrgCode::parse(&inn.region_code)
        .ok()
        .filter(|c| may_read_region(user, c))
        .map(|c| format!("/iid/wilayah/{}?tahun={}", c.as_str(), rules.year));
    render_with(
        status,
        &AssessPage {
            ctx,
            inn,
            year: rules.year,
            years,
            rows,
            total: dec(rules.innovation_total(&levels), lang),
            max_total: dec(rules.max_innovation_total(), lang),
            missing: rules
                .missing_mandatory(&levels)
                .into_iter()
                .map(|n| n.to_string())
                .collect(),
            region_link,
            stray,
            errors,
            notice,
        },
    )
}

/// One form row per indicator, with the chosen level, evidence and errors.
fn assess_rows(
    ctx: &RequestCtx,
    indicators: &[Indicator],
    answers: &BTreeMap<i64, Answer>,
    errors: &FieldErrors,
) -> Vec<AssessRow> {
    indicators
        .iter()
        .map(|i| {
            let a = answers.get(&i.number).cloned().unwrap_or_default();
            let f_level = format!("level_{}", i.number);
            let f_evidence = format!("evidence_{}", i.number);
            AssessRow {
                number: i.number,
                name: i.name.clone(),
                variable: i.variable.clone(),
                weight: plain(i.weight),
                mandatory: i.mandatory,
                choices: (0..=IidLevel::MAX)
                    .map(|v| Choice {
                        value: v,
                        text: match v {
                            0 => ctx.t("iid.level_none").into_owned(),
                            v => format!("{v} = {}", i.levels[usize::from(v - 1)]),
                        },
                        checked: a.level.get() == v,
                    })
                    .collect(),
                evidence: a.evidence.clone(),
                score: dec(score(i.weight, a.level), ctx.lang),
                err_level: errors.get(&f_level).cloned(),
                err_evidence: errors.get(&f_evidence).cloned(),
                f_level,
                f_evidence,
            }
        })
        .collect()
}

pub async fn assess_show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(q): QueryParams<YearQuery>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let (rules, years) = year_rules(&state, q.tahun.as_deref()).await?;
    let answers = iid::assessment(&mut state.db(), inn.id, rules.year).await?;
    let notice = q.ok.map(|_| ctx.t("iid.saved").into_owned());
    assess_page(
        &ctx,
        &user,
        inn,
        &rules,
        years,
        &answers,
        (FieldErrors::default(), Vec::new()),
        notice,
        StatusCode::OK,
    )
}

pub async fn assess_save(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let (rules, years) = posted_year_rules(&state, &pairs).await?;
    let (answers, errors, stray) = parse_answers(&ctx, &rules.indicators, &pairs);
    if !errors.is_empty() {
        return assess_page(
            &ctx,
            &user,
            inn,
            &rules,
            years,
            &answers,
            (errors, stray),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let mut tx = state.db().begin().await?;
    iid::save_assessment(&mut tx, inn.id, rules.year, &answers, &user.info.username).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/inovasi/kelola/{id}/iid?tahun={}&ok=1",
        rules.year
    ))
    .into_response())
}

/// The rules of the posted `tahun`, which is required: 400 naming `tahun`
/// when it is missing, not a year or a year without rules.
async fn posted_year_rules(
    state: &AppState,
    pairs: &[(String, String)],
) -> AppResult<(YearRules, Vec<i32>)> {
    let raw_year = pairs
        .iter()
        .find(|(k, _)| k == "tahun")
        .map(|(_, v)| v.as_str());
    if raw_year.is_none_or(|y| y.trim().is_empty()) {
        return Err(
            AppError::bad_request("iid_year_invalid", Msg::new("iid.err.year_invalid"))
                .with_field("tahun"),
        );
    }
    year_rules(state, raw_year).await
}

/// The posted `level_{n}` and `evidence_{n}` fields of `indicators`: an
/// answer for every indicator (level 0 when absent), the errors per field,
/// and the errors of fields naming no indicator of the list.
fn parse_answers(
    ctx: &RequestCtx,
    indicators: &[Indicator],
    pairs: &[(String, String)],
) -> (BTreeMap<i64, Answer>, FieldErrors, Vec<(String, String)>) {
    let mut errors = FieldErrors::default();
    let mut stray = Vec::new();
    let mut answers: BTreeMap<i64, Answer> = indicators
        .iter()
        .map(|i| (i.number, Answer::default()))
        .collect();
    for (k, v) in pairs {
        let (kind, number) = if let Some(n) = k.strip_prefix("level_") {
            ("level", n)
        } else if let Some(n) = k.strip_prefix("evidence_") {
            ("evidence", n)
        } else {
            continue;
        };
        let Some(answer) = number.parse::<i64>().ok().and_then(|n| answers.get_mut(&n)) else {
            let msg = ctx.t("iid.err.indicator_unknown").into_owned();
            if errors.get(k).is_none() {
                stray.push((k.clone(), msg.clone()));
            }
            errors.add_owned(k.clone(), msg);
            continue;
        };
        if kind == "level" {
            match IidLevel::parse(v) {
                Some(l) => answer.level = l,
                None => errors.add_owned(k.clone(), ctx.t("iid.err.level_invalid").into_owned()),
            }
        } else {
            let text = v.trim();
            if text.chars().count() > EVIDENCE_MAX {
                errors.add_owned(
                    k.clone(),
                    ctx.tf(
                        "iid.err.evidence_too_long",
                        &[("max", &EVIDENCE_MAX.to_string())],
                    ),
                );
            } else {
                answer.evidence = text.to_owned();
            }
        }
    }
    (answers, errors, stray)
}

// ---------------------------------------------------------------------------
// The region summary and its export
// ---------------------------------------------------------------------------

/// The region if the user may read its summary: 403 without any innovation
/// role, 404 for a region outside the caller's scope or no region at all.
async fn readable_region(state: &AppState, user: &CurrentUser, code: &str) -> AppResult<OrgNode> {
    if !user.can(Permission::ManageInnovations) && !user.can(Permission::CurateInnovations) {
        return Err(AppError::forbidden());
    }
    let code = OrgCode::parse(code).map_err(|_| AppError::not_found())?;
    if !may_read_region(user, &code) {
        return Err(AppError::not_found());
    }
    orgs::by_code(&mut state.db(), &code)
        .await?
        .filter(|n| n.kind.is_region())
        .ok_or_else(AppError::not_found)
}

/// One innovation in the region summary.
pub struct RegionRow {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub total: f64,
    pub missing: Vec<i64>,
}

/// The region's figures for a year.
pub struct Summary {
    pub rows: Vec<RegionRow>,
    pub n: usize,
    pub sum: f64,
    pub score: RegionScore,
}

/// Everything a region's page and export show, read for one year.
struct RegionData {
    innovations: Vec<RegionInnovation>,
    spd: BTreeMap<i64, Answer>,
    /// The urusan wajib pelayanan dasar and whether the innovations cover
    /// each.
    yandas: Vec<Yandas>,
}

async fn region_data(state: &AppState, region: &OrgNode, year: i32) -> AppResult<RegionData> {
    let mut db = state.db();
    Ok(RegionData {
        innovations: iid::region_innovations(&mut db, &region.region_code, year).await?,
        spd: iid::region_spd(&mut db, region.code.as_str(), year).await?,
        yandas: iid::region_yandas(&mut db, &region.region_code).await?,
    })
}

fn summarise(rules: &YearRules, data: &RegionData) -> Summary {
    let innovations = &data.innovations;
    let rows: Vec<RegionRow> = innovations
        .iter()
        .map(|i| {
            let levels = i.levels();
            RegionRow {
                id: i.id,
                name: i.name.clone(),
                org_name: i.org_name.clone(),
                total: rules.innovation_total(&levels),
                missing: rules.missing_mandatory(&levels),
            }
        })
        .collect();
    let totals: Vec<f64> = rows.iter().map(|r| r.total).collect();
    let spd_levels: Levels = data.spd.iter().map(|(n, a)| (*n, a.level)).collect();
    let covered = data.yandas.iter().filter(|y| y.covered).count();
    Summary {
        n: rows.len(),
        sum: totals.iter().sum(),
        score: rules.region_score(
            &spd_levels,
            &totals,
            i64::try_from(covered).unwrap_or(i64::MAX),
        ),
        rows,
    }
}

/// A row as the page shows it.
pub struct RegionLine {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub total: String,
    pub missing: String,
    pub complete: bool,
}

#[derive(askama::Template)]
#[template(path = "innovations/iid_region.html")]
struct RegionPage<'a> {
    ctx: &'a RequestCtx,
    region: OrgNode,
    year: i32,
    years: Vec<i32>,
    lines: Vec<RegionLine>,
    n: usize,
    sum: String,
    has_spd: bool,
    spd: String,
    max_spd: String,
    spd_missing: String,
    sid: String,
    max_sid: String,
    /// "Urusan pelayanan dasar tercakup: k dari 6 (minimal m)".
    yandas: String,
    /// Why the skor jumlah inovasi is 0, naming the uncovered yandas; empty
    /// when it is not zeroed.
    yandas_warning: String,
    count_score: String,
    sid_index: String,
    index: String,
    predikat: Predikat,
    may_manage: bool,
    is_admin: bool,
}

/// "Urusan pelayanan dasar tercakup: k dari 6 (minimal m)", or without a
/// minimum when the year has none.
fn yandas_line(ctx: &RequestCtx, sc: &RegionScore, total: usize) -> String {
    let (k, total, min) = (
        sc.yandas_covered.to_string(),
        total.to_string(),
        sc.min_yandas.to_string(),
    );
    let key = if sc.min_yandas > 0 {
        "iid.yandas_covered"
    } else {
        "iid.yandas_covered_no_min"
    };
    ctx.tf(key, &[("k", &k), ("total", &total), ("min", &min)])
}

/// The skor jumlah inovasi is 0: how many yandas are covered, the minimum,
/// and the uncovered ones by name.
fn yandas_warning(ctx: &RequestCtx, sc: &RegionScore, yandas: &[Yandas]) -> String {
    let missing = yandas
        .iter()
        .filter(|y| !y.covered)
        .map(|y| y.name.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    ctx.tf(
        "iid.yandas_zeroed",
        &[
            ("k", &sc.yandas_covered.to_string()),
            ("min", &sc.min_yandas.to_string()),
            ("missing", &missing),
        ],
    )
}

fn joined(numbers: &[i64]) -> String {
    numbers
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the user may fill in the region's SPD: `ManageInnovations` over
/// the region's root node.
fn may_manage_region(user: &CurrentUser, region: &OrgNode) -> bool {
    user.require(Permission::ManageInnovations)
        .is_ok_and(|sc| sc.contains(&region.code))
}

fn is_province_admin(user: &CurrentUser) -> bool {
    user.require(Permission::ManageOrgs)
        .is_ok_and(|s| s.is_province_wide())
}

pub async fn region_show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(code): Path<String>,
    QueryParams(q): QueryParams<YearQuery>,
) -> AppResult<Response> {
    let region = readable_region(&state, &user, &code).await?;
    let (rules, years) = year_rules(&state, q.tahun.as_deref()).await?;
    let data = region_data(&state, &region, rules.year).await?;
    let s = summarise(&rules, &data);
    let lang = ctx.lang;
    let may_manage = may_manage_region(&user, &region);
    render_with(
        StatusCode::OK,
        &RegionPage {
            ctx: &ctx,
            year: rules.year,
            years,
            lines: s
                .rows
                .iter()
                .map(|r| RegionLine {
                    id: r.id,
                    name: r.name.clone(),
                    org_name: r.org_name.clone(),
                    total: dec(r.total, lang),
                    missing: joined(&r.missing),
                    complete: r.missing.is_empty(),
                })
                .collect(),
            n: s.n,
            sum: dec(s.sum, lang),
            has_spd: rules.has_spd(),
            spd: dec(s.score.spd, lang),
            max_spd: dec(s.score.max_spd, lang),
            spd_missing: joined(&s.score.spd_missing),
            sid: dec(s.score.sid, lang),
            max_sid: dec(s.score.max_sid, lang),
            yandas: yandas_line(&ctx, &s.score, data.yandas.len()),
            yandas_warning: if s.score.count_zeroed {
                yandas_warning(&ctx, &s.score, &data.yandas)
            } else {
                String::new()
            },
            count_score: dec(s.score.count_score, lang),
            sid_index: dec(s.score.sid_index, lang),
            index: dec(s.score.index, lang),
            predikat: s.score.predikat,
            may_manage,
            is_admin: is_province_admin(&user),
            region,
        },
    )
}

pub async fn region_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(code): Path<String>,
    QueryParams(q): QueryParams<YearQuery>,
) -> AppResult<Response> {
    let region = readable_region(&state, &user, &code).await?;
    let (rules, _) = year_rules(&state, q.tahun.as_deref()).await?;
    let data = region_data(&state, &region, rules.year).await?;
    let bytes = workbook(ctx.lang, &region, &rules, &data).map_err(AppError::internal)?;
    Ok(attachment(
        XLSX_TYPE,
        &format!("iid-{}-{}.xlsx", region.code.as_str(), rules.year),
        bytes,
    ))
}

/// Excel's limit on the characters of one cell.
const MAX_CELL_CHARS: usize = 32_767;

fn cell(text: &str) -> String {
    text.chars().take(MAX_CELL_CHARS).collect()
}

/// Three sheets: the region summary (figures, then one row per
/// innovation), one row per SPD indicator, and one row per innovation × SID
/// indicator, in the order of the national form (indicator number, name,
/// weight, level, score, evidence).
fn workbook(
    lang: Lang,
    region: &OrgNode,
    rules: &YearRules,
    data: &RegionData,
) -> Result<Vec<u8>, XlsxError> {
    let t = |k: &str| lang.t(k).into_owned();
    let innovations = &data.innovations;
    let s = summarise(rules, data);
    let sc = &s.score;
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let dec2 = Format::new().set_num_format("0.00");
    let int = Format::new().set_num_format("0");

    let ws = wb.add_worksheet();
    ws.set_name(t("iid.sheet_summary"))?;
    ws.write_string_with_format(
        0,
        0,
        format!("{} {}", t("iid.xlsx_title"), rules.year),
        &title,
    )?;
    let figures: [(&str, Option<f64>, String); 16] = [
        ("iid.region", None, region.name.clone()),
        ("iid.year", Some(f64::from(rules.year)), String::new()),
        ("iid.spd", Some(sc.spd), String::new()),
        ("iid.max_spd", Some(sc.max_spd), String::new()),
        ("iid.spd_missing", None, joined(&sc.spd_missing)),
        ("iid.n_innovations", Some(s.n as f64), String::new()),
        ("iid.sum_totals", Some(s.sum), String::new()),
        (
            "iid.yandas_covered_label",
            Some(sc.yandas_covered as f64),
            String::new(),
        ),
        ("iid.min_yandas", Some(sc.min_yandas as f64), String::new()),
        ("iid.count_score", Some(sc.count_score), String::new()),
        ("iid.sid", Some(sc.sid), String::new()),
        ("iid.max_sid", Some(sc.max_sid), String::new()),
        ("iid.sid_index", Some(sc.sid_index), String::new()),
        ("iid.full_index", Some(sc.index), String::new()),
        ("iid.predikat_label", None, t(sc.predikat.label_key())),
        (
            "iid.index_basis",
            None,
            t(if rules.has_spd() {
                "iid.index_basis_full"
            } else {
                "iid.index_basis_sid"
            }),
        ),
    ];
    for (i, (key, number, text)) in figures.iter().enumerate() {
        let row = 2 + i as u32;
        ws.write_string_with_format(row, 0, t(key), &bold)?;
        match number {
            Some(n)
                if matches!(
                    *key,
                    "iid.year"
                        | "iid.n_innovations"
                        | "iid.yandas_covered_label"
                        | "iid.min_yandas"
                ) =>
            {
                ws.write_number_with_format(row, 1, *n, &int)?;
            }
            Some(n) => {
                ws.write_number_with_format(row, 1, *n, &dec2)?;
            }
            None => {
                ws.write_string(row, 1, cell(text))?;
            }
        }
    }
    let top = 2 + figures.len() as u32 + 1;
    for (col, key) in [
        "iid.col_no",
        "iid.col_innovation",
        "iid.col_org",
        "iid.col_total",
        "iid.col_complete",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(top, col as u16, t(key), &header)?;
    }
    for (i, r) in s.rows.iter().enumerate() {
        let row = top + 1 + i as u32;
        ws.write_number_with_format(row, 0, (i + 1) as f64, &int)?;
        ws.write_string(row, 1, cell(&r.name))?;
        ws.write_string(row, 2, cell(&r.org_name))?;
        ws.write_number_with_format(row, 3, r.total, &dec2)?;
        ws.write_string(
            row,
            4,
            if r.missing.is_empty() {
                t("iid.complete")
            } else {
                t("iid.incomplete")
            },
        )?;
    }
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 40)?;
    ws.set_column_width(2, 32)?;

    let ws = wb.add_worksheet();
    ws.set_name(t("iid.sheet_spd"))?;
    for (col, key) in [
        "iid.col_number",
        "iid.col_variable",
        "iid.col_indicator",
        "iid.col_weight",
        "iid.col_mandatory",
        "iid.col_level",
        "iid.col_score",
        "iid.col_evidence",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(0, col as u16, t(key), &header)?;
    }
    for (i, ind) in rules.spd_indicators.iter().enumerate() {
        let row = 1 + i as u32;
        let a = data.spd.get(&ind.number).cloned().unwrap_or_default();
        ws.write_number_with_format(row, 0, ind.number as f64, &int)?;
        ws.write_string(row, 1, cell(&ind.variable))?;
        ws.write_string(row, 2, cell(&ind.name))?;
        ws.write_number(row, 3, ind.weight)?;
        ws.write_string(
            row,
            4,
            if ind.mandatory {
                t("iid.mandatory")
            } else {
                String::new()
            },
        )?;
        ws.write_number_with_format(row, 5, f64::from(a.level.get()), &int)?;
        ws.write_number_with_format(row, 6, score(ind.weight, a.level), &dec2)?;
        ws.write_string(row, 7, cell(&a.evidence))?;
    }
    ws.set_column_width(1, 28)?;
    ws.set_column_width(2, 40)?;
    ws.set_column_width(7, 48)?;

    let ws = wb.add_worksheet();
    ws.set_name(t("iid.sheet_detail"))?;
    for (col, key) in [
        "iid.col_innovation",
        "iid.col_org",
        "iid.col_number",
        "iid.col_indicator",
        "iid.col_weight",
        "iid.col_level",
        "iid.col_score",
        "iid.col_evidence",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(0, col as u16, t(key), &header)?;
    }
    let mut row = 1u32;
    for inn in innovations.iter() {
        for ind in &rules.indicators {
            let a = inn.answers.get(&ind.number).cloned().unwrap_or_default();
            ws.write_string(row, 0, cell(&inn.name))?;
            ws.write_string(row, 1, cell(&inn.org_name))?;
            ws.write_number_with_format(row, 2, ind.number as f64, &int)?;
            ws.write_string(row, 3, cell(&ind.name))?;
            ws.write_number(row, 4, ind.weight)?;
            ws.write_number_with_format(row, 5, f64::from(a.level.get()), &int)?;
            ws.write_number_with_format(row, 6, score(ind.weight, a.level), &dec2)?;
            ws.write_string(row, 7, cell(&a.evidence))?;
            row += 1;
        }
    }
    ws.set_column_width(0, 36)?;
    ws.set_column_width(1, 28)?;
    ws.set_column_width(3, 32)?;
    ws.set_column_width(7, 48)?;
    wb.save_to_buffer()
}

// ---------------------------------------------------------------------------
// The administrator's rules
// ---------------------------------------------------------------------------

/// One indicator row of the rules form, as typed.
pub struct RuleRow {
    pub number: i64,
    pub variable: String,
    pub name: String,
    pub weight: String,
    pub mandatory: bool,
    pub levels: Vec<(String, String, Option<String>)>,
    pub err_name: Option<String>,
    pub err_weight: Option<String>,
}

/// A figure of the year (formula or threshold) as typed.
pub struct Figure {
    pub field: &'static str,
    pub label: &'static str,
    pub value: String,
    pub error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "innovations/iid_admin.html")]
struct AdminPage<'a> {
    ctx: &'a RequestCtx,
    year: i32,
    years: Vec<i32>,
    figures: Vec<Figure>,
    /// The indicators by aspect (SPD when the year has them, then SID):
    /// the heading's key and the rows.
    sections: Vec<(&'static str, Vec<RuleRow>)>,
    copy_to: String,
    err_copy: Option<String>,
    errors: FieldErrors,
    notice: Option<String>,
}

/// The province administrator, or 403.
fn require_admin(user: &CurrentUser) -> AppResult<()> {
    let scope = user.require(Permission::ManageOrgs)?;
    if scope.is_province_wide() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

const FIGURES: [(&str, &str); 7] = [
    ("divisor_floor", "iid.divisor_floor"),
    ("points_per_innovation", "iid.points_per_innovation"),
    ("cap", "iid.cap"),
    ("min_yandas", "iid.min_yandas"),
    ("sangat_inovatif", "iid.predikat.sangat_inovatif"),
    ("inovatif", "iid.predikat.inovatif"),
    ("kurang_inovatif", "iid.predikat.kurang_inovatif"),
];

/// The form's values: typed ones where given, else the stored rules.
fn admin_values(rules: &YearRules) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    v.insert("divisor_floor".into(), rules.divisor_floor.to_string());
    v.insert(
        "points_per_innovation".into(),
        plain(rules.points_per_innovation),
    );
    v.insert("cap".into(), rules.cap.to_string());
    v.insert("min_yandas".into(), rules.min_yandas.to_string());
    v.insert(
        "sangat_inovatif".into(),
        plain(rules.thresholds.sangat_inovatif),
    );
    v.insert("inovatif".into(), plain(rules.thresholds.inovatif));
    v.insert(
        "kurang_inovatif".into(),
        plain(rules.thresholds.kurang_inovatif),
    );
    for i in rules.spd_indicators.iter().chain(&rules.indicators) {
        let n = i.number;
        v.insert(format!("name{n}"), i.name.clone());
        v.insert(format!("weight{n}"), plain(i.weight));
        if i.mandatory {
            v.insert(format!("mandatory{n}"), "ya".into());
        }
        for (k, text) in i.levels.iter().enumerate() {
            v.insert(format!("level{n}_{}", k + 1), text.clone());
        }
    }
    v
}

#[allow(clippy::too_many_arguments)]
fn admin_page(
    ctx: &RequestCtx,
    rules: &YearRules,
    years: Vec<i32>,
    values: &BTreeMap<String, String>,
    errors: FieldErrors,
    copy_to: String,
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let figures = FIGURES
        .iter()
        .map(|(field, label)| Figure {
            field,
            label,
            value: get(field),
            error: errors.get(field).cloned(),
        })
        .collect();
    let rule_rows = |indicators: &[Indicator]| -> Vec<RuleRow> {
        indicators
            .iter()
            .map(|i| {
                let n = i.number;
                RuleRow {
                    number: n,
                    variable: i.variable.clone(),
                    name: get(&format!("name{n}")),
                    weight: get(&format!("weight{n}")),
                    mandatory: get(&format!("mandatory{n}")) == "ya",
                    levels: (1..=3)
                        .map(|k| {
                            let f = format!("level{n}_{k}");
                            (f.clone(), get(&f), errors.get(&f).cloned())
                        })
                        .collect(),
                    err_name: errors.get(&format!("name{n}")).cloned(),
                    err_weight: errors.get(&format!("weight{n}")).cloned(),
                }
            })
            .collect()
    };
    let mut sections = Vec::new();
    if rules.has_spd() {
        sections.push(("iid.indicators_spd", rule_rows(&rules.spd_indicators)));
    }
    sections.push(("iid.indicators", rule_rows(&rules.indicators)));
    render_with(
        status,
        &AdminPage {
            ctx,
            year: rules.year,
            years,
            figures,
            sections,
            copy_to,
            err_copy: errors.get("copy_to").cloned(),
            errors,
            notice,
        },
    )
}

pub async fn admin_show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    QueryParams(q): QueryParams<YearQuery>,
) -> AppResult<Response> {
    require_admin(&user)?;
    let (rules, years) = year_rules(&state, q.tahun.as_deref()).await?;
    let notice = q.ok.map(|_| ctx.t("iid.saved").into_owned());
    admin_page(
        &ctx,
        &rules,
        years,
        &admin_values(&rules),
        FieldErrors::default(),
        String::new(),
        notice,
        StatusCode::OK,
    )
}

fn error_message(ctx: &RequestCtx, code: &str) -> String {
    ctx.t(&format!("iid.err.{code}")).into_owned()
}

pub async fn admin_save(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    require_admin(&user)?;
    let form: BTreeMap<String, String> = pairs.into_iter().collect();
    let raw_year = form.get("tahun").map(String::as_str);
    if raw_year.is_none_or(|y| y.trim().is_empty()) {
        return Err(
            AppError::bad_request("iid_year_invalid", Msg::new("iid.err.year_invalid"))
                .with_field("tahun"),
        );
    }
    let (old, years) = year_rules(&state, raw_year).await?;
    let mut values = admin_values(&old);
    // Checkboxes are absent when unticked.
    for i in old.spd_indicators.iter().chain(&old.indicators) {
        values.remove(&format!("mandatory{}", i.number));
    }
    for (k, v) in &form {
        if values.contains_key(k) || k.starts_with("mandatory") {
            values.insert(k.clone(), v.clone());
        }
    }
    let mut errors = FieldErrors::default();
    let mut new = old.clone();
    let number = |k: &str, errors: &mut FieldErrors| -> f64 {
        let raw = values.get(k).map(String::as_str).unwrap_or_default();
        parse_number(raw).unwrap_or_else(|| {
            errors.add_owned(k.to_owned(), error_message(&ctx, "number_invalid"));
            0.0
        })
    };
    let whole = |k: &'static str, errors: &mut FieldErrors| -> i64 {
        let raw = values.get(k).map(String::as_str).unwrap_or_default();
        raw.trim().parse::<i64>().unwrap_or_else(|_| {
            errors.add(k, error_message(&ctx, "count_invalid"));
            0
        })
    };
    new.divisor_floor = whole("divisor_floor", &mut errors);
    new.points_per_innovation = number("points_per_innovation", &mut errors);
    new.cap = whole("cap", &mut errors);
    // 0–6 whole; anything else is named by `check` below (−1 and 7 alike).
    new.min_yandas = values
        .get("min_yandas")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(-1);
    new.thresholds.sangat_inovatif = number("sangat_inovatif", &mut errors);
    new.thresholds.inovatif = number("inovatif", &mut errors);
    new.thresholds.kurang_inovatif = number("kurang_inovatif", &mut errors);
    for i in new.spd_indicators.iter_mut().chain(&mut new.indicators) {
        let n = i.number;
        i.name = values.get(&format!("name{n}")).cloned().unwrap_or_default();
        i.weight = number(&format!("weight{n}"), &mut errors);
        i.mandatory = values
            .get(&format!("mandatory{n}"))
            .is_some_and(|v| v == "ya");
        for k in 0..3 {
            i.levels[k] = values
                .get(&format!("level{n}_{}", k + 1))
                .cloned()
                .unwrap_or_default();
        }
    }
    for e in new.check() {
        if errors.get(&e.field).is_none() {
            let msg = error_message(&ctx, e.code);
            errors.add_owned(e.field, msg);
        }
    }
    if !errors.is_empty() {
        return admin_page(
            &ctx,
            &old,
            years,
            &values,
            errors,
            String::new(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let changes = changes(&old, &new);
    let mut tx = state.db().begin().await?;
    iid::save_rules(&mut tx, &new, &user.info.username).await?;
    if !changes.is_empty() {
        audit::record(
            &mut tx,
            &audit::Entry {
                event: rumah_store::audit::event::IID_RULES_CHANGED,
                actor: Some((user.account(), &user.info.username)),
                org_code: Some(PROVINCE_CODE),
                ip: Some(&ctx.client_ip.to_string()),
                details: Some(serde_json::json!({ "year": new.year, "changes": changes })),
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/iid?tahun={}&ok=1", new.year)).into_response())
}

/// What changed between two versions of a year's rules, for the audit log.
fn changes(old: &YearRules, new: &YearRules) -> Vec<String> {
    let mut out = Vec::new();
    let mut cmp = |field: String, a: String, b: String| {
        if a != b {
            out.push(format!("{field}: {a} -> {b}"));
        }
    };
    cmp(
        "divisor_floor".into(),
        old.divisor_floor.to_string(),
        new.divisor_floor.to_string(),
    );
    cmp(
        "points_per_innovation".into(),
        plain(old.points_per_innovation),
        plain(new.points_per_innovation),
    );
    cmp("cap".into(), old.cap.to_string(), new.cap.to_string());
    cmp(
        "min_yandas".into(),
        old.min_yandas.to_string(),
        new.min_yandas.to_string(),
    );
    let (a, b) = (&old.thresholds, &new.thresholds);
    cmp(
        "sangat_inovatif".into(),
        plain(a.sangat_inovatif),
        plain(b.sangat_inovatif),
    );
    cmp("inovatif".into(), plain(a.inovatif), plain(b.inovatif));
    cmp(
        "kurang_inovatif".into(),
        plain(a.kurang_inovatif),
        plain(b.kurang_inovatif),
    );
    let old_all = old.spd_indicators.iter().chain(&old.indicators);
    for (o, n) in old_all.zip(new.spd_indicators.iter().chain(&new.indicators)) {
        let k = o.number;
        cmp(format!("name{k}"), o.name.clone(), n.name.trim().to_owned());
        cmp(format!("weight{k}"), plain(o.weight), plain(n.weight));
        cmp(
            format!("mandatory{k}"),
            o.mandatory.to_string(),
            n.mandatory.to_string(),
        );
        for l in 0..3 {
            cmp(
                format!("level{k}_{}", l + 1),
                o.levels[l].clone(),
                n.levels[l].trim().to_owned(),
            );
        }
    }
    out
}

#[derive(Deserialize, Default)]
pub struct CopyForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    copy_to: String,
}

pub async fn admin_copy(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<CopyForm>,
) -> AppResult<Response> {
    require_admin(&user)?;
    let (rules, years) = year_rules(&state, Some(&form.from)).await?;
    let to = form
        .copy_to
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (YEAR_MIN..=YEAR_MAX).contains(y));
    let result = match to {
        None => Err("year_invalid"),
        Some(to) => {
            let mut tx = state.db().begin().await?;
            match iid::copy_year(&mut tx, rules.year, to, &user.info.username).await {
                Ok(()) => {
                    audit::record(
                        &mut tx,
                        &audit::Entry {
                            event: rumah_store::audit::event::IID_RULES_COPIED,
                            actor: Some((user.account(), &user.info.username)),
                            org_code: Some(PROVINCE_CODE),
                            ip: Some(&ctx.client_ip.to_string()),
                            details: Some(serde_json::json!({ "from": rules.year, "to": to })),
                            ..Default::default()
                        },
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(to)
                }
                Err(CopyError::Exists) => Err("year_exists"),
                Err(CopyError::NoSource) => Err("year_unknown"),
                Err(CopyError::Store(e)) => return Err(e.into()),
            }
        }
    };
    match result {
        Ok(to) => Ok(Redirect::to(&format!("/admin/iid?tahun={to}&ok=1")).into_response()),
        Err(code) => {
            let mut errors = FieldErrors::default();
            errors.add("copy_to", error_message(&ctx, code));
            admin_page(
                &ctx,
                &rules,
                years,
                &admin_values(&rules),
                errors,
                form.copy_to.clone(),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}
