use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::timeout::TimeoutLayer;

use crate::state::AppState;
use crate::{linger, metrics, middleware, routes};

/// Builds the whole application. Layers, from the outside in:
///
/// 1. `metrics::track`: counts and times every request, logs one line;
///    `linger::drain_refused_bodies`: a large body the handler refused is
///    still read, so the refusal reaches the client;
/// 2. `middleware::context`: language, nonce, client address, session,
///    CSRF cookie; renders error bodies; security headers;
/// 3. panic catcher (a panic becomes a rendered 500), timeout (408),
///    body size limit (413);
/// 4. per router: cross-origin check and CSRF token on unsafe requests
///    (browser and API routers), then the handlers.
pub fn build(state: AppState) -> Router {
    let config = state.config();
    let origin_check = CsrfLayer::new()
        .add_trusted_origin(config.public_origin())
        .expect("the public URL is a valid origin (checked when the configuration is loaded)");

    let browser = routes::browser()
        .layer(from_fn_with_state(state.clone(), middleware::verify_csrf))
        .layer(origin_check.clone());
    let (api, _) = routes::api::router();
    let api = api
        .layer(from_fn_with_state(state.clone(), middleware::verify_csrf))
        .layer(origin_check);

    Router::new()
        .merge(browser)
        .merge(api)
        .merge(routes::ops::routes())
        .merge(routes::oidc::routes())
        .route_layer(from_fn(metrics::capture_route))
        .fallback(middleware::fallback)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(from_fn_with_state(state.clone(), middleware::context))
        .layer(from_fn(linger::drain_refused_bodies))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}
