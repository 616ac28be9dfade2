use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rumah_domain::authz::Permission;
use rumah_domain::orgs::{OrgCode, OrgKind};
use rumah_store::audit::{self, event};
use rumah_store::orgs::{self, CreateOrgError, NewOrg, OrgNode};
use serde::{Deserialize, Serialize};

use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorEnvelope, Msg};
use crate::extract::{ApiJson, Ctx, QueryParams};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrgJson {
    #[schema(example = "35.15.DINKES")]
    pub code: String,
    #[schema(example = "Dinas Kesehatan")]
    pub name: String,
    /// `provinsi`, `kabupaten`, `kota`, `opd` or `unit`.
    #[schema(example = "opd")]
    pub kind: String,
    /// The regency/city (or province) the node belongs to.
    #[schema(example = "35.15")]
    pub region: String,
    pub active: bool,
}

impl From<OrgNode> for OrgJson {
    fn from(n: OrgNode) -> Self {
        Self {
            code: n.code.to_string(),
            name: n.name,
            kind: n.kind.code().to_owned(),
            region: n.region_code,
            active: n.active,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrgDetail {
    #[serde(flatten)]
    pub node: OrgJson,
    pub parent: Option<String>,
    pub children: Vec<OrgJson>,
}

fn parse_code(code: &str) -> AppResult<OrgCode> {
    OrgCode::parse(code).map_err(|_| AppError::not_found())
}

/// One org node with its direct children. The tree is public.
#[utoipa::path(get, path = "/api/v1/orgs/{code}", tag = "orgs",
    params(("code" = String, Path, description = "Org code, e.g. `35.15`")),
    responses((status = 200, body = OrgDetail), (status = 404, body = ErrorEnvelope)))]
pub async fn show(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Json<OrgDetail>> {
    let code = parse_code(&code)?;
    let mut db = state.db();
    let node = orgs::by_code(&mut db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let parent = match node.parent_id {
        Some(id) => orgs::by_id(&mut db, id).await?.map(|p| p.code.to_string()),
        None => None,
    };
    let children = orgs::children(&mut db, node.id)
        .await?
        .into_iter()
        .map(OrgJson::from)
        .collect();
    Ok(Json(OrgDetail {
        node: node.into(),
        parent,
        children,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OrgQuery {
    /// Only nodes inside this subtree (default: the whole province).
    pub within: Option<String>,
    /// Only nodes whose name or code contains this text.
    pub q: Option<String>,
    /// Maximum number of nodes (1–1000, default 200).
    pub limit: Option<i64>,
}

/// Org nodes inside a subtree, in code order.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(OrgQuery),
    responses((status = 200, body = [OrgJson]), (status = 400, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<OrgQuery>,
) -> AppResult<Json<Vec<OrgJson>>> {
    let within = match q.within.as_deref() {
        Some(c) => OrgCode::parse(c).map_err(|_| {
            AppError::bad_request("invalid_query", Msg::new("error.org_code_invalid"))
                .with_field("within")
        })?,
        None => {
            OrgCode::parse(rumah_domain::orgs::PROVINCE_CODE).expect("the province code parses")
        }
    };
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let nodes = orgs::list_subtree(&mut state.db(), &within, q.q.as_deref(), limit).await?;
    Ok(Json(nodes.into_iter().map(OrgJson::from).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgJson {
    /// Code of the parent node.
    #[schema(example = "35.15")]
    pub parent: String,
    /// The new node's own code segment (A–Z, 0–9, `-`).
    #[schema(example = "DINKES")]
    pub segment: String,
    /// `opd` or `unit`.
    #[schema(example = "opd")]
    pub kind: String,
    #[schema(example = "Dinas Kesehatan")]
    pub name: String,
}

/// Creates an OPD or unit inside the caller's scope.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", security(("bearer" = []), ("session" = [])),
    request_body = NewOrgJson,
    responses((status = 201, body = OrgJson), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope), (status = 404, description = "Parent not found or outside your scope", body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
              (status = 422, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    ctx: Ctx,
    ApiJson(body): ApiJson<NewOrgJson>,
) -> AppResult<(StatusCode, Json<OrgJson>)> {
    let scope = caller.require(Permission::ManageOrgs)?;
    let parent = OrgCode::parse(&body.parent).map_err(|_| AppError::not_found())?;
    let kind = OrgKind::from_code(&body.kind)
        .filter(|k| !k.is_region())
        .ok_or_else(|| {
            AppError::invalid(
                "kind",
                "validation_failed",
                Msg::new("admin.org_kind_invalid"),
            )
        })?;
    let mut db = state.db();
    let node = orgs::create(
        &mut db,
        &scope,
        NewOrg {
            parent: &parent,
            segment: &body.segment,
            kind,
            name: &body.name,
        },
    )
    .await
    .map_err(|e| match e {
        CreateOrgError::ParentNotFound => AppError::not_found(),
        CreateOrgError::WrongParentKind { .. } => AppError::invalid(
            "kind",
            "validation_failed",
            Msg::new("admin.org_wrong_parent"),
        ),
        CreateOrgError::Code(_) => AppError::invalid(
            "segment",
            "validation_failed",
            Msg::new("admin.org_segment_invalid"),
        ),
        CreateOrgError::CodeTaken => {
            AppError::conflict("already_exists", Msg::new("admin.org_code_taken"))
                .with_field("segment")
        }
        CreateOrgError::Name => {
            AppError::invalid("name", "validation_failed", Msg::new("admin.name_required"))
        }
        CreateOrgError::Store(e) => e.into(),
    })?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::ORG_CREATED,
            actor: Some((caller.principal.account, &caller.username)),
            org_code: Some(node.code.as_str()),
            ip: Some(&ctx.client_ip.to_string()),
            details: Some(serde_json::json!({ "code": node.code.as_str(), "name": node.name, "kind": node.kind.code(), "via": "api" })),
            ..Default::default()
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(node.into())))
}
