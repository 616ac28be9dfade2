//! Suggestions and complaints: each is a ticket for its unit with a status
//! (baru → diproses → ditanggapi → selesai) and the unit's answer. Text is
//! public only when the respondent agreed and the unit has answered.

use rumah_domain::time::Timestamp;

use crate::surveys::units::Unit;
use crate::{Exec, SqlBuilder, StoreError, q};

pub const STATUSES: [&str; 4] = ["baru", "diproses", "ditanggapi", "selesai"];

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Feedback {
    pub id: i64,
    pub unit_id: i64,
    pub service_name: Option<String>,
    pub kind: String,
    pub body: String,
    pub publish_consent: bool,
    pub status: String,
    pub response: Option<String>,
    pub responded_at: Option<i64>,
    pub created_at: i64,
}

const SELECT: &str =
    "SELECT f.id, f.unit_id, s.name AS service_name, f.kind, f.body, f.publish_consent,
        f.status, f.response, f.responded_at, f.created_at
     FROM skm_feedback f LEFT JOIN skm_services s ON s.id = f.service_id";

/// A unit's tickets, newest first, optionally in one status. The caller has
/// checked that it manages the unit.
pub async fn for_unit(
    ex: &mut impl Exec,
    unit: &Unit,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Feedback>, StoreError> {
    let mut b = SqlBuilder::new(SELECT);
    b.push(" WHERE f.unit_id = ").bind(unit.id);
    if let Some(st) = status {
        b.push(" AND f.status = ").bind(st);
    }
    b.push(" ORDER BY f.created_at DESC, f.id DESC LIMIT ")
        .bind(limit);
    ex.fetch_all(b.build()).await
}

/// Answered tickets whose respondent agreed to publication, newest first.
pub async fn published(
    ex: &mut impl Exec,
    unit_id: i64,
    limit: i64,
) -> Result<Vec<Feedback>, StoreError> {
    let mut b = SqlBuilder::new(SELECT);
    b.push(
        " WHERE f.unit_id = ",
    )
    .bind(unit_id)
    .push(" AND f.publish_consent = TRUE AND f.response IS NOT NULL AND f.status IN ('ditanggapi', 'selesai')")
    .push(" ORDER BY f.responded_at DESC, f.id DESC LIMIT ")
    .bind(limit);
    ex.fetch_all(b.build()).await
}

/// Tickets per status, in [`STATUSES`] order.
pub async fn counts(ex: &mut impl Exec, unit_id: i64) -> Result<[i64; 4], StoreError> {
    let rows: Vec<(String, i64)> = ex
        .fetch_all(q!(
            "SELECT status, COUNT(*) FROM skm_feedback WHERE unit_id = $1 GROUP BY status",
            unit_id
        ))
        .await?;
    let mut out = [0; 4];
    for (status, n) in rows {
        if let Some(i) = STATUSES.iter().position(|s| *s == status) {
            out[i] = n;
        }
    }
    Ok(out)
}

/// Sets a ticket's status and, if given, the unit's answer. The first answer
/// stamps `responded_at` (time to response is measured from it). A ticket of
/// another unit is "not found".
pub async fn update(
    ex: &mut impl Exec,
    unit: &Unit,
    id: i64,
    status: &str,
    response: Option<&str>,
    by: Option<i64>,
) -> Result<(), StoreError> {
    if !STATUSES.contains(&status) {
        return Err(StoreError::Constraint("status".into()));
    }
    let now = Timestamp::now();
    let n = ex
        .execute(q!(
            "UPDATE skm_feedback SET status = $1,
                 response = COALESCE($2, response),
                 responded_at = CASE WHEN $2 IS NOT NULL AND responded_at IS NULL THEN $3 ELSE responded_at END,
                 responded_by = CASE WHEN $2 IS NOT NULL THEN $4 ELSE responded_by END,
                 updated_at = $3
             WHERE id = $5 AND unit_id = $6",
            status,
            response,
            now,
            by,
            id,
            unit.id
        ))
        .await?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
