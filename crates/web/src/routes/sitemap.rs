//! `/sitemap.xml` and `/robots.txt` for search engines: the public pages and
//! every published innovation — never a draft, a submission or a rejected
//! entry (the store query reads published rows only).

use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rumah_store::innovations::sitemap;

use crate::error::AppResult;
use crate::state::AppState;

/// The sitemap protocol allows 50,000 URLs per file.
const MAX_URLS: i64 = 49_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sitemap.xml", get(sitemap_xml))
        .route("/robots.txt", get(robots))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn sitemap_xml(State(state): State<AppState>) -> AppResult<Response> {
    let base = state
        .config()
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in [
        "/",
        "/katalog",
        "/dasbor",
        "/inovasi/replikasi",
        "/skm",
        "/survei",
    ] {
        out.push_str(&format!(
            "<url><loc>{}</loc></url>\n",
            xml_escape(&format!("{base}{path}"))
        ));
    }
    for (id, updated) in sitemap::published(&mut state.db(), MAX_URLS).await? {
        let day = rumah_domain::time::Timestamp(updated).to_utc().date();
        out.push_str(&format!(
            "<url><loc>{}</loc><lastmod>{day}</lastmod></url>\n",
            xml_escape(&format!("{base}/inovasi/{id}"))
        ));
    }
    out.push_str("</urlset>\n");
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("application/xml; charset=utf-8"),
            ),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        out,
    )
        .into_response())
}

async fn robots(State(state): State<AppState>) -> Response {
    let base = state
        .config()
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    (
        [(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
        format!(
            "User-agent: *\nDisallow: /admin\nDisallow: /akun\nDisallow: /inovasi/kelola\nDisallow: /inovasi/kurasi\nDisallow: /skm/kelola\nDisallow: /survei/kelola\nSitemap: {base}/sitemap.xml\n"
        ),
    )
        .into_response()
}
