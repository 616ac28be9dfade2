//! The catalogue's filtered list as a file: `/katalog/ekspor.csv` and
//! `/katalog/ekspor.xlsx` take the same parameters as `/katalog` and give
//! every published innovation that matches (not just one page). Both read
//! 500 rows at a time; the XLSX is written in rust_xlsxwriter's
//! constant-memory mode to a temporary file, then streamed.

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use rumah_store::innovations::catalogue::{self, Card, Filter, Sort};
use tokio::sync::mpsc;

use crate::download::{attachment, csv_line};
use crate::error::{AppError, AppResult};
use crate::extract::QueryParams;
use crate::state::AppState;

use super::catalogue::CatalogueQuery;

const PAGE: i64 = 500;

const HEADERS: [&str; 12] = [
    "id",
    "nama",
    "bentuk",
    "jenis",
    "tahapan",
    "urusan",
    "perangkat_daerah",
    "kode_wilayah",
    "wilayah",
    "penerima_manfaat",
    "terbit_utc_ms",
    "tautan",
];

fn cells(c: &Card, base: &str) -> [String; 12] {
    [
        c.id.to_string(),
        c.name.clone(),
        c.bentuk.clone(),
        c.jenis.clone(),
        c.tahapan.clone(),
        c.urusan_name.clone(),
        c.org_name.clone(),
        c.region_code.clone(),
        c.region_name.clone(),
        c.beneficiaries.map(|b| b.to_string()).unwrap_or_default(),
        c.published_at.map(|t| t.to_string()).unwrap_or_default(),
        format!("{base}inovasi/{}", c.id),
    ]
}

pub async fn csv(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<CatalogueQuery>,
) -> AppResult<Response> {
    let (filter, sort, _) = q.parse()?;
    let (tx, rx) = mpsc::channel::<Result<String, std::io::Error>>(4);
    let mut db = state.db();
    let base = state.config().public_url.to_string();
    tokio::spawn(async move {
        if tx.send(Ok(csv_line(&HEADERS))).await.is_err() {
            return;
        }
        let mut offset = 0;
        loop {
            match catalogue::search(&mut db, &filter, sort, offset, PAGE).await {
                Ok((cards, _)) if cards.is_empty() => return,
                Ok((cards, _)) => {
                    offset += PAGE;
                    let chunk: String = cards.iter().map(|c| csv_line(&cells(c, &base))).collect();
                    if tx.send(Ok(chunk)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::error!(error.detail = %e, "catalogue export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            }
        }
    });
    Ok(attachment(
        "text/csv; charset=utf-8",
        "katalog-inovasi.csv",
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    ))
}

pub async fn xlsx(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<CatalogueQuery>,
) -> AppResult<Response> {
    let (filter, sort, _) = q.parse()?;
    let db = state.db();
    let base = state.config().public_url.to_string();
    let handle = tokio::runtime::Handle::current();
    let file = tokio::task::spawn_blocking(move || write_xlsx(&handle, db, &filter, sort, &base))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let file = tokio::fs::File::from_std(file);
    let (tx, rx) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt as _;
        let mut file = file;
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
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "katalog-inovasi.xlsx",
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    ))
}

fn write_xlsx(
    handle: &tokio::runtime::Handle,
    mut db: rumah_store::Db,
    filter: &Filter,
    sort: Sort,
    base: &str,
) -> Result<std::fs::File, Box<dyn std::error::Error + Send + Sync>> {
    use std::io::Seek as _;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("Inovasi")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c)?, *h, &bold)?;
    }
    let mut row: u32 = 1;
    let mut offset = 0;
    loop {
        let (cards, _) = handle.block_on(catalogue::search(&mut db, filter, sort, offset, PAGE))?;
        if cards.is_empty() {
            break;
        }
        offset += PAGE;
        for card in &cards {
            for (c, v) in cells(card, base).iter().enumerate() {
                let col = u16::try_from(c)?;
                match (c, v.parse::<f64>()) {
                    (0 | 9 | 10, Ok(n)) => sheet.write_number(row, col, n)?,
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
