//! The innovation registry: the public catalogue and detail pages, the
//! officers' profile pages (`/inovasi/kelola`) and the curators' queue
//! (`/inovasi/kurasi`).

pub mod catalogue;
pub mod curate;
pub mod dashboard;
pub mod detail;
pub mod export;
pub mod files;
pub mod iid;
pub mod import;
pub mod lifecycle;
pub mod manage;

use axum::Router;
use axum::routing::{get, post};
use rumah_domain::innovations::{ProfileError, Status, TransitionError};

use crate::error::{AppError, Msg};
use crate::middleware::RequestCtx;
use crate::pages::FieldErrors;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/katalog", get(catalogue::show))
        .route("/katalog/ekspor.csv", get(export::csv))
        .route("/katalog/ekspor.xlsx", get(export::xlsx))
        .route("/inovasi/kelola", get(manage::list))
        .route(
            "/inovasi/kelola/baru",
            get(manage::new).post(manage::create),
        )
        .route(
            "/inovasi/kelola/impor",
            get(import::form)
                .post(import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(import::MAX_BYTES)),
        )
        .route("/inovasi/kelola/impor/templat.csv", get(import::template))
        .route("/inovasi/kelola/{id}", get(manage::edit).post(manage::save))
        .route("/inovasi/kelola/{id}/aksi", post(manage::act))
        .route("/inovasi/kelola/{id}/riwayat", get(manage::history))
        .route(
            "/inovasi/kelola/{id}/keberlanjutan",
            get(lifecycle::show).post(lifecycle::save_institution),
        )
        .route(
            "/inovasi/kelola/{id}/monitoring",
            post(lifecycle::add_report),
        )
        .route("/inovasi/kelola/{id}/replikasi", post(lifecycle::add_link))
        .route("/inovasi/berisiko", get(lifecycle::at_risk))
        .route("/inovasi/replikasi", get(lifecycle::overview))
        .route("/inovasi/kurasi", get(curate::queue))
        .route("/inovasi/kurasi/{id}", get(curate::show))
        .route("/inovasi/kurasi/{id}/aksi", post(curate::act))
        .route("/inovasi/{id}", get(detail::show))
        .route("/dasbor", get(dashboard::show))
}

/// Today in WIB, for checks of stage dates.
pub fn today_wib() -> time::Date {
    crate::routes::surveys::view::today_wib()
}

/// Profile errors as messages next to their fields.
pub fn profile_errors(ctx: &RequestCtx, errors: &[ProfileError]) -> FieldErrors {
    let mut out = FieldErrors::default();
    for e in errors {
        out.add(
            e.field(),
            ctx.t(&format!("innovation.err.{}", e.code())).into_owned(),
        );
    }
    out
}

pub fn status_key(s: Status) -> &'static str {
    s.label_key()
}

/// A refused status change: 409 naming the current status, or 422 when a
/// comment or reason is missing.
pub fn transition_error(e: &TransitionError) -> AppError {
    match e.field() {
        Some(field) => AppError::invalid(field, e.code(), Msg::new("innovation.note_required")),
        None => AppError::conflict(e.code(), Msg::new("innovation.transition_refused")),
    }
}

/// The narrative sections of a profile that are filled in: (label key, text).
pub fn narrative(
    draft: &rumah_domain::innovations::InnovationDraft,
) -> Vec<(&'static str, String)> {
    use rumah_domain::innovations::Field;
    [
        Field::Problem,
        Field::Design,
        Field::Goals,
        Field::Benefits,
        Field::Results,
    ]
    .into_iter()
    .map(|f| (f.label_key(), draft.value(f)))
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

/// The beneficiaries as the reader writes numbers.
pub fn beneficiaries(
    draft: &rumah_domain::innovations::InnovationDraft,
    lang: crate::i18n::Lang,
) -> Option<String> {
    draft
        .beneficiaries
        .map(|b| crate::routes::surveys::view::fmt_int(i64::try_from(b).unwrap_or(i64::MAX), lang))
}
