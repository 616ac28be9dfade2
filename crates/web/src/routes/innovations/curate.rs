//! Curators' pages (`/inovasi/kurasi`): the queue of submitted and in-review
//! innovations inside the curator's scope, the profile read-only with its
//! history, and the curation actions with their comment or reason.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rumah_domain::authz::Permission;
use rumah_domain::innovations::{Action, Actor, Status, apply};
use rumah_store::innovations::profiles::{self, Author, Innovation};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData};
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::state::AppState;

use super::manage::ActionForm;
use super::transition_error;

#[derive(askama::Template)]
#[template(path = "innovations/queue.html")]
struct QueuePage<'a> {
    ctx: &'a RequestCtx,
    waiting: Vec<profiles::Listed>,
    published: Vec<profiles::Listed>,
}

pub async fn queue(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
) -> AppResult<Response> {
    let scope = user.require(Permission::CurateInnovations)?;
    let mut db = state.db();
    let waiting =
        profiles::list_in_scope(&mut db, &scope, &[Status::Diajukan, Status::Ditinjau], 500)
            .await?;
    let published = profiles::list_in_scope(&mut db, &scope, &[Status::Terverifikasi], 50).await?;
    render(&QueuePage {
        ctx: &ctx,
        waiting,
        published,
    })
}

async fn curated(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Innovation> {
    let scope = user.require(Permission::CurateInnovations)?;
    profiles::in_scope(&mut state.db(), &scope, id)
        .await?
        .ok_or_else(AppError::not_found)
}

#[derive(askama::Template)]
#[template(path = "innovations/review.html")]
struct ReviewPage<'a> {
    ctx: &'a RequestCtx,
    inn: Innovation,
    reviews: Vec<profiles::Review>,
    actions: Vec<(&'static str, &'static str, bool)>,
    sections: Vec<(&'static str, String)>,
    beneficiaries: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let inn = curated(&state, &user, id).await?;
    let reviews = profiles::reviews(&mut state.db(), id).await?;
    let actions = Action::ALL
        .into_iter()
        .filter(|a| {
            a.actor() == Actor::Curator && apply(inn.status, *a, Actor::Curator, Some("-")).is_ok()
        })
        .map(|a| (a.code(), a.label_key(), a.needs_note()))
        .collect();
    let sections = super::narrative(&inn.draft);
    let beneficiaries = super::beneficiaries(&inn.draft, ctx.lang);
    render(&ReviewPage {
        ctx: &ctx,
        inn,
        reviews,
        actions,
        sections,
        beneficiaries,
    })
}

pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    FormData(form): FormData<ActionForm>,
) -> AppResult<Response> {
    let inn = curated(&state, &user, id).await?;
    let action = Action::from_code(&form.action).ok_or_else(|| {
        AppError::invalid(
            "action",
            "invalid_action",
            Msg::new("innovation.action_invalid"),
        )
    })?;
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    let to = apply(inn.status, action, Actor::Curator, note).map_err(|e| transition_error(&e))?;
    let mut tx = state.db().begin().await?;
    let author = Author {
        id: Some(user.account().0),
        label: &user.info.username,
    };
    if !profiles::transition(&mut tx, &inn, inn.status, to, action, note, author).await? {
        return Err(AppError::conflict(
            "status_changed",
            Msg::new("innovation.status_changed"),
        ));
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/inovasi/kurasi/{id}")).into_response())
}
