//! Bulk import page (`/inovasi/kelola/impor`): upload a CSV or XLSX in the
//! template's columns, see a report per row; a file with errors imports
//! nothing unless "import only the valid rows" is ticked. Large files are
//! better served by `rumah import innovations`, which shows progress.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use rumah_domain::authz::Permission;
use rumah_store::innovations::profiles::Author;

use crate::auth::CurrentUser;
use crate::download::attachment;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::Ctx;
use crate::imports::{self, Outcome, RowReport};
use crate::middleware::RequestCtx;
use crate::pages::render_with;
use crate::state::AppState;

use super::today_wib;

/// Largest file the page takes.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

#[derive(askama::Template)]
#[template(path = "innovations/import.html")]
struct ImportPage<'a> {
    ctx: &'a RequestCtx,
    report: Vec<RowReport>,
    imported: Option<usize>,
    refused: bool,
    error: Option<String>,
    columns: &'static [&'static str],
}

fn page(
    ctx: &RequestCtx,
    status: StatusCode,
    report: Vec<RowReport>,
    imported: Option<usize>,
    refused: bool,
    error: Option<String>,
) -> AppResult<Response> {
    render_with(
        status,
        &ImportPage {
            ctx,
            report,
            imported,
            refused,
            error,
            columns: &imports::COLUMNS,
        },
    )
}

pub async fn form(user: CurrentUser, ctx: Ctx) -> AppResult<Response> {
    user.require(Permission::ManageInnovations)?;
    page(&ctx, StatusCode::OK, Vec::new(), None, false, None)
}

pub async fn template(user: CurrentUser) -> AppResult<Response> {
    user.require(Permission::ManageInnovations)?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        "templat-impor-inovasi.csv",
        imports::template_csv(),
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageInnovations)?;
    let mut multipart = multipart.map_err(|e| {
        AppError::new(
            e.status(),
            "invalid_body",
            Msg::new("error.invalid_body").arg("detail", e.body_text()),
        )
    })?;
    let mut bytes: Option<Vec<u8>> = None;
    let mut only_valid = false;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::payload_too_large()
        } else {
            AppError::bad_request(
                "invalid_body",
                Msg::new("error.invalid_body").arg("detail", e.body_text()),
            )
        }
    })? {
        match field.name() {
            Some("berkas") => {
                let data = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::payload_too_large())?;
                bytes = Some(data.to_vec());
            }
            Some("hanya_valid") => {
                only_valid = field.text().await.map(|v| v == "ya").unwrap_or(false)
            }
            _ => {}
        }
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        let msg = ctx.t("import.err_no_file").into_owned();
        return page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Vec::new(),
            None,
            false,
            Some(msg),
        );
    };
    let rows = match imports::read_table(&bytes).and_then(|t| imports::rows(&t)) {
        Ok(rows) => rows,
        Err(e) => {
            let detail = match &e {
                imports::TableError::MissingColumns(c) => c.clone(),
                other => other.to_string(),
            };
            let msg = ctx.tf(e.key(), &[("detail", &detail)]);
            return page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                Vec::new(),
                None,
                false,
                Some(msg),
            );
        }
    };
    let db = state.db();
    let mut validated = imports::validate(&db, &scope, &rows, today_wib(), ctx.lang).await?;
    let has_errors = validated
        .iter()
        .any(|(r, _)| matches!(r.outcome, Outcome::Invalid(_)));
    if has_errors && !only_valid {
        let report = validated.into_iter().map(|(r, _)| r).collect();
        return page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            report,
            None,
            true,
            None,
        );
    }
    let author = Author {
        id: Some(user.account().0),
        label: &user.info.username,
    };
    let n = imports::import(&db, &scope, &mut validated, author, |_, _| {}).await?;
    let report = validated.into_iter().map(|(r, _)| r).collect();
    page(&ctx, StatusCode::OK, report, Some(n), false, None)
}
