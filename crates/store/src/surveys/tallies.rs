//! Reads of the pre-aggregated tallies: what every results page, trend and
//! roll-up is computed from. A period is a range of months (YYYYMM), so a
//! year of one unit is at most twelve rows per service, whatever the number
//! of responses.

use rumah_domain::orgs::OrgCode;
use rumah_domain::surveys::skm::Tally;

use crate::{Exec, SqlBuilder, StoreError, q};

/// The sums of a group of tally rows.
const SUMS: &str = "CAST(SUM(t.respondents) AS BIGINT) AS respondents,
    CAST(SUM(t.s1) AS BIGINT) AS s1, CAST(SUM(t.s2) AS BIGINT) AS s2, CAST(SUM(t.s3) AS BIGINT) AS s3,
    CAST(SUM(t.s4) AS BIGINT) AS s4, CAST(SUM(t.s5) AS BIGINT) AS s5, CAST(SUM(t.s6) AS BIGINT) AS s6,
    CAST(SUM(t.s7) AS BIGINT) AS s7, CAST(SUM(t.s8) AS BIGINT) AS s8, CAST(SUM(t.s9) AS BIGINT) AS s9";

#[derive(sqlx::FromRow)]
struct Keyed {
    key: i64,
    respondents: i64,
    s1: i64,
    s2: i64,
    s3: i64,
    s4: i64,
    s5: i64,
    s6: i64,
    s7: i64,
    s8: i64,
    s9: i64,
}

impl Keyed {
    fn split(self) -> (i64, Tally) {
        (
            self.key,
            Tally {
                respondents: self.respondents,
                sums: [
                    self.s1, self.s2, self.s3, self.s4, self.s5, self.s6, self.s7, self.s8, self.s9,
                ],
            },
        )
    }
}

fn keyed(rows: Vec<Keyed>) -> Vec<(i64, Tally)> {
    rows.into_iter().map(Keyed::split).collect()
}

/// A unit's tally per service over months `from..=to` (YYYYMM).
pub async fn by_service(
    ex: &mut impl Exec,
    unit_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, Tally)>, StoreError> {
    let mut b = SqlBuilder::new("SELECT t.service_id AS key, ");
    b.push(SUMS)
        .push(" FROM skm_tallies t WHERE t.unit_id = ")
        .bind(unit_id)
        .push(" AND t.month BETWEEN ")
        .bind(from)
        .push(" AND ")
        .bind(to)
        .push(" GROUP BY t.service_id");
    Ok(keyed(ex.fetch_all(b.build()).await?))
}

/// A unit's tally per month over `from..=to`, optionally for one service.
pub async fn by_month(
    ex: &mut impl Exec,
    unit_id: i64,
    service_id: Option<i64>,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, Tally)>, StoreError> {
    let mut b = SqlBuilder::new("SELECT t.month AS key, ");
    b.push(SUMS)
        .push(" FROM skm_tallies t WHERE t.unit_id = ")
        .bind(unit_id)
        .push(" AND t.month BETWEEN ")
        .bind(from)
        .push(" AND ")
        .bind(to);
    if let Some(s) = service_id {
        b.push(" AND t.service_id = ").bind(s);
    }
    b.push(" GROUP BY t.month ORDER BY t.month");
    Ok(keyed(ex.fetch_all(b.build()).await?))
}

/// A unit's tally in a roll-up, with where it sits in the org tree.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitTally {
    pub unit_id: i64,
    pub slug: String,
    pub name: String,
    pub org_code: String,
    pub region_code: String,
    pub tally: Tally,
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    unit_id: i64,
    slug: String,
    name: String,
    org_code: String,
    region_code: String,
    respondents: Option<i64>,
    s1: Option<i64>,
    s2: Option<i64>,
    s3: Option<i64>,
    s4: Option<i64>,
    s5: Option<i64>,
    s6: Option<i64>,
    s7: Option<i64>,
    s8: Option<i64>,
    s9: Option<i64>,
}

/// Every unit in the subtree of `root` with its tally over `from..=to`
/// (units without responses in the period have an empty tally), by org code.
pub async fn units_in_subtree(
    ex: &mut impl Exec,
    root: &OrgCode,
    from: i64,
    to: i64,
) -> Result<Vec<UnitTally>, StoreError> {
    let mut b = SqlBuilder::new(
        "SELECT u.id AS unit_id, u.slug, u.name, o.code AS org_code, o.region_code, ",
    );
    b.push(SUMS)
        .push(
            " FROM skm_units u JOIN org_nodes o ON o.id = u.org_id
              LEFT JOIN skm_tallies t ON t.unit_id = u.id AND t.month BETWEEN ",
        )
        .bind(from)
        .push(" AND ")
        .bind(to)
        .push(" WHERE ")
        .push_subtree("o.code", root)
        .push(" GROUP BY u.id, u.slug, u.name, o.code, o.region_code ORDER BY o.code, u.name");
    let rows: Vec<UnitRow> = ex.fetch_all(b.build()).await?;
    Ok(rows
        .into_iter()
        .map(|r| UnitTally {
            unit_id: r.unit_id,
            slug: r.slug,
            name: r.name,
            org_code: r.org_code,
            region_code: r.region_code,
            tally: Tally {
                respondents: r.respondents.unwrap_or(0),
                sums: [r.s1, r.s2, r.s3, r.s4, r.s5, r.s6, r.s7, r.s8, r.s9]
                    .map(|s| s.unwrap_or(0)),
            },
        })
        .collect())
}

/// Rebuilds every tally from the raw responses (derived data: run after a
/// restore or a manual repair). Returns the number of tally rows.
pub async fn rebuild(ex: &mut impl Exec) -> Result<u64, StoreError> {
    ex.execute(q!("DELETE FROM skm_tallies")).await?;
    ex.execute(q!(
        "INSERT INTO skm_tallies (unit_id, service_id, month, respondents, s1, s2, s3, s4, s5, s6, s7, s8, s9)
         SELECT unit_id, service_id, month, COUNT(*),
             CAST(SUM(u1) AS BIGINT), CAST(SUM(u2) AS BIGINT), CAST(SUM(u3) AS BIGINT),
             CAST(SUM(u4) AS BIGINT), CAST(SUM(u5) AS BIGINT), CAST(SUM(u6) AS BIGINT),
             CAST(SUM(u7) AS BIGINT), CAST(SUM(u8) AS BIGINT), CAST(SUM(u9) AS BIGINT)
         FROM skm_responses GROUP BY unit_id, service_id, month"
    ))
    .await
}
