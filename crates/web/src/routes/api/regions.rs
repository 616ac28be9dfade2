use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rumah_store::orgs::{self, Bakorwil};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{AppResult, ErrorEnvelope};
use crate::state::AppState;

/// A regency (kabupaten) or city (kota) of Jawa Timur.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegionJson {
    /// Kemendagri code, e.g. `35.15`.
    #[schema(example = "35.15")]
    pub code: String,
    #[schema(example = "Kabupaten Sidoarjo")]
    pub name: String,
    /// `kabupaten` or `kota`.
    #[schema(example = "kabupaten")]
    pub kind: String,
    /// Code of the province, `35`.
    #[schema(example = "35")]
    pub parent: String,
}

#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct RegionList(Vec<RegionJson>);

impl From<Vec<orgs::Region>> for RegionList {
    fn from(all: Vec<orgs::Region>) -> Self {
        Self(
            all.into_iter()
                .filter(|r| r.kind == "kabupaten" || r.kind == "kota")
                .map(|r| RegionJson {
                    code: r.code,
                    name: r.name,
                    kind: r.kind,
                    parent: r.parent.unwrap_or_default(),
                })
                .collect(),
        )
    }
}

/// The 38 kabupaten/kota of Jawa Timur with their Kemendagri codes.
///
/// Reference data: served from memory, cacheable, with an `ETag`.
#[utoipa::path(get, path = "/api/v1/regions", tag = "reference",
    responses((status = 200, description = "Every regency and city, by code", body = [RegionJson]),
              (status = 304, description = "Unchanged since the given ETag")))]
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let body = state.regions_json();
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..8]));
    if headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return (
            StatusCode::NOT_MODIFIED,
            [(ETAG, HeaderValue::from_str(&etag).expect("hex is ASCII"))],
        )
            .into_response();
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
            (ETAG, HeaderValue::from_str(&etag).expect("hex is ASCII")),
        ],
        body,
    )
        .into_response()
}

/// One of the five Badan Koordinasi Wilayah.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BakorwilJson {
    #[schema(example = "III")]
    pub code: String,
    #[schema(example = "Bakorwil III Malang")]
    pub name: String,
    /// The regency/city where it is seated.
    #[schema(example = "35.73")]
    pub seat_region_code: String,
    #[schema(example = "Arek")]
    pub subculture: String,
}

impl From<Bakorwil> for BakorwilJson {
    fn from(b: Bakorwil) -> Self {
        Self {
            code: b.code,
            name: b.name,
            seat_region_code: b.seat_region_code,
            subculture: b.subculture,
        }
    }
}

/// The five Bakorwil (coordination offices) of the province.
#[utoipa::path(get, path = "/api/v1/bakorwil", tag = "reference",
    responses((status = 200, body = [BakorwilJson]), (status = 500, body = ErrorEnvelope)))]
pub async fn bakorwil(State(state): State<AppState>) -> AppResult<axum::Json<Vec<BakorwilJson>>> {
    let all = orgs::bakorwil(&mut state.db()).await?;
    Ok(axum::Json(
        all.into_iter().map(BakorwilJson::from).collect(),
    ))
}
