//! Dashboards (`/dasbor`, public): published innovations of the province or
//! one region by region (a tile map of the 38 regencies/cities), stage,
//! form, type and year; replication flows; the number at risk. Charts are
//! SVG drawn by the templates, with the numbers in tables beside them.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use rumah_domain::authz::Scope;
use rumah_domain::innovations::{Level, MONITORING_WINDOW_MONTHS, assess};
use rumah_domain::time::Timestamp;
use rumah_store::innovations::{lifecycle, stats};
use serde::Deserialize;

use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::state::AppState;

use super::catalogue::code_label;
use super::today_wib;

/// Position of each regency/city on the tile map (column, row): a rough
/// west–east, north–south layout of Jawa Timur with Madura on top.
pub const TILES: [(&str, &str, u8, u8); 38] = [
    ("35.26", "Bangkalan", 7, 0),
    ("35.27", "Sampang", 8, 0),
    ("35.28", "Pamekasan", 9, 0),
    ("35.29", "Sumenep", 10, 0),
    ("35.21", "Ngawi", 0, 1),
    ("35.22", "Bojonegoro", 1, 1),
    ("35.23", "Tuban", 2, 1),
    ("35.24", "Lamongan", 3, 1),
    ("35.25", "Gresik", 4, 1),
    ("35.78", "Surabaya", 5, 1),
    ("35.20", "Magetan", 0, 2),
    ("35.19", "Kab. Madiun", 1, 2),
    ("35.77", "Kota Madiun", 2, 2),
    ("35.18", "Nganjuk", 3, 2),
    ("35.17", "Jombang", 4, 2),
    ("35.16", "Kab. Mojokerto", 5, 2),
    ("35.15", "Sidoarjo", 6, 2),
    ("35.02", "Ponorogo", 0, 3),
    ("35.71", "Kota Kediri", 2, 3),
    ("35.06", "Kab. Kediri", 3, 3),
    ("35.76", "Kota Mojokerto", 4, 3),
    ("35.79", "Batu", 5, 3),
    ("35.14", "Kab. Pasuruan", 6, 3),
    ("35.75", "Kota Pasuruan", 7, 3),
    ("35.74", "Kota Probolinggo", 8, 3),
    ("35.13", "Kab. Probolinggo", 9, 3),
    ("35.12", "Situbondo", 10, 3),
    ("35.01", "Pacitan", 0, 4),
    ("35.03", "Trenggalek", 1, 4),
    ("35.04", "Tulungagung", 2, 4),
    ("35.72", "Kota Blitar", 3, 4),
    ("35.05", "Kab. Blitar", 4, 4),
    ("35.73", "Kota Malang", 5, 4),
    ("35.07", "Kab. Malang", 6, 4),
    ("35.08", "Lumajang", 7, 4),
    ("35.11", "Bondowoso", 9, 4),
    ("35.10", "Banyuwangi", 10, 4),
    ("35.09", "Jember", 8, 5),
];

pub struct Tile {
    pub code: &'static str,
    pub label: &'static str,
    pub x: u32,
    pub y: u32,
    pub count: i64,
    /// Shade 0 (none) to 4 (most).
    pub shade: u8,
    pub selected: bool,
}

pub struct BarRow {
    pub label: String,
    pub count: i64,
    pub width: f64,
    pub y: usize,
}

fn bars(rows: Vec<(String, i64)>) -> Vec<BarRow> {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    rows.into_iter()
        .enumerate()
        .map(|(i, (label, count))| BarRow {
            width: count as f64 / max * 260.0,
            label,
            count,
            y: i * 26,
        })
        .collect()
}

/// Shade of a count relative to the largest: 0 for none, else 1–4.
fn shade(count: i64, max: i64) -> u8 {
    if count <= 0 {
        return 0;
    }
    let ratio = count as f64 / max.max(1) as f64;
    match ratio {
        r if r > 0.75 => 4,
        r if r > 0.5 => 3,
        r if r > 0.25 => 2,
        _ => 1,
    }
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    wilayah: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "innovations/dashboard.html")]
struct DashboardPage<'a> {
    ctx: &'a RequestCtx,
    region: Option<(String, String)>,
    total: i64,
    tiles: Vec<Tile>,
    regions: Vec<(String, String, i64)>,
    /// (title key, bars)
    charts: Vec<(&'static str, Vec<BarRow>)>,
    flows: Vec<stats::Flow>,
    at_risk: usize,
    attention: usize,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryParams(q): QueryParams<DashboardQuery>,
) -> AppResult<Response> {
    let mut db = state.db();
    let names: HashMap<String, String> = rumah_store::orgs::regions(&mut db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let region = match q
        .wilayah
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "35")
    {
        None => None,
        Some(code) => Some((
            code.to_owned(),
            names.get(code).cloned().ok_or_else(|| {
                AppError::bad_request("invalid_query", Msg::new("skm.region_invalid"))
                    .with_field("wilayah")
            })?,
        )),
    };
    let code = region.as_ref().map(|(c, _)| c.as_str());
    let s = stats::stats(&mut db, code).await?;
    // The province view always maps every region.
    let province = if code.is_some() {
        stats::stats(&mut db, None).await?.by_region
    } else {
        s.by_region.clone()
    };
    let counts: HashMap<&str, i64> = province.iter().map(|(c, n)| (c.as_str(), *n)).collect();
    let max = counts.values().copied().max().unwrap_or(0);
    let tiles = TILES
        .iter()
        .map(|(c, label, x, y)| {
            let count = counts.get(c).copied().unwrap_or(0);
            Tile {
                code: c,
                label,
                x: u32::from(*x) * 64,
                y: u32::from(*y) * 48,
                count,
                shade: shade(count, max),
                selected: code == Some(*c),
            }
        })
        .collect();
    let mut regions: Vec<(String, String, i64)> = province
        .iter()
        .map(|(c, n)| {
            (
                c.clone(),
                names.get(c).cloned().unwrap_or_else(|| c.clone()),
                *n,
            )
        })
        .collect();
    regions.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let c: &RequestCtx = &ctx;
    let label = |dim: &'static str, rows: Vec<(String, i64)>| -> Vec<(String, i64)> {
        rows.into_iter()
            .map(|(code, n)| (code_label(c, dim, &code), n))
            .collect()
    };
    let mut by_year = std::collections::BTreeMap::<i32, i64>::new();
    for t in &s.published_at {
        *by_year
            .entry(Timestamp(t + 7 * 3_600_000).to_utc().year())
            .or_default() += 1;
    }
    // At-risk numbers over the same published innovations.
    let scope = match code.and_then(|c| rumah_domain::orgs::OrgCode::parse(c).ok()) {
        Some(c) => Scope::system_at(rumah_domain::authz::Permission::ManageInnovations, c),
        None => Scope::system(rumah_domain::authz::Permission::ManageInnovations),
    };
    let today = today_wib();
    let levels: Vec<Level> = lifecycle::published_facts(&mut db, &scope, today.year())
        .await?
        .iter()
        .map(|s| assess(&s.facts, today, MONITORING_WINDOW_MONTHS).level)
        .collect();
    let flows = stats::flows(&mut db, code, 10).await?;
    render(&DashboardPage {
        charts: vec![
            ("innovation.tahapan", bars(label("tahapan", s.by_tahapan))),
            ("innovation.bentuk", bars(label("bentuk", s.by_bentuk))),
            ("innovation.jenis", bars(label("jenis", s.by_jenis))),
            (
                "innovation.year",
                bars(
                    by_year
                        .into_iter()
                        .map(|(y, n)| (y.to_string(), n))
                        .collect(),
                ),
            ),
        ],
        at_risk: levels.iter().filter(|l| **l == Level::Berisiko).count(),
        attention: levels
            .iter()
            .filter(|l| **l == Level::PerluPerhatian)
            .count(),
        total: s.total,
        ctx: &ctx,
        region,
        tiles,
        regions,
        flows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_map_has_every_region_once_on_distinct_tiles() {
        let mut codes: Vec<&str> = TILES.iter().map(|t| t.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 38);
        let expected: Vec<String> = (1..=29)
            .map(|n| format!("35.{n:02}"))
            .chain((71..=79).map(|n| format!("35.{n}")))
            .collect();
        assert_eq!(codes, expected);
        let mut cells: Vec<(u8, u8)> = TILES.iter().map(|t| (t.2, t.3)).collect();
        cells.sort_unstable();
        cells.dedup();
        assert_eq!(cells.len(), 38, "no two regions share a tile");
    }

    #[test]
    fn shades_grow_with_the_count() {
        assert_eq!(shade(0, 10), 0);
        assert_eq!(shade(1, 10), 1);
        assert_eq!(shade(5, 10), 2);
        assert_eq!(shade(6, 10), 3);
        assert_eq!(shade(10, 10), 4);
    }
}
