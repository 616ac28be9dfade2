use axum::Json;
use axum::extract::State;
use rumah_domain::authz::Permission;
use rumah_store::audit;
use serde::{Deserialize, Serialize};

use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorEnvelope};
use crate::extract::QueryParams;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Event code, e.g. `login.failed`.
    pub event: Option<String>,
    /// Username of the actor or subject.
    pub user: Option<String>,
    /// OpenID Connect client id.
    pub client: Option<String>,
    /// Only entries older than this id (keyset pagination).
    pub before: Option<i64>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditJson {
    pub id: i64,
    /// Unix epoch milliseconds.
    pub at: i64,
    pub event: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub org: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub details: Option<serde_json::Value>,
}

/// The audit log inside the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "identity", security(("bearer" = []), ("session" = [])), params(AuditQuery),
    responses((status = 200, body = [AuditJson]), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    QueryParams(q): QueryParams<AuditQuery>,
) -> AppResult<Json<Vec<AuditJson>>> {
    let scope = caller.require(Permission::ViewAudit)?;
    let filter = audit::Filter {
        event: q.event,
        user: q.user,
        client_id: q.client,
        before_id: q.before,
        limit: q.limit.unwrap_or(100),
    };
    let rows = audit::list(&mut state.db(), &scope, &filter).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditJson {
                id: r.id,
                at: r.at,
                event: r.event,
                actor: r.actor_label,
                subject: r.subject_label,
                org: r.org_code,
                client_id: r.client_id,
                ip: r.ip,
                details: r.details.and_then(|d| serde_json::from_str(&d).ok()),
            })
            .collect(),
    ))
}
