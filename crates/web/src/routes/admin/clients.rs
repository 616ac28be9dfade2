//! Satu Akun's relying parties, for the province's administrators only
//! (a region's administrator is refused: a client serves the whole
//! province). Register, rotate a secret, delete. A secret is shown once,
//! on the page that answers the POST that made it, and stored hashed. The
//! checks are those of `rumah admin client create`
//! ([`crate::oidc::registration`]).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::Permission;
use rumah_domain::oidc::SCOPES;
use rumah_store::audit::{self, event};
use rumah_store::oidc::clients::{self, Client};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::oidc::registration::{self, Field, GRANTS, Problem, RegisterError, Registration};
use crate::pages::{FieldErrors, render, render_with};
use crate::state::AppState;

/// Only an administrator of the whole province manages clients.
fn require_province_admin(user: &CurrentUser) -> AppResult<()> {
    if user.require(Permission::ManageClients)?.is_province_wide() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

fn field_key(field: Field) -> &'static str {
    match field {
        Field::Name => "sso_admin.field_name",
        Field::ClientId => "sso_admin.field_client_id",
        Field::RedirectUris => "sso_admin.field_redirect_uris",
        Field::PostLogoutRedirectUris => "sso_admin.field_post_logout_redirect_uris",
        Field::BackchannelLogoutUri => "sso_admin.field_backchannel_logout_uri",
        Field::Grants => "sso_admin.field_grants",
        Field::Scopes => "sso_admin.field_scopes",
    }
}

fn problem_key(p: &Problem) -> &'static str {
    use registration::ProblemKind as K;
    match p.kind {
        K::NameLength => "sso_admin.problem_name_length",
        K::ClientIdShape => "sso_admin.problem_client_id_shape",
        K::ClientIdTaken => "sso_admin.problem_client_id_taken",
        K::NotAbsolute => "sso_admin.problem_uri_not_absolute",
        K::Fragment => "sso_admin.problem_uri_fragment",
        K::PlainHttp => "sso_admin.problem_uri_plain_http",
        K::NotHttp => "sso_admin.problem_uri_not_http",
        K::UnknownGrant => "sso_admin.problem_grant_unknown",
        K::PublicClientCredentials => "sso_admin.problem_public_client_credentials",
        K::RedirectRequired => "sso_admin.problem_redirect_required",
        K::UnknownScope => "sso_admin.problem_scope_unknown",
    }
}

/// "Redirect URI: …", in the user's language.
fn problem_message(ctx: &Ctx, p: &Problem) -> String {
    format!(
        "{}: {}",
        ctx.t(field_key(p.field)),
        Msg::new(problem_key(p))
            .arg("value", &p.value)
            .render(ctx.lang)
    )
}

/// Audits an action of the signed-in administrator on a client.
async fn record(
    ex: &mut impl rumah_store::Exec,
    event: &'static str,
    user: &CurrentUser,
    ctx: &Ctx,
    client_id: &str,
    details: serde_json::Value,
) -> Result<(), rumah_store::StoreError> {
    audit::record(
        ex,
        &audit::Entry {
            event,
            actor: Some((user.account(), &user.info.username)),
            client_id: Some(client_id),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(details),
            ..Default::default()
        },
    )
    .await
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub struct ClientRow {
    client_id: String,
    name: String,
    kind_key: &'static str,
    first_party: bool,
    has_secret: bool,
    redirect_uris: String,
}

impl From<Client> for ClientRow {
    fn from(c: Client) -> Self {
        Self {
            kind_key: match c.token_endpoint_auth_method.as_str() {
                "none" => "sso_admin.kind_public",
                "private_key_jwt" => "sso_admin.kind_keys",
                _ => "sso_admin.kind_confidential",
            },
            has_secret: c.secret_hash.is_some()
                && c.token_endpoint_auth_method != "private_key_jwt",
            redirect_uris: c.redirect_uris().join(" "),
            client_id: c.client_id,
            name: c.name,
            first_party: c.first_party,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "admin/clients.html")]
struct ListPage<'a> {
    ctx: &'a RequestCtx,
    clients: Vec<ClientRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct Notice {
    pesan: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let notice = match n.pesan.as_deref() {
        Some("dihapus") => Some(ctx.t("sso_admin.notice_deleted").into_owned()),
        _ => None,
    };
    let clients = clients::list(&mut state.db())
        .await?
        .into_iter()
        .map(ClientRow::from)
        .collect();
    render(&ListPage {
        ctx: &ctx,
        clients,
        notice,
    })
}

/// The form as typed, to show again with its errors.
#[derive(Default)]
pub struct ClientForm {
    name: String,
    client_id: String,
    public: bool,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: String,
    grants: Vec<String>,
    scopes: Vec<String>,
    first_party: bool,
    require_mfa: bool,
}

impl ClientForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "client_id" => f.client_id = v,
                "kind" => f.public = v == "public",
                "redirect_uris" => f.redirect_uris = v,
                "post_logout_redirect_uris" => f.post_logout_redirect_uris = v,
                "backchannel_logout_uri" => f.backchannel_logout_uri = v,
                "grant" => f.grants.push(v),
                "scope" => f.scopes.push(v),
                "first_party" => f.first_party = true,
                "require_mfa" => f.require_mfa = true,
                _ => {}
            }
        }
        f
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn registration(&self) -> Registration {
        let backchannel = self.backchannel_logout_uri.trim();
        Registration {
            name: self.name.clone(),
            client_id: Some(self.client_id.clone()),
            public: self.public,
            redirect_uris: Self::lines(&self.redirect_uris),
            post_logout_redirect_uris: Self::lines(&self.post_logout_redirect_uris),
            backchannel_logout_uri: (!backchannel.is_empty()).then(|| backchannel.to_owned()),
            backchannel_logout_session_required: true,
            grants: self.grants.clone(),
            scopes: self.scopes.clone(),
            first_party: self.first_party,
            require_mfa: self.require_mfa,
            ..Registration::default()
        }
    }

    fn has_grant(&self, g: &str) -> bool {
        self.grants.iter().any(|x| x == g)
    }

    fn has_scope(&self, s: &str) -> bool {
        self.scopes.iter().any(|x| x == s)
    }
}

#[derive(askama::Template)]
#[template(path = "admin/client_new.html")]
struct NewPage<'a> {
    ctx: &'a RequestCtx,
    form: ClientForm,
    grants: &'static [&'static str],
    scopes: &'static [&'static str],
    errors: FieldErrors,
}

pub async fn new(user: CurrentUser, ctx: Ctx) -> AppResult<Response> {
    require_province_admin(&user)?;
    let form = ClientForm {
        grants: registration::DEFAULT_GRANTS
            .iter()
            .map(|g| (*g).to_owned())
            .collect(),
        scopes: registration::DEFAULT_SCOPES
            .split(' ')
            .map(str::to_owned)
            .collect(),
        ..ClientForm::default()
    };
    render(&NewPage {
        ctx: &ctx,
        form,
        grants: &GRANTS,
        scopes: &SCOPES,
        errors: FieldErrors::default(),
    })
}

#[derive(askama::Template)]
#[template(path = "admin/client_secret.html")]
struct SecretPage<'a> {
    ctx: &'a RequestCtx,
    heading_key: &'static str,
    client_id: String,
    secret: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let form = ClientForm::from_pairs(pairs);
    let reg = form.registration();
    let mut tx = state.db().begin().await?;
    let done = match registration::register(&mut tx, &reg).await {
        Ok(done) => done,
        Err(RegisterError::Invalid(problems)) => {
            let mut errors = FieldErrors::default();
            for p in &problems {
                errors.add(p.field.code(), problem_message(&ctx, p));
            }
            return render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage {
                    ctx: &ctx,
                    form,
                    grants: &GRANTS,
                    scopes: &SCOPES,
                    errors,
                },
            );
        }
        Err(RegisterError::Store(e)) => return Err(e.into()),
    };
    let details = serde_json::json!({
        "name": reg.name(), "public": reg.public, "first_party": reg.first_party,
        "require_mfa": reg.require_mfa, "via": "web",
    });
    record(
        &mut tx,
        event::OIDC_CLIENT_CREATED,
        &user,
        &ctx,
        &done.client_id,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(no_store(render(&SecretPage {
        ctx: &ctx,
        heading_key: "sso_admin.created",
        client_id: done.client_id,
        secret: done.secret,
    })?))
}

pub async fn rotate(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(client_id): Path<String>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let mut tx = state.db().begin().await?;
    let Some(secret) = registration::rotate_secret(&mut tx, &client_id).await? else {
        return Err(AppError::not_found());
    };
    let details = serde_json::json!({ "via": "web" });
    record(
        &mut tx,
        event::OIDC_CLIENT_SECRET_ROTATED,
        &user,
        &ctx,
        &client_id,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(no_store(render(&SecretPage {
        ctx: &ctx,
        heading_key: "sso_admin.rotated",
        client_id,
        secret: Some(secret),
    })?))
}

#[derive(askama::Template)]
#[template(path = "admin/client_delete.html")]
struct DeletePage<'a> {
    ctx: &'a RequestCtx,
    client: ClientRow,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(client_id): Path<String>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let client = clients::list(&mut state.db())
        .await?
        .into_iter()
        .find(|c| c.client_id == client_id)
        .ok_or_else(AppError::not_found)?;
    render(&DeletePage {
        ctx: &ctx,
        client: client.into(),
    })
}

pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(client_id): Path<String>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let mut tx = state.db().begin().await?;
    if !clients::delete(&mut tx, &client_id).await? {
        return Err(AppError::not_found());
    }
    let details = serde_json::json!({ "via": "web" });
    record(
        &mut tx,
        event::OIDC_CLIENT_DELETED,
        &user,
        &ctx,
        &client_id,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/klien?pesan=dihapus").into_response())
}
