use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::{Permission, Scope};
use rumah_domain::orgs::{OrgCode, OrgKind};
use rumah_store::audit::{self, event};
use rumah_store::orgs::{self, CreateOrgError, NewOrg, OrgNode};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render_with};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct OrgForm {
    #[serde(default)]
    parent: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

#[derive(askama::Template)]
#[template(path = "admin/orgs.html")]
struct OrgsPage<'a> {
    ctx: &'a RequestCtx,
    orgs: Vec<OrgNode>,
    form: OrgForm,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    status: StatusCode,
    form: OrgForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> AppResult<Response> {
    let orgs = orgs::list_in_scope(&mut state.db(), scope, None, 1000).await?;
    render_with(
        status,
        &OrgsPage {
            ctx,
            orgs,
            form,
            errors,
            notice,
        },
    )
}

#[derive(Deserialize)]
pub struct Notice {
    dibuat: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageOrgs)?;
    let notice = n
        .dibuat
        .map(|code| ctx.tf("admin.org_created", &[("code", &code)]));
    let form = OrgForm {
        kind: "opd".into(),
        ..OrgForm::default()
    };
    page(
        &state,
        &ctx,
        &scope,
        StatusCode::OK,
        form,
        FieldErrors::default(),
        notice,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<OrgForm>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageOrgs)?;
    let mut errors = FieldErrors::default();
    let parent = OrgCode::parse(&form.parent)
        .map_err(|_| errors.add("parent", ctx.t("admin.org_not_found").into_owned()))
        .ok();
    let kind = OrgKind::from_code(&form.kind).filter(|k| !k.is_region());
    if kind.is_none() {
        errors.add("kind", ctx.t("admin.org_kind_invalid").into_owned());
    }
    let (Some(parent), Some(kind)) = (parent, kind) else {
        return page(
            &state,
            &ctx,
            &scope,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
            None,
        )
        .await;
    };
    let mut db = state.db();
    let result = orgs::create(
        &mut db,
        &scope,
        NewOrg {
            parent: &parent,
            segment: &form.segment,
            kind,
            name: &form.name,
        },
    )
    .await;
    let node = match result {
        Ok(node) => node,
        Err(e) => {
            let (field, key) = match e {
                CreateOrgError::ParentNotFound => ("parent", "admin.org_not_found"),
                CreateOrgError::WrongParentKind { .. } => ("kind", "admin.org_wrong_parent"),
                CreateOrgError::Code(_) => ("segment", "admin.org_segment_invalid"),
                CreateOrgError::CodeTaken => ("segment", "admin.org_code_taken"),
                CreateOrgError::Name => ("name", "admin.name_required"),
                CreateOrgError::Store(e) => return Err(e.into()),
            };
            errors.add(field, ctx.t(key).into_owned());
            return page(
                &state,
                &ctx,
                &scope,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                None,
            )
            .await;
        }
    };
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::ORG_CREATED,
            actor: Some((user.account(), &user.info.username)),
            org_code: Some(node.code.as_str()),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "code": node.code.as_str(), "name": node.name, "kind": node.kind.code() })),
            ..Default::default()
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/organisasi?dibuat={}", node.code)).into_response())
}
