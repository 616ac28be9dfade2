//! Counts for the dashboards: published innovations by region, stage,
//! bentuk, jenis and year of publication, and replication flows between
//! regions. Published innovations only.

use serde::Serialize;

use crate::{Exec, SqlBuilder, StoreError};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub total: i64,
    pub by_region: Vec<(String, i64)>,
    pub by_tahapan: Vec<(String, i64)>,
    pub by_bentuk: Vec<(String, i64)>,
    pub by_jenis: Vec<(String, i64)>,
    /// Publication timestamps (epoch ms), bucketed by year by the caller.
    pub published_at: Vec<i64>,
}

const BASE: &str =
    " FROM innovations i JOIN org_nodes o ON o.id = i.org_id WHERE i.status = 'terverifikasi'";

fn scoped(select: &'static str, region: Option<&str>) -> SqlBuilder {
    let mut b = SqlBuilder::new(select);
    b.push(BASE);
    if let Some(r) = region {
        b.push(" AND o.region_code = ").bind(r);
    }
    b
}

async fn group(
    ex: &mut impl Exec,
    key: &'static str,
    region: Option<&str>,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut b = SqlBuilder::new("SELECT ");
    b.push(key).push(" AS k, COUNT(*)").push(BASE);
    if let Some(r) = region {
        b.push(" AND o.region_code = ").bind(r);
    }
    b.push(" GROUP BY ").push(key).push(" ORDER BY ").push(key);
    ex.fetch_all(b.build()).await
}

/// Counts of the province (`region` None) or of one region.
pub async fn stats(ex: &mut impl Exec, region: Option<&str>) -> Result<Stats, StoreError> {
    let (total,): (i64,) = ex
        .fetch_one(scoped("SELECT COUNT(*)", region).build())
        .await?;
    let stamps: Vec<(Option<i64>,)> = ex
        .fetch_all(scoped("SELECT i.published_at", region).build())
        .await?;
    Ok(Stats {
        total,
        by_region: group(ex, "o.region_code", region).await?,
        by_tahapan: group(ex, "i.tahapan", region).await?,
        by_bentuk: group(ex, "i.bentuk", region).await?,
        by_jenis: group(ex, "i.jenis", region).await?,
        published_at: stamps.into_iter().filter_map(|(t,)| t).collect(),
    })
}

/// A replication flow: from the origin's region to the adopter's region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Flow {
    pub from_region: String,
    pub to_region: String,
    pub links: i64,
}

/// Flows between regions of replications whose both ends are published,
/// largest first; with `region`, only flows touching it.
pub async fn flows(
    ex: &mut impl Exec,
    region: Option<&str>,
    limit: i64,
) -> Result<Vec<Flow>, StoreError> {
    let mut b = SqlBuilder::new(
        "SELECT ra.name AS from_region, rb.name AS to_region, COUNT(*) AS links
         FROM replications l
         JOIN innovations a ON a.id = l.origin_id JOIN org_nodes oa ON oa.id = a.org_id JOIN org_nodes ra ON ra.code = oa.region_code
         JOIN innovations b ON b.id = l.adopter_id JOIN org_nodes ob ON ob.id = b.org_id JOIN org_nodes rb ON rb.code = ob.region_code
         WHERE a.status = 'terverifikasi' AND b.status = 'terverifikasi'",
    );
    if let Some(r) = region {
        b.push(" AND (oa.region_code = ")
            .bind(r)
            .push(" OR ob.region_code = ")
            .bind(r)
            .push(")");
    }
    b.push(" GROUP BY ra.name, rb.name ORDER BY COUNT(*) DESC, ra.name LIMIT ")
        .bind(limit);
    ex.fetch_all(b.build()).await
}
