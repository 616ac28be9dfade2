//! Innovation profiles: create, edit with optimistic concurrency (every
//! save names the version it edited), a JSON snapshot per version, status
//! changes with their comment in the curation trail.

use rumah_domain::authz::{Permission, Scope};
use rumah_domain::innovations::{
    Action, Bentuk, Inisiator, InnovationDraft, Jenis, Sdg, Sdgs, Status, Tahapan,
};
use rumah_domain::orgs::OrgCode;
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::{Exec, SqlBuilder, StoreError, Tx, orgs, q};

/// A stored innovation: where it sits, its state and its current profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Innovation {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub region_code: String,
    pub region_name: String,
    pub urusan_name: String,
    pub status: Status,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub draft: InnovationDraft,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_code: String,
    org_name: String,
    region_code: String,
    region_name: String,
    urusan_name: String,
    status: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
    name: String,
    bentuk: String,
    jenis: String,
    inisiator: String,
    urusan_code: String,
    tahapan: String,
    date_inisiatif: Option<String>,
    date_uji_coba: Option<String>,
    date_penerapan: Option<String>,
    problem: String,
    design: String,
    goals: String,
    benefits: String,
    results: String,
    beneficiaries: Option<i64>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    video_url: Option<String>,
}

const SELECT: &str =
    "SELECT i.id, o.code AS org_code, o.name AS org_name, o.region_code, r.name AS region_name,
        u.name AS urusan_name, i.status, i.version, i.created_at, i.updated_at, i.published_at,
        i.name, i.bentuk, i.jenis, i.inisiator, i.urusan_code, i.tahapan,
        i.date_inisiatif, i.date_uji_coba, i.date_penerapan,
        i.problem, i.design, i.goals, i.benefits, i.results, i.beneficiaries,
        i.contact_name, i.contact_email, i.contact_phone, i.video_url
     FROM innovations i
     JOIN org_nodes o ON o.id = i.org_id
     JOIN org_nodes r ON r.code = o.region_code
     JOIN urusan u ON u.code = i.urusan_code";

fn date(s: Option<String>, id: i64) -> Result<Option<time::Date>, StoreError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    s.map(|s| {
        time::Date::parse(&s, &fmt)
            .map_err(|_| StoreError::Corrupt(format!("innovation {id}: date {s:?}")))
    })
    .transpose()
}

fn text(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl Row {
    fn into_innovation(self, sdgs: Sdgs) -> Result<Innovation, StoreError> {
        let id = self.id;
        let corrupt = |what: &str| StoreError::Corrupt(format!("innovation {id}: {what}"));
        Ok(Innovation {
            id,
            status: Status::from_code(&self.status).ok_or_else(|| corrupt("status"))?,
            draft: InnovationDraft {
                name: self.name,
                bentuk: Bentuk::from_code(&self.bentuk).ok_or_else(|| corrupt("bentuk"))?,
                jenis: Jenis::from_code(&self.jenis).ok_or_else(|| corrupt("jenis"))?,
                inisiator: Inisiator::from_code(&self.inisiator)
                    .ok_or_else(|| corrupt("inisiator"))?,
                urusan: self.urusan_code,
                tahapan: Tahapan::from_code(&self.tahapan).ok_or_else(|| corrupt("tahapan"))?,
                date_inisiatif: date(self.date_inisiatif, id)?,
                date_uji_coba: date(self.date_uji_coba, id)?,
                date_penerapan: date(self.date_penerapan, id)?,
                problem: text(self.problem),
                design: text(self.design),
                goals: text(self.goals),
                benefits: text(self.benefits),
                results: text(self.results),
                beneficiaries: self.beneficiaries.and_then(|b| u64::try_from(b).ok()),
                sdgs,
                contact_name: self.contact_name,
                contact_email: self.contact_email,
                contact_phone: self.contact_phone,
                video_url: self.video_url,
            },
            org_code: self.org_code,
            org_name: self.org_name,
            region_code: self.region_code,
            region_name: self.region_name,
            urusan_name: self.urusan_name,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            published_at: self.published_at,
        })
    }
}

async fn sdgs(ex: &mut impl Exec, id: i64) -> Result<Sdgs, StoreError> {
    let rows: Vec<(i64,)> = ex
        .fetch_all(q!(
            "SELECT sdg FROM innovation_sdgs WHERE innovation_id = $1 ORDER BY sdg",
            id
        ))
        .await?;
    Ok(Sdgs::new(rows.into_iter().filter_map(|(g,)| {
        u8::try_from(g).ok().and_then(|g| Sdg::new(g).ok())
    })))
}

async fn one(ex: &mut impl Exec, b: SqlBuilder) -> Result<Option<Innovation>, StoreError> {
    let Some(row): Option<Row> = ex.fetch_optional(b.build()).await? else {
        return Ok(None);
    };
    let s = sdgs(ex, row.id).await?;
    Ok(Some(row.into_innovation(s)?))
}

/// A published innovation (what the public may read).
pub async fn public(ex: &mut impl Exec, id: i64) -> Result<Option<Innovation>, StoreError> {
    let mut b = SqlBuilder::new(SELECT);
    b.push(" WHERE i.id = ")
        .bind(id)
        .push(" AND i.status = 'terverifikasi'");
    one(ex, b).await
}

/// An innovation inside `scope` (owners: ManageInnovations; curators:
/// CurateInnovations); outside it, `None` as if it did not exist.
pub async fn in_scope(
    ex: &mut impl Exec,
    scope: &Scope,
    id: i64,
) -> Result<Option<Innovation>, StoreError> {
    debug_assert!(matches!(
        scope.permission(),
        Permission::ManageInnovations | Permission::CurateInnovations
    ));
    let mut b = SqlBuilder::new(SELECT);
    b.push(" WHERE i.id = ")
        .bind(id)
        .push(" AND ")
        .push_scope("o.code", scope);
    one(ex, b).await
}

/// A line of a list of innovations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub org_name: String,
    pub region_name: String,
    pub updated_at: i64,
}

/// Innovations inside `scope`, optionally in some statuses, latest change first.
pub async fn list_in_scope(
    ex: &mut impl Exec,
    scope: &Scope,
    statuses: &[Status],
    limit: i64,
) -> Result<Vec<Listed>, StoreError> {
    let mut b = SqlBuilder::new(
        "SELECT i.id, i.name, i.status, o.name AS org_name, r.name AS region_name, i.updated_at
         FROM innovations i JOIN org_nodes o ON o.id = i.org_id JOIN org_nodes r ON r.code = o.region_code
         WHERE ",
    );
    b.push_scope("o.code", scope);
    if !statuses.is_empty() {
        b.push(" AND i.status IN (");
        for (n, s) in statuses.iter().enumerate() {
            if n > 0 {
                b.push(", ");
            }
            b.bind(s.code());
        }
        b.push(")");
    }
    b.push(" ORDER BY i.updated_at DESC, i.id DESC LIMIT ")
        .bind(limit);
    ex.fetch_all(b.build()).await
}

/// Who did something: account id and a label that outlives the account.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub id: Option<i64>,
    pub label: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The org node does not exist or lies outside the caller's scope.
    #[error("org node not found")]
    OrgNotFound,
    /// The urusan code is not on the reference list.
    #[error("unknown urusan")]
    Urusan,
    /// Someone saved since the version the caller edited.
    #[error("edited concurrently: now at version {current}")]
    Conflict { current: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn iso(d: Option<time::Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

async fn urusan_exists(ex: &mut impl Exec, code: &str) -> Result<bool, StoreError> {
    Ok(ex
        .fetch_optional::<(String,)>(q!("SELECT code FROM urusan WHERE code = $1", code))
        .await?
        .is_some())
}

async fn write_sdgs(tx: &mut Tx, id: i64, sdgs: &Sdgs) -> Result<(), StoreError> {
    tx.execute(q!(
        "DELETE FROM innovation_sdgs WHERE innovation_id = $1",
        id
    ))
    .await?;
    for g in sdgs.iter() {
        tx.execute(q!(
            "INSERT INTO innovation_sdgs (innovation_id, sdg) VALUES ($1, $2)",
            id,
            i64::from(g.get())
        ))
        .await?;
    }
    Ok(())
}

async fn snapshot(
    tx: &mut Tx,
    id: i64,
    version: i64,
    draft: &InnovationDraft,
    author: Author<'_>,
    at: Timestamp,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(draft).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(q!(
        "INSERT INTO innovation_versions (innovation_id, version, snapshot, author_id, author_label, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        version,
        json,
        author.id,
        author.label,
        at
    ))
    .await?;
    Ok(())
}

/// Creates a draft owned by `org` (inside `scope`); version 1.
pub async fn create(
    tx: &mut Tx,
    scope: &Scope,
    org: &OrgCode,
    draft: &InnovationDraft,
    author: Author<'_>,
) -> Result<i64, SaveError> {
    debug_assert_eq!(scope.permission(), Permission::ManageInnovations);
    if !scope.contains(org) {
        return Err(SaveError::OrgNotFound);
    }
    let node = orgs::by_code(tx, org)
        .await?
        .ok_or(SaveError::OrgNotFound)?;
    if !urusan_exists(tx, &draft.urusan).await? {
        return Err(SaveError::Urusan);
    }
    let now = Timestamp::now();
    let d = draft;
    let (id,): (i64,) = tx
        .fetch_one(q!(
            "INSERT INTO innovations (org_id, name, bentuk, jenis, inisiator, urusan_code, tahapan,
                 date_inisiatif, date_uji_coba, date_penerapan, problem, design, goals, benefits, results,
                 beneficiaries, contact_name, contact_email, contact_phone, video_url, status, version,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                 'draft', 1, $21, $21)
             RETURNING id",
            node.id.0,
            d.name.as_str(),
            d.bentuk.code(),
            d.jenis.code(),
            d.inisiator.code(),
            d.urusan.as_str(),
            d.tahapan.code(),
            iso(d.date_inisiatif),
            iso(d.date_uji_coba),
            iso(d.date_penerapan),
            d.problem.clone().unwrap_or_default(),
            d.design.clone().unwrap_or_default(),
            d.goals.clone().unwrap_or_default(),
            d.benefits.clone().unwrap_or_default(),
            d.results.clone().unwrap_or_default(),
            d.beneficiaries.and_then(|b| i64::try_from(b).ok()),
            d.contact_name.clone(),
            d.contact_email.clone(),
            d.contact_phone.clone(),
            d.video_url.clone(),
            now
        ))
        .await?;
    write_sdgs(tx, id, &d.sdgs).await?;
    snapshot(tx, id, 1, d, author, now).await?;
    Ok(id)
}

/// Saves a new version of `inn`'s profile, if nobody saved since
/// `expected_version`. Returns the new version.
pub async fn update(
    tx: &mut Tx,
    inn: &Innovation,
    expected_version: i64,
    draft: &InnovationDraft,
    author: Author<'_>,
) -> Result<i64, SaveError> {
    if !urusan_exists(tx, &draft.urusan).await? {
        return Err(SaveError::Urusan);
    }
    let now = Timestamp::now();
    let d = draft;
    let n = tx
        .execute(q!(
            "UPDATE innovations SET name = $1, bentuk = $2, jenis = $3, inisiator = $4, urusan_code = $5,
                 tahapan = $6, date_inisiatif = $7, date_uji_coba = $8, date_penerapan = $9, problem = $10,
                 design = $11, goals = $12, benefits = $13, results = $14, beneficiaries = $15,
                 contact_name = $16, contact_email = $17, contact_phone = $18, video_url = $19,
                 version = version + 1, updated_at = $20
             WHERE id = $21 AND version = $22",
            d.name.as_str(),
            d.bentuk.code(),
            d.jenis.code(),
            d.inisiator.code(),
            d.urusan.as_str(),
            d.tahapan.code(),
            iso(d.date_inisiatif),
            iso(d.date_uji_coba),
            iso(d.date_penerapan),
            d.problem.clone().unwrap_or_default(),
            d.design.clone().unwrap_or_default(),
            d.goals.clone().unwrap_or_default(),
            d.benefits.clone().unwrap_or_default(),
            d.results.clone().unwrap_or_default(),
            d.beneficiaries.and_then(|b| i64::try_from(b).ok()),
            d.contact_name.clone(),
            d.contact_email.clone(),
            d.contact_phone.clone(),
            d.video_url.clone(),
            now,
            inn.id,
            expected_version
        ))
        .await?;
    if n == 0 {
        let (current,): (i64,) = tx
            .fetch_one(q!("SELECT version FROM innovations WHERE id = $1", inn.id))
            .await?;
        return Err(SaveError::Conflict { current });
    }
    write_sdgs(tx, inn.id, &d.sdgs).await?;
    snapshot(tx, inn.id, expected_version + 1, d, author, now).await?;
    Ok(expected_version + 1)
}

/// Moves `inn` from `from` to `to` by `action`, recording the note in the
/// curation trail. False when the status changed meanwhile (someone else
/// acted first): nothing is written then.
pub async fn transition(
    tx: &mut Tx,
    inn: &Innovation,
    from: Status,
    to: Status,
    action: Action,
    note: Option<&str>,
    actor: Author<'_>,
) -> Result<bool, StoreError> {
    let now = Timestamp::now();
    let published = (to == Status::Terverifikasi).then_some(now);
    let n = tx
        .execute(q!(
            "UPDATE innovations SET status = $1, published_at = COALESCE(published_at, $2), updated_at = $3
             WHERE id = $4 AND status = $5",
            to.code(),
            published,
            now,
            inn.id,
            from.code()
        ))
        .await?;
    if n == 0 {
        return Ok(false);
    }
    tx.execute(q!(
        "INSERT INTO innovation_reviews (innovation_id, action, from_status, to_status, note, actor_id, actor_label, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        inn.id,
        action.code(),
        from.code(),
        to.code(),
        note,
        actor.id,
        actor.label,
        now
    ))
    .await?;
    Ok(true)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Version {
    pub version: i64,
    pub author_label: String,
    pub at: i64,
}

pub async fn versions(ex: &mut impl Exec, id: i64) -> Result<Vec<Version>, StoreError> {
    ex.fetch_all(q!(
        "SELECT version, author_label, at FROM innovation_versions WHERE innovation_id = $1 ORDER BY version DESC",
        id
    ))
    .await
}

/// The profile as it was saved in `version`.
pub async fn snapshot_of(
    ex: &mut impl Exec,
    id: i64,
    version: i64,
) -> Result<Option<InnovationDraft>, StoreError> {
    let row: Option<(String,)> = ex
        .fetch_optional(q!(
            "SELECT snapshot FROM innovation_versions WHERE innovation_id = $1 AND version = $2",
            id,
            version
        ))
        .await?;
    row.map(|(json,)| {
        serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("innovation {id} version {version}: {e}")))
    })
    .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Review {
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub note: Option<String>,
    pub actor_label: String,
    pub at: i64,
}

pub async fn reviews(ex: &mut impl Exec, id: i64) -> Result<Vec<Review>, StoreError> {
    ex.fetch_all(q!(
        "SELECT action, from_status, to_status, note, actor_label, at FROM innovation_reviews
         WHERE innovation_id = $1 ORDER BY at DESC, id DESC",
        id
    ))
    .await
}

/// Org nodes (other OPDs or regions) an innovation is run with: (code, name).
pub async fn collaborators(
    ex: &mut impl Exec,
    id: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    ex.fetch_all(q!(
        "SELECT o.code, o.name FROM innovation_collaborators c JOIN org_nodes o ON o.id = c.org_id
         WHERE c.innovation_id = $1 ORDER BY o.code",
        id
    ))
    .await
}

/// Replaces the collaborators of an innovation; unknown codes are refused
/// (returned) and nothing changes.
pub async fn set_collaborators(
    tx: &mut Tx,
    id: i64,
    codes: &[OrgCode],
) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::with_capacity(codes.len());
    let mut unknown = Vec::new();
    for code in codes {
        match orgs::by_code(tx, code).await? {
            Some(node) => ids.push(node.id.0),
            None => unknown.push(code.as_str().to_owned()),
        }
    }
    if !unknown.is_empty() {
        return Ok(unknown);
    }
    tx.execute(q!(
        "DELETE FROM innovation_collaborators WHERE innovation_id = $1",
        id
    ))
    .await?;
    ids.sort_unstable();
    ids.dedup();
    for org in ids {
        tx.execute(q!(
            "INSERT INTO innovation_collaborators (innovation_id, org_id) VALUES ($1, $2)",
            id,
            org
        ))
        .await?;
    }
    Ok(Vec::new())
}
