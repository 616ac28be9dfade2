//! `GET /skm/kelola/{id}/ekspor.csv?periode=`: every raw response of a unit
//! in a period as CSV, streamed a page at a time (keyset pagination), so the
//! server's memory stays flat however many responses there are. Free text is
//! not in it (suggestions live with their tickets).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use rumah_store::surveys::export::{self, ExportRow};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::auth::CurrentUser;
use crate::download::{attachment, csv_field};
use crate::error::AppResult;
use crate::extract::QueryParams;
use crate::state::AppState;

use super::manage::managed_unit;
use super::view;

/// Rows fetched per query.
const PAGE: i64 = 2000;

#[derive(Deserialize)]
pub struct ExportQuery {
    periode: Option<String>,
}

const HEADER: &str = "id,submitted_at_utc_ms,service,service_date,age_band,gender,education,occupation,u1,u2,u3,u4,u5,u6,u7,u8,u9\r\n";

fn write_row(out: &mut String, r: &ExportRow) {
    use std::fmt::Write as _;
    let _ = write!(out, "{},{},", r.id, r.submitted_at);
    csv_field(out, &r.service);
    for v in [
        &r.service_date,
        &r.age_band,
        &r.gender,
        &r.education,
        &r.occupation,
    ] {
        out.push(',');
        csv_field(out, v.as_deref().unwrap_or(""));
    }
    let _ = write!(
        out,
        ",{},{},{},{},{},{},{},{},{}\r\n",
        r.u1, r.u2, r.u3, r.u4, r.u5, r.u6, r.u7, r.u8, r.u9
    );
}

pub async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    QueryParams(q): QueryParams<ExportQuery>,
) -> AppResult<Response> {
    let unit = managed_unit(&state, &user, id).await?;
    let period = view::period_param(q.periode.as_deref())?;
    let (from, to) = period.month_range();
    let (tx, rx) = mpsc::channel::<Result<String, std::io::Error>>(2);
    let db = state.db();
    let unit_id = unit.id;
    tokio::spawn(async move {
        let mut db = db;
        if tx.send(Ok(HEADER.to_owned())).await.is_err() {
            return;
        }
        let mut after = 0;
        loop {
            let rows = match export::page(
                &mut db,
                unit_id,
                i64::from(from),
                i64::from(to),
                after,
                PAGE,
            )
            .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error.detail = %e, "SKM export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let Some(last) = rows.last() else { return };
            after = last.id;
            let mut chunk = String::with_capacity(rows.len() * 64);
            for r in &rows {
                write_row(&mut chunk, r);
            }
            // A client that went away stops the export.
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let filename = format!("skm-{}-{}.csv", unit.slug, period.key());
    Ok(attachment(
        "text/csv; charset=utf-8",
        &filename,
        Body::from_stream(stream),
    ))
}
