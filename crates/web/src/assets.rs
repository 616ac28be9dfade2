//! Static files compiled into the binary (no CDN: the platform must work on
//! an intranet). URLs carry a content hash so browsers may cache them for a
//! year and still see every change.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const FILES: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/app.js"),
    },
    Asset {
        name: "webauthn.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/webauthn.js"),
    },
    Asset {
        name: "logo.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/logo.svg"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/favicon.svg"),
    },
];

/// One hash over all files: any change gives every URL a new prefix.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for f in FILES {
        h.update(f.name.as_bytes());
        h.update(f.body);
    }
    hex::encode(&h.finalize()[..6])
});

/// The URL of an embedded file, e.g. `/static/1a2b3c4d5e6f/app.css`.
pub fn url(name: &str) -> String {
    debug_assert!(FILES.iter().any(|f| f.name == name), "unknown asset {name}");
    format!("/static/{}/{name}", *VERSION)
}

pub async fn serve(Path((version, name)): Path<(String, String)>) -> Response {
    let Some(file) = FILES.iter().find(|f| f.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if version == *VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(file.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        file.body,
    )
        .into_response()
}
