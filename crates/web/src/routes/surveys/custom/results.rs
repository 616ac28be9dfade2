//! Results of a custom survey for its administrators
//! (`/survei/kelola/{id}/hasil`): counts and shares per option with bars,
//! Likert means, number statistics, the latest text answers; and the raw
//! answers as CSV or XLSX, streamed a page of responses at a time.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use rumah_domain::surveys::custom::{Question, QuestionKind};
use rumah_store::surveys::custom::{self as store, AnswerRow, Survey};
use tokio::sync::mpsc;

use crate::auth::CurrentUser;
use crate::download::{attachment, csv_line};
use crate::error::AppResult;
use crate::extract::Ctx;
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::routes::surveys::view::fmt_dec;
use crate::state::AppState;

use super::builder::managed;

/// One bar: label, count, share in percent (for the bar and the text).
pub struct Bar {
    pub label: String,
    pub count: i64,
    pub percent: String,
    pub width: f64,
}

pub struct QuestionResult {
    pub number: usize,
    pub q: Question,
    pub answered: i64,
    pub bars: Vec<Bar>,
    /// Matrix: (row label, bars per column).
    pub matrix: Vec<(String, Vec<Bar>)>,
    pub mean: Option<String>,
    pub stats: Option<(String, String, String)>,
    pub texts: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "surveys/custom/results.html")]
struct ResultsPage<'a> {
    ctx: &'a RequestCtx,
    survey: Survey,
    responses: i64,
    results: Vec<QuestionResult>,
}

fn bars(
    labels: &[String],
    counts: &HashMap<i64, i64>,
    base: i64,
    ctx: &RequestCtx,
    offset: i64,
) -> Vec<Bar> {
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let count = counts
                .get(&(i64::try_from(i).unwrap_or(0) + offset))
                .copied()
                .unwrap_or(0);
            let share = if base > 0 {
                count as f64 * 100.0 / base as f64
            } else {
                0.0
            };
            Bar {
                label: label.clone(),
                count,
                percent: fmt_dec(share, 1, ctx.lang),
                width: share * 3.0,
            }
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let survey = managed(&state, &user, id).await?;
    let mut db = state.db();
    let questions = store::questions(&mut db, survey.id).await?;
    let responses = store::response_count(&mut db, survey.id).await?;
    let answered: HashMap<i64, i64> = store::answered(&mut db, survey.id)
        .await?
        .into_iter()
        .collect();
    let mut counts: HashMap<(i64, i64), HashMap<i64, i64>> = HashMap::new();
    for (q, row, choice, n) in store::choice_counts(&mut db, survey.id).await? {
        counts.entry((q, row)).or_default().insert(choice, n);
    }
    let numbers: HashMap<i64, (f64, f64, f64)> = store::number_stats(&mut db, survey.id)
        .await?
        .into_iter()
        .map(|(q, mean, lo, hi)| (q, (mean, lo, hi)))
        .collect();
    let empty = HashMap::new();
    let mut results = Vec::new();
    for (n, q) in questions.into_iter().enumerate() {
        let base = answered.get(&q.id).copied().unwrap_or(0);
        let c = counts.get(&(q.id, 0)).unwrap_or(&empty);
        let mut r = QuestionResult {
            number: n + 1,
            answered: base,
            bars: Vec::new(),
            matrix: Vec::new(),
            mean: None,
            stats: None,
            texts: Vec::new(),
            q: q.clone(),
        };
        match q.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                r.bars = bars(&q.options, c, base, &ctx, 0)
            }
            QuestionKind::Likert => {
                let labels: Vec<String> = (1..=q.scale).map(|p| p.to_string()).collect();
                r.bars = bars(&labels, c, base, &ctx, 1);
                let total: i64 = c.iter().map(|(p, k)| p * k).sum();
                let k: i64 = c.values().sum();
                r.mean = (k > 0).then(|| fmt_dec(total as f64 / k as f64, 2, ctx.lang));
            }
            QuestionKind::Number => {
                r.stats = numbers.get(&q.id).map(|(m, lo, hi)| {
                    (
                        fmt_dec(*m, 2, ctx.lang),
                        fmt_dec(*lo, 2, ctx.lang),
                        fmt_dec(*hi, 2, ctx.lang),
                    )
                });
            }
            QuestionKind::Short | QuestionKind::Long => {
                r.texts = store::texts(&mut db, q.id, 50).await?
            }
            QuestionKind::Matrix => {
                r.matrix = q
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(row, label)| {
                        let c = counts
                            .get(&(q.id, i64::try_from(row).unwrap_or(0)))
                            .unwrap_or(&empty);
                        let base: i64 = c.values().sum();
                        (label.clone(), bars(&q.options, c, base, &ctx, 0))
                    })
                    .collect();
            }
        }
        results.push(r);
    }
    render(&ResultsPage {
        ctx: &ctx,
        survey,
        responses,
        results,
    })
}

/// Responses fetched per query by the exports.
const PAGE: i64 = 500;

/// Column headers: one per question, one per matrix row.
fn headers(questions: &[Question]) -> Vec<String> {
    let mut out = vec!["id".to_owned(), "submitted_at_utc_ms".to_owned()];
    for (n, q) in questions.iter().enumerate() {
        if q.kind == QuestionKind::Matrix {
            for row in &q.rows {
                out.push(format!("{}. {} [{row}]", n + 1, q.prompt));
            }
        } else {
            out.push(format!("{}. {}", n + 1, q.prompt));
        }
    }
    out
}

/// A value per column, for one response's answer rows.
fn cells(questions: &[Question], answers: &[&AnswerRow]) -> Vec<String> {
    let mut out = Vec::new();
    for q in questions {
        let mine: Vec<&&AnswerRow> = answers.iter().filter(|a| a.question_id == q.id).collect();
        let label = |i: Option<i64>| {
            i.and_then(|i| usize::try_from(i).ok())
                .and_then(|i| q.options.get(i).cloned())
                .unwrap_or_default()
        };
        match q.kind {
            QuestionKind::Single => {
                out.push(mine.first().map(|a| label(a.choice)).unwrap_or_default())
            }
            QuestionKind::Multiple => out.push(
                mine.iter()
                    .map(|a| label(a.choice))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            QuestionKind::Likert => out.push(
                mine.first()
                    .and_then(|a| a.choice)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ),
            QuestionKind::Number => out.push(
                mine.first()
                    .and_then(|a| a.number)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ),
            QuestionKind::Short | QuestionKind::Long => out.push(
                mine.first()
                    .and_then(|a| a.body.clone())
                    .unwrap_or_default(),
            ),
            QuestionKind::Matrix => {
                for row in 0..q.rows.len() {
                    let cell = mine
                        .iter()
                        .find(|a| usize::try_from(a.row_index).ok() == Some(row));
                    out.push(cell.map(|a| label(a.choice)).unwrap_or_default());
                }
            }
        }
    }
    out
}

/// The next page of responses after `after` as rows of cells:
/// (last id, rows of id, submitted_at and cells), or `None` at the end.
pub(super) async fn next_page(
    db: &mut rumah_store::Db,
    survey_id: i64,
    questions: &[Question],
    after: i64,
) -> Result<Option<(i64, Vec<(i64, i64, Vec<String>)>)>, rumah_store::StoreError> {
    let page = store::response_page(db, survey_id, after, PAGE).await?;
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(None);
    };
    let answers = store::answers_between(db, survey_id, first.0, last.0).await?;
    let rows = page
        .iter()
        .map(|(id, at)| {
            let mine: Vec<&AnswerRow> = answers.iter().filter(|a| a.response_id == *id).collect();
            (*id, *at, cells(questions, &mine))
        })
        .collect();
    Ok(Some((last.0, rows)))
}

pub async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let survey = managed(&state, &user, id).await?;
    let questions = store::questions(&mut state.db(), survey.id).await?;
    let (tx, rx) = mpsc::channel::<Result<String, std::io::Error>>(4);
    let mut db = state.db();
    let survey_id = survey.id;
    tokio::spawn(async move {
        if tx.send(Ok(csv_line(&headers(&questions)))).await.is_err() {
            return;
        }
        let mut after = 0;
        loop {
            match next_page(&mut db, survey_id, &questions, after).await {
                Ok(Some((last, rows))) => {
                    after = last;
                    let mut chunk = String::new();
                    for (id, at, mut cells) in rows {
                        let mut row = vec![id.to_string(), at.to_string()];
                        row.append(&mut cells);
                        chunk.push_str(&csv_line(&row));
                    }
                    // Waits while the client reads; a client that left ends the export.
                    if tx.send(Ok(chunk)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    tracing::error!(error.detail = %e, "survey export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            }
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok(attachment(
        "text/csv; charset=utf-8",
        &format!("survei-{}.csv", survey.slug),
        body,
    ))
}

/// The same columns as the CSV, as an XLSX workbook. Written in
/// rust_xlsxwriter's constant-memory mode (each row goes to a temporary
/// file as it is written) into a temporary file, then streamed: memory
/// stays flat however many responses there are.
pub async fn xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let survey = managed(&state, &user, id).await?;
    let questions = store::questions(&mut state.db(), survey.id).await?;
    let db = state.db();
    let survey_id = survey.id;
    let handle = tokio::runtime::Handle::current();
    let file = tokio::task::spawn_blocking(move || write_xlsx(&handle, db, survey_id, &questions))
        .await
        .map_err(crate::error::AppError::internal)?
        .map_err(crate::error::AppError::internal)?;
    let (tx, rx) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt as _;
        let mut file = tokio::fs::File::from_std(file);
        loop {
            let mut buf = vec![0u8; 64 * 1024];
            match file.read(&mut buf).await {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Ok(buf)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("survei-{}.xlsx", survey.slug),
        body,
    ))
}

fn write_xlsx(
    handle: &tokio::runtime::Handle,
    mut db: rumah_store::Db,
    survey_id: i64,
    questions: &[Question],
) -> Result<std::fs::File, Box<dyn std::error::Error + Send + Sync>> {
    use std::io::Seek as _;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("Jawaban")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in headers(questions).iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c)?, h, &bold)?;
    }
    let mut row: u32 = 1;
    let mut after = 0;
    while let Some((last, rows)) =
        handle.block_on(next_page(&mut db, survey_id, questions, after))?
    {
        after = last;
        for (id, at, cells) in rows {
            sheet.write_number(row, 0, id as f64)?;
            sheet.write_number(row, 1, at as f64)?;
            for (c, v) in cells.iter().enumerate() {
                let col = u16::try_from(c + 2)?;
                // Numbers stay numbers; everything else is text (never a formula).
                match v.parse::<f64>() {
                    Ok(n) if !v.is_empty() && n.is_finite() => sheet.write_number(row, col, n)?,
                    _ => sheet.write_string(row, col, v)?,
                };
            }
            row += 1;
        }
    }
    let mut file = tempfile::tempfile()?;
    workbook.save_to_writer(&mut file)?;
    file.rewind()?;
    Ok(file)
}
