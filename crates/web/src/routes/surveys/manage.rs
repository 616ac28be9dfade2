//! Running a unit's SKM (`/skm/kelola`): units inside the caller's scope,
//! their services and yearly volumes, opening and closing the form, the
//! suggestion and complaint tickets, the unit's report text and the raw
//! export. A unit outside the caller's scope is "not found".

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::{Permission, Scope};
use rumah_domain::orgs::OrgCode;
use rumah_domain::surveys::period::{Period, PeriodKind};
use rumah_store::surveys::feedback::{self, Feedback, STATUSES};
use rumah_store::surveys::tallies;
use rumah_store::surveys::units::{self, NewUnit, ReportText, Service, Unit, UnitError};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render_with};
use crate::state::AppState;

use super::view::{Score, fmt_int, now_wib};

#[derive(Deserialize, Default)]
pub struct UnitForm {
    #[serde(default)]
    org: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
}

pub struct UnitRow {
    pub unit: Unit,
    pub score: Score,
}

#[derive(askama::Template)]
#[template(path = "surveys/manage.html")]
struct ManagePage<'a> {
    ctx: &'a RequestCtx,
    year: i32,
    units: Vec<UnitRow>,
    form: UnitForm,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Scope,
    status: StatusCode,
    form: UnitForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut db = state.db();
    let (year, _) = now_wib();
    let (from, to) = Period::containing(PeriodKind::Year, year, 1).month_range();
    let rounding = state.config().skm.rounding;
    let mut rows = Vec::new();
    for unit in units::list_in_scope(&mut db, scope).await? {
        let per_service =
            tallies::by_service(&mut db, unit.id, i64::from(from), i64::from(to)).await?;
        let total = rumah_domain::surveys::skm::roll_up(per_service.into_iter().map(|(_, t)| t));
        rows.push(UnitRow {
            score: Score::of(&total, &rounding, ctx.lang),
            unit,
        });
    }
    render_with(
        status,
        &ManagePage {
            ctx,
            year,
            units: rows,
            form,
            errors,
        },
    )
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageSurveys)?;
    list_page(
        &state,
        &ctx,
        &scope,
        StatusCode::OK,
        UnitForm::default(),
        FieldErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<UnitForm>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageSurveys)?;
    let mut errors = FieldErrors::default();
    let Ok(org) = OrgCode::parse(form.org.trim()) else {
        errors.add("org", ctx.t("skm.org_not_found").into_owned());
        return list_page(
            &state,
            &ctx,
            &scope,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
        )
        .await;
    };
    let created = units::create(
        &mut state.db(),
        &scope,
        NewUnit {
            org: &org,
            slug: form.slug.trim(),
            name: &form.name,
        },
    )
    .await;
    match created {
        Ok(unit) => Ok(Redirect::to(&format!("/skm/kelola/{}", unit.id)).into_response()),
        Err(e) => {
            let (field, key) = match e {
                UnitError::OrgNotFound => ("org", "skm.org_not_found"),
                UnitError::Slug => ("slug", "skm.slug_invalid"),
                UnitError::SlugTaken => ("slug", "skm.slug_taken"),
                UnitError::Name | UnitError::ServiceTaken => ("name", "skm.name_required"),
                UnitError::Store(e) => return Err(e.into()),
            };
            errors.add(field, ctx.t(key).into_owned());
            list_page(
                &state,
                &ctx,
                &scope,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
            )
            .await
        }
    }
}

/// The unit `id` if the caller manages it; otherwise 404.
async fn managed(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Unit> {
    let scope = user.require(Permission::ManageSurveys)?;
    units::in_scope(&mut state.db(), &scope, id)
        .await?
        .ok_or_else(AppError::not_found)
}

pub struct ServiceRow {
    pub service: Service,
    pub served: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    status: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "surveys/unit.html")]
struct UnitPage<'a> {
    ctx: &'a RequestCtx,
    unit: Unit,
    year: i32,
    services: Vec<ServiceRow>,
    tickets: Vec<Feedback>,
    counts: Vec<(&'static str, i64)>,
    filter: String,
    statuses: &'static [&'static str],
    report: ReportText,
    errors: FieldErrors,
    service_name: String,
    notice: Option<String>,
    public_link: String,
    mean_response: Option<String>,
}

/// What a unit page shows besides the unit: a ticket filter, form errors
/// with the typed service name, a notice.
#[derive(Default)]
struct Extras {
    filter: Option<String>,
    errors: FieldErrors,
    service_name: String,
    notice: Option<String>,
}

async fn unit_page(
    state: &AppState,
    ctx: &RequestCtx,
    unit: Unit,
    status: StatusCode,
    extras: Extras,
) -> AppResult<Response> {
    let mut db = state.db();
    let (year, _) = now_wib();
    let mut services = Vec::new();
    for service in units::services(&mut db, unit.id).await? {
        let served = volume(&mut db, service.id, year)
            .await?
            .map(|n| fmt_int(n, ctx.lang));
        services.push(ServiceRow { service, served });
    }
    let Extras {
        filter,
        errors,
        service_name,
        notice,
    } = extras;
    let filter = filter.as_deref().filter(|f| STATUSES.contains(f));
    let tickets = feedback::for_unit(&mut db, &unit, filter, 200).await?;
    let counts = STATUSES
        .iter()
        .copied()
        .zip(feedback::counts(&mut db, unit.id).await?)
        .collect();
    let report = units::report_text(&mut db, unit.id, i64::from(year)).await?;
    let answered: Vec<i64> = tickets
        .iter()
        .filter_map(|t| t.responded_at.map(|r| (r - t.created_at).max(0)))
        .collect();
    let mean_response = (!answered.is_empty()).then(|| {
        super::duration_words(
            answered.iter().sum::<i64>() / answered.len() as i64,
            ctx.lang,
        )
    });
    let public_link = state
        .config()
        .public_url
        .join(&format!("skm/{}", unit.slug))
        .map_or_else(|_| format!("/skm/{}", unit.slug), |u| u.to_string());
    render_with(
        status,
        &UnitPage {
            ctx,
            unit,
            year,
            services,
            tickets,
            counts,
            filter: filter.unwrap_or_default().to_owned(),
            statuses: &STATUSES,
            report,
            errors,
            service_name,
            notice,
            public_link,
            mean_response,
        },
    )
}

async fn volume(db: &mut rumah_store::Db, service_id: i64, year: i32) -> AppResult<Option<i64>> {
    let row: Option<(i64,)> = rumah_store::Exec::fetch_optional(
        db,
        rumah_store::q!(
            "SELECT served FROM skm_service_volumes WHERE service_id = $1 AND year = $2",
            service_id,
            i64::from(year)
        ),
    )
    .await?;
    Ok(row.map(|(n,)| n))
}

#[derive(Deserialize)]
pub struct Notice {
    ok: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(q): QueryParams<DetailQuery>,
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    let unit = managed(&state, &user, id).await?;
    let notice = n.ok.map(|_| ctx.t("skm.saved").into_owned());
    unit_page(
        &state,
        &ctx,
        unit,
        StatusCode::OK,
        Extras {
            filter: q.status,
            notice,
            ..Extras::default()
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ServiceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    served: String,
}

pub async fn add_service(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<ServiceForm>,
) -> AppResult<Response> {
    let unit = managed(&state, &user, id).await?;
    let mut errors = FieldErrors::default();
    let served = match form.served.trim() {
        "" => None,
        raw => match raw.replace(['.', ','], "").parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errors.add("served", ctx.t("skm.served_invalid").into_owned());
                None
            }
        },
    };
    if !errors.is_empty() {
        return unit_page(
            &state,
            &ctx,
            unit,
            StatusCode::UNPROCESSABLE_ENTITY,
            Extras {
                errors,
                service_name: form.name,
                ..Extras::default()
            },
        )
        .await;
    }
    let mut tx = state.db().begin().await?;
    let service = match units::add_service(&mut tx, &unit, &form.name).await {
        Ok(s) => s,
        Err(e) => {
            let key = match e {
                UnitError::ServiceTaken => "skm.service_taken",
                UnitError::Store(e) => return Err(e.into()),
                _ => "skm.name_required",
            };
            errors.add("name", ctx.t(key).into_owned());
            drop(tx);
            return unit_page(
                &state,
                &ctx,
                unit,
                StatusCode::UNPROCESSABLE_ENTITY,
                Extras {
                    errors,
                    service_name: form.name,
                    ..Extras::default()
                },
            )
            .await;
        }
    };
    if let Some(n) = served {
        units::set_volume(&mut tx, &service, i64::from(now_wib().0), n).await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/skm/kelola/{}?ok=1", unit.id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct OpenForm {
    #[serde(default)]
    open: String,
}

pub async fn set_open(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    FormData(form): FormData<OpenForm>,
) -> AppResult<Response> {
    let unit = managed(&state, &user, id).await?;
    let open = match form.open.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            return Err(AppError::invalid(
                "open",
                "invalid_body",
                Msg::new("error.bad_request"),
            ));
        }
    };
    units::set_open(&mut state.db(), &unit, open).await?;
    Ok(Redirect::to(&format!("/skm/kelola/{}?ok=1", unit.id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct TicketForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    response: String,
}

pub async fn update_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path((id, ticket)): Path<(i64, i64)>,
    FormData(form): FormData<TicketForm>,
) -> AppResult<Response> {
    let unit = managed(&state, &user, id).await?;
    if !STATUSES.contains(&form.status.as_str()) {
        let mut errors = FieldErrors::default();
        errors.add("status", ctx.t("skm.choice_invalid").into_owned());
        return unit_page(
            &state,
            &ctx,
            unit,
            StatusCode::UNPROCESSABLE_ENTITY,
            Extras {
                errors,
                ..Extras::default()
            },
        )
        .await;
    }
    let response = form.response.trim();
    if response.chars().count() > 4000 {
        let mut errors = FieldErrors::default();
        errors.add(
            "response",
            ctx.tf("skm.feedback_too_long", &[("max", "4000")]),
        );
        return unit_page(
            &state,
            &ctx,
            unit,
            StatusCode::UNPROCESSABLE_ENTITY,
            Extras {
                errors,
                ..Extras::default()
            },
        )
        .await;
    }
    feedback::update(
        &mut state.db(),
        &unit,
        ticket,
        &form.status,
        (!response.is_empty()).then_some(response),
        Some(user.account().0),
    )
    .await?;
    Ok(Redirect::to(&format!("/skm/kelola/{}?ok=1#tiket-{ticket}", unit.id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    analysis: String,
    #[serde(default)]
    follow_up: String,
}

pub async fn save_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    FormData(form): FormData<ReportForm>,
) -> AppResult<Response> {
    let unit = managed(&state, &user, id).await?;
    if form.analysis.chars().count() > 20_000 || form.follow_up.chars().count() > 20_000 {
        return Err(AppError::invalid(
            "analysis",
            "too_long",
            Msg::new("skm.feedback_too_long").arg("max", 20_000),
        ));
    }
    let text = ReportText {
        analysis: form.analysis.trim().to_owned(),
        follow_up: form.follow_up.trim().to_owned(),
    };
    units::save_report_text(
        &mut state.db(),
        &unit,
        i64::from(now_wib().0),
        &text,
        user.account().0,
    )
    .await?;
    Ok(Redirect::to(&format!("/skm/kelola/{}?ok=1", unit.id)).into_response())
}

/// For the export handler.
pub(super) async fn managed_unit(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Unit> {
    managed(state, user, id).await
}
