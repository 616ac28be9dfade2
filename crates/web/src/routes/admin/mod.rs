//! Administration, always inside the caller's scope: accounts and roles,
//! the org tree, the audit log. Each handler's first line asks the caller's
//! principal for the permission it needs.

mod account_detail;
mod account_new;
mod accounts;
mod audit;
mod clients;
mod idps;
mod index;
mod orgs;
pub mod users_import;

pub use account_new::nip_message;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index::show))
        .route("/admin/akun", get(accounts::list))
        .route(
            "/admin/akun/baru",
            get(account_new::show).post(account_new::submit),
        )
        .route("/admin/akun/{id}", get(account_detail::show))
        .route("/admin/akun/{id}/status", post(account_detail::set_status))
        .route("/admin/akun/{id}/peran", post(account_detail::grant))
        .route(
            "/admin/akun/{id}/peran/{grant}/cabut",
            post(account_detail::revoke),
        )
        .route("/admin/organisasi", get(orgs::list).post(orgs::create))
        .route("/admin/audit", get(audit::list))
        .route("/admin/audit.csv", get(audit::csv))
        .route(
            "/admin/akun/impor",
            get(users_import::form).post(users_import::upload).layer(
                axum::extract::DefaultBodyLimit::max(users_import::MAX_BYTES),
            ),
        )
        .route("/admin/klien", get(clients::list))
        .route("/admin/klien/baru", get(clients::new).post(clients::create))
        .route("/admin/klien/{client_id}/rahasia", post(clients::rotate))
        .route(
            "/admin/klien/{client_id}/ubah",
            get(clients::edit).post(clients::update),
        )
        .route(
            "/admin/klien/{client_id}/hapus",
            get(clients::confirm_delete).post(clients::delete),
        )
        .route("/admin/idp", get(idps::list))
        .route("/admin/idp/baru", get(idps::new).post(idps::create))
        .route("/admin/idp/{slug}/aktif", post(idps::toggle))
        .route("/admin/idp/{slug}/hapus", post(idps::delete))
        .route("/admin/idp/pendaftaran/{id}/setujui", post(idps::approve))
        .route("/admin/idp/pendaftaran/{id}/tolak", post(idps::reject))
}
