//! The org tree: reference regions (from the migration) plus OPDs and units.
//!
//! The shape of the tree is public (anyone may see which OPDs a region has);
//! changing it requires a [`Scope`] for [`Permission::ManageOrgs`].

use rumah_domain::authz::{Permission, Scope};
use rumah_domain::orgs::{OrgCode, OrgId, OrgKind};
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::{Exec, SqlBuilder, StoreError, q};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgNode {
    pub id: OrgId,
    pub code: OrgCode,
    pub parent_id: Option<OrgId>,
    pub kind: OrgKind,
    pub name: String,
    pub region_code: String,
    pub active: bool,
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: i64,
    code: String,
    parent_id: Option<i64>,
    kind: String,
    name: String,
    region_code: String,
    active: bool,
}

impl TryFrom<OrgRow> for OrgNode {
    type Error = StoreError;
    fn try_from(r: OrgRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: OrgId(r.id),
            code: OrgCode::parse(&r.code)
                .map_err(|e| StoreError::Corrupt(format!("org code {:?}: {e}", r.code)))?,
            parent_id: r.parent_id.map(OrgId),
            kind: OrgKind::from_code(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("org kind {:?}", r.kind)))?,
            name: r.name,
            region_code: r.region_code,
            active: r.active,
        })
    }
}

const COLUMNS: &str = "id, code, parent_id, kind, name, region_code, active";

fn convert(rows: Vec<OrgRow>) -> Result<Vec<OrgNode>, StoreError> {
    rows.into_iter().map(OrgNode::try_from).collect()
}

/// A regency/city or the province, as served by `GET /api/v1/regions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
}

/// The province and its 38 regencies/cities, province first, then by code.
pub async fn regions(ex: &mut impl Exec) -> Result<Vec<Region>, StoreError> {
    ex.fetch_all(q!("SELECT n.code, n.name, n.kind, p.code AS parent
         FROM org_nodes n LEFT JOIN org_nodes p ON p.id = n.parent_id
         WHERE n.kind IN ('provinsi', 'kabupaten', 'kota')
         ORDER BY n.code"))
        .await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Bakorwil {
    pub code: String,
    pub name: String,
    pub seat_region_code: String,
    pub subculture: String,
}

pub async fn bakorwil(ex: &mut impl Exec) -> Result<Vec<Bakorwil>, StoreError> {
    ex.fetch_all(q!(
        "SELECT code, name, seat_region_code, subculture FROM bakorwil ORDER BY code"
    ))
    .await
}

pub async fn by_code(ex: &mut impl Exec, code: &OrgCode) -> Result<Option<OrgNode>, StoreError> {
    let row: Option<OrgRow> =
        ex.fetch_optional(q!("SELECT id, code, parent_id, kind, name, region_code, active FROM org_nodes WHERE code = $1", code.as_str())).await?;
    row.map(OrgNode::try_from).transpose()
}

pub async fn by_id(ex: &mut impl Exec, id: OrgId) -> Result<Option<OrgNode>, StoreError> {
    let row: Option<OrgRow> =
        ex.fetch_optional(q!("SELECT id, code, parent_id, kind, name, region_code, active FROM org_nodes WHERE id = $1", id.0)).await?;
    row.map(OrgNode::try_from).transpose()
}

/// Direct children of a node, by code.
pub async fn children(ex: &mut impl Exec, parent: OrgId) -> Result<Vec<OrgNode>, StoreError> {
    convert(
        ex.fetch_all(q!(
            "SELECT id, code, parent_id, kind, name, region_code, active FROM org_nodes WHERE parent_id = $1 ORDER BY code",
            parent.0
        ))
        .await?,
    )
}

/// Every node inside the scope, in code order (a depth-first listing),
/// optionally only those whose name or code contains `search`.
pub async fn list_in_scope(
    ex: &mut impl Exec,
    scope: &Scope,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<OrgNode>, StoreError> {
    let mut b = SqlBuilder::new("SELECT ");
    b.push(COLUMNS)
        .push(" FROM org_nodes WHERE ")
        .push_scope("code", scope);
    list(ex, b, search, limit).await
}

/// The public listing of a subtree (the shape of the tree is not secret).
pub async fn list_subtree(
    ex: &mut impl Exec,
    root: &OrgCode,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<OrgNode>, StoreError> {
    let mut b = SqlBuilder::new("SELECT ");
    b.push(COLUMNS)
        .push(" FROM org_nodes WHERE ")
        .push_subtree("code", root);
    list(ex, b, search, limit).await
}

async fn list(
    ex: &mut impl Exec,
    mut b: SqlBuilder,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<OrgNode>, StoreError> {
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&s.to_lowercase()));
        b.push(" AND (lower(name) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR lower(code) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
    b.push(" ORDER BY code LIMIT ").bind(limit);
    convert(ex.fetch_all(b.build()).await?)
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Why a node could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateOrgError {
    /// The parent does not exist or lies outside the caller's scope.
    #[error("parent not found")]
    ParentNotFound,
    #[error("a {child:?} cannot be placed under a {parent:?}")]
    WrongParentKind { parent: OrgKind, child: OrgKind },
    #[error("invalid code: {0}")]
    Code(#[from] rumah_domain::orgs::OrgCodeError),
    #[error("code already in use")]
    CodeTaken,
    #[error("the name is empty or longer than 200 characters")]
    Name,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CreateOrgError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unique(_) => Self::CodeTaken,
            other => Self::Store(other),
        }
    }
}

pub struct NewOrg<'a> {
    pub parent: &'a OrgCode,
    /// The local segment, e.g. `DINKES`.
    pub segment: &'a str,
    pub kind: OrgKind,
    pub name: &'a str,
}

/// Creates an OPD or unit under `parent`, which must lie inside `scope`.
pub async fn create(
    ex: &mut impl Exec,
    scope: &Scope,
    new: NewOrg<'_>,
) -> Result<OrgNode, CreateOrgError> {
    debug_assert_eq!(scope.permission(), Permission::ManageOrgs);
    if !scope.contains(new.parent) {
        return Err(CreateOrgError::ParentNotFound);
    }
    let parent = by_code(ex, new.parent)
        .await?
        .ok_or(CreateOrgError::ParentNotFound)?;
    if new.kind.is_region() || !new.kind.may_have_parent(parent.kind) {
        return Err(CreateOrgError::WrongParentKind {
            parent: parent.kind,
            child: new.kind,
        });
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(CreateOrgError::Name);
    }
    let code = parent.code.child(new.segment)?;
    let now = Timestamp::now();
    let row: OrgRow = ex
        .fetch_one(q!(
            "INSERT INTO org_nodes (code, parent_id, kind, name, region_code, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6)
             RETURNING id, code, parent_id, kind, name, region_code, active",
            code.as_str(),
            parent.id.0,
            new.kind.code(),
            name,
            code.region().as_str(),
            now
        ))
        .await?;
    Ok(OrgNode::try_from(row)?)
}

/// Renames a node inside `scope`. Regions keep their official names.
pub async fn rename(
    ex: &mut impl Exec,
    scope: &Scope,
    code: &OrgCode,
    name: &str,
) -> Result<(), StoreError> {
    debug_assert_eq!(scope.permission(), Permission::ManageOrgs);
    let name = name.trim();
    if !scope.contains(code) || name.is_empty() || name.chars().count() > 200 {
        return Err(StoreError::NotFound);
    }
    let n = ex
        .execute(q!(
            "UPDATE org_nodes SET name = $1, updated_at = $2 WHERE code = $3 AND kind IN ('opd', 'unit')",
            name,
            Timestamp::now(),
            code.as_str()
        ))
        .await?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
