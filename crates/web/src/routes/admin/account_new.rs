//! Creating an account by hand. Each identifier is parsed into its domain
//! type and a failure is shown next to the field it concerns.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::Permission;
use rumah_domain::identity::{AccountKind, AccountStatus, Email, Nip, NipError, Username};
use rumah_domain::orgs::OrgCode;
use rumah_store::audit::{self, event};
use rumah_store::identity::accounts::{self, CreateAccountError, NewAccount};
use rumah_store::orgs;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppResult, Msg};
use crate::extract::{Ctx, FormData};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render, render_with};
use crate::routes::account::password_error_key;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct NewAccountForm {
    #[serde(default = "asn")]
    kind: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    nip: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    password: String,
}

fn asn() -> String {
    "asn".into()
}

pub struct FieldSpec {
    name: &'static str,
    label_key: &'static str,
    hint_key: &'static str,
    input_type: &'static str,
    autocomplete: &'static str,
    inputmode: &'static str,
    value: String,
}

#[derive(askama::Template)]
#[template(path = "admin/account_new.html")]
struct NewAccountPage<'a> {
    ctx: &'a RequestCtx,
    form: NewAccountForm,
    fields: Vec<FieldSpec>,
    errors: FieldErrors,
}

fn fields(form: &NewAccountForm) -> Vec<FieldSpec> {
    let spec =
        |name, label_key, hint_key, input_type, autocomplete, inputmode, value: &str| FieldSpec {
            name,
            label_key,
            hint_key,
            input_type,
            autocomplete,
            inputmode,
            value: value.to_owned(),
        };
    vec![
        spec(
            "username",
            "account.username",
            "admin.hint_username",
            "text",
            "off",
            "",
            &form.username,
        ),
        spec(
            "display_name",
            "account.name",
            "admin.hint_name",
            "text",
            "off",
            "",
            &form.display_name,
        ),
        spec(
            "nip",
            "account.nip",
            "admin.hint_nip",
            "text",
            "off",
            "numeric",
            &form.nip,
        ),
        spec(
            "email",
            "account.email",
            "admin.hint_email",
            "email",
            "off",
            "email",
            &form.email,
        ),
        spec(
            "org",
            "account.org_code",
            "admin.hint_org",
            "text",
            "off",
            "",
            &form.org,
        ),
        spec(
            "position",
            "account.position",
            "admin.hint_position",
            "text",
            "off",
            "",
            &form.position,
        ),
        spec(
            "password",
            "admin.initial_password",
            "admin.hint_password",
            "password",
            "new-password",
            "",
            "",
        ),
    ]
}

pub async fn show(user: CurrentUser, ctx: Ctx) -> AppResult<Response> {
    user.require(Permission::ManageAccounts)?;
    let form = NewAccountForm {
        kind: asn(),
        ..NewAccountForm::default()
    };
    render(&NewAccountPage {
        ctx: &ctx,
        fields: fields(&form),
        form,
        errors: FieldErrors::default(),
    })
}

/// The message for a NIP that failed to parse; names the wrong part.
pub fn nip_message(e: &NipError) -> Msg {
    match e {
        NipError::Length { found } => Msg::new("error.nip_length").arg("found", found),
        NipError::NotDigits => Msg::new("error.nip_not_digits"),
        NipError::BirthDate => Msg::new("error.nip_birth_date"),
        NipError::TmtMonth => Msg::new("error.nip_tmt_month"),
        NipError::TmtBeforeBirth => Msg::new("error.nip_tmt_before_birth"),
        NipError::Gender => Msg::new("error.nip_gender"),
        NipError::Sequence => Msg::new("error.nip_sequence"),
    }
}

pub fn username_message(e: &rumah_domain::identity::UsernameError) -> Msg {
    use rumah_domain::identity::UsernameError as U;
    Msg::new(match e {
        U::Length => "error.username_length",
        U::Characters => "error.username_characters",
        U::LooksLikeNip => "error.username_looks_like_nip",
    })
}

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(form): FormData<NewAccountForm>,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageAccounts)?;
    let mut errors = FieldErrors::default();
    let lang = ctx.lang;
    let kind = AccountKind::from_code(&form.kind);
    if kind.is_none() {
        errors.add("kind", lang.t("admin.kind_invalid").into_owned());
    }
    let username = Username::parse(&form.username)
        .map_err(|e| errors.add("username", username_message(&e).render(lang)))
        .ok();
    let display_name = form.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        errors.add("display_name", lang.t("admin.name_required").into_owned());
    }
    let email = (!form.email.trim().is_empty())
        .then(|| {
            Email::parse(&form.email)
                .map_err(|_| errors.add("email", lang.t("error.email_invalid").into_owned()))
                .ok()
        })
        .flatten();
    let nip = if form.nip.trim().is_empty() {
        if kind == Some(AccountKind::Asn) {
            errors.add("nip", lang.t("admin.nip_required").into_owned());
        }
        None
    } else {
        Nip::parse(&form.nip)
            .map_err(|e| errors.add("nip", nip_message(&e).render(lang)))
            .ok()
    };
    let mut db = state.db();
    let org = if form.org.trim().is_empty() {
        if kind != Some(AccountKind::Public) {
            errors.add("org", lang.t("admin.org_required").into_owned());
        }
        None
    } else {
        match OrgCode::parse(&form.org) {
            // Outside the scope reads exactly like a code that does not exist.
            Ok(code) if scope.contains(&code) => match orgs::by_code(&mut db, &code).await? {
                Some(node) => Some(node),
                None => {
                    errors.add("org", lang.t("admin.org_not_found").into_owned());
                    None
                }
            },
            _ => {
                errors.add("org", lang.t("admin.org_not_found").into_owned());
                None
            }
        }
    };
    if org.is_none() && !scope.is_province_wide() && errors.get("org").is_none() {
        errors.add("org", lang.t("admin.org_required").into_owned());
    }
    let password = match kind {
        Some(AccountKind::Service) if form.password.is_empty() => None,
        _ => match state
            .config()
            .password_policy
            .check(&form.password, Some(form.username.trim()))
        {
            Ok(()) => Some(form.password.clone()),
            Err(e) => {
                let policy = state.config().password_policy;
                errors.add(
                    "password",
                    Msg::new(password_error_key(&e))
                        .arg("min", policy.min_chars)
                        .arg("max", policy.max_bytes)
                        .render(lang),
                );
                None
            }
        },
    };
    let (Some(kind), Some(username)) = (kind, username) else {
        return again(&ctx, form, errors);
    };
    if !errors.is_empty() {
        return again(&ctx, form, errors);
    }
    let password_hash = match &password {
        Some(p) => Some(state.hasher().hash(p).await),
        None => None,
    };
    let position = form.position.trim().to_owned();
    let created = accounts::create(
        &mut db,
        &NewAccount {
            kind,
            username: &username,
            display_name,
            email: email.as_ref(),
            email_verified: false,
            nip: nip.as_ref(),
            org_id: org.as_ref().map(|o| o.id),
            position: Some(&position),
            password_hash: password_hash.as_deref(),
            status: AccountStatus::Active,
        },
    )
    .await;
    let id = match created {
        Ok(id) => id,
        Err(CreateAccountError::UsernameTaken) => {
            errors.add("username", lang.t("admin.username_taken").into_owned());
            return again(&ctx, form, errors);
        }
        Err(CreateAccountError::NipTaken) => {
            errors.add("nip", lang.t("admin.nip_taken").into_owned());
            return again(&ctx, form, errors);
        }
        Err(CreateAccountError::EmailTaken) => {
            errors.add("email", lang.t("admin.email_taken").into_owned());
            return again(&ctx, form, errors);
        }
        Err(CreateAccountError::Store(e)) => return Err(e.into()),
    };
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::ACCOUNT_CREATED,
            actor: Some((user.account(), &user.info.username)),
            subject: Some((id.0, username.as_str())),
            org_code: org.as_ref().map(|o| o.code.as_str()),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "kind": kind.code() })),
            ..Default::default()
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/akun/{}?pesan=dibuat", id.0)).into_response())
}

fn again(ctx: &Ctx, form: NewAccountForm, errors: FieldErrors) -> AppResult<Response> {
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &NewAccountPage {
            ctx,
            fields: fields(&form),
            form,
            errors,
        },
    )
}
