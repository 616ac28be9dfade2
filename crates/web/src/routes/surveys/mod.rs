//! SKM pages (Survei Kepuasan Masyarakat, PermenPANRB 14/2017).
//!
//! Public: the overview with roll-ups (`/skm`), a unit's questionnaire
//! (`/skm/{slug}`) and its results (`/skm/{slug}/hasil`). For survey
//! administrators, inside their scope: `/skm/kelola/...`.

pub mod custom;
pub mod export;
pub mod form;
pub mod manage;
pub mod overview;
pub mod poster;
pub mod report;
pub mod results;
pub mod view;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/skm", get(overview::show))
        .route("/skm/kelola", get(manage::list).post(manage::create))
        .route("/skm/kelola/{id}", get(manage::detail))
        .route("/skm/kelola/{id}/layanan", post(manage::add_service))
        .route("/skm/kelola/{id}/status", post(manage::set_open))
        .route("/skm/kelola/{id}/laporan", post(manage::save_report))
        .route(
            "/skm/kelola/{id}/masukan/{ticket}",
            post(manage::update_ticket),
        )
        .route("/skm/kelola/{id}/ekspor.csv", get(export::csv))
        .route("/skm/kelola/{id}/laporan.xlsx", get(report::xlsx))
        .route("/skm/kelola/{id}/laporan.pdf", get(report::pdf))
        .route("/skm/{slug}", get(form::show).post(form::submit))
        .route("/skm/{slug}/hasil", get(results::show))
        .route("/skm/{slug}/poster.pdf", get(poster::pdf))
        .merge(custom::routes())
}

/// Translation key of a feedback kind.
pub fn feedback_kind_key(kind: &str) -> &'static str {
    match kind {
        "pengaduan" => "skm.kind_pengaduan",
        _ => "skm.kind_saran",
    }
}

/// Translation key of a ticket status.
pub fn status_key(status: &str) -> &'static str {
    match status {
        "diproses" => "skm.status_diproses",
        "ditanggapi" => "skm.status_ditanggapi",
        "selesai" => "skm.status_selesai",
        _ => "skm.status_baru",
    }
}

/// How long a unit took to answer, as "2 hari 3 jam" / "2 days 3 hours".
pub fn response_time(
    created_at: i64,
    responded_at: Option<i64>,
    lang: crate::i18n::Lang,
) -> Option<String> {
    let ms = responded_at?.checked_sub(created_at)?.max(0);
    Some(duration_words(ms, lang))
}

/// Milliseconds as days and hours (or minutes under an hour).
pub fn duration_words(ms: i64, lang: crate::i18n::Lang) -> String {
    let minutes = ms / 60_000;
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let en = lang == crate::i18n::Lang::En;
    let unit = |n: i64, id: &str, en_one: &str, en_many: &str| {
        if en {
            format!("{n} {}", if n == 1 { en_one } else { en_many })
        } else {
            format!("{n} {id}")
        }
    };
    match (days, hours) {
        (0, 0) => unit(mins, "menit", "minute", "minutes"),
        (0, h) => unit(h, "jam", "hour", "hours"),
        (d, 0) => unit(d, "hari", "day", "days"),
        (d, h) => format!(
            "{} {}",
            unit(d, "hari", "day", "days"),
            unit(h, "jam", "hour", "hours")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn response_times_read_as_days_and_hours() {
        let h = 3_600_000;
        assert_eq!(
            response_time(0, Some(27 * h), Lang::Id).as_deref(),
            Some("1 hari 3 jam")
        );
        assert_eq!(
            response_time(0, Some(27 * h), Lang::En).as_deref(),
            Some("1 day 3 hours")
        );
        assert_eq!(
            response_time(0, Some(48 * h), Lang::Id).as_deref(),
            Some("2 hari")
        );
        assert_eq!(
            response_time(0, Some(5 * 60_000), Lang::En).as_deref(),
            Some("5 minutes")
        );
        assert_eq!(response_time(0, None, Lang::Id), None);
        assert_eq!(
            response_time(10, Some(0), Lang::Id).as_deref(),
            Some("0 menit"),
            "clock skew is not a negative time"
        );
    }
}
