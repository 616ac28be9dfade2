use axum::Router;
use axum::response::Response;
use axum::routing::get;

use crate::error::AppResult;
use crate::extract::Ctx;
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route(
            "/kovablik",
            get(|ctx: Ctx| coming_soon(ctx, "part.kovablik_title", "part.kovablik_body")),
        )
        .route(
            "/belajar",
            get(|ctx: Ctx| coming_soon(ctx, "part.learning_title", "part.learning_body")),
        )
        .route(
            "/ruang",
            get(|ctx: Ctx| coming_soon(ctx, "part.spaces_title", "part.spaces_body")),
        )
}

pub struct Part {
    pub href: &'static str,
    pub title_key: &'static str,
    pub body_key: &'static str,
    pub ready: bool,
}

/// The parts of the platform, in the order the home page shows them.
pub const PARTS: &[Part] = &[
    Part {
        href: "/masuk",
        title_key: "part.sso_title",
        body_key: "part.sso_body",
        ready: true,
    },
    Part {
        href: "/katalog",
        title_key: "part.catalogue_title",
        body_key: "part.catalogue_body",
        ready: true,
    },
    Part {
        href: "/kovablik",
        title_key: "part.kovablik_title",
        body_key: "part.kovablik_body",
        ready: false,
    },
    Part {
        href: "/skm",
        title_key: "part.skm_title",
        body_key: "part.skm_body",
        ready: true,
    },
    Part {
        href: "/belajar",
        title_key: "part.learning_title",
        body_key: "part.learning_body",
        ready: false,
    },
    Part {
        href: "/ruang",
        title_key: "part.spaces_title",
        body_key: "part.spaces_body",
        ready: false,
    },
];

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a RequestCtx,
    parts: &'static [Part],
}

async fn home(ctx: Ctx) -> AppResult<Response> {
    render(&HomePage {
        ctx: &ctx,
        parts: PARTS,
    })
}

#[derive(askama::Template)]
#[template(path = "coming_soon.html")]
struct ComingSoon<'a> {
    ctx: &'a RequestCtx,
    title_key: &'static str,
    body_key: &'static str,
}

async fn coming_soon(
    ctx: Ctx,
    title_key: &'static str,
    body_key: &'static str,
) -> AppResult<Response> {
    render(&ComingSoon {
        ctx: &ctx,
        title_key,
        body_key,
    })
}
