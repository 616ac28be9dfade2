//! The public catalogue: published innovations only, filtered by facets,
//! with the count of each facet value under the current filters. Every
//! query here starts from `status = 'terverifikasi'`, so drafts, reviews
//! and rejected entries cannot leak through a list, a count or a facet.

use serde::{Deserialize, Serialize};

use crate::{Exec, SqlBuilder, StoreError};

/// Filters of the catalogue; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// A region code (`35.15`); the province code means all.
    pub region: Option<String>,
    pub bentuk: Option<String>,
    pub jenis: Option<String>,
    pub tahapan: Option<String>,
    pub urusan: Option<String>,
    pub sdg: Option<i64>,
    /// Year of first publication.
    pub year: Option<i64>,
    /// Words that must all appear in the name or the texts (a plain
    /// substring match until the search index serves queries).
    pub words: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Latest published first.
    #[default]
    Newest,
    Name,
    /// Most beneficiaries first.
    Beneficiaries,
}

impl Sort {
    pub fn code(self) -> &'static str {
        match self {
            Self::Newest => "terbaru",
            Self::Name => "nama",
            Self::Beneficiaries => "penerima",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Newest, Self::Name, Self::Beneficiaries]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// A catalogue card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Card {
    pub id: i64,
    pub name: String,
    pub bentuk: String,
    pub jenis: String,
    pub tahapan: String,
    pub urusan_code: String,
    pub urusan_name: String,
    pub org_code: String,
    pub org_name: String,
    pub region_code: String,
    pub region_name: String,
    pub beneficiaries: Option<i64>,
    pub published_at: Option<i64>,
    /// The first [`SUMMARY_CHARS`] characters of the problem statement.
    pub summary: String,
}

/// The length of a card's summary, in characters.
pub const SUMMARY_CHARS: usize = 300;

const FROM: &str = " FROM innovations i
    JOIN org_nodes o ON o.id = i.org_id
    JOIN org_nodes r ON r.code = o.region_code
    JOIN urusan u ON u.code = i.urusan_code
    WHERE i.status = 'terverifikasi'";

fn where_filter(b: &mut SqlBuilder, f: &Filter, skip: Option<&str>) {
    if let Some(region) = f
        .region
        .as_deref()
        .filter(|r| *r != "35" && skip != Some("region"))
    {
        b.push(" AND o.region_code = ").bind(region);
    }
    for (name, col, value) in [
        ("bentuk", " AND i.bentuk = ", &f.bentuk),
        ("jenis", " AND i.jenis = ", &f.jenis),
        ("tahapan", " AND i.tahapan = ", &f.tahapan),
        ("urusan", " AND i.urusan_code = ", &f.urusan),
    ] {
        if let Some(v) = value.as_deref().filter(|_| skip != Some(name)) {
            b.push(col).bind(v);
        }
    }
    if let Some(sdg) = f.sdg.filter(|_| skip != Some("sdg")) {
        b.push(" AND EXISTS (SELECT 1 FROM innovation_sdgs s WHERE s.innovation_id = i.id AND s.sdg = ")
            .bind(sdg)
            .push(")");
    }
    if let Some(year) = f.year.filter(|_| skip != Some("year")) {
        let (from, to) = year_bounds(year);
        b.push(" AND i.published_at >= ")
            .bind(from)
            .push(" AND i.published_at < ")
            .bind(to);
    }
    for w in &f.words {
        let pattern = format!("%{}%", crate::orgs::escape_like(&w.to_lowercase()));
        b.push(" AND (lower(i.name) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR lower(i.problem) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR lower(i.design) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

/// Epoch milliseconds of 1 January of `year` and of the next year, WIB.
fn year_bounds(year: i64) -> (i64, i64) {
    let start = |y: i64| {
        let date = time::Date::from_calendar_date(
            i32::try_from(y).unwrap_or(1970),
            time::Month::January,
            1,
        )
        .unwrap_or(time::Date::MIN);
        (date.midnight().assume_utc().unix_timestamp() - 7 * 3600) * 1000
    };
    (start(year), start(year + 1))
}

/// One page of cards and the total under the filter.
pub async fn search(
    ex: &mut impl Exec,
    f: &Filter,
    sort: Sort,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Card>, i64), StoreError> {
    let mut count = SqlBuilder::new("SELECT COUNT(*)");
    count.push(FROM);
    where_filter(&mut count, f, None);
    let (total,): (i64,) = ex.fetch_one(count.build()).await?;
    let mut b = SqlBuilder::new(
        "SELECT i.id, i.name, i.bentuk, i.jenis, i.tahapan, i.urusan_code, u.name AS urusan_name,
            o.code AS org_code, o.name AS org_name, o.region_code, r.name AS region_name,
            i.beneficiaries, i.published_at, SUBSTR(i.problem, 1, 300) AS summary",
    );
    // 300: SUMMARY_CHARS (a literal, as PostgreSQL's SUBSTR takes no BIGINT
    // parameter); the search test compares the two cuts.
    b.push(FROM);
    where_filter(&mut b, f, None);
    b.push(match sort {
        Sort::Newest => " ORDER BY i.published_at DESC, i.id DESC",
        Sort::Name => " ORDER BY lower(i.name), i.id",
        Sort::Beneficiaries => " ORDER BY COALESCE(i.beneficiaries, -1) DESC, i.id DESC",
    });
    b.push(" LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    Ok((ex.fetch_all(b.build()).await?, total))
}

/// Counts per value of every facet. Each facet is counted under all the
/// other filters but not its own, so a user sees what choosing another
/// value would give.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    pub region: Vec<(String, i64)>,
    pub bentuk: Vec<(String, i64)>,
    pub jenis: Vec<(String, i64)>,
    pub tahapan: Vec<(String, i64)>,
    pub urusan: Vec<(String, i64)>,
    pub sdg: Vec<(String, i64)>,
    pub year: Vec<(String, i64)>,
}

pub async fn facets(ex: &mut impl Exec, f: &Filter) -> Result<Facets, StoreError> {
    async fn count(
        ex: &mut impl Exec,
        f: &Filter,
        facet: &str,
        key: &'static str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut b = SqlBuilder::new("SELECT ");
        b.push(key).push(" AS k, COUNT(*)").push(FROM);
        where_filter(&mut b, f, Some(facet));
        b.push(" GROUP BY ")
            .push(key)
            .push(" ORDER BY COUNT(*) DESC, ")
            .push(key);
        ex.fetch_all(b.build()).await
    }
    let mut sdg = SqlBuilder::new("SELECT CAST(s.sdg AS TEXT) AS k, COUNT(*)");
    sdg.push(
        " FROM innovation_sdgs s JOIN innovations i ON i.id = s.innovation_id
          JOIN org_nodes o ON o.id = i.org_id
          WHERE i.status = 'terverifikasi'",
    );
    where_filter(&mut sdg, f, Some("sdg"));
    sdg.push(" GROUP BY s.sdg ORDER BY s.sdg");
    // Years are counted in Rust from the publication times (portable).
    let mut years = SqlBuilder::new("SELECT i.published_at");
    years.push(FROM);
    where_filter(&mut years, f, Some("year"));
    let stamps: Vec<(Option<i64>,)> = ex.fetch_all(years.build()).await?;
    let mut by_year = std::collections::BTreeMap::<i64, i64>::new();
    for at in stamps.into_iter().filter_map(|(at,)| at) {
        let y = rumah_domain::time::Timestamp(at + 7 * 3_600_000)
            .to_utc()
            .year();
        *by_year.entry(i64::from(y)).or_default() += 1;
    }
    Ok(Facets {
        region: count(ex, f, "region", "o.region_code").await?,
        bentuk: count(ex, f, "bentuk", "i.bentuk").await?,
        jenis: count(ex, f, "jenis", "i.jenis").await?,
        tahapan: count(ex, f, "tahapan", "i.tahapan").await?,
        urusan: count(ex, f, "urusan", "i.urusan_code").await?,
        sdg: ex.fetch_all(sdg.build()).await?,
        year: by_year
            .into_iter()
            .rev()
            .map(|(y, n)| (y.to_string(), n))
            .collect(),
    })
}

/// How many innovations are published (for the home page and dashboards).
pub async fn published_count(ex: &mut impl Exec) -> Result<i64, StoreError> {
    let mut b = SqlBuilder::new("SELECT COUNT(*)");
    b.push(FROM);
    let (n,): (i64,) = ex.fetch_one(b.build()).await?;
    Ok(n)
}
