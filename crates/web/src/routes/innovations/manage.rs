//! Innovation officers' pages (`/inovasi/kelola`): the innovations of their
//! nodes, the profile form (create and edit, with optimistic concurrency),
//! submitting for curation, and the version history as diffs. Another
//! node's innovation is "not found".

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::{Permission, Scope};
use rumah_domain::innovations::{
    Action, Actor, Bentuk, Field, FieldChange, Inisiator, InnovationDraft, Jenis, ProfileForm, Sdg,
    Status, Tahapan, apply, diff,
};
use rumah_domain::orgs::OrgCode;
use rumah_store::innovations::profiles::{self, Author, Innovation, SaveError};
use rumah_store::innovations::{self, Urusan};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render, render_with};
use crate::state::AppState;

use super::{profile_errors, status_key, today_wib, transition_error};

/// Choices of the profile form: (code, label key).
pub struct Choices {
    pub bentuk: Vec<(&'static str, &'static str)>,
    pub jenis: Vec<(&'static str, &'static str)>,
    pub inisiator: Vec<(&'static str, &'static str)>,
    pub tahapan: Vec<(&'static str, &'static str)>,
    pub urusan: Vec<Urusan>,
    pub sdgs: Vec<u8>,
}

async fn choices(state: &AppState) -> AppResult<Choices> {
    Ok(Choices {
        bentuk: Bentuk::ALL
            .iter()
            .map(|b| (b.code(), b.label_key()))
            .collect(),
        jenis: Jenis::ALL
            .iter()
            .map(|b| (b.code(), b.label_key()))
            .collect(),
        inisiator: Inisiator::ALL
            .iter()
            .map(|b| (b.code(), b.label_key()))
            .collect(),
        tahapan: Tahapan::ALL
            .iter()
            .map(|b| (b.code(), b.label_key()))
            .collect(),
        urusan: innovations::urusan(&mut state.db()).await?,
        sdgs: Sdg::all().map(Sdg::get).collect(),
    })
}

#[derive(askama::Template)]
#[template(path = "innovations/manage.html")]
struct ListPage<'a> {
    ctx: &'a RequestCtx,
    rows: Vec<profiles::Listed>,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageInnovations)?;
    let rows = profiles::list_in_scope(&mut state.db(), &scope, &[], 500).await?;
    render(&ListPage { ctx: &ctx, rows })
}

/// The profile form as posted, with the owner's org code (new innovations)
/// and the version the form edited (existing ones).
#[derive(Default, Clone)]
pub struct EditForm {
    org: String,
    version: String,
    /// Org codes of collaborating OPDs or regions, one per line.
    collaborators: String,
    profile: ProfileForm,
}

impl EditForm {
    /// From the form's fields; `sdgs` repeats (one per ticked goal), which
    /// a plain form deserializer cannot take, so the pairs are read here.
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        let p = &mut f.profile;
        for (k, v) in pairs {
            let slot = match k.as_str() {
                "org" => &mut f.org,
                "version" => &mut f.version,
                "kolaborator" => &mut f.collaborators,
                "name" => &mut p.name,
                "bentuk" => &mut p.bentuk,
                "jenis" => &mut p.jenis,
                "inisiator" => &mut p.inisiator,
                "urusan" => &mut p.urusan,
                "tahapan" => &mut p.tahapan,
                "date_inisiatif" => &mut p.date_inisiatif,
                "date_uji_coba" => &mut p.date_uji_coba,
                "date_penerapan" => &mut p.date_penerapan,
                "problem" => &mut p.problem,
                "design" => &mut p.design,
                "goals" => &mut p.goals,
                "benefits" => &mut p.benefits,
                "results" => &mut p.results,
                "beneficiaries" => &mut p.beneficiaries,
                "contact_name" => &mut p.contact_name,
                "contact_email" => &mut p.contact_email,
                "contact_phone" => &mut p.contact_phone,
                "video_url" => &mut p.video_url,
                "sdgs" => {
                    p.sdgs.push(v);
                    continue;
                }
                _ => continue,
            };
            *slot = v;
        }
        f
    }
}

/// The collaborator codes of a form, or a field error naming the bad lines.
fn collaborator_codes(raw: &str, ctx: &RequestCtx, errors: &mut FieldErrors) -> Vec<OrgCode> {
    let mut codes = Vec::new();
    let mut bad = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match OrgCode::parse(line) {
            Ok(c) => codes.push(c),
            Err(_) => bad.push(line.to_owned()),
        }
    }
    if codes.len() > 30 {
        errors.add(
            "kolaborator",
            ctx.t("innovation.collaborators_too_many").into_owned(),
        );
    }
    if !bad.is_empty() {
        errors.add(
            "kolaborator",
            ctx.tf(
                "innovation.collaborators_unknown",
                &[("codes", &bad.join(", "))],
            ),
        );
    }
    codes
}

/// Saves the collaborators in `tx`; unknown codes become a field error.
async fn save_collaborators(
    tx: &mut rumah_store::Tx,
    id: i64,
    codes: &[OrgCode],
    ctx: &RequestCtx,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    let unknown = profiles::set_collaborators(tx, id, codes).await?;
    if !unknown.is_empty() {
        errors.add(
            "kolaborator",
            ctx.tf(
                "innovation.collaborators_unknown",
                &[("codes", &unknown.join(", "))],
            ),
        );
    }
    Ok(())
}

#[derive(askama::Template)]
#[template(path = "innovations/form.html")]
struct FormPage<'a> {
    ctx: &'a RequestCtx,
    /// `None` for a new innovation.
    inn: Option<Innovation>,
    org: String,
    version: i64,
    form: ProfileForm,
    errors: FieldErrors,
    choices: Choices,
    /// After a concurrent edit: what the other person changed.
    conflict: Vec<FieldChange>,
    reviews: Vec<profiles::Review>,
    actions: Vec<(&'static str, &'static str, bool)>,
    notice: Option<String>,
    collaborators: String,
    date_fields: Vec<(&'static str, String)>,
    text_fields: Vec<(&'static str, String)>,
    contact_fields: Vec<(&'static str, String, &'static str)>,
}

struct FormExtras {
    collaborators: Option<String>,
    form: ProfileForm,
    org: String,
    version: i64,
    errors: FieldErrors,
    conflict: Vec<FieldChange>,
    notice: Option<String>,
}

async fn form_page(
    state: &AppState,
    ctx: &RequestCtx,
    inn: Option<Innovation>,
    status: StatusCode,
    x: FormExtras,
) -> AppResult<Response> {
    let reviews = match &inn {
        Some(i) => profiles::reviews(&mut state.db(), i.id).await?,
        None => Vec::new(),
    };
    let actions = match &inn {
        Some(i) => [Action::Submit, Action::Reopen]
            .into_iter()
            .filter(|a| apply(i.status, *a, Actor::Owner, Some("-")).is_ok())
            .map(|a| (a.code(), a.label_key(), a.needs_note()))
            .collect(),
        None => Vec::new(),
    };
    let collaborators = match (&x.collaborators, &inn) {
        (Some(c), _) => c.clone(),
        (None, Some(i)) => profiles::collaborators(&mut state.db(), i.id)
            .await?
            .into_iter()
            .map(|(code, _)| code)
            .collect::<Vec<_>>()
            .join("\n"),
        (None, None) => String::new(),
    };
    let f = &x.form;
    let date_fields = vec![
        ("date_inisiatif", f.date_inisiatif.clone()),
        ("date_uji_coba", f.date_uji_coba.clone()),
        ("date_penerapan", f.date_penerapan.clone()),
    ];
    let text_fields = vec![
        ("problem", f.problem.clone()),
        ("design", f.design.clone()),
        ("goals", f.goals.clone()),
        ("benefits", f.benefits.clone()),
        ("results", f.results.clone()),
    ];
    let contact_fields = vec![
        ("contact_name", f.contact_name.clone(), "text"),
        ("contact_email", f.contact_email.clone(), "email"),
        ("contact_phone", f.contact_phone.clone(), "tel"),
    ];
    render_with(
        status,
        &FormPage {
            ctx,
            collaborators,
            date_fields,
            text_fields,
            contact_fields,
            choices: choices(state).await?,
            inn,
            org: x.org,
            version: x.version,
            form: x.form,
            errors: x.errors,
            conflict: x.conflict,
            reviews,
            actions,
            notice: x.notice,
        },
    )
}

fn default_org(scope: &Scope) -> String {
    scope
        .roots()
        .first()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default()
}

pub async fn new(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    let scope = user.require(Permission::ManageInnovations)?;
    let form = ProfileForm {
        tahapan: "inisiatif".into(),
        ..ProfileForm::default()
    };
    form_page(
        &state,
        &ctx,
        None,
        StatusCode::OK,
        FormExtras {
            collaborators: None,
            form,
            org: default_org(&scope),
            version: 0,
            errors: FieldErrors::default(),
            conflict: Vec::new(),
            notice: None,
        },
    )
    .await
}

fn author<'a>(user: &'a CurrentUser) -> Author<'a> {
    Author {
        id: Some(user.account().0),
        label: &user.info.username,
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = EditForm::from_pairs(pairs);
    let scope = user.require(Permission::ManageInnovations)?;
    let retry = |errors: FieldErrors| FormExtras {
        collaborators: Some(form.collaborators.clone()),
        form: form.profile.clone(),
        org: form.org.clone(),
        version: 0,
        errors,
        conflict: Vec::new(),
        notice: None,
    };
    let draft = match InnovationDraft::from_form(&form.profile, today_wib()) {
        Ok(d) => d,
        Err(errs) => {
            return form_page(
                &state,
                &ctx,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                retry(profile_errors(&ctx, &errs)),
            )
            .await;
        }
    };
    let Ok(org) = OrgCode::parse(form.org.trim()) else {
        let mut errors = FieldErrors::default();
        errors.add("org", ctx.t("skm.org_not_found").into_owned());
        return form_page(
            &state,
            &ctx,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            retry(errors),
        )
        .await;
    };
    let mut errors = FieldErrors::default();
    let codes = collaborator_codes(&form.collaborators, &ctx, &mut errors);
    if !errors.is_empty() {
        return form_page(
            &state,
            &ctx,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            retry(errors),
        )
        .await;
    }
    let mut tx = state.db().begin().await?;
    match profiles::create(&mut tx, &scope, &org, &draft, author(&user)).await {
        Ok(id) => {
            save_collaborators(&mut tx, id, &codes, &ctx, &mut errors).await?;
            if !errors.is_empty() {
                drop(tx);
                return form_page(
                    &state,
                    &ctx,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    retry(errors),
                )
                .await;
            }
            tx.commit().await?;
            Ok(Redirect::to(&format!("/inovasi/kelola/{id}?ok=1")).into_response())
        }
        Err(e) => {
            drop(tx);
            let mut errors = FieldErrors::default();
            match e {
                SaveError::OrgNotFound => {
                    errors.add("org", ctx.t("skm.org_not_found").into_owned())
                }
                SaveError::Urusan => {
                    errors.add("urusan", ctx.t("innovation.urusan_unknown").into_owned())
                }
                SaveError::Store(e) => return Err(e.into()),
                SaveError::Conflict { .. } => return Err(AppError::internal(e)),
            }
            form_page(
                &state,
                &ctx,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                retry(errors),
            )
            .await
        }
    }
}

/// The innovation `id` if the caller manages it, or 404.
async fn managed(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Innovation> {
    let scope = user.require(Permission::ManageInnovations)?;
    profiles::in_scope(&mut state.db(), &scope, id)
        .await?
        .ok_or_else(AppError::not_found)
}

#[derive(Deserialize)]
pub struct Notice {
    ok: Option<String>,
}

pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let x = FormExtras {
        collaborators: None,
        form: ProfileForm::from_draft(&inn.draft),
        org: inn.org_code.clone(),
        version: inn.version,
        errors: FieldErrors::default(),
        conflict: Vec::new(),
        notice: n.ok.map(|_| ctx.t("skm.saved").into_owned()),
    };
    form_page(&state, &ctx, Some(inn), StatusCode::OK, x).await
}

pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = EditForm::from_pairs(pairs);
    let inn = managed(&state, &user, id).await?;
    let expected: i64 = form.version.trim().parse().map_err(|_| {
        AppError::bad_request("invalid_body", Msg::new("error.bad_request")).with_field("version")
    })?;
    let retry = |errors: FieldErrors, conflict: Vec<FieldChange>, version: i64| FormExtras {
        collaborators: Some(form.collaborators.clone()),
        form: form.profile.clone(),
        org: inn.org_code.clone(),
        version,
        errors,
        conflict,
        notice: None,
    };
    if !inn.status.owner_may_edit() {
        return Err(AppError::conflict(
            "not_editable",
            Msg::new("innovation.not_editable"),
        ));
    }
    // A published innovation stays public: its corrections must stay complete.
    let parsed = InnovationDraft::from_form(&form.profile, today_wib()).and_then(|d| {
        if inn.status.is_public() {
            d.check_for_submission().map(|()| d)
        } else {
            Ok(d)
        }
    });
    let draft = match parsed {
        Ok(d) => d,
        Err(errs) => {
            let x = retry(profile_errors(&ctx, &errs), Vec::new(), expected);
            return form_page(&state, &ctx, Some(inn), StatusCode::UNPROCESSABLE_ENTITY, x).await;
        }
    };
    let mut collab_errors = FieldErrors::default();
    let codes = collaborator_codes(&form.collaborators, &ctx, &mut collab_errors);
    if !collab_errors.is_empty() {
        let x = retry(collab_errors, Vec::new(), expected);
        return form_page(&state, &ctx, Some(inn), StatusCode::UNPROCESSABLE_ENTITY, x).await;
    }
    let mut tx = state.db().begin().await?;
    match profiles::update(&mut tx, &inn, expected, &draft, author(&user)).await {
        Ok(_) => {
            let mut errors = FieldErrors::default();
            save_collaborators(&mut tx, inn.id, &codes, &ctx, &mut errors).await?;
            if !errors.is_empty() {
                drop(tx);
                let x = retry(errors, Vec::new(), expected);
                return form_page(&state, &ctx, Some(inn), StatusCode::UNPROCESSABLE_ENTITY, x)
                    .await;
            }
            tx.commit().await?;
            Ok(Redirect::to(&format!("/inovasi/kelola/{id}?ok=1")).into_response())
        }
        Err(SaveError::Conflict { current }) => {
            drop(tx);
            // Show what the other save changed since the version this form edited.
            let mut db = state.db();
            let theirs = profiles::snapshot_of(&mut db, id, current).await?;
            let base = profiles::snapshot_of(&mut db, id, expected).await?;
            let changes = match (base, theirs) {
                (Some(b), Some(t)) => diff(&b, &t),
                _ => Vec::new(),
            };
            let mut errors = FieldErrors::default();
            errors.add("version", ctx.t("innovation.conflict").into_owned());
            let fresh =
                profiles::in_scope(&mut db, &user.require(Permission::ManageInnovations)?, id)
                    .await?
                    .ok_or_else(AppError::not_found)?;
            let x = retry(errors, changes, current);
            form_page(&state, &ctx, Some(fresh), StatusCode::CONFLICT, x).await
        }
        Err(SaveError::Urusan) => {
            drop(tx);
            let mut errors = FieldErrors::default();
            errors.add("urusan", ctx.t("innovation.urusan_unknown").into_owned());
            form_page(
                &state,
                &ctx,
                Some(inn.clone()),
                StatusCode::UNPROCESSABLE_ENTITY,
                retry(errors, Vec::new(), expected),
            )
            .await
        }
        Err(SaveError::Store(e)) => Err(e.into()),
        Err(e @ SaveError::OrgNotFound) => Err(AppError::internal(e)),
    }
}

#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub note: String,
}

/// Owner actions: submit for curation, return a rejected entry to draft.
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormData(form): FormData<ActionForm>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let action = Action::from_code(&form.action).ok_or_else(|| {
        AppError::invalid(
            "action",
            "invalid_action",
            Msg::new("innovation.action_invalid"),
        )
    })?;
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    let to = apply(inn.status, action, Actor::Owner, note).map_err(|e| transition_error(&e))?;
    if action == Action::Submit
        && let Err(errs) = inn.draft.check_for_submission()
    {
        let x = FormExtras {
            collaborators: None,
            form: ProfileForm::from_draft(&inn.draft),
            org: inn.org_code.clone(),
            version: inn.version,
            errors: profile_errors(&ctx, &errs),
            conflict: Vec::new(),
            notice: None,
        };
        return form_page(&state, &ctx, Some(inn), StatusCode::UNPROCESSABLE_ENTITY, x).await;
    }
    let mut tx = state.db().begin().await?;
    if !profiles::transition(&mut tx, &inn, inn.status, to, action, note, author(&user)).await? {
        return Err(AppError::conflict(
            "status_changed",
            Msg::new("innovation.status_changed"),
        ));
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/inovasi/kelola/{id}?ok=1")).into_response())
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    v: Option<i64>,
}

#[derive(askama::Template)]
#[template(path = "innovations/history.html")]
struct HistoryPage<'a> {
    ctx: &'a RequestCtx,
    inn: Innovation,
    versions: Vec<profiles::Version>,
    shown: Option<i64>,
    changes: Vec<FieldChange>,
}

pub async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(q): QueryParams<HistoryQuery>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let mut db = state.db();
    let versions = profiles::versions(&mut db, id).await?;
    let shown = q.v.or_else(|| versions.first().map(|v| v.version));
    let changes = match shown {
        Some(v) if v > 1 => {
            let before = profiles::snapshot_of(&mut db, id, v - 1).await?;
            let after = profiles::snapshot_of(&mut db, id, v)
                .await?
                .ok_or_else(AppError::not_found)?;
            before.map(|b| diff(&b, &after)).unwrap_or_default()
        }
        Some(v) => {
            // The first version: everything it set.
            let after = profiles::snapshot_of(&mut db, id, v)
                .await?
                .ok_or_else(AppError::not_found)?;
            Field::ALL
                .into_iter()
                .map(|f| FieldChange {
                    field: f.name(),
                    before: String::new(),
                    after: after.value(f),
                })
                .filter(|c| !c.after.is_empty())
                .collect()
        }
        None => Vec::new(),
    };
    render(&HistoryPage {
        ctx: &ctx,
        inn,
        versions,
        shown,
        changes,
    })
}

/// Translation key of a status (for templates).
pub fn status_label(s: Status) -> &'static str {
    status_key(s)
}
