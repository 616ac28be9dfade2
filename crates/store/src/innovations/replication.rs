//! Replication between regions: innovation B (adopter) replicates
//! innovation A (origin), with a status and adaptation notes. Lineage is
//! read both ways (origin → adopters → their adopters, and back), counts per
//! region, and suggestions of published innovations elsewhere for a region.

use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::{Exec, StoreError, Tx, q};

pub const STATUSES: [&str; 4] = ["menjajaki", "mengadopsi", "diterapkan", "dihentikan"];

/// One replication link with both ends described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Link {
    pub id: i64,
    pub origin_id: i64,
    pub origin_name: String,
    pub origin_region: String,
    pub origin_public: bool,
    pub adopter_id: i64,
    pub adopter_name: String,
    pub adopter_region: String,
    pub adopter_public: bool,
    pub status: String,
    pub notes: String,
}

const LINKS: &str = "SELECT l.id, l.origin_id, a.name AS origin_name, ra.name AS origin_region,
        a.status = 'terverifikasi' AS origin_public,
        l.adopter_id, b.name AS adopter_name, rb.name AS adopter_region,
        b.status = 'terverifikasi' AS adopter_public, l.status, l.notes
     FROM replications l
     JOIN innovations a ON a.id = l.origin_id JOIN org_nodes oa ON oa.id = a.org_id JOIN org_nodes ra ON ra.code = oa.region_code
     JOIN innovations b ON b.id = l.adopter_id JOIN org_nodes ob ON ob.id = b.org_id JOIN org_nodes rb ON rb.code = ob.region_code";

/// Every link that touches `ids` as origin or adopter.
async fn touching(ex: &mut impl Exec, id: i64) -> Result<Vec<Link>, StoreError> {
    let mut b = crate::SqlBuilder::new(LINKS);
    b.push(" WHERE l.origin_id = ")
        .bind(id)
        .push(" OR l.adopter_id = ")
        .bind(id);
    ex.fetch_all(b.build()).await
}

/// The lineage around `id`: its ancestors (what it replicates, and what
/// those replicate…) and its descendants (who replicates it, and who
/// replicates them…), as links, without repeating a link. Bounded depth so
/// a data error can never loop.
pub async fn lineage(ex: &mut impl Exec, id: i64) -> Result<(Vec<Link>, Vec<Link>), StoreError> {
    const DEPTH: usize = 8;
    let mut up: Vec<Link> = Vec::new();
    let mut down: Vec<Link> = Vec::new();
    let mut frontier_up = vec![id];
    let mut frontier_down = vec![id];
    let mut seen = std::collections::HashSet::new();
    for _ in 0..DEPTH {
        let mut next_up = Vec::new();
        for n in frontier_up {
            for l in touching(ex, n).await? {
                if l.adopter_id == n && seen.insert(l.id) {
                    next_up.push(l.origin_id);
                    up.push(l);
                }
            }
        }
        let mut next_down = Vec::new();
        for n in frontier_down {
            for l in touching(ex, n).await? {
                if l.origin_id == n && seen.insert(l.id) {
                    next_down.push(l.adopter_id);
                    down.push(l);
                }
            }
        }
        if next_up.is_empty() && next_down.is_empty() {
            break;
        }
        frontier_up = next_up;
        frontier_down = next_down;
    }
    Ok((up, down))
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("an innovation cannot replicate itself")]
    SelfLink,
    #[error("the origin must be a published innovation of another region")]
    Origin,
    #[error("the link would make a cycle")]
    Cycle,
    #[error("unknown status")]
    Status,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records (or updates) that `adopter` replicates `origin`. The origin must
/// be published and of another region; no cycles.
pub async fn link(
    tx: &mut Tx,
    adopter: i64,
    adopter_region: &str,
    origin: i64,
    status: &str,
    notes: &str,
) -> Result<(), LinkError> {
    if adopter == origin {
        return Err(LinkError::SelfLink);
    }
    if !STATUSES.contains(&status) {
        return Err(LinkError::Status);
    }
    let row: Option<(String,)> = tx
        .fetch_optional(q!(
            "SELECT o.region_code FROM innovations i JOIN org_nodes o ON o.id = i.org_id
             WHERE i.id = $1 AND i.status = 'terverifikasi'",
            origin
        ))
        .await?;
    match row {
        Some((region,)) if region != adopter_region => {}
        _ => return Err(LinkError::Origin),
    }
    // A cycle: the origin already descends from the adopter.
    let (_, below) = lineage(tx, adopter).await?;
    if below.iter().any(|l| l.adopter_id == origin) {
        return Err(LinkError::Cycle);
    }
    let now = Timestamp::now();
    tx.execute(q!(
        "INSERT INTO replications (origin_id, adopter_id, status, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (origin_id, adopter_id) DO UPDATE SET status = excluded.status, notes = excluded.notes,
             updated_at = excluded.updated_at",
        origin,
        adopter,
        status,
        notes,
        now
    ))
    .await?;
    Ok(())
}

/// Per region: how many of its published innovations replicate others, and
/// how many times its published innovations are replicated elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RegionCounts {
    pub region_code: String,
    pub region_name: String,
    pub replicated_from: i64,
    pub replicated_by: i64,
}

pub async fn region_counts(ex: &mut impl Exec) -> Result<Vec<RegionCounts>, StoreError> {
    ex.fetch_all(q!(
        "SELECT r.code AS region_code, r.name AS region_name,
             CAST((SELECT COUNT(*) FROM replications l JOIN innovations b ON b.id = l.adopter_id
                   JOIN org_nodes ob ON ob.id = b.org_id
                   WHERE ob.region_code = r.code AND b.status = 'terverifikasi') AS BIGINT) AS replicated_from,
             CAST((SELECT COUNT(*) FROM replications l JOIN innovations a ON a.id = l.origin_id
                   JOIN innovations b ON b.id = l.adopter_id
                   JOIN org_nodes oa ON oa.id = a.org_id
                   WHERE oa.region_code = r.code AND a.status = 'terverifikasi' AND b.status = 'terverifikasi') AS BIGINT) AS replicated_by
         FROM org_nodes r WHERE r.kind IN ('kabupaten', 'kota') ORDER BY r.code"
    ))
    .await
}

/// A suggestion for a region: a published innovation elsewhere, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Suggestion {
    pub id: i64,
    pub name: String,
    pub region_name: String,
    pub urusan_name: String,
    pub tahapan: String,
    /// Whether the region has no published innovation in this urusan.
    pub gap: bool,
    /// Regions that already replicate it.
    pub adopters: i64,
}

/// Published innovations of other regions that `region` does not replicate
/// yet, ranked: first those in an urusan where the region has no
/// innovation of its own, then by how many regions already adopted them,
/// then by stage (penerapan first) and beneficiaries.
pub async fn suggestions(
    ex: &mut impl Exec,
    region: &str,
    limit: i64,
) -> Result<Vec<Suggestion>, StoreError> {
    ex.fetch_all(q!(
        "SELECT i.id, i.name, r.name AS region_name, u.name AS urusan_name, i.tahapan,
             NOT EXISTS (SELECT 1 FROM innovations m JOIN org_nodes mo ON mo.id = m.org_id
                         WHERE mo.region_code = $1 AND m.urusan_code = i.urusan_code
                           AND m.status = 'terverifikasi') AS gap,
             CAST((SELECT COUNT(*) FROM replications l WHERE l.origin_id = i.id) AS BIGINT) AS adopters
         FROM innovations i
         JOIN org_nodes o ON o.id = i.org_id
         JOIN org_nodes r ON r.code = o.region_code
         JOIN urusan u ON u.code = i.urusan_code
         WHERE i.status = 'terverifikasi' AND o.region_code <> $1
           AND NOT EXISTS (SELECT 1 FROM replications l JOIN innovations b ON b.id = l.adopter_id
                           JOIN org_nodes ob ON ob.id = b.org_id
                           WHERE l.origin_id = i.id AND ob.region_code = $1)
         ORDER BY gap DESC, adopters DESC,
             CASE i.tahapan WHEN 'penerapan' THEN 0 WHEN 'uji_coba' THEN 1 ELSE 2 END,
             COALESCE(i.beneficiaries, 0) DESC, i.id
         LIMIT $2",
        region,
        limit
    ))
    .await
}
