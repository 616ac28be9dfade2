//! IID self-assessment: the rules of each assessment year (weights, level
//! descriptions, region formula, predikat thresholds: data edited by the
//! province administrator), each innovation's chosen levels and evidence
//! (SID), each region's chosen levels and evidence (SPD), and a region's
//! summary.
//!
//! Callers check permissions first: assessment functions take an
//! innovation id the caller already found in its scope, and the region
//! functions a region the caller may read (or, to save, manage).

use std::collections::BTreeMap;

use rumah_domain::innovations::iid::{Aspect, IidLevel, Indicator, Levels, Thresholds, YearRules};
use rumah_domain::time::Timestamp;

use crate::{Exec, StoreError, Tx, q};

#[derive(sqlx::FromRow)]
struct YearRow {
    year: i64,
    divisor_floor: i64,
    points_per_innovation: f64,
    cap: i64,
    min_yandas: i64,
    sangat_inovatif: f64,
    inovatif: f64,
    kurang_inovatif: f64,
}

#[derive(sqlx::FromRow)]
struct IndicatorRow {
    number: i64,
    aspect: String,
    variable: String,
    name: String,
    weight: f64,
    mandatory: bool,
    level1: String,
    level2: String,
    level3: String,
}

/// Assessment years with rules, newest first.
pub async fn years(ex: &mut impl Exec) -> Result<Vec<i32>, StoreError> {
    let rows: Vec<(i64,)> = ex
        .fetch_all(q!("SELECT year FROM iid_years ORDER BY year DESC"))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(y,)| i32::try_from(y).ok())
        .collect())
}

/// The rules of `year`, or `None` when the year has none.
pub async fn rules(ex: &mut impl Exec, year: i32) -> Result<Option<YearRules>, StoreError> {
    let row: Option<YearRow> = ex
        .fetch_optional(q!(
            "SELECT year, divisor_floor, points_per_innovation, cap, min_yandas, sangat_inovatif, inovatif,
                 kurang_inovatif
             FROM iid_years WHERE year = $1",
            i64::from(year)
        ))
        .await?;
    let Some(y) = row else {
        return Ok(None);
    };
    let rows: Vec<IndicatorRow> = ex
        .fetch_all(q!(
            "SELECT number, aspect, variable, name, weight, mandatory, level1, level2, level3
             FROM iid_indicators WHERE year = $1 ORDER BY number",
            i64::from(year)
        ))
        .await?;
    let (mut spd, mut sid) = (Vec::new(), Vec::new());
    for r in rows {
        let aspect = Aspect::parse(&r.aspect).ok_or_else(|| {
            StoreError::Corrupt(format!("iid indicator {} aspect {}", r.number, r.aspect))
        })?;
        let i = Indicator {
            number: r.number,
            name: r.name,
            variable: r.variable,
            weight: r.weight,
            mandatory: r.mandatory,
            levels: [r.level1, r.level2, r.level3],
        };
        match aspect {
            Aspect::Spd => spd.push(i),
            Aspect::Sid => sid.push(i),
        }
    }
    Ok(Some(YearRules {
        year: i32::try_from(y.year)
            .map_err(|_| StoreError::Corrupt(format!("iid year {}", y.year)))?,
        divisor_floor: y.divisor_floor,
        points_per_innovation: y.points_per_innovation,
        cap: y.cap,
        min_yandas: y.min_yandas,
        thresholds: Thresholds {
            sangat_inovatif: y.sangat_inovatif,
            inovatif: y.inovatif,
            kurang_inovatif: y.kurang_inovatif,
        },
        indicators: sid,
        spd_indicators: spd,
    }))
}

/// Stores the rules of an existing year (the caller checked them with
/// [`YearRules::check`]). Indicators (SPD and SID) are matched by number;
/// the year's set of indicators, their aspects and variables do not change
/// here.
pub async fn save_rules(tx: &mut Tx, r: &YearRules, by: &str) -> Result<(), StoreError> {
    let year = i64::from(r.year);
    tx.execute(q!(
        "UPDATE iid_years SET divisor_floor = $2, points_per_innovation = $3, cap = $4,
             sangat_inovatif = $5, inovatif = $6, kurang_inovatif = $7, updated_at = $8, updated_by = $9,
             min_yandas = $10
         WHERE year = $1",
        year,
        r.divisor_floor,
        r.points_per_innovation,
        r.cap,
        r.thresholds.sangat_inovatif,
        r.thresholds.inovatif,
        r.thresholds.kurang_inovatif,
        Timestamp::now(),
        by,
        r.min_yandas
    ))
    .await?;
    for i in r.spd_indicators.iter().chain(&r.indicators) {
        tx.execute(q!(
            "UPDATE iid_indicators SET name = $3, weight = $4, mandatory = $5,
                 level1 = $6, level2 = $7, level3 = $8
             WHERE year = $1 AND number = $2",
            year,
            i.number,
            i.name.trim(),
            i.weight,
            i.mandatory,
            i.levels[0].trim(),
            i.levels[1].trim(),
            i.levels[2].trim()
        ))
        .await?;
    }
    Ok(())
}

/// Why a year could not be copied.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the source year has no rules")]
    NoSource,
    #[error("the target year already has rules")]
    Exists,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies the rules of `from`, SPD and SID indicators alike, to the new
/// year `to` (assessments are not copied: each year is filled in anew).
pub async fn copy_year(tx: &mut Tx, from: i32, to: i32, by: &str) -> Result<(), CopyError> {
    if rules(tx, from).await?.is_none() {
        return Err(CopyError::NoSource);
    }
    if rules(tx, to).await?.is_some() {
        return Err(CopyError::Exists);
    }
    let (from, to) = (i64::from(from), i64::from(to));
    tx.execute(q!(
        "INSERT INTO iid_years (year, divisor_floor, points_per_innovation, cap, min_yandas, sangat_inovatif,
             inovatif, kurang_inovatif, updated_at, updated_by)
         SELECT $2, divisor_floor, points_per_innovation, cap, min_yandas, sangat_inovatif, inovatif,
             kurang_inovatif, $3, $4
         FROM iid_years WHERE year = $1",
        from,
        to,
        Timestamp::now(),
        by
    ))
    .await?;
    tx.execute(q!(
        "INSERT INTO iid_indicators (year, number, aspect, variable, name, weight, mandatory, level1, level2, level3)
         SELECT $2, number, aspect, variable, name, weight, mandatory, level1, level2, level3
         FROM iid_indicators WHERE year = $1",
        from,
        to
    ))
    .await?;
    Ok(())
}

/// One indicator of an innovation's or a region's assessment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    pub level: IidLevel,
    pub evidence: String,
}

#[derive(sqlx::FromRow)]
struct AnswerRow {
    innovation_id: i64,
    number: i64,
    level: i64,
    evidence: String,
}

fn answer(r: &AnswerRow) -> Result<Answer, StoreError> {
    checked_answer(r.level, &r.evidence, || {
        format!("innovation {}", r.innovation_id)
    })
}

fn checked_answer(
    level: i64,
    evidence: &str,
    whose: impl FnOnce() -> String,
) -> Result<Answer, StoreError> {
    let checked = u8::try_from(level)
        .ok()
        .and_then(IidLevel::new)
        .ok_or_else(|| StoreError::Corrupt(format!("iid level {level} of {}", whose())))?;
    Ok(Answer {
        level: checked,
        evidence: evidence.to_owned(),
    })
}

/// The answers of an innovation (the caller checked its scope) for `year`,
/// by indicator number.
pub async fn assessment(
    ex: &mut impl Exec,
    innovation_id: i64,
    year: i32,
) -> Result<BTreeMap<i64, Answer>, StoreError> {
    let rows: Vec<AnswerRow> = ex
        .fetch_all(q!(
            "SELECT innovation_id, number, level, evidence FROM iid_assessments
             WHERE innovation_id = $1 AND year = $2 ORDER BY number",
            innovation_id,
            i64::from(year)
        ))
        .await?;
    rows.iter().map(|r| Ok((r.number, answer(r)?))).collect()
}

/// Stores the answers of an innovation (the caller checked its scope, the
/// year's rules and every level and number).
pub async fn save_assessment(
    tx: &mut Tx,
    innovation_id: i64,
    year: i32,
    answers: &BTreeMap<i64, Answer>,
    by: &str,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    for (number, a) in answers {
        tx.execute(q!(
            "INSERT INTO iid_assessments (innovation_id, year, number, level, evidence, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (innovation_id, year, number) DO UPDATE SET level = excluded.level,
                 evidence = excluded.evidence, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            innovation_id,
            i64::from(year),
            *number,
            i64::from(a.level.get()),
            a.evidence.as_str(),
            now,
            by
        ))
        .await?;
    }
    Ok(())
}

/// A published innovation of a region with its answers for a year.
#[derive(Debug, Clone)]
pub struct RegionInnovation {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub answers: BTreeMap<i64, Answer>,
}

impl RegionInnovation {
    pub fn levels(&self) -> Levels {
        self.answers.iter().map(|(n, a)| (*n, a.level)).collect()
    }
}

#[derive(sqlx::FromRow)]
struct Published {
    id: i64,
    name: String,
    org_name: String,
}

/// Every published innovation of the region `region_code` (the caller
/// checked it may read the region), by name, with its answers for `year`.
pub async fn region_innovations(
    ex: &mut impl Exec,
    region_code: &str,
    year: i32,
) -> Result<Vec<RegionInnovation>, StoreError> {
    let rows: Vec<Published> = ex
        .fetch_all(q!(
            "SELECT i.id, i.name, o.name AS org_name FROM innovations i JOIN org_nodes o ON o.id = i.org_id
             WHERE o.region_code = $1 AND i.status = 'terverifikasi' ORDER BY i.name, i.id",
            region_code
        ))
        .await?;
    let answers: Vec<AnswerRow> = ex
        .fetch_all(q!(
            "SELECT a.innovation_id, a.number, a.level, a.evidence FROM iid_assessments a
             JOIN innovations i ON i.id = a.innovation_id JOIN org_nodes o ON o.id = i.org_id
             WHERE o.region_code = $1 AND i.status = 'terverifikasi' AND a.year = $2",
            region_code,
            i64::from(year)
        ))
        .await?;
    let mut by_id: BTreeMap<i64, BTreeMap<i64, Answer>> = BTreeMap::new();
    for r in &answers {
        by_id
            .entry(r.innovation_id)
            .or_default()
            .insert(r.number, answer(r)?);
    }
    Ok(rows
        .into_iter()
        .map(|p| RegionInnovation {
            answers: by_id.remove(&p.id).unwrap_or_default(),
            id: p.id,
            name: p.name,
            org_name: p.org_name,
        })
        .collect())
}

/// An urusan wajib pelayanan dasar ("yandas") and whether the region's
/// counted innovations cover it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yandas {
    pub code: String,
    pub name: String,
    pub covered: bool,
}

#[derive(sqlx::FromRow)]
struct YandasRow {
    code: String,
    name: String,
    n: i64,
}

/// The urusan wajib pelayanan dasar (urusan of kind `wajib_dasar`), in
/// their order, each with whether one of the innovations that count for the
/// region's SID (the verified innovations of [`region_innovations`]) has it
/// as its urusan. The number covered is the count of `covered`.
pub async fn region_yandas(
    ex: &mut impl Exec,
    region_code: &str,
) -> Result<Vec<Yandas>, StoreError> {
    let rows: Vec<YandasRow> = ex
        .fetch_all(q!(
            "SELECT u.code, u.name,
                 (SELECT COUNT(*) FROM innovations i JOIN org_nodes o ON o.id = i.org_id
                  WHERE o.region_code = $1 AND i.status = 'terverifikasi' AND i.urusan_code = u.code) AS n
             FROM urusan u WHERE u.kind = 'wajib_dasar' ORDER BY u.position, u.code",
            region_code
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Yandas {
            code: r.code,
            name: r.name,
            covered: r.n > 0,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct RegionAnswerRow {
    number: i64,
    level: i64,
    evidence: String,
}

/// The SPD answers of the region `region_code` (the caller checked it may
/// read the region) for `year`, by indicator number.
pub async fn region_spd(
    ex: &mut impl Exec,
    region_code: &str,
    year: i32,
) -> Result<BTreeMap<i64, Answer>, StoreError> {
    let rows: Vec<RegionAnswerRow> = ex
        .fetch_all(q!(
            "SELECT number, level, evidence FROM iid_region_assessments
             WHERE region_code = $1 AND year = $2 ORDER BY number",
            region_code,
            i64::from(year)
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let a = checked_answer(r.level, &r.evidence, || format!("region {region_code}"))?;
            Ok((r.number, a))
        })
        .collect()
}

/// Stores the SPD answers of a region (the caller checked it may manage the
/// region, the year's rules and every level and number).
pub async fn save_region_spd(
    tx: &mut Tx,
    region_code: &str,
    year: i32,
    answers: &BTreeMap<i64, Answer>,
    by: &str,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    for (number, a) in answers {
        tx.execute(q!(
            "INSERT INTO iid_region_assessments (region_code, year, number, level, evidence, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (region_code, year, number) DO UPDATE SET level = excluded.level,
                 evidence = excluded.evidence, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            region_code,
            i64::from(year),
            *number,
            i64::from(a.level.get()),
            a.evidence.as_str(),
            now,
            by
        ))
        .await?;
    }
    Ok(())
}
