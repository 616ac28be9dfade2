//! What the search index (`rumah-search`) is derived from: every
//! innovation changed since a point in time, keyset-paged by id, with its
//! texts and facet values; and the cards of a page of hits, from the
//! index's copy of the innovation and the database's word on what is
//! published now (so a lagging index never shows an unpublished entry) and
//! on the names of organisation nodes and urusan.

use crate::innovations::catalogue::{Card, SUMMARY_CHARS};
use crate::{Backend, Exec, SqlBuilder, StoreError};

/// One innovation as the index sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub id: i64,
    pub name: String,
    pub problem: String,
    pub design: String,
    pub goals: String,
    pub benefits: String,
    pub results: String,
    pub region_code: String,
    pub bentuk: String,
    pub jenis: String,
    pub tahapan: String,
    pub urusan_code: String,
    pub org_id: i64,
    pub sdgs: Vec<i64>,
    pub published_at: Option<i64>,
    pub beneficiaries: Option<i64>,
    pub status: String,
    pub updated_at: i64,
}

impl FeedRow {
    /// Whether the public may see it (and so the index should hold it).
    pub fn is_published(&self) -> bool {
        self.status == "terverifikasi"
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    problem: String,
    design: String,
    goals: String,
    benefits: String,
    results: String,
    region_code: String,
    bentuk: String,
    jenis: String,
    tahapan: String,
    urusan_code: String,
    org_id: i64,
    published_at: Option<i64>,
    beneficiaries: Option<i64>,
    status: String,
    updated_at: i64,
}

/// Up to `limit` innovations with `updated_at >= since`, in
/// `(updated_at, id)` order, after the `after` position (`None`: from the
/// start; call again with the last row's `(updated_at, id)` until fewer
/// come back). With `published_only`, only published ones (a full
/// rebuild).
///
/// The order follows the `updated_at` index, so a sync that finds nothing
/// new reads nothing: ordered by id, SQLite walked the primary key through
/// every row (100,000 rows with their texts, twice a second) to filter on
/// `updated_at`.
pub async fn changed_since(
    ex: &mut impl Exec,
    since: i64,
    after: Option<(i64, i64)>,
    limit: i64,
    published_only: bool,
) -> Result<Vec<FeedRow>, StoreError> {
    let mut b = SqlBuilder::new(
        "SELECT i.id, i.name, i.problem, i.design, i.goals, i.benefits, i.results,
            o.region_code, i.bentuk, i.jenis, i.tahapan, i.urusan_code, i.org_id,
            i.published_at, i.beneficiaries, i.status, i.updated_at
         FROM innovations i JOIN org_nodes o ON o.id = i.org_id
         WHERE i.updated_at >= ",
    );
    match after {
        None => {
            b.bind(since);
        }
        Some((at, id)) => {
            b.bind(since.max(at))
                .push(" AND (i.updated_at > ")
                .bind(at)
                .push(" OR (i.updated_at = ")
                .bind(at)
                .push(" AND i.id > ")
                .bind(id)
                .push("))");
        }
    }
    if published_only {
        // `|| ''`: keep SQLite on the `updated_at` index, which gives the
        // order; through the `status` index it sorted every published row
        // for each page.
        b.push(" AND i.status || '' = 'terverifikasi'");
    }
    b.push(" ORDER BY i.updated_at, i.id LIMIT ").bind(limit);
    let rows: Vec<Row> = ex.fetch_all(b.build()).await?;
    let mut sdgs = std::collections::HashMap::<i64, Vec<i64>>::new();
    if !rows.is_empty() {
        let mut s = SqlBuilder::new(
            "SELECT innovation_id, sdg FROM innovation_sdgs WHERE innovation_id IN (",
        );
        for (n, r) in rows.iter().enumerate() {
            if n > 0 {
                s.push(", ");
            }
            s.bind(r.id);
        }
        s.push(") ORDER BY innovation_id, sdg");
        let pairs: Vec<(i64, i64)> = ex.fetch_all(s.build()).await?;
        for (id, sdg) in pairs {
            sdgs.entry(id).or_default().push(sdg);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| FeedRow {
            sdgs: sdgs.remove(&r.id).unwrap_or_default(),
            id: r.id,
            name: r.name,
            problem: r.problem,
            design: r.design,
            goals: r.goals,
            benefits: r.benefits,
            results: r.results,
            region_code: r.region_code,
            bentuk: r.bentuk,
            jenis: r.jenis,
            tahapan: r.tahapan,
            urusan_code: r.urusan_code,
            org_id: r.org_id,
            published_at: r.published_at,
            beneficiaries: r.beneficiaries,
            status: r.status,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The newest curation event's id: changes whenever an innovation changes
/// status (one indexed lookup), so a search can tell cheaply whether the
/// index may have missed a publication or a withdrawal.
pub async fn generation(ex: &mut impl Exec) -> Result<i64, StoreError> {
    let (n,): (Option<i64>,) = ex
        .fetch_one(crate::q!("SELECT MAX(id) FROM innovation_reviews"))
        .await?;
    Ok(n.unwrap_or(0))
}

/// A card as the search index holds it: the innovation's own fields, from
/// its last sync (within about a second of a change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedCard {
    pub id: i64,
    pub name: String,
    pub bentuk: String,
    pub jenis: String,
    pub tahapan: String,
    pub urusan_code: String,
    pub org_id: i64,
    pub beneficiaries: Option<i64>,
    pub published_at: Option<i64>,
    /// The first [`SUMMARY_CHARS`] characters of the problem statement.
    pub summary: String,
}

/// The first [`SUMMARY_CHARS`] characters of a problem statement: a
/// card's summary, as the catalogue's SQL cuts it.
pub fn summary_of(problem: &str) -> String {
    problem.chars().take(SUMMARY_CHARS).collect()
}

/// The catalogue cards of a page of hits: those of `hits` that are
/// published now, in their order, completed with the current names of
/// their organisation node, region and urusan; and the position of the
/// curation trail ([`generation`]). One statement: a search checks after
/// the fact that no publication or withdrawal happened since its index
/// last synced.
///
/// The rows of the hits themselves are not read: each is a random page of
/// the table, which on SQLite meant a read from the file per card (a fifth
/// of an uncached search's time). Whether a hit is published comes from
/// the `innovations_published` index alone (`INDEXED BY`, or SQLite's
/// planner goes to the rows by primary key); the names come from
/// `org_nodes` and `urusan`, small tables that stay in the page cache.
pub async fn cards_for_hits(
    ex: &mut impl Exec,
    hits: Vec<IndexedCard>,
) -> Result<(Vec<Card>, i64), StoreError> {
    if hits.is_empty() {
        return Ok((Vec::new(), generation(ex).await?));
    }
    let (agg, end, array, from_published) = match ex.backend() {
        Backend::Sqlite => (
            "json_group_array(",
            ")",
            "json_array(",
            " FROM innovations INDEXED BY innovations_published",
        ),
        Backend::Postgres => (
            "COALESCE(json_agg(",
            "), '[]'::json)::text",
            "json_build_array(",
            " FROM innovations",
        ),
    };
    let list = |b: &mut SqlBuilder, values: &mut dyn Iterator<Item = crate::Value>| {
        for (n, v) in values.enumerate() {
            if n > 0 {
                b.push(", ");
            }
            b.bind(v);
        }
    };
    let mut org_ids: Vec<i64> = hits.iter().map(|h| h.org_id).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let mut urusan: Vec<&str> = hits.iter().map(|h| h.urusan_code.as_str()).collect();
    urusan.sort_unstable();
    urusan.dedup();
    let mut b =
        SqlBuilder::new("SELECT (SELECT MAX(id) FROM innovation_reviews) AS generation, (SELECT ");
    b.push(agg).push("id").push(end).push(from_published);
    b.push(" WHERE status = 'terverifikasi' AND id IN (");
    list(&mut b, &mut hits.iter().map(|h| h.id.into()));
    b.push(")) AS published, (SELECT ").push(agg).push(array);
    b.push("o.id, o.code, o.name, o.region_code, r.name)")
        .push(end);
    b.push(" FROM org_nodes o JOIN org_nodes r ON r.code = o.region_code WHERE o.id IN (");
    list(&mut b, &mut org_ids.iter().map(|id| (*id).into()));
    b.push(")) AS orgs, (SELECT ")
        .push(agg)
        .push(array)
        .push("code, name)")
        .push(end);
    b.push(" FROM urusan WHERE code IN (");
    list(&mut b, &mut urusan.iter().map(|c| (*c).to_owned().into()));
    b.push(")) AS urusan");
    let (trail, published, orgs, urusan): (Option<i64>, String, String, String) =
        ex.fetch_one(b.build()).await?;
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("catalogue cards: {e}"));
    let published: std::collections::HashSet<i64> =
        serde_json::from_str(&published).map_err(corrupt)?;
    let orgs: std::collections::HashMap<i64, (String, String, String, String)> =
        serde_json::from_str::<Vec<(i64, String, String, String, String)>>(&orgs)
            .map_err(corrupt)?
            .into_iter()
            .map(|(id, code, name, region, region_name)| (id, (code, name, region, region_name)))
            .collect();
    let urusan: std::collections::HashMap<String, String> =
        serde_json::from_str::<Vec<(String, String)>>(&urusan)
            .map_err(corrupt)?
            .into_iter()
            .collect();
    let cards = hits
        .into_iter()
        .filter(|h| published.contains(&h.id))
        .filter_map(|h| {
            // An organisation node or urusan the index names but the
            // database no longer has: the index lags; leave the card out.
            let (org_code, org_name, region_code, region_name) = orgs.get(&h.org_id)?.clone();
            let urusan_name = urusan.get(&h.urusan_code)?.clone();
            Some(Card {
                id: h.id,
                name: h.name,
                bentuk: h.bentuk,
                jenis: h.jenis,
                tahapan: h.tahapan,
                urusan_code: h.urusan_code,
                urusan_name,
                org_code,
                org_name,
                region_code,
                region_name,
                beneficiaries: h.beneficiaries,
                published_at: h.published_at,
                summary: h.summary,
            })
        })
        .collect();
    Ok((cards, trail.unwrap_or(0)))
}

/// The latest change of any innovation (a full scan; for rebuilds only).
pub async fn max_updated_at(ex: &mut impl Exec) -> Result<Option<i64>, StoreError> {
    let (n,): (Option<i64>,) = ex
        .fetch_one(crate::q!("SELECT MAX(updated_at) FROM innovations"))
        .await?;
    Ok(n)
}
