//! Glue between page structs (askama templates) and responses, and small
//! helpers shared by pages: field errors and translation keys of domain
//! values.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rumah_domain::authz::Role;
use rumah_domain::identity::{AccountKind, AccountStatus};
use rumah_domain::orgs::OrgKind;
use rumah_domain::time::Timestamp;

use crate::error::AppError;
use crate::i18n::Lang;
use crate::middleware::RequestCtx;

/// Renders a page with status 200.
pub fn render(page: &impl Template) -> Result<Response, AppError> {
    render_with(StatusCode::OK, page)
}

/// Renders a page with another status, e.g. 422 for a form with errors.
pub fn render_with(status: StatusCode, page: &impl Template) -> Result<Response, AppError> {
    let html = page.render().map_err(AppError::internal)?;
    Ok((
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a RequestCtx,
    status: u16,
    title: String,
    message: &'a str,
}

/// The HTML error page body.
pub fn error_page(ctx: &RequestCtx, status: StatusCode, message: &str) -> String {
    let title = match status.as_u16() {
        404 => ctx.t("error.title_not_found").into_owned(),
        403 => ctx.t("error.title_forbidden").into_owned(),
        429 => ctx.t("error.title_rate_limited").into_owned(),
        s if s >= 500 => ctx.t("error.title_server").into_owned(),
        _ => ctx.t("error.title_request").into_owned(),
    };
    ErrorPage {
        ctx,
        status: status.as_u16(),
        title,
        message,
    }
    .render()
    .unwrap_or_else(|_| {
        format!(
            "<!doctype html><title>{}</title><p>{}</p>",
            status.as_u16(),
            status.as_u16()
        )
    })
}

/// Messages keyed by form field, already translated.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<std::borrow::Cow<'static, str>, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: String) {
        self.0.entry(field.into()).or_insert(message);
    }

    /// For fields named at run time (the questions of a custom survey).
    pub fn add_owned(&mut self, field: String, message: String) {
        self.0.entry(field.into()).or_insert(message);
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Administrator => "role.administrator",
        Role::InnovationAdmin => "role.innovation_admin",
        Role::Curator => "role.curator",
        Role::Juror => "role.juror",
        Role::SurveyAdmin => "role.survey_admin",
        Role::LearningAdmin => "role.learning_admin",
        Role::SpaceAdmin => "role.space_admin",
    }
}

pub fn kind_key(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Asn => "account.kind_asn",
        AccountKind::Public => "account.kind_public",
        AccountKind::Service => "account.kind_service",
    }
}

pub fn status_key(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "account.status_active",
        AccountStatus::Locked => "account.status_locked",
        AccountStatus::Pending => "account.status_pending",
    }
}

pub fn org_kind_key(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Provinsi => "org.kind_provinsi",
        OrgKind::Kabupaten => "org.kind_kabupaten",
        OrgKind::Kota => "org.kind_kota",
        OrgKind::Opd => "org.kind_opd",
        OrgKind::Unit => "org.kind_unit",
    }
}

/// A timestamp as people in Jawa Timur read it: WIB (UTC+7), day first.
pub fn format_time(t: Timestamp, lang: Lang) -> String {
    let wib = time::UtcOffset::from_hms(7, 0, 0).expect("a valid offset");
    let local = t.to_utc().to_offset(wib);
    let fmt = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]");
    let s = local.format(&fmt).unwrap_or_default();
    match lang {
        Lang::Id | Lang::En => format!("{s} WIB"),
    }
}
