//! Importing ASN accounts from a personnel list (`/admin/akun/impor`):
//! within the administrator's scope (a unit outside it reads as unknown), a
//! report per row; a file with errors imports nothing unless only the valid
//! rows are asked for. See [`crate::user_import`].

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use rumah_domain::authz::Permission;
use rumah_store::identity::import::{Options, Outcome, Report};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::Ctx;
use crate::imports::read_table;
use crate::middleware::RequestCtx;
use crate::pages::render_with;
use crate::state::AppState;
use crate::user_import;

pub const MAX_BYTES: usize = 8 * 1024 * 1024;

pub struct ReportRow {
    line: usize,
    nip: String,
    name: String,
    class: &'static str,
    label: String,
    problems: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "admin/users_import.html")]
struct ImportPage<'a> {
    ctx: &'a RequestCtx,
    rows: Vec<ReportRow>,
    summary: Option<String>,
    error: Option<String>,
    columns: &'static [&'static str],
}

fn page(
    ctx: &Ctx,
    status: StatusCode,
    report: Option<&Report>,
    error: Option<String>,
) -> AppResult<Response> {
    let rows = report.map_or_else(Vec::new, |r| {
        r.rows
            .iter()
            .map(|row| {
                let (key, class) = user_import::outcome_key(&row.outcome, r.applied);
                ReportRow {
                    line: row.line,
                    nip: row.nip.clone(),
                    name: row.name.clone(),
                    class,
                    label: ctx.t(key).into_owned(),
                    problems: match &row.outcome {
                        Outcome::Invalid(ps) => ps
                            .iter()
                            .map(|p| user_import::problem_message(p, ctx.lang))
                            .collect(),
                        _ => Vec::new(),
                    },
                }
            })
            .collect()
    });
    let summary = report.map(|r| {
        let key = if r.applied {
            "sso_admin.import_summary"
        } else if r.dry_run {
            "sso_admin.import_summary_dry"
        } else {
            "sso_admin.import_refused"
        };
        ctx.tf(
            key,
            &[
                ("created", &r.created().to_string()),
                ("updated", &r.updated().to_string()),
                ("unchanged", &r.unchanged().to_string()),
                ("invalid", &r.invalid().to_string()),
            ],
        )
    });
    render_with(
        status,
        &ImportPage {
            ctx,
            rows,
            summary,
            error,
            columns: &user_import::COLUMNS,
        },
    )
}

pub async fn form(user: CurrentUser, ctx: Ctx) -> AppResult<Response> {
    user.require(Permission::ManageAccounts)?;
    page(&ctx, StatusCode::OK, None, None)
}

fn body_error(status: StatusCode, detail: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::payload_too_large();
    }
    AppError::bad_request(
        "invalid_body",
        Msg::new("error.invalid_body").arg("detail", detail),
    )
}

pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageAccounts)?;
    let mut multipart = multipart.map_err(|e| body_error(e.status(), e.body_text()))?;
    let (mut bytes, mut opts) = (Vec::new(), Options::default());
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| body_error(e.status(), e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let value = field
            .bytes()
            .await
            .map_err(|e| body_error(e.status(), e.body_text()))?;
        match name.as_str() {
            "berkas" => bytes = value.to_vec(),
            "hanya_valid" => opts.only_valid = &value[..] == b"ya",
            "uji" => opts.dry_run = &value[..] == b"ya",
            _ => {}
        }
    }
    if bytes.is_empty() {
        let msg = ctx.t("import.err_no_file").into_owned();
        return page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg));
    }
    let rows = match read_table(&bytes).and_then(|t| user_import::rows(&t)) {
        Ok(rows) => rows,
        Err(e) => {
            let detail = match &e {
                crate::imports::TableError::MissingColumns(c) => c.clone(),
                other => other.to_string(),
            };
            let msg = ctx.tf(e.key(), &[("detail", &detail)]);
            return page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg));
        }
    };
    let ip = ctx.client_ip.to_string();
    let report = user_import::run_audited(
        &state.db(),
        &scope,
        &rows,
        opts,
        Some((user.account(), &user.info.username)),
        Some(&ip),
    )
    .await?;
    let status = if report.invalid() > 0 && !report.applied && !opts.dry_run {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(&ctx, status, Some(&report), None)
}
