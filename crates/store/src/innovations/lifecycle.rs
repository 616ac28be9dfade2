//! Institutionalisation, monitoring reports and the sustainability facts
//! they give, per innovation and province-wide (the "at risk" list).

use rumah_domain::authz::Scope;
use rumah_domain::innovations::{LegalKind, SustainabilityFacts, Tahapan};
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::{Exec, SqlBuilder, StoreError, Tx, q};

/// What has been done to make an innovation outlive its initiators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Institution {
    pub legal_kind: Option<LegalKind>,
    pub legal_number: Option<String>,
    pub legal_date: Option<time::Date>,
    pub budget_year: Option<i32>,
    pub budget_line: Option<String>,
    pub has_sop: bool,
    pub in_rkpd: bool,
    pub dedicated_staff: bool,
}

#[derive(sqlx::FromRow)]
struct InstitutionRow {
    legal_kind: Option<String>,
    legal_number: Option<String>,
    legal_date: Option<String>,
    budget_year: Option<i64>,
    budget_line: Option<String>,
    has_sop: bool,
    in_rkpd: bool,
    dedicated_staff: bool,
}

fn parse_date(s: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).ok()
}

pub async fn institution(ex: &mut impl Exec, id: i64) -> Result<Institution, StoreError> {
    let row: Option<InstitutionRow> = ex
        .fetch_optional(q!(
            "SELECT legal_kind, legal_number, legal_date, budget_year, budget_line, has_sop, in_rkpd, dedicated_staff
             FROM innovation_institution WHERE innovation_id = $1",
            id
        ))
        .await?;
    Ok(row.map_or_else(Institution::default, |r| Institution {
        legal_kind: r.legal_kind.as_deref().and_then(LegalKind::from_code),
        legal_number: r.legal_number,
        legal_date: r.legal_date.as_deref().and_then(parse_date),
        budget_year: r.budget_year.and_then(|y| i32::try_from(y).ok()),
        budget_line: r.budget_line,
        has_sop: r.has_sop,
        in_rkpd: r.in_rkpd,
        dedicated_staff: r.dedicated_staff,
    }))
}

/// Saves the institutionalisation of an innovation the caller manages (the
/// caller checked the scope) and touches the innovation, so derived views
/// see the change.
pub async fn save_institution(
    tx: &mut Tx,
    id: i64,
    i: &Institution,
    by: &str,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    tx.execute(q!(
        "INSERT INTO innovation_institution (innovation_id, legal_kind, legal_number, legal_date, budget_year,
             budget_line, has_sop, in_rkpd, dedicated_staff, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (innovation_id) DO UPDATE SET legal_kind = excluded.legal_kind,
             legal_number = excluded.legal_number, legal_date = excluded.legal_date,
             budget_year = excluded.budget_year, budget_line = excluded.budget_line,
             has_sop = excluded.has_sop, in_rkpd = excluded.in_rkpd,
             dedicated_staff = excluded.dedicated_staff, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by",
        id,
        i.legal_kind.map(LegalKind::code),
        i.legal_number.clone(),
        i.legal_date.map(|d| d.to_string()),
        i.budget_year.map(i64::from),
        i.budget_line.clone(),
        i.has_sop,
        i.in_rkpd,
        i.dedicated_staff,
        now,
        by
    ))
    .await?;
    Ok(())
}

/// One indicator of a monitoring report.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Indicator {
    pub name: String,
    pub unit: String,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub actual: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub id: i64,
    pub period_end: String,
    pub beneficiaries: Option<i64>,
    pub notes: String,
    pub author_label: String,
    pub indicators: Vec<Indicator>,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    period_end: String,
    beneficiaries: Option<i64>,
    notes: String,
    author_label: String,
}

/// Reports of an innovation, oldest period first (for charts over time).
pub async fn reports(ex: &mut impl Exec, id: i64) -> Result<Vec<Report>, StoreError> {
    let rows: Vec<ReportRow> = ex
        .fetch_all(q!(
            "SELECT id, period_end, beneficiaries, notes, author_label FROM monitoring_reports
             WHERE innovation_id = $1 ORDER BY period_end, id",
            id
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let indicators = ex
            .fetch_all(q!(
                "SELECT name, unit, baseline, target, actual FROM monitoring_indicators
                 WHERE report_id = $1 ORDER BY position",
                r.id
            ))
            .await?;
        out.push(Report {
            id: r.id,
            period_end: r.period_end,
            beneficiaries: r.beneficiaries,
            notes: r.notes,
            author_label: r.author_label,
            indicators,
        });
    }
    Ok(out)
}

pub struct NewReport<'a> {
    pub period_end: time::Date,
    pub beneficiaries: Option<i64>,
    pub notes: &'a str,
    pub indicators: &'a [Indicator],
}

pub async fn add_report(
    tx: &mut Tx,
    id: i64,
    r: &NewReport<'_>,
    by: &str,
) -> Result<i64, StoreError> {
    let now = Timestamp::now();
    let (report,): (i64,) = tx
        .fetch_one(q!(
            "INSERT INTO monitoring_reports (innovation_id, period_end, beneficiaries, notes, author_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            id,
            r.period_end.to_string(),
            r.beneficiaries,
            r.notes,
            by,
            now
        ))
        .await?;
    for (n, i) in r.indicators.iter().enumerate() {
        tx.execute(q!(
            "INSERT INTO monitoring_indicators (report_id, position, name, unit, baseline, target, actual)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            report,
            i64::try_from(n).unwrap_or(i64::MAX),
            i.name.as_str(),
            i.unit.as_str(),
            i.baseline,
            i.target,
            i.actual
        ))
        .await?;
    }
    Ok(report)
}

/// Sustainability facts of innovations: of one (`only`) or of every
/// published one inside `scope` (for the at-risk list).
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub region_name: String,
    pub facts: SustainabilityFacts,
}

#[derive(sqlx::FromRow)]
struct FactsRow {
    id: i64,
    name: String,
    org_name: String,
    region_name: String,
    tahapan: String,
    org_active: bool,
    legal_kind: Option<String>,
    budget_year: Option<i64>,
    has_sop: Option<bool>,
    in_rkpd: Option<bool>,
    dedicated_staff: Option<bool>,
    last_report: Option<String>,
}

const FACTS: &str = "SELECT i.id, i.name, o.name AS org_name, r.name AS region_name, i.tahapan, o.active AS org_active,
        n.legal_kind, n.budget_year, n.has_sop, n.in_rkpd, n.dedicated_staff,
        (SELECT MAX(m.period_end) FROM monitoring_reports m WHERE m.innovation_id = i.id) AS last_report
     FROM innovations i
     JOIN org_nodes o ON o.id = i.org_id
     JOIN org_nodes r ON r.code = o.region_code
     LEFT JOIN innovation_institution n ON n.innovation_id = i.id";

fn facts(row: FactsRow, year: i32) -> Subject {
    Subject {
        facts: SustainabilityFacts {
            legal_basis: row.legal_kind.as_deref().and_then(LegalKind::from_code),
            has_budget_this_year: row.budget_year.is_some_and(|y| y >= i64::from(year)),
            has_sop: row.has_sop.unwrap_or(false),
            in_rkpd: row.in_rkpd.unwrap_or(false),
            dedicated_staff: row.dedicated_staff.unwrap_or(false),
            last_monitoring_report: row.last_report.as_deref().and_then(parse_date),
            owner_unit_active: row.org_active,
            stage: Tahapan::from_code(&row.tahapan).unwrap_or(Tahapan::Inisiatif),
        },
        id: row.id,
        name: row.name,
        org_name: row.org_name,
        region_name: row.region_name,
    }
}

/// The facts of one innovation, with `year` as the current budget year.
pub async fn facts_of(
    ex: &mut impl Exec,
    id: i64,
    year: i32,
) -> Result<Option<Subject>, StoreError> {
    let mut b = SqlBuilder::new(FACTS);
    b.push(" WHERE i.id = ").bind(id);
    let row: Option<FactsRow> = ex.fetch_optional(b.build()).await?;
    Ok(row.map(|r| facts(r, year)))
}

/// The facts of every published innovation inside `scope`.
pub async fn published_facts(
    ex: &mut impl Exec,
    scope: &Scope,
    year: i32,
) -> Result<Vec<Subject>, StoreError> {
    let mut b = SqlBuilder::new(FACTS);
    b.push(" WHERE i.status = 'terverifikasi' AND ")
        .push_scope("o.code", scope)
        .push(" ORDER BY r.name, i.name");
    let rows: Vec<FactsRow> = ex.fetch_all(b.build()).await?;
    Ok(rows.into_iter().map(|r| facts(r, year)).collect())
}
