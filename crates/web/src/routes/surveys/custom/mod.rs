//! Custom surveys: needs surveys, event evaluations and the like.
//!
//! Public: `/survei` (open surveys) and `/survei/{slug}` (answer one). For
//! survey administrators, inside their scope: `/survei/kelola/...` (build,
//! publish, tokens, results, exports).

pub mod builder;
pub mod respond;
pub mod results;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/survei", get(respond::list))
        .route("/survei/kelola", get(builder::list).post(builder::create))
        .route("/survei/kelola/{id}", get(builder::detail))
        .route(
            "/survei/kelola/{id}/pengaturan",
            post(builder::save_settings),
        )
        .route(
            "/survei/kelola/{id}/pertanyaan",
            post(builder::add_question),
        )
        .route(
            "/survei/kelola/{id}/pertanyaan/{question}/hapus",
            post(builder::delete_question),
        )
        .route("/survei/kelola/{id}/token", post(builder::issue_tokens))
        .route("/survei/kelola/{id}/hasil", get(results::show))
        .route("/survei/kelola/{id}/ekspor.csv", get(results::csv))
        .route("/survei/kelola/{id}/ekspor.xlsx", get(results::xlsx))
        .route("/survei/{slug}", get(respond::show).post(respond::submit))
}
