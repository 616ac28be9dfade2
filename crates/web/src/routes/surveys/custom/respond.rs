//! Answering a custom survey: `GET /survei` lists open surveys,
//! `GET /survei/{slug}` renders one (with `?token=` for a token survey),
//! `POST /survei/{slug}` stores the answers in one transaction.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rumah_domain::surveys::custom::{self, AnswerError, Question, QuestionKind, RawAnswers};
use rumah_domain::time::Timestamp;
use rumah_store::secret::random_bytes;
use rumah_store::surveys::custom::{self as store, Submitted, Survey};
use serde::Deserialize;

use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render, render_with};
use crate::state::AppState;

/// A matrix row: its label, its field name, and per column (value, checked).
pub type MatrixRow = (String, String, Vec<(String, bool)>);

/// A question ready to render, with what the respondent entered so far.
pub struct QuestionView {
    pub q: Question,
    pub number: usize,
    pub kind: &'static str,
    /// (index as string, label, checked)
    pub options: Vec<(String, String, bool)>,
    /// Likert points (value, checked).
    pub points: Vec<(u8, bool)>,
    pub rows: Vec<MatrixRow>,
    pub value: String,
    /// "q3:1" when shown only after option 1 of question 3 is chosen.
    pub show_if: String,
    pub show_if_hint: Option<String>,
}

fn view_questions(ctx: &RequestCtx, questions: &[Question], raw: &RawAnswers) -> Vec<QuestionView> {
    let first = |f: &str| {
        raw.get(f)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    let chosen = |f: &str, i: usize| {
        raw.get(f)
            .is_some_and(|v| v.iter().any(|x| *x == i.to_string()))
    };
    questions
        .iter()
        .enumerate()
        .map(|(n, q)| {
            let field = q.field();
            let show_if_hint = q.show_if.and_then(|(qid, opt)| {
                let (pos, target) = questions.iter().enumerate().find(|(_, t)| t.id == qid)?;
                Some(ctx.tf(
                    "survey.show_if_hint",
                    &[
                        ("n", &(pos + 1).to_string()),
                        ("option", target.options.get(opt).map_or("", String::as_str)),
                    ],
                ))
            });
            QuestionView {
                number: n + 1,
                kind: q.kind.code(),
                options: q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (i.to_string(), o.clone(), chosen(&field, i)))
                    .collect(),
                points: (1..=q.scale)
                    .map(|p| (p, first(&field) == p.to_string()))
                    .collect(),
                rows: q
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(r, label)| {
                        let rf = q.row_field(r);
                        let cells = (0..q.options.len())
                            .map(|c| (c.to_string(), chosen(&rf, c)))
                            .collect();
                        (label.clone(), rf, cells)
                    })
                    .collect(),
                value: first(&field),
                show_if: q
                    .show_if
                    .map(|(qid, opt)| format!("q{qid}:{opt}"))
                    .unwrap_or_default(),
                show_if_hint,
                q: q.clone(),
            }
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "surveys/custom/form.html")]
struct FormPage<'a> {
    ctx: &'a RequestCtx,
    survey: Survey,
    questions: Vec<QuestionView>,
    errors: FieldErrors,
    kunci: String,
    token: String,
    likert_low: String,
    likert_high: String,
}

#[derive(askama::Template)]
#[template(path = "surveys/custom/message.html")]
struct MessagePage<'a> {
    ctx: &'a RequestCtx,
    title: String,
    message: String,
    ok: bool,
    token_form: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "surveys/custom/list.html")]
struct ListPage<'a> {
    ctx: &'a RequestCtx,
    surveys: Vec<Survey>,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let surveys = store::list_open(&mut state.db(), Timestamp::now()).await?;
    render(&ListPage { ctx: &ctx, surveys })
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// A published survey by slug; drafts are "not found" to respondents.
async fn published(state: &AppState, slug: &str) -> AppResult<Survey> {
    store::by_slug(&mut state.db(), slug)
        .await?
        .filter(|s| s.published)
        .ok_or_else(AppError::not_found)
}

fn message(
    ctx: &RequestCtx,
    status: StatusCode,
    title: &str,
    message: String,
    ok: bool,
    token_form: Option<String>,
) -> AppResult<Response> {
    render_with(
        status,
        &MessagePage {
            ctx,
            title: ctx.t(title).into_owned(),
            message,
            ok,
            token_form,
        },
    )
}

fn closed_message(ctx: &RequestCtx, survey: &Survey) -> AppResult<Response> {
    message(
        ctx,
        StatusCode::OK,
        "survey.closed_title",
        ctx.tf("survey.closed", &[("title", &survey.title)]),
        false,
        None,
    )
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    QueryParams(q): QueryParams<TokenQuery>,
) -> AppResult<Response> {
    let survey = published(&state, &slug).await?;
    if !survey.is_open(Timestamp::now()) {
        return closed_message(&ctx, &survey);
    }
    let token = q.token.map(|t| t.trim().to_owned()).unwrap_or_default();
    if survey.needs_token() && !store::token_usable(&mut state.db(), survey.id, &token).await? {
        let msg = if token.is_empty() {
            "survey.token_needed"
        } else {
            "survey.token_refused"
        };
        return message(
            &ctx,
            StatusCode::OK,
            "survey.token_title",
            ctx.t(msg).into_owned(),
            false,
            Some(survey.slug.clone()),
        );
    }
    let questions = store::questions(&mut state.db(), survey.id).await?;
    let mut res = render(&FormPage {
        questions: view_questions(&ctx, &questions, &HashMap::new()),
        likert_low: ctx.t("survey.likert_low").into_owned(),
        likert_high: ctx.t("survey.likert_high").into_owned(),
        ctx: &ctx,
        survey,
        errors: FieldErrors::default(),
        kunci: URL_SAFE_NO_PAD.encode(random_bytes::<16>()),
        token,
    })?;
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

fn error_key(e: AnswerError) -> &'static str {
    match e {
        AnswerError::Required => "survey.err_required",
        AnswerError::NotAnOption => "survey.err_not_an_option",
        AnswerError::NotANumber => "survey.err_not_a_number",
        AnswerError::OutOfRange => "survey.err_out_of_range",
        AnswerError::TooLong => "survey.err_too_long",
    }
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    let survey = published(&state, &slug).await?;
    if !survey.is_open(Timestamp::now()) {
        return Err(AppError::conflict(
            "survey_closed",
            Msg::new("survey.closed").arg("title", &survey.title),
        ));
    }
    let raw = custom::group_fields(pairs);
    let single = |f: &str| {
        raw.get(f)
            .and_then(|v| v.first())
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let kunci = single("kunci");
    if !(16..=64).contains(&kunci.len())
        || !kunci
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::bad_request(
            "submission_key_invalid",
            Msg::new("skm.key_invalid"),
        ));
    }
    let token = single("token");
    let questions = store::questions(&mut state.db(), survey.id).await?;
    let answers = match custom::parse_answers(&questions, &raw) {
        Ok(a) => a,
        Err(errs) => {
            let mut errors = FieldErrors::default();
            for (qid, e) in errs {
                if let Some(q) = questions.iter().find(|q| q.id == qid) {
                    errors.add_owned(q.field(), ctx.t(error_key(e)).into_owned());
                }
            }
            return render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage {
                    questions: view_questions(&ctx, &questions, &raw),
                    likert_low: ctx.t("survey.likert_low").into_owned(),
                    likert_high: ctx.t("survey.likert_high").into_owned(),
                    ctx: &ctx,
                    survey,
                    errors,
                    kunci,
                    token,
                },
            );
        }
    };
    let mut tx = state.db().begin().await?;
    let outcome = store::submit(
        &mut tx,
        &survey,
        &kunci,
        &answers,
        Some(token.as_str()).filter(|t| !t.is_empty()),
    )
    .await?;
    tx.commit().await?;
    match outcome {
        Submitted::Stored | Submitted::Duplicate => message(
            &ctx,
            StatusCode::OK,
            "survey.thanks_title",
            ctx.tf("survey.thanks", &[("title", &survey.title)]),
            true,
            None,
        ),
        Submitted::TokenRefused => Err(AppError::conflict(
            "token_refused",
            Msg::new("survey.token_refused"),
        )),
    }
}

/// The kind label of a question, for builder and results pages.
pub fn kind_key(kind: QuestionKind) -> &'static str {
    kind.label_key()
}
