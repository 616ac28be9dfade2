//! Operational endpoints: liveness, readiness, Prometheus metrics.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::middleware::RequestCtx;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/static/{version}/{name}", get(crate::assets::serve))
}

/// The process is alive.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers within a second; 503 otherwise, so a load balancer
/// stops sending traffic to a node that cannot serve it.
async fn readyz(State(state): State<AppState>) -> Response {
    // A SQLite file deleted under a running server still answers queries
    // (the open handle keeps it alive) but everything written is lost on
    // restart: that node is not ready.
    let db_file_ok = state.db().sqlite_file().is_none_or(|p| p.exists());
    if db_file_ok && state.db().ping(Duration::from_secs(1)).await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            "database unavailable",
        )
            .into_response()
    }
}

/// Prometheus text format. With a configured token it must be presented;
/// without one, only loopback peers may read.
async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
    ctx: axum::Extension<Arc<RequestCtx>>,
) -> Response {
    let allowed = match &state.config().metrics_token {
        Some(token) => headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| {
                bool::from(given.as_bytes().ct_eq(token.expose_secret().as_bytes()))
            }),
        None => is_loopback(ctx.client_ip),
    };
    if !allowed {
        return StatusCode::FORBIDDEN.into_response();
    }
    let body = state.metrics().render(&state);
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}
