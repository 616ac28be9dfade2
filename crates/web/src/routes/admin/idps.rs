//! Upstream identity providers (brokering) and the sign-ups waiting for
//! approval, for the province's administrators only (a region's
//! administrator is refused: a provider serves the whole province, and an
//! approved sign-up becomes an account without a home unit). The checks
//! are those of `rumah admin idp add` ([`crate::broker::IdpConfig`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::Permission;
use rumah_store::audit::{self, event};
use rumah_store::identity::broker;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::broker::approval::{self, ApproveError};
use crate::broker::{AddError, Field, IdpConfig};
use crate::error::{AppError, AppResult};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render, render_with};
use crate::state::AppState;

/// Only an administrator of the whole province, who may also manage
/// accounts there, configures providers and approves sign-ups.
fn require_province_admin(user: &CurrentUser) -> AppResult<()> {
    if user.require(Permission::ManageClients)?.is_province_wide()
        && user.require(Permission::ManageAccounts)?.is_province_wide()
    {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

fn field_key(field: Field) -> &'static str {
    match field {
        Field::Slug => "broker.field_slug",
        Field::DisplayName => "broker.field_display_name",
        Field::Issuer => "broker.field_issuer",
        Field::ClientId => "broker.field_client_id",
        Field::ClientSecret => "broker.field_client_secret",
        Field::Scopes => "broker.field_scopes",
        Field::NipClaim => "broker.field_nip_claim",
    }
}

/// Audits an administrator's action.
async fn record(
    ex: &mut impl rumah_store::Exec,
    event: &'static str,
    user: &CurrentUser,
    ctx: &Ctx,
    subject: Option<(i64, &str)>,
    details: serde_json::Value,
) -> Result<(), rumah_store::StoreError> {
    audit::record(
        ex,
        &audit::Entry {
            event,
            actor: Some((user.account(), &user.info.username)),
            subject,
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(details),
            ..Default::default()
        },
    )
    .await
}

pub struct IdpRow {
    slug: String,
    display_name: String,
    issuer: String,
    client_id: String,
    nip_claim: String,
    trust_email: bool,
    enabled: bool,
}

pub struct SignupRow {
    id: i64,
    idp_name: String,
    name: String,
    email: String,
    email_verified: bool,
    nip: String,
}

#[derive(askama::Template)]
#[template(path = "admin/idps.html")]
struct ListPage<'a> {
    ctx: &'a RequestCtx,
    idps: Vec<IdpRow>,
    signups: Vec<SignupRow>,
    callback: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Notice {
    pesan: Option<String>,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let mut db = state.db();
    let idps = broker::list(&mut db)
        .await?
        .into_iter()
        .map(|i| IdpRow {
            slug: i.slug,
            display_name: i.display_name,
            issuer: i.issuer,
            client_id: i.client_id,
            nip_claim: i.nip_claim.unwrap_or_default(),
            trust_email: i.trust_email,
            enabled: i.enabled,
        })
        .collect();
    let signups = broker::list_signups(&mut db)
        .await?
        .into_iter()
        .map(|s| SignupRow {
            id: s.id,
            idp_name: s.idp_name,
            name: s.name,
            email: s.email.unwrap_or_default(),
            email_verified: s.email_verified,
            nip: s.nip.unwrap_or_default(),
        })
        .collect();
    render_with(
        status,
        &ListPage {
            ctx,
            idps,
            signups,
            callback: crate::routes::auth::broker::callback_url(state, "<kode>"),
            notice,
            error,
        },
    )
}

/// `GET /admin/idp`
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let notice = match n.pesan.as_deref() {
        Some("dibuat") => Some("broker.notice_created"),
        Some("dihapus") => Some("broker.notice_deleted"),
        Some("diubah") => Some("broker.notice_changed"),
        Some("disetujui") => Some("broker.notice_approved"),
        Some("ditolak") => Some("broker.notice_rejected"),
        _ => None,
    };
    let notice = notice.map(|k| ctx.t(k).into_owned());
    list_page(&state, &ctx, StatusCode::OK, notice, None).await
}

#[derive(askama::Template)]
#[template(path = "admin/idp_new.html")]
struct NewPage<'a> {
    ctx: &'a RequestCtx,
    form: IdpConfig,
    errors: FieldErrors,
}

/// `GET /admin/idp/baru`
pub async fn new(user: CurrentUser, ctx: Ctx) -> AppResult<Response> {
    require_province_admin(&user)?;
    render(&NewPage {
        ctx: &ctx,
        form: IdpConfig {
            scopes: crate::broker::DEFAULT_SCOPES.into(),
            enabled: true,
            ..IdpConfig::default()
        },
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct IdpForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    nip_claim: String,
    trust_email: Option<String>,
    enabled: Option<String>,
}

/// `POST /admin/idp/baru`
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(f): FormData<IdpForm>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let config = IdpConfig {
        slug: f.slug,
        display_name: f.display_name,
        issuer: f.issuer,
        client_id: f.client_id,
        client_secret: f.client_secret,
        scopes: f.scopes,
        nip_claim: f.nip_claim,
        trust_email: f.trust_email.is_some(),
        enabled: f.enabled.is_some(),
    };
    let mut tx = state.db().begin().await?;
    match crate::broker::add(&mut tx, state.kek(), &config).await {
        Ok(_) => {}
        Err(AddError::Invalid(problems)) => {
            let mut errors = FieldErrors::default();
            for p in problems {
                errors.add(
                    p.field().code(),
                    format!("{}: {}", ctx.t(field_key(p.field())), ctx.t(p.key())),
                );
            }
            // The secret is not sent back to the browser.
            let form = IdpConfig {
                client_secret: String::new(),
                ..config
            };
            return render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage {
                    ctx: &ctx,
                    form,
                    errors,
                },
            );
        }
        Err(AddError::Seal(e)) => return Err(AppError::internal(e)),
        Err(AddError::Store(e)) => return Err(e.into()),
    }
    let details = serde_json::json!({
        "slug": config.slug.trim(), "issuer": config.issuer.trim(), "client_id": config.client_id.trim(),
        "nip_claim": config.nip_claim.trim(), "trust_email": config.trust_email,
        "enabled": config.enabled, "via": "web",
    });
    record(
        &mut tx,
        event::BROKER_IDP_CREATED,
        &user,
        &ctx,
        None,
        details,
    )
    .await?;
    tx.commit().await?;
    crate::broker::upstream::forget(config.issuer.trim());
    Ok(Redirect::to("/admin/idp?pesan=dibuat").into_response())
}

#[derive(Deserialize)]
pub struct ToggleForm {
    enabled: Option<String>,
}

/// `POST /admin/idp/{slug}/aktif`
pub async fn toggle(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(slug): Path<String>,
    FormData(f): FormData<ToggleForm>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let enabled = f.enabled.as_deref() == Some("1");
    let mut tx = state.db().begin().await?;
    if !broker::set_enabled(&mut tx, &slug, enabled).await? {
        return Err(AppError::not_found());
    }
    let details = serde_json::json!({ "slug": slug, "enabled": enabled, "via": "web" });
    record(
        &mut tx,
        event::BROKER_IDP_CHANGED,
        &user,
        &ctx,
        None,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/idp?pesan=diubah").into_response())
}

/// `POST /admin/idp/{slug}/hapus`
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let mut tx = state.db().begin().await?;
    if !broker::delete(&mut tx, &slug).await? {
        return Err(AppError::not_found());
    }
    let details = serde_json::json!({ "slug": slug, "via": "web" });
    record(
        &mut tx,
        event::BROKER_IDP_DELETED,
        &user,
        &ctx,
        None,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/idp?pesan=dihapus").into_response())
}

/// `POST /admin/idp/pendaftaran/{id}/setujui`
pub async fn approve(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let mut tx = state.db().begin().await?;
    let (account, username, signup) = match approval::approve(&mut tx, id).await {
        Ok(done) => done,
        Err(ApproveError::NotFound) => return Err(AppError::not_found()),
        Err(ApproveError::Conflict) => {
            drop(tx);
            let error = Some(ctx.t("broker.approve_conflict").into_owned());
            return list_page(&state, &ctx, StatusCode::CONFLICT, None, error).await;
        }
        Err(ApproveError::Store(e)) => return Err(e.into()),
    };
    let idp = broker::by_id(&mut tx, signup.idp_id)
        .await?
        .map(|i| i.slug)
        .unwrap_or_default();
    let subject = Some((account.0, username.as_str()));
    let details = serde_json::json!({ "idp": idp, "signup": id, "via": "web" });
    record(
        &mut tx,
        event::ACCOUNT_CREATED,
        &user,
        &ctx,
        subject,
        details.clone(),
    )
    .await?;
    record(
        &mut tx,
        event::BROKER_SIGNUP_APPROVED,
        &user,
        &ctx,
        subject,
        details,
    )
    .await?;
    let link = serde_json::json!({ "idp": idp, "via": "approval" });
    record(&mut tx, event::BROKER_LINKED, &user, &ctx, subject, link).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/idp?pesan=disetujui").into_response())
}

/// `POST /admin/idp/pendaftaran/{id}/tolak`
pub async fn reject(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let mut tx = state.db().begin().await?;
    let Some(signup) = broker::signup(&mut tx, id).await? else {
        return Err(AppError::not_found());
    };
    if !broker::remove_signup(&mut tx, id).await? {
        return Err(AppError::not_found());
    }
    let details = serde_json::json!({
        "signup": id, "name": signup.name, "idp_id": signup.idp_id, "via": "web",
    });
    record(
        &mut tx,
        event::BROKER_SIGNUP_REJECTED,
        &user,
        &ctx,
        None,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/idp?pesan=ditolak").into_response())
}
