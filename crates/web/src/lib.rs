//! The HTTP face of Rumah Inovasi: server-rendered pages, the JSON API under
//! `/api/v1`, and operational endpoints.
//!
//! - [`app::build`] assembles the router from the route modules and layers.
//! - [`middleware`] gives every request its context (language, CSP nonce,
//!   client address, session, CSRF cookie) and renders errors.
//! - [`error::AppError`] is the one error type, rendered as an HTML page or
//!   as the JSON envelope depending on where the request went.
//! - [`routes`] holds one module per bounded context, one file per action.

rust_i18n::i18n!("locales", fallback = "id");

pub mod app;
pub mod assets;
pub mod auth;
pub mod broker;
pub mod config;
pub mod csrf;
pub mod download;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod imports;
pub mod linger;
pub mod mail;
pub mod metrics;
pub mod middleware;
pub mod oidc;
pub mod pages;
pub mod pdf;
pub mod routes;
pub mod state;
pub mod user_import;

pub use app::build;
pub use config::WebConfig;
pub use error::AppError;
pub use state::AppState;
