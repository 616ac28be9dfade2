//! Service units (unit layanan), the services they offer, the yearly volume
//! of each service and the questionnaire elements they ask.

use rumah_domain::authz::{Permission, Scope};
use rumah_domain::orgs::OrgCode;
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::{Exec, SqlBuilder, StoreError, orgs, q};

/// A unit that runs SKM, with the org node it hangs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Unit {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub element_version: String,
    pub open: bool,
    pub org_code: String,
    pub org_name: String,
    pub region_code: String,
}

const UNIT_SELECT: &str = "SELECT u.id, u.slug, u.name, u.element_version, u.open,
        o.code AS org_code, o.name AS org_name, o.region_code
     FROM skm_units u JOIN org_nodes o ON o.id = u.org_id";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Service {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub active: bool,
}

/// One questionnaire element with its four answer labels (score 1 to 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Element {
    pub position: i64,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub question_id: String,
    pub question_en: String,
    pub label1_id: String,
    pub label2_id: String,
    pub label3_id: String,
    pub label4_id: String,
    pub label1_en: String,
    pub label2_en: String,
    pub label3_en: String,
    pub label4_en: String,
}

impl Element {
    /// The label of `score` (1–4) in Indonesian or English.
    pub fn label(&self, score: u8, english: bool) -> &str {
        match (score, english) {
            (1, false) => &self.label1_id,
            (2, false) => &self.label2_id,
            (3, false) => &self.label3_id,
            (4, false) => &self.label4_id,
            (1, true) => &self.label1_en,
            (2, true) => &self.label2_en,
            (3, true) => &self.label3_en,
            (_, true) => &self.label4_en,
            (_, false) => &self.label4_id,
        }
    }

    pub fn name(&self, english: bool) -> &str {
        if english {
            &self.name_en
        } else {
            &self.name_id
        }
    }

    pub fn question(&self, english: bool) -> &str {
        if english {
            &self.question_en
        } else {
            &self.question_id
        }
    }
}

/// The elements of a questionnaire version, in order (U1 first).
pub async fn elements(ex: &mut impl Exec, version: &str) -> Result<Vec<Element>, StoreError> {
    ex.fetch_all(q!(
        "SELECT position, code, name_id, name_en, question_id, question_en,
                label1_id, label2_id, label3_id, label4_id,
                label1_en, label2_en, label3_en, label4_en
         FROM skm_elements WHERE version = $1 ORDER BY position",
        version
    ))
    .await
}

/// A unit by its public slug (the public form and results need no scope).
pub async fn by_slug(ex: &mut impl Exec, slug: &str) -> Result<Option<Unit>, StoreError> {
    let mut b = SqlBuilder::new(UNIT_SELECT);
    b.push(" WHERE u.slug = ").bind(slug);
    ex.fetch_optional(b.build()).await
}

/// A unit by id if it lies inside `scope`; otherwise `None`, exactly as if it
/// did not exist.
pub async fn in_scope(
    ex: &mut impl Exec,
    scope: &Scope,
    id: i64,
) -> Result<Option<Unit>, StoreError> {
    debug_assert_eq!(scope.permission(), Permission::ManageSurveys);
    let mut b = SqlBuilder::new(UNIT_SELECT);
    b.push(" WHERE u.id = ")
        .bind(id)
        .push(" AND ")
        .push_scope("o.code", scope);
    ex.fetch_optional(b.build()).await
}

/// Every unit inside `scope`, by org code and name.
pub async fn list_in_scope(ex: &mut impl Exec, scope: &Scope) -> Result<Vec<Unit>, StoreError> {
    let mut b = SqlBuilder::new(UNIT_SELECT);
    b.push(" WHERE ")
        .push_scope("o.code", scope)
        .push(" ORDER BY o.code, u.name");
    ex.fetch_all(b.build()).await
}

/// Every unit in the subtree of `root` (public: which units run SKM is not
/// secret), by org code and name.
pub async fn list_public(ex: &mut impl Exec, root: &OrgCode) -> Result<Vec<Unit>, StoreError> {
    let mut b = SqlBuilder::new(UNIT_SELECT);
    b.push(" WHERE ")
        .push_subtree("o.code", root)
        .push(" ORDER BY o.code, u.name");
    ex.fetch_all(b.build()).await
}

pub async fn services(ex: &mut impl Exec, unit_id: i64) -> Result<Vec<Service>, StoreError> {
    ex.fetch_all(q!(
        "SELECT id, unit_id, name, active FROM skm_services WHERE unit_id = $1 ORDER BY name",
        unit_id
    ))
    .await
}

/// Why a unit or service could not be created.
#[derive(Debug, thiserror::Error)]
pub enum UnitError {
    /// The org node does not exist or lies outside the caller's scope.
    #[error("org node not found")]
    OrgNotFound,
    #[error("the slug must be 3–60 lowercase letters, digits or hyphens")]
    Slug,
    #[error("the slug is taken")]
    SlugTaken,
    #[error("the name is empty or longer than 200 characters")]
    Name,
    #[error("a service of this unit already has that name")]
    ServiceTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `slug` may be used in a public link: 3–60 of `a-z 0-9 -`, not
/// starting or ending with a hyphen.
pub fn valid_slug(slug: &str) -> bool {
    (3..=60).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

fn clean_name(name: &str) -> Result<&str, UnitError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        Err(UnitError::Name)
    } else {
        Ok(name)
    }
}

pub struct NewUnit<'a> {
    pub org: &'a OrgCode,
    pub slug: &'a str,
    pub name: &'a str,
}

/// Creates a unit on an org node inside `scope`.
pub async fn create(
    ex: &mut impl Exec,
    scope: &Scope,
    new: NewUnit<'_>,
) -> Result<Unit, UnitError> {
    debug_assert_eq!(scope.permission(), Permission::ManageSurveys);
    if !scope.contains(new.org) {
        return Err(UnitError::OrgNotFound);
    }
    let org = orgs::by_code(ex, new.org)
        .await?
        .ok_or(UnitError::OrgNotFound)?;
    if !valid_slug(new.slug) {
        return Err(UnitError::Slug);
    }
    let name = clean_name(new.name)?;
    let now = Timestamp::now();
    let inserted = ex
        .fetch_one::<(i64,)>(q!(
            "INSERT INTO skm_units (org_id, slug, name, element_version, open, created_at, updated_at)
             VALUES ($1, $2, $3, '2017', TRUE, $4, $4) RETURNING id",
            org.id.0,
            new.slug,
            name,
            now
        ))
        .await;
    let (id,) = match inserted {
        Ok(row) => row,
        Err(e) if e.is_unique_on("slug") => return Err(UnitError::SlugTaken),
        Err(e) => return Err(e.into()),
    };
    in_scope(ex, scope, id)
        .await?
        .ok_or(UnitError::Store(StoreError::NotFound))
}

/// Adds a service to a unit the caller manages (checked by the caller with
/// [`in_scope`]).
pub async fn add_service(
    ex: &mut impl Exec,
    unit: &Unit,
    name: &str,
) -> Result<Service, UnitError> {
    let name = clean_name(name)?;
    let row = ex
        .fetch_one(q!(
            "INSERT INTO skm_services (unit_id, name, active, created_at) VALUES ($1, $2, TRUE, $3)
             RETURNING id, unit_id, name, active",
            unit.id,
            name,
            Timestamp::now()
        ))
        .await;
    match row {
        Ok(s) => Ok(s),
        Err(StoreError::Unique(_)) => Err(UnitError::ServiceTaken),
        Err(e) => Err(e.into()),
    }
}

/// Opens or closes a unit's form.
pub async fn set_open(ex: &mut impl Exec, unit: &Unit, open: bool) -> Result<(), StoreError> {
    ex.execute(q!(
        "UPDATE skm_units SET open = $1, updated_at = $2 WHERE id = $3",
        open,
        Timestamp::now(),
        unit.id
    ))
    .await?;
    Ok(())
}

/// Records how many people a service served in a year (the population for
/// the sample size).
pub async fn set_volume(
    ex: &mut impl Exec,
    service: &Service,
    year: i64,
    served: i64,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO skm_service_volumes (service_id, year, served) VALUES ($1, $2, $3)
         ON CONFLICT (service_id, year) DO UPDATE SET served = excluded.served",
        service.id,
        year,
        served
    ))
    .await?;
    Ok(())
}

/// People served by the unit's services in `year` (the population), or
/// `None` when no volume was recorded.
pub async fn population(
    ex: &mut impl Exec,
    unit_id: i64,
    year: i64,
) -> Result<Option<i64>, StoreError> {
    let (total, n): (Option<i64>, i64) = ex
        .fetch_one(q!(
            "SELECT CAST(SUM(v.served) AS BIGINT), COUNT(*) FROM skm_service_volumes v
             JOIN skm_services s ON s.id = v.service_id
             WHERE s.unit_id = $1 AND v.year = $2",
            unit_id,
            year
        ))
        .await?;
    Ok(if n == 0 { None } else { total })
}

/// The unit's own analysis and follow-up plan for a year's report.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportText {
    pub analysis: String,
    pub follow_up: String,
}

pub async fn report_text(
    ex: &mut impl Exec,
    unit_id: i64,
    year: i64,
) -> Result<ReportText, StoreError> {
    Ok(ex
        .fetch_optional(q!(
            "SELECT analysis, follow_up FROM skm_reports WHERE unit_id = $1 AND year = $2",
            unit_id,
            year
        ))
        .await?
        .unwrap_or_default())
}

pub async fn save_report_text(
    ex: &mut impl Exec,
    unit: &Unit,
    year: i64,
    text: &ReportText,
    by: i64,
) -> Result<(), StoreError> {
    ex.execute(q!(
        "INSERT INTO skm_reports (unit_id, year, analysis, follow_up, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (unit_id, year) DO UPDATE SET analysis = excluded.analysis,
             follow_up = excluded.follow_up, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by",
        unit.id,
        year,
        text.analysis.as_str(),
        text.follow_up.as_str(),
        Timestamp::now(),
        by
    ))
    .await?;
    Ok(())
}
