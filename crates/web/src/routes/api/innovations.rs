//! The public catalogue as JSON: published innovations only, the same
//! filters and facets as `/katalog`.

use axum::Json;
use axum::extract::{Path, State};
use rumah_store::innovations::catalogue::{Card, Facets, Filter, Sort};
use rumah_store::innovations::profiles;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, ErrorEnvelope, Msg};
use crate::extract::QueryParams;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InnovationQuery {
    /// Words that must all appear (name, problem, design).
    pub q: Option<String>,
    /// Region code, e.g. `35.15`.
    pub region: Option<String>,
    /// `tata_kelola`, `pelayanan_publik` or `lainnya`.
    pub bentuk: Option<String>,
    /// `digital` or `non_digital`.
    pub jenis: Option<String>,
    /// `inisiatif`, `uji_coba` or `penerapan`.
    pub tahapan: Option<String>,
    /// Urusan code, e.g. `kesehatan`.
    pub urusan: Option<String>,
    /// SDG goal 1–17.
    pub sdg: Option<i64>,
    /// Year of publication.
    pub year: Option<i64>,
    /// `terbaru` (default), `nama` or `penerima`.
    pub sort: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InnovationCard {
    pub id: i64,
    pub name: String,
    pub bentuk: String,
    pub jenis: String,
    pub tahapan: String,
    pub urusan: String,
    pub org: String,
    pub org_name: String,
    pub region: String,
    pub region_name: String,
    pub beneficiaries: Option<i64>,
    /// Epoch milliseconds of the first publication.
    pub published_at: Option<i64>,
    pub summary: String,
    /// The public page.
    pub url: String,
    /// With `q`: where the words occur, as HTML (text escaped, matches in
    /// `<mark>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub snippet: Option<String>,
}

impl From<Card> for InnovationCard {
    fn from(c: Card) -> Self {
        Self {
            url: format!("/inovasi/{}", c.id),
            id: c.id,
            name: c.name,
            bentuk: c.bentuk,
            jenis: c.jenis,
            tahapan: c.tahapan,
            urusan: c.urusan_code,
            org: c.org_code,
            org_name: c.org_name,
            region: c.region_code,
            region_name: c.region_name,
            beneficiaries: c.beneficiaries,
            published_at: c.published_at,
            summary: c.summary,
            snippet: None,
        }
    }
}

/// Counts per facet value: `[value, count]` pairs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FacetCounts {
    pub region: Vec<(String, i64)>,
    pub bentuk: Vec<(String, i64)>,
    pub jenis: Vec<(String, i64)>,
    pub tahapan: Vec<(String, i64)>,
    pub urusan: Vec<(String, i64)>,
    pub sdg: Vec<(String, i64)>,
    pub year: Vec<(String, i64)>,
}

impl From<Facets> for FacetCounts {
    fn from(f: Facets) -> Self {
        Self {
            region: f.region,
            bentuk: f.bentuk,
            jenis: f.jenis,
            tahapan: f.tahapan,
            urusan: f.urusan,
            sdg: f.sdg,
            year: f.year,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InnovationList {
    pub total: i64,
    pub items: Vec<InnovationCard>,
    pub facets: FacetCounts,
}

/// Published innovations, filtered, sorted and paged, with facet counts.
#[utoipa::path(get, path = "/api/v1/innovations", tag = "innovations",
    params(InnovationQuery),
    responses((status = 200, body = InnovationList), (status = 400, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<InnovationQuery>,
) -> AppResult<Json<InnovationList>> {
    let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let explicit = clean(q.sort.clone()).is_some();
    let sort = match clean(q.sort) {
        None => Sort::default(),
        Some(s) => Sort::from_code(&s).ok_or_else(|| {
            AppError::bad_request(
                "invalid_query",
                Msg::new("innovation.query_invalid").arg("name", "sort"),
            )
            .with_field("sort")
        })?,
    };
    let filter = Filter {
        region: clean(q.region),
        bentuk: clean(q.bentuk),
        jenis: clean(q.jenis),
        tahapan: clean(q.tahapan),
        urusan: clean(q.urusan),
        sdg: q.sdg,
        year: q.year,
        words: clean(q.q)
            .map(|s| s.split_whitespace().take(8).map(str::to_owned).collect())
            .unwrap_or_default(),
    };
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let offset = q.offset.unwrap_or(0).clamp(0, 1_000_000);
    let (cards, total, facets) =
        crate::routes::innovations::catalogue::find(&state, &filter, sort, explicit, offset, limit)
            .await?;
    Ok(Json(InnovationList {
        total,
        items: cards
            .into_iter()
            .map(|c| {
                let snippet = (!c.snippet.is_empty()).then_some(c.snippet);
                InnovationCard {
                    snippet,
                    ..InnovationCard::from(c.card)
                }
            })
            .collect(),
        facets: facets.into(),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InnovationJson {
    pub id: i64,
    pub org: String,
    pub org_name: String,
    pub region: String,
    pub region_name: String,
    pub urusan_name: String,
    pub published_at: Option<i64>,
    pub version: i64,
    /// The profile: name, bentuk, jenis, inisiator, urusan, tahapan, stage
    /// dates (`YYYY-MM-DD`), problem, design, goals, benefits, results,
    /// beneficiaries, sdgs, contacts, video_url.
    #[schema(value_type = Object)]
    pub profile: serde_json::Value,
}

/// One published innovation; anything else is 404.
#[utoipa::path(get, path = "/api/v1/innovations/{id}", tag = "innovations",
    params(("id" = i64, Path, description = "Innovation id")),
    responses((status = 200, body = InnovationJson), (status = 404, body = ErrorEnvelope)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<InnovationJson>> {
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let inn = profiles::public(&mut state.db(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(InnovationJson {
        id: inn.id,
        profile: serde_json::to_value(&inn.draft).map_err(AppError::internal)?,
        org: inn.org_code,
        org_name: inn.org_name,
        region: inn.region_code,
        region_name: inn.region_name,
        urusan_name: inn.urusan_name,
        published_at: inn.published_at,
        version: inn.version,
    }))
}
