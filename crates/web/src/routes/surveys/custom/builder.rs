//! Building a custom survey (`/survei/kelola`): create it on an org node in
//! the caller's scope, set its access, dates and publication, add and remove
//! questions of seven kinds with optional conditions, issue one-time tokens.
//! Questions are frozen once the first response is in, so results always
//! describe one questionnaire.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::{Permission, Scope};
use rumah_domain::orgs::OrgCode;
use rumah_domain::surveys::custom::{self as domain, Question, QuestionKind};
use rumah_domain::time::Timestamp;
use rumah_store::surveys::custom::{self as store, Survey, SurveyError, SurveySettings};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render_with};
use crate::state::AppState;

/// A survey the caller manages, or 404.
pub async fn managed(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Survey> {
    let scope = user.require(Permission::ManageSurveys)?;
    store::in_scope(&mut state.db(), &scope, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// `YYYY-MM-DD` as the start of that day in WIB, as epoch ms.
fn parse_day(raw: &str) -> Result<Option<Timestamp>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw, &fmt).map_err(|_| ())?;
    let wib = time::UtcOffset::from_hms(7, 0, 0).expect("a valid offset");
    let t = date.midnight().assume_offset(wib).unix_timestamp();
    Ok(Some(Timestamp(t * 1000)))
}

/// Epoch ms as the WIB day `YYYY-MM-DD`.
pub fn day_of(t: Option<i64>) -> String {
    let wib = time::UtcOffset::from_hms(7, 0, 0).expect("a valid offset");
    t.map(|ms| Timestamp(ms).to_utc().to_offset(wib).date().to_string())
        .unwrap_or_default()
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    org: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    access: String,
    #[serde(default)]
    opens: String,
    #[serde(default)]
    closes: String,
    #[serde(default)]
    published: String,
}

/// Parses the dates and access of a settings form, adding field errors.
fn settings<'a>(
    form: &'a SettingsForm,
    ctx: &RequestCtx,
    errors: &mut FieldErrors,
) -> SurveySettings<'a> {
    let opens = parse_day(&form.opens).unwrap_or_else(|()| {
        errors.add("opens", ctx.t("survey.date_invalid").into_owned());
        None
    });
    let closes = parse_day(&form.closes).unwrap_or_else(|()| {
        errors.add("closes", ctx.t("survey.date_invalid").into_owned());
        None
    });
    if let (Some(o), Some(c)) = (opens, closes)
        && c <= o
    {
        errors.add("closes", ctx.t("survey.closes_before_opens").into_owned());
    }
    if !matches!(form.access.as_str(), "" | "anonim" | "token") {
        errors.add("access", ctx.t("skm.choice_invalid").into_owned());
    }
    let title = form.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errors.add("title", ctx.t("skm.name_required").into_owned());
    }
    if form.description.chars().count() > 4000 {
        errors.add(
            "description",
            ctx.tf("skm.feedback_too_long", &[("max", "4000")]),
        );
    }
    SurveySettings {
        title: &form.title,
        description: &form.description,
        token_only: form.access == "token",
        opens_at: opens,
        // The closing day is included: close at the end of it.
        closes_at: closes.map(|t| t.plus(std::time::Duration::from_secs(24 * 3600))),
    }
}

#[derive(askama::Template)]
#[template(path = "surveys/custom/manage.html")]
struct ManagePage<'a> {
    ctx: &'a RequestCtx,
    surveys: Vec<(Survey, i64)>,
    form: SettingsForm,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Scope,
    status: StatusCode,
    form: SettingsForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut db = state.db();
    let mut surveys = Vec::new();
    for s in store::list_in_scope(&mut db, scope).await? {
        let n = store::response_count(&mut db, s.id).await?;
        surveys.push((s, n));
    }
    render_with(
        status,
        &ManagePage {
            ctx,
            surveys,
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
        SettingsForm::default(),
        FieldErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<SettingsForm>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageSurveys)?;
    let mut errors = FieldErrors::default();
    let org = OrgCode::parse(form.org.trim()).ok();
    if org.is_none() {
        errors.add("org", ctx.t("skm.org_not_found").into_owned());
    }
    let parsed = settings(&form, &ctx, &mut errors);
    let result = match org.filter(|_| errors.is_empty()) {
        None => None,
        Some(org) => {
            Some(store::create(&mut state.db(), &scope, &org, form.slug.trim(), &parsed).await)
        }
    };
    match result {
        Some(Ok(s)) => Ok(Redirect::to(&format!("/survei/kelola/{}", s.id)).into_response()),
        Some(Err(e)) => {
            let (field, key) = match e {
                SurveyError::OrgNotFound => ("org", "skm.org_not_found"),
                SurveyError::Slug => ("slug", "skm.slug_invalid"),
                SurveyError::SlugTaken => ("slug", "skm.slug_taken"),
                SurveyError::Title => ("title", "skm.name_required"),
                SurveyError::Store(e) => return Err(e.into()),
                SurveyError::HasResponses | SurveyError::Referenced => {
                    return Err(AppError::internal(e));
                }
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
        None => {
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

#[derive(Deserialize, Default)]
pub struct QuestionForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    required: String,
    #[serde(default)]
    options: String,
    #[serde(default)]
    rows: String,
    #[serde(default)]
    scale: String,
    #[serde(default)]
    min: String,
    #[serde(default)]
    max: String,
    /// `"{question id}:{option index}"` or empty.
    #[serde(default)]
    show_if: String,
}

pub struct QuestionRow {
    pub q: Question,
    pub kind_key: &'static str,
    pub condition: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "surveys/custom/builder.html")]
struct BuilderPage<'a> {
    ctx: &'a RequestCtx,
    survey: Survey,
    responses: i64,
    questions: Vec<QuestionRow>,
    /// Conditions on offer: (value, label).
    conditions: Vec<(String, String)>,
    kinds: Vec<(&'static str, String)>,
    settings: SettingsForm,
    qform: QuestionForm,
    errors: FieldErrors,
    tokens: Vec<(String, bool)>,
    tokens_used: usize,
    new_tokens: Vec<(String, String)>,
    public_link: String,
    notice: Option<String>,
}

#[derive(Default)]
struct BuilderExtras {
    settings: Option<SettingsForm>,
    qform: QuestionForm,
    errors: FieldErrors,
    new_tokens: Vec<(String, String)>,
    notice: Option<String>,
}

async fn builder_page(
    state: &AppState,
    ctx: &RequestCtx,
    survey: Survey,
    status: StatusCode,
    extras: BuilderExtras,
) -> AppResult<Response> {
    let mut db = state.db();
    let questions = store::questions(&mut db, survey.id).await?;
    let responses = store::response_count(&mut db, survey.id).await?;
    let tokens = store::tokens(&mut db, survey.id).await?;
    let position = |id: i64| {
        questions
            .iter()
            .position(|q| q.id == id)
            .map_or(0, |p| p + 1)
    };
    let conditions = questions
        .iter()
        .filter(|q| matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple))
        .flat_map(|q| {
            q.options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    (
                        format!("{}:{i}", q.id),
                        format!("{}. {} = {o}", position(q.id), q.prompt),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let rows = questions
        .iter()
        .map(|q| QuestionRow {
            kind_key: q.kind.label_key(),
            condition: q.show_if.and_then(|(qid, opt)| {
                let t = questions.iter().find(|t| t.id == qid)?;
                Some(format!("{}. = {}", position(qid), t.options.get(opt)?))
            }),
            q: q.clone(),
        })
        .collect();
    let settings = extras.settings.unwrap_or_else(|| SettingsForm {
        title: survey.title.clone(),
        description: survey.description.clone(),
        access: survey.access.clone(),
        opens: day_of(survey.opens_at),
        closes: day_of(survey.closes_at.map(|t| t - 24 * 3_600_000)),
        published: if survey.published {
            "ya".into()
        } else {
            String::new()
        },
        ..SettingsForm::default()
    });
    let public_link = state
        .config()
        .public_url
        .join(&format!("survei/{}", survey.slug))
        .map_or_else(|_| format!("/survei/{}", survey.slug), |u| u.to_string());
    render_with(
        status,
        &BuilderPage {
            kinds: QuestionKind::ALL
                .iter()
                .map(|k| (k.code(), ctx.t(k.label_key()).into_owned()))
                .collect(),
            ctx,
            survey,
            responses,
            questions: rows,
            conditions,
            settings,
            qform: extras.qform,
            errors: extras.errors,
            tokens_used: tokens.iter().filter(|t| t.1).count(),
            tokens,
            new_tokens: extras.new_tokens,
            public_link,
            notice: extras.notice,
        },
    )
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
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    let survey = managed(&state, &user, id).await?;
    let notice = n.ok.map(|_| ctx.t("skm.saved").into_owned());
    builder_page(
        &state,
        &ctx,
        survey,
        StatusCode::OK,
        BuilderExtras {
            notice,
            ..BuilderExtras::default()
        },
    )
    .await
}

pub async fn save_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<SettingsForm>,
) -> AppResult<Response> {
    let survey = managed(&state, &user, id).await?;
    let mut errors = FieldErrors::default();
    let parsed = settings(&form, &ctx, &mut errors);
    if !errors.is_empty() {
        return builder_page(
            &state,
            &ctx,
            survey,
            StatusCode::UNPROCESSABLE_ENTITY,
            BuilderExtras {
                settings: Some(form),
                errors,
                ..BuilderExtras::default()
            },
        )
        .await;
    }
    let publish = form.published == "ya";
    if publish
        && store::questions(&mut state.db(), survey.id)
            .await?
            .is_empty()
    {
        errors.add(
            "published",
            ctx.t("survey.publish_needs_questions").into_owned(),
        );
        return builder_page(
            &state,
            &ctx,
            survey,
            StatusCode::UNPROCESSABLE_ENTITY,
            BuilderExtras {
                settings: Some(form),
                errors,
                ..BuilderExtras::default()
            },
        )
        .await;
    }
    store::update_settings(&mut state.db(), &survey, &parsed, publish)
        .await
        .map_err(|e| match e {
            SurveyError::Store(e) => e.into(),
            other => AppError::internal(other),
        })?;
    Ok(Redirect::to(&format!("/survei/kelola/{}?ok=1", survey.id)).into_response())
}

fn parse_bound(raw: &str) -> Result<Option<f64>, ()> {
    match raw.trim() {
        "" => Ok(None),
        s => s
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or(()),
    }
}

pub async fn add_question(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<QuestionForm>,
) -> AppResult<Response> {
    let survey = managed(&state, &user, id).await?;
    let mut errors = FieldErrors::default();
    let kind = QuestionKind::from_code(&form.kind);
    if kind.is_none() {
        errors.add("kind", ctx.t("skm.choice_invalid").into_owned());
    }
    let min = parse_bound(&form.min).unwrap_or_else(|()| {
        errors.add("min", ctx.t("survey.err_not_a_number").into_owned());
        None
    });
    let max = parse_bound(&form.max).unwrap_or_else(|()| {
        errors.add("max", ctx.t("survey.err_not_a_number").into_owned());
        None
    });
    let show_if = match form.show_if.split_once(':') {
        None if form.show_if.is_empty() => None,
        Some((q, o)) => match (q.parse::<i64>(), o.parse::<usize>()) {
            (Ok(q), Ok(o)) => Some((q, o)),
            _ => {
                errors.add("show_if", ctx.t("skm.choice_invalid").into_owned());
                None
            }
        },
        None => {
            errors.add("show_if", ctx.t("skm.choice_invalid").into_owned());
            None
        }
    };
    let scale = match form.scale.trim() {
        "" => 5,
        s => s.parse::<u8>().unwrap_or(0),
    };
    let mut tx = state.db().begin().await?;
    let existing = store::questions(&mut tx, survey.id).await?;
    if let Some(kind) = kind.filter(|_| errors.is_empty()) {
        let question = Question {
            id: 0,
            kind,
            prompt: form.prompt.trim().to_owned(),
            required: form.required == "ya",
            options: if kind.has_options() {
                domain::lines(&form.options)
            } else {
                Vec::new()
            },
            rows: if kind == QuestionKind::Matrix {
                domain::lines(&form.rows)
            } else {
                Vec::new()
            },
            scale: if kind == QuestionKind::Likert {
                scale
            } else {
                5
            },
            min: min.filter(|_| kind == QuestionKind::Number),
            max: max.filter(|_| kind == QuestionKind::Number),
            show_if,
        };
        match question.check(&existing) {
            Ok(()) => match store::add_question(&mut tx, &survey, &question).await {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!(
                        "/survei/kelola/{}?ok=1#pertanyaan",
                        survey.id
                    ))
                    .into_response());
                }
                Err(SurveyError::HasResponses) => {
                    errors.add("prompt", ctx.t("survey.frozen").into_owned())
                }
                Err(SurveyError::Store(e)) => return Err(e.into()),
                Err(other) => return Err(AppError::internal(other)),
            },
            Err(e) => errors.add(e.field(), ctx.t(design_key(&e)).into_owned()),
        }
    }
    drop(tx);
    builder_page(
        &state,
        &ctx,
        survey,
        StatusCode::UNPROCESSABLE_ENTITY,
        BuilderExtras {
            qform: form,
            errors,
            ..BuilderExtras::default()
        },
    )
    .await
}

fn design_key(e: &domain::DesignError) -> &'static str {
    use domain::DesignError::*;
    match e {
        Prompt => "survey.design_prompt",
        Options => "survey.design_options",
        Rows => "survey.design_rows",
        Scale => "survey.design_scale",
        Bounds => "survey.design_bounds",
        Condition => "survey.design_condition",
    }
}

pub async fn delete_question(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, question)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let survey = managed(&state, &user, id).await?;
    let mut tx = state.db().begin().await?;
    match store::delete_question(&mut tx, &survey, question).await {
        Ok(()) => tx.commit().await?,
        Err(SurveyError::HasResponses) => {
            return Err(AppError::conflict(
                "survey_frozen",
                Msg::new("survey.frozen"),
            ));
        }
        Err(SurveyError::Referenced) => {
            return Err(AppError::conflict(
                "question_referenced",
                Msg::new("survey.referenced"),
            ));
        }
        Err(SurveyError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(AppError::internal(other)),
    }
    Ok(Redirect::to(&format!("/survei/kelola/{}?ok=1#pertanyaan", survey.id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    holders: String,
}

/// Most tokens issued at once.
const MAX_TOKENS: usize = 2000;

pub async fn issue_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<TokenForm>,
) -> AppResult<Response> {
    let survey = managed(&state, &user, id).await?;
    let holders = domain::lines(&form.holders);
    let mut errors = FieldErrors::default();
    if holders.is_empty()
        || holders.len() > MAX_TOKENS
        || holders.iter().any(|h| h.chars().count() > 200)
    {
        errors.add(
            "holders",
            ctx.tf(
                "survey.holders_invalid",
                &[("max", &MAX_TOKENS.to_string())],
            ),
        );
        return builder_page(
            &state,
            &ctx,
            survey,
            StatusCode::UNPROCESSABLE_ENTITY,
            BuilderExtras {
                errors,
                ..BuilderExtras::default()
            },
        )
        .await;
    }
    let mut tx = state.db().begin().await?;
    let issued = store::issue_tokens(&mut tx, &survey, &holders).await?;
    tx.commit().await?;
    let mut res = builder_page(
        &state,
        &ctx,
        survey,
        StatusCode::OK,
        BuilderExtras {
            new_tokens: issued,
            ..BuilderExtras::default()
        },
    )
    .await?;
    // The tokens are shown once; never keep the page in a cache.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
