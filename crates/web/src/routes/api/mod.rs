//! The JSON API under `/api/v1`. Routes and the OpenAPI document come from
//! the same `#[utoipa::path]` annotations; the document is served at
//! `/api/v1/openapi.json`. Conventions: docs/API.md.

pub mod accounts;
pub mod audit;
pub mod innovations;
pub mod me;
pub mod orgs;
pub mod regions;

use std::sync::Arc;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorEnvelope;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rumah Inovasi API",
        version = "1",
        description = "JSON API of Rumah Inovasi, the public-service innovation platform of Provinsi Jawa Timur. \
            Authenticate with `Authorization: Bearer <personal access token>`, \
            `Authorization: Bearer <Satu Akun access token with the api scope>` or, from the web UI, with the session \
            cookie plus the `X-CSRF-Token` header on unsafe methods. Errors use one envelope: \
            `{\"error\": {\"code\": \"...\", \"message\": \"...\"}}`; messages follow `Accept-Language` (id, en)."
    ),
    components(schemas(ErrorEnvelope)),
    modifiers(&Security),
    tags(
        (name = "reference", description = "Reference data shipped by migration"),
        (name = "orgs", description = "The organisation tree"),
        (name = "identity", description = "Accounts, roles and the audit log"),
        (name = "innovations", description = "The public innovation catalogue")
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "rumah_session",
                "Browser session (plus X-CSRF-Token)",
            ))),
        );
    }
}

/// The API router and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(regions::list))
        .routes(routes!(regions::bakorwil))
        .routes(routes!(me::show))
        .routes(routes!(orgs::list, orgs::create))
        .routes(routes!(orgs::show))
        .routes(routes!(accounts::list))
        .routes(routes!(accounts::show))
        .routes(routes!(audit::list))
        .routes(routes!(innovations::list))
        .routes(routes!(innovations::show))
        .split_for_parts();
    let json: Arc<str> = Arc::from(
        doc.to_pretty_json()
            .expect("the OpenAPI document serialises"),
    );
    let router = router.route(
        "/api/v1/openapi.json",
        get(move || {
            let json = json.clone();
            async move { ([(CONTENT_TYPE, "application/json")], json.to_string()).into_response() }
        }),
    );
    (router, doc)
}

/// Paging parameters shared by list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// Maximum number of items (1–200, default 50).
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    pub offset: Option<i64>,
}

impl Paging {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }

    pub fn offset(&self) -> i64 {
        self.offset.unwrap_or(0).clamp(0, 1_000_000)
    }
}
