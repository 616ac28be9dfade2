//! Raw responses for exports, a page at a time by id (keyset pagination),
//! so an export of a million rows never holds more than one page.

use crate::{Exec, StoreError, q};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub submitted_at: i64,
    pub service: String,
    pub service_date: Option<String>,
    pub age_band: Option<String>,
    pub gender: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub u1: i64,
    pub u2: i64,
    pub u3: i64,
    pub u4: i64,
    pub u5: i64,
    pub u6: i64,
    pub u7: i64,
    pub u8: i64,
    pub u9: i64,
}

/// Up to `limit` responses of a unit with id greater than `after`, in id
/// order, within months `from..=to`. The caller has checked that it manages
/// the unit.
pub async fn page(
    ex: &mut impl Exec,
    unit_id: i64,
    from: i64,
    to: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<ExportRow>, StoreError> {
    ex.fetch_all(q!(
        "SELECT r.id, r.submitted_at, s.name AS service, r.service_date, r.age_band, r.gender,
             r.education, r.occupation,
             CAST(r.u1 AS BIGINT) AS u1, CAST(r.u2 AS BIGINT) AS u2, CAST(r.u3 AS BIGINT) AS u3,
             CAST(r.u4 AS BIGINT) AS u4, CAST(r.u5 AS BIGINT) AS u5, CAST(r.u6 AS BIGINT) AS u6,
             CAST(r.u7 AS BIGINT) AS u7, CAST(r.u8 AS BIGINT) AS u8, CAST(r.u9 AS BIGINT) AS u9
         FROM skm_responses r JOIN skm_services s ON s.id = r.service_id
         WHERE r.unit_id = $1 AND r.month BETWEEN $2 AND $3 AND r.id > $4
         ORDER BY r.id LIMIT $5",
        unit_id,
        from,
        to,
        after,
        limit
    ))
    .await
}
