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
use crate::oidc::registration::{
    self, Field, GRANTS, Problem, RegisterError, Registration, UpdateError,
};
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
        Field::SigningAlg => "sso_admin.field_signing_alg",
        Field::AccessTokenLifetime => "sso_admin.field_access_token_lifetime",
        Field::RefreshTokenLifetime => "sso_admin.field_refresh_token_lifetime",
        Field::Jwks => "sso_admin.field_jwks",
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
        K::UnknownAlg => "sso_admin.problem_alg_unknown",
        K::LifetimeRange => "sso_admin.problem_lifetime_range",
        K::JwksRequired => "sso_admin.problem_jwks_required",
        K::JwksInvalid => "sso_admin.problem_jwks_invalid",
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
    signing_alg: String,
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
            signing_alg: c.id_token_signed_response_alg,
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
        Some("diubah") => Some(ctx.t("sso_admin.notice_updated").into_owned()),
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

/// How a client proves itself at the token endpoint, as the form offers it.
pub const AUTH_METHODS: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// The form as typed, to show again with its errors.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct ClientForm {
    name: String,
    client_id: String,
    auth_method: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: String,
    grants: Vec<String>,
    scopes: Vec<String>,
    first_party: bool,
    require_mfa: bool,
    signing_alg: String,
    access_token_lifetime: String,
    refresh_token_lifetime: String,
    jwks: String,
}

impl ClientForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self {
            auth_method: "client_secret_basic".into(),
            signing_alg: crate::oidc::keys::DEFAULT_ALG.into(),
            ..Self::default()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "client_id" => f.client_id = v,
                // The type radio of earlier forms: public or confidential.
                "kind" if v == "public" => f.auth_method = "none".into(),
                "auth_method" => f.auth_method = v,
                "redirect_uris" => f.redirect_uris = v,
                "post_logout_redirect_uris" => f.post_logout_redirect_uris = v,
                "backchannel_logout_uri" => f.backchannel_logout_uri = v,
                "grant" => f.grants.push(v),
                "scope" => f.scopes.push(v),
                "first_party" => f.first_party = true,
                "require_mfa" => f.require_mfa = true,
                "signing_alg" => f.signing_alg = v,
                "access_token_lifetime" => f.access_token_lifetime = v,
                "refresh_token_lifetime" => f.refresh_token_lifetime = v,
                "jwks" => f.jwks = v,
                _ => {}
            }
        }
        f
    }

    /// The form filled from a stored client (the edit page).
    fn from_client(c: &Client) -> Self {
        let split = |s: &str| {
            s.split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let post_logout: Vec<String> =
            serde_json::from_str(&c.post_logout_redirect_uris).unwrap_or_default();
        Self {
            name: c.name.clone(),
            client_id: c.client_id.clone(),
            auth_method: c.token_endpoint_auth_method.clone(),
            redirect_uris: c.redirect_uris().join("\n"),
            post_logout_redirect_uris: post_logout.join("\n"),
            backchannel_logout_uri: c.backchannel_logout_uri.clone().unwrap_or_default(),
            grants: split(&c.grant_types),
            scopes: split(&c.allowed_scopes),
            first_party: c.first_party,
            require_mfa: c.require_mfa,
            signing_alg: c.id_token_signed_response_alg.clone(),
            access_token_lifetime: c
                .access_token_lifetime_s
                .map(|v| v.to_string())
                .unwrap_or_default(),
            refresh_token_lifetime: c
                .refresh_token_lifetime_s
                .map(|v| v.to_string())
                .unwrap_or_default(),
            jwks: c.jwks.clone().unwrap_or_default(),
        }
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A lifetime field: empty is the default; not a number is a problem.
    fn lifetime(text: &str, field: Field) -> Result<Option<i64>, Problem> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse().map(Some).map_err(|_| Problem {
            field,
            kind: registration::ProblemKind::LifetimeRange,
            value: t.to_owned(),
        })
    }

    /// The registration the form describes, or the problems of fields that
    /// do not even parse.
    fn registration(&self) -> Result<Registration, Vec<Problem>> {
        let access = Self::lifetime(&self.access_token_lifetime, Field::AccessTokenLifetime);
        let refresh = Self::lifetime(&self.refresh_token_lifetime, Field::RefreshTokenLifetime);
        let (access, refresh) = match (access, refresh) {
            (Ok(a), Ok(r)) => (a, r),
            (a, r) => return Err(a.err().into_iter().chain(r.err()).collect()),
        };
        let backchannel = self.backchannel_logout_uri.trim();
        Ok(Registration {
            name: self.name.clone(),
            client_id: Some(self.client_id.clone()),
            public: self.auth_method == "none",
            secret_post: self.auth_method == "client_secret_post",
            redirect_uris: Self::lines(&self.redirect_uris),
            post_logout_redirect_uris: Self::lines(&self.post_logout_redirect_uris),
            backchannel_logout_uri: (!backchannel.is_empty()).then(|| backchannel.to_owned()),
            backchannel_logout_session_required: true,
            grants: self.grants.clone(),
            scopes: self.scopes.clone(),
            first_party: self.first_party,
            require_mfa: self.require_mfa,
            jwks: (self.auth_method == "private_key_jwt").then(|| self.jwks.trim().to_owned()),
            signing_alg: Some(self.signing_alg.clone()),
            access_token_lifetime_s: access,
            refresh_token_lifetime_s: refresh,
        })
    }

    fn has_grant(&self, g: &str) -> bool {
        self.grants.iter().any(|x| x == g)
    }

    fn has_scope(&self, s: &str) -> bool {
        self.scopes.iter().any(|x| x == s)
    }

    /// The names of the settings that differ (for the audit log).
    fn changes(&self, other: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut cmp = |name, differs: bool| {
            if differs {
                out.push(name);
            }
        };
        let lines = |t: &str| Self::lines(t);
        cmp("name", self.name.trim() != other.name.trim());
        cmp(
            "token_endpoint_auth_method",
            self.auth_method != other.auth_method,
        );
        cmp(
            "redirect_uris",
            lines(&self.redirect_uris) != lines(&other.redirect_uris),
        );
        cmp(
            "post_logout_redirect_uris",
            lines(&self.post_logout_redirect_uris) != lines(&other.post_logout_redirect_uris),
        );
        cmp(
            "backchannel_logout_uri",
            self.backchannel_logout_uri.trim() != other.backchannel_logout_uri.trim(),
        );
        cmp("grant_types", self.grants != other.grants);
        cmp("scopes", self.scopes != other.scopes);
        cmp("first_party", self.first_party != other.first_party);
        cmp("require_mfa", self.require_mfa != other.require_mfa);
        cmp(
            "id_token_signed_response_alg",
            self.signing_alg != other.signing_alg,
        );
        cmp(
            "access_token_lifetime",
            self.access_token_lifetime.trim() != other.access_token_lifetime.trim(),
        );
        cmp(
            "refresh_token_lifetime",
            self.refresh_token_lifetime.trim() != other.refresh_token_lifetime.trim(),
        );
        cmp("jwks", self.jwks.trim() != other.jwks.trim());
        out
    }
}

/// The client being edited: its id (fixed) and the version the form read.
pub struct Editing {
    client_id: String,
    version: i64,
}

#[derive(askama::Template)]
#[template(path = "admin/client_new.html")]
struct FormPage<'a> {
    ctx: &'a RequestCtx,
    form: ClientForm,
    grants: &'static [&'static str],
    scopes: &'static [&'static str],
    algs: &'static [&'static str],
    methods: &'static [&'static str],
    errors: FieldErrors,
    editing: Option<Editing>,
    /// The client was saved by someone else since the form was read.
    stale: bool,
}

impl<'a> FormPage<'a> {
    fn new(ctx: &'a RequestCtx, form: ClientForm, editing: Option<Editing>) -> Self {
        Self {
            ctx,
            form,
            grants: &GRANTS,
            scopes: &SCOPES,
            algs: &crate::oidc::keys::ALGORITHMS,
            methods: &AUTH_METHODS,
            errors: FieldErrors::default(),
            editing,
            stale: false,
        }
    }

    /// The locale key naming an authentication method.
    fn method_key(&self, m: &str) -> &'static str {
        match m {
            "client_secret_post" => "sso_admin.method_secret_post",
            "private_key_jwt" => "sso_admin.kind_keys",
            "none" => "sso_admin.kind_public",
            _ => "sso_admin.kind_confidential",
        }
    }

    fn with_problems(mut self, ctx: &Ctx, problems: &[Problem]) -> Self {
        for p in problems {
            self.errors.add(p.field.code(), problem_message(ctx, p));
        }
        self
    }
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
        ..ClientForm::from_pairs(Vec::new())
    };
    render(&FormPage::new(&ctx, form, None))
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
    let invalid = |form, problems: Vec<Problem>| {
        render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage::new(&ctx, form, None).with_problems(&ctx, &problems),
        )
    };
    let reg = match form.registration() {
        Ok(reg) => reg,
        Err(problems) => return invalid(form, problems),
    };
    let mut tx = state.db().begin().await?;
    let done = match registration::register(&mut tx, &reg).await {
        Ok(done) => done,
        Err(RegisterError::Invalid(problems)) => return invalid(form, problems),
        Err(RegisterError::Store(e)) => return Err(e.into()),
    };
    let details = serde_json::json!({
        "name": reg.name(), "public": reg.public, "first_party": reg.first_party,
        "require_mfa": reg.require_mfa, "signing_alg": reg.signing_alg(), "via": "web",
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
    state.oidc_clients().forget(&client_id);
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
    state.oidc_clients().forget(&client_id);
    Ok(Redirect::to("/admin/klien?pesan=dihapus").into_response())
}

/// `GET /admin/klien/{client_id}/ubah`: the client's settings in a form.
pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(client_id): Path<String>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let client = clients::any_by_client_id(&mut state.db(), &client_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let editing = Editing {
        client_id: client.client_id.clone(),
        version: client.version,
    };
    render(&FormPage::new(
        &ctx,
        ClientForm::from_client(&client),
        Some(editing),
    ))
}

/// `POST /admin/klien/{client_id}/ubah`: saves the edit if nobody saved
/// the client since the form was read (its `version`), checked as a
/// registration is.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(client_id): Path<String>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    require_province_admin(&user)?;
    let version = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .ok_or_else(|| AppError::bad_request("bad_version", Msg::new("sso_admin.bad_version")))?;
    let mut form = ClientForm::from_pairs(pairs);
    form.client_id.clone_from(&client_id);
    let mut tx = state.db().begin().await?;
    let before = clients::any_by_client_id(&mut tx, &client_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let editing = || Editing {
        client_id: client_id.clone(),
        version,
    };
    let reg = match form.registration() {
        Ok(reg) => reg,
        Err(problems) => {
            return render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage::new(&ctx, form, Some(editing())).with_problems(&ctx, &problems),
            );
        }
    };
    let done = match registration::update(&mut tx, &client_id, version, &reg).await {
        Ok(done) => done,
        Err(UpdateError::Invalid(problems)) => {
            return render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage::new(&ctx, form, Some(editing())).with_problems(&ctx, &problems),
            );
        }
        Err(UpdateError::Stale) => {
            // Show what is stored now, to edit again from there.
            let mut page = FormPage::new(
                &ctx,
                ClientForm::from_client(&before),
                Some(Editing {
                    client_id: client_id.clone(),
                    version: before.version,
                }),
            );
            page.stale = true;
            return render_with(StatusCode::CONFLICT, &page);
        }
        Err(UpdateError::NotFound) => return Err(AppError::not_found()),
        Err(UpdateError::Store(e)) => return Err(e.into()),
    };
    let changed = ClientForm::from_client(&before).changes(&form);
    let details = serde_json::json!({
        "changed": changed, "new_secret": done.secret.is_some(), "version": done.version, "via": "web",
    });
    record(
        &mut tx,
        event::OIDC_CLIENT_UPDATED,
        &user,
        &ctx,
        &client_id,
        details,
    )
    .await?;
    tx.commit().await?;
    state.oidc_clients().forget(&client_id);
    match done.secret {
        Some(secret) => Ok(no_store(render(&SecretPage {
            ctx: &ctx,
            heading_key: "sso_admin.updated_with_secret",
            client_id,
            secret: Some(secret),
        })?)),
        None => Ok(Redirect::to("/admin/klien?pesan=diubah").into_response()),
    }
}
