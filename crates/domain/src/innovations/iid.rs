//! IID self-assessment (Indeks Inovasi Daerah): the region-level
//! indicators of the SPD aspect (satuan pemerintahan daerah, 1–15), the
//! innovation-level indicators of the SID aspect (satuan inovasi daerah,
//! 16–35), a level 0–3 per indicator, scores, an innovation's total, a
//! region's SPD, SID, full index and predikat.
//!
//! Every number here is **unconfirmed** (weights from an unofficial 2026
//! catalogue, thresholds from the 2023 slides), so none is a constant: the
//! rules of an assessment year ([`YearRules`]) are data, stored per year and
//! edited by the province administrator.
//!
//! Formulas (see `docs/IID.md`):
//! - indicator score = weight × level (level 0 when not filled);
//! - innovation total = Σ SID indicator scores;
//! - SPD = Σ SPD indicator scores of the region;
//! - SID = Σ totals / MAX(floor, n) + skor jumlah inovasi, where the skor
//!   jumlah inovasi is MIN(n, cap) × points, or 0 when the counted
//!   innovations cover fewer than the year's minimum of the 6 basic-service
//!   urusan (urusan wajib pelayanan dasar, "yandas"; minimum 0 = no rule);
//! - index = (SPD + SID) / (max SPD + max SID) × 100, where max SPD = Σ
//!   SPD weights × 3 (0 for a year without SPD indicators, whose index is
//!   then the SID part alone) and max SID = maximum innovation total + cap ×
//!   points (the maximum assumes the yandas minimum is met);
//! - predikat from the year's thresholds, compared in hundredths.

use std::collections::BTreeMap;

use crate::surveys::skm::round_half_up;

/// Assessment years accepted anywhere.
pub const YEAR_MIN: i32 = 2000;
pub const YEAR_MAX: i32 = 2100;
/// Indicator numbers of the SID aspect, innovation level (2023 structure).
pub const NUMBER_MIN: i64 = 16;
pub const NUMBER_MAX: i64 = 35;
/// Indicator numbers of the SPD aspect, region level (2023 structure).
pub const SPD_NUMBER_MIN: i64 = 1;
pub const SPD_NUMBER_MAX: i64 = 15;
pub const NAME_MAX: usize = 200;
pub const LEVEL_TEXT_MAX: usize = 1000;
pub const EVIDENCE_MAX: usize = 2000;
/// Largest weight an administrator may set.
pub const WEIGHT_MAX: f64 = 100.0;
/// The urusan wajib pelayanan dasar ("yandas") of UU 23/2014: the upper
/// bound of a year's minimum of covered yandas.
pub const YANDAS_COUNT: i64 = 6;

/// The chosen level of an indicator: 0 (not filled) to 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct IidLevel(u8);

impl IidLevel {
    pub const NONE: IidLevel = IidLevel(0);
    pub const MAX: u8 = 3;

    pub fn new(level: u8) -> Option<Self> {
        (level <= Self::MAX).then_some(Self(level))
    }

    /// A form value: empty is 0 (not filled), otherwise a digit 0–3.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "" => Some(Self::NONE),
            s => s.parse::<u8>().ok().and_then(Self::new),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn is_filled(self) -> bool {
        self.0 > 0
    }
}

/// Score of one indicator: weight × level.
pub fn score(weight: f64, level: IidLevel) -> f64 {
    weight * f64::from(level.get())
}

/// The aspect of an indicator: what it scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aspect {
    /// Satuan pemerintahan daerah: the region itself (indicators 1–15).
    Spd,
    /// Satuan inovasi daerah: each innovation (indicators 16–35).
    Sid,
}

impl Aspect {
    pub fn code(self) -> &'static str {
        match self {
            Self::Spd => "spd",
            Self::Sid => "sid",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "spd" => Some(Self::Spd),
            "sid" => Some(Self::Sid),
            _ => None,
        }
    }
}

/// An indicator of an assessment year.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub number: i64,
    pub name: String,
    /// The variable of the national structure (Institusi, Infrastruktur, …);
    /// may be empty.
    pub variable: String,
    pub weight: f64,
    pub mandatory: bool,
    /// What levels 1, 2 and 3 mean.
    pub levels: [String; 3],
}

/// Lowest index of each predikat (inclusive); below the last one the region
/// is "tidak dapat dinilai".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub sangat_inovatif: f64,
    pub inovatif: f64,
    pub kurang_inovatif: f64,
}

/// A region's predikat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predikat {
    SangatInovatif,
    Inovatif,
    KurangInovatif,
    TidakDapatDinilai,
}

impl Predikat {
    pub fn code(self) -> &'static str {
        match self {
            Self::SangatInovatif => "sangat_inovatif",
            Self::Inovatif => "inovatif",
            Self::KurangInovatif => "kurang_inovatif",
            Self::TidakDapatDinilai => "tidak_dapat_dinilai",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::SangatInovatif => "iid.predikat.sangat_inovatif",
            Self::Inovatif => "iid.predikat.inovatif",
            Self::KurangInovatif => "iid.predikat.kurang_inovatif",
            Self::TidakDapatDinilai => "iid.predikat.tidak_dapat_dinilai",
        }
    }
}

/// `x` rounded half up to two decimals, as whole hundredths, so that
/// thresholds are compared exactly (60.005 counts as 60.01).
fn hundredths(x: f64) -> i64 {
    (round_half_up(x, 2) * 100.0).round() as i64
}

/// The predikat of an index under `t`.
pub fn predikat(index: f64, t: &Thresholds) -> Predikat {
    let i = hundredths(index);
    if i >= hundredths(t.sangat_inovatif) {
        Predikat::SangatInovatif
    } else if i >= hundredths(t.inovatif) {
        Predikat::Inovatif
    } else if i >= hundredths(t.kurang_inovatif) {
        Predikat::KurangInovatif
    } else {
        Predikat::TidakDapatDinilai
    }
}

/// The rules of one assessment year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRules {
    pub year: i32,
    /// The least divisor of the sum of innovation totals (10 in 2023).
    pub divisor_floor: i64,
    /// Skor jumlah inovasi per innovation (0.38).
    pub points_per_innovation: f64,
    /// Innovations counted for the skor jumlah inovasi (200).
    pub cap: i64,
    /// The least number of distinct urusan wajib pelayanan dasar (0–6) the
    /// counted innovations must cover, else the skor jumlah inovasi is 0;
    /// 0 turns the rule off. Unconfirmed: 5 (2026), 6 "from 2027 on".
    pub min_yandas: i64,
    pub thresholds: Thresholds,
    /// The SID (innovation-level) indicators, in number order.
    pub indicators: Vec<Indicator>,
    /// The SPD (region-level) indicators, in number order; empty for a year
    /// without them.
    pub spd_indicators: Vec<Indicator>,
}

/// A region's figures for a year.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionScore {
    pub spd: f64,
    pub max_spd: f64,
    /// Mandatory SPD indicators without a level ≥ 1, in number order.
    pub spd_missing: Vec<i64>,
    pub sid: f64,
    pub max_sid: f64,
    /// Distinct urusan wajib pelayanan dasar covered by the counted
    /// innovations.
    pub yandas_covered: i64,
    /// The year's minimum of covered yandas (0 = no rule).
    pub min_yandas: i64,
    /// Whether the skor jumlah inovasi was set to 0 because fewer yandas
    /// than the minimum are covered.
    pub count_zeroed: bool,
    /// The skor jumlah inovasi: MIN(n, cap) × points, or 0 when zeroed.
    pub count_score: f64,
    /// SID / max SID × 100.
    pub sid_index: f64,
    /// (SPD + SID) / (max SPD + max SID) × 100.
    pub index: f64,
    pub predikat: Predikat,
}

/// Levels chosen for an innovation, by indicator number.
pub type Levels = BTreeMap<i64, IidLevel>;

/// Why a set of rules is refused; `field` names the form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    pub field: String,
    pub code: &'static str,
}

impl YearRules {
    pub fn indicator(&self, number: i64) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.number == number)
    }

    pub fn spd_indicator(&self, number: i64) -> Option<&Indicator> {
        self.spd_indicators.iter().find(|i| i.number == number)
    }

    /// Whether the year has SPD indicators; without them the index is the
    /// SID part alone.
    pub fn has_spd(&self) -> bool {
        !self.spd_indicators.is_empty()
    }

    /// The region's SPD: Σ weight × level over the year's SPD indicators;
    /// levels of numbers that are not SPD indicators are ignored.
    pub fn spd(&self, levels: &Levels) -> f64 {
        sum_scores(&self.spd_indicators, levels)
    }

    /// The SPD with every SPD indicator at level 3 (0 without SPD indicators).
    pub fn max_spd(&self) -> f64 {
        max_scores(&self.spd_indicators)
    }

    /// Mandatory SPD indicators without a level ≥ 1, in number order.
    pub fn missing_spd_mandatory(&self, levels: &Levels) -> Vec<i64> {
        missing(&self.spd_indicators, levels)
    }

    /// The full index: (SPD + SID) / (max SPD + max SID) × 100.
    pub fn iid_index(&self, spd: f64, sid: f64) -> f64 {
        let max = self.max_spd() + self.max_sid();
        if max <= 0.0 {
            return 0.0;
        }
        (spd + sid) / max * 100.0
    }

    /// Every figure of a region from its SPD levels, its innovations'
    /// totals and the number of distinct yandas they cover; the predikat is
    /// that of the full index.
    pub fn region_score(
        &self,
        spd_levels: &Levels,
        totals: &[f64],
        yandas_covered: i64,
    ) -> RegionScore {
        let spd = self.spd(spd_levels);
        let sid = self.region_sid(totals, yandas_covered);
        let index = self.iid_index(spd, sid);
        RegionScore {
            spd,
            max_spd: self.max_spd(),
            spd_missing: self.missing_spd_mandatory(spd_levels),
            sid,
            max_sid: self.max_sid(),
            yandas_covered,
            min_yandas: self.min_yandas,
            count_zeroed: self.count_zeroed(yandas_covered),
            count_score: self.count_score(totals.len(), yandas_covered),
            sid_index: self.region_index(totals, yandas_covered),
            index,
            predikat: self.predikat(index),
        }
    }

    /// Σ weight × level over the year's indicators; levels of numbers the
    /// year does not have are ignored.
    pub fn innovation_total(&self, levels: &Levels) -> f64 {
        sum_scores(&self.indicators, levels)
    }

    /// The total of an innovation with every indicator at level 3.
    pub fn max_innovation_total(&self) -> f64 {
        max_scores(&self.indicators)
    }

    /// Mandatory indicators without a level ≥ 1, in number order.
    pub fn missing_mandatory(&self, levels: &Levels) -> Vec<i64> {
        missing(&self.indicators, levels)
    }

    /// Every mandatory indicator has a level ≥ 1.
    pub fn is_complete(&self, levels: &Levels) -> bool {
        self.missing_mandatory(levels).is_empty()
    }

    /// Whether `yandas_covered` distinct yandas are fewer than the year's
    /// minimum, so that the skor jumlah inovasi is 0 (never with minimum 0).
    pub fn count_zeroed(&self, yandas_covered: i64) -> bool {
        yandas_covered < self.min_yandas
    }

    /// The skor jumlah inovasi of `n` innovations covering `yandas_covered`
    /// distinct yandas: MIN(n, cap) × points, or 0 below the minimum.
    pub fn count_score(&self, n: usize, yandas_covered: i64) -> f64 {
        if self.count_zeroed(yandas_covered) {
            return 0.0;
        }
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        n.min(self.cap).max(0) as f64 * self.points_per_innovation
    }

    /// The SID part of the region: Σ totals / MAX(floor, n) + skor jumlah
    /// inovasi ([`Self::count_score`]).
    pub fn region_sid(&self, totals: &[f64], yandas_covered: i64) -> f64 {
        let n = i64::try_from(totals.len()).unwrap_or(i64::MAX);
        let divisor = n.max(self.divisor_floor).max(1) as f64;
        totals.iter().sum::<f64>() / divisor + self.count_score(totals.len(), yandas_covered)
    }

    /// The largest SID: the maximum innovation total plus the capped count
    /// (the yandas minimum taken as met).
    pub fn max_sid(&self) -> f64 {
        self.max_innovation_total() + self.cap.max(0) as f64 * self.points_per_innovation
    }

    /// The region's SID part as an index, 0–100.
    pub fn region_index(&self, totals: &[f64], yandas_covered: i64) -> f64 {
        let max = self.max_sid();
        if max <= 0.0 {
            return 0.0;
        }
        self.region_sid(totals, yandas_covered) / max * 100.0
    }

    pub fn predikat(&self, index: f64) -> Predikat {
        predikat(index, &self.thresholds)
    }

    /// What is wrong with these rules, in form order; empty when they may
    /// be stored.
    pub fn check(&self) -> Vec<RulesError> {
        let mut out = Vec::new();
        let mut err = |field: String, code: &'static str| out.push(RulesError { field, code });
        if !(YEAR_MIN..=YEAR_MAX).contains(&self.year) {
            err("year".into(), "year_invalid");
        }
        if !(1..=10_000).contains(&self.divisor_floor) {
            err("divisor_floor".into(), "count_invalid");
        }
        if !(self.points_per_innovation.is_finite()
            && (0.0..=WEIGHT_MAX).contains(&self.points_per_innovation))
        {
            err("points_per_innovation".into(), "number_invalid");
        }
        if !(0..=100_000).contains(&self.cap) {
            err("cap".into(), "count_invalid");
        }
        if !(0..=YANDAS_COUNT).contains(&self.min_yandas) {
            err("min_yandas".into(), "min_yandas_invalid");
        }
        let t = &self.thresholds;
        let in_range = |x: f64| x.is_finite() && (0.0..=100.0).contains(&x);
        for (field, v) in [
            ("sangat_inovatif", t.sangat_inovatif),
            ("inovatif", t.inovatif),
            ("kurang_inovatif", t.kurang_inovatif),
        ] {
            if !in_range(v) {
                err(field.into(), "threshold_invalid");
            }
        }
        if in_range(t.sangat_inovatif)
            && in_range(t.inovatif)
            && in_range(t.kurang_inovatif)
            && !(hundredths(t.sangat_inovatif) > hundredths(t.inovatif)
                && hundredths(t.inovatif) > hundredths(t.kurang_inovatif)
                && hundredths(t.kurang_inovatif) > 0)
        {
            err("inovatif".into(), "threshold_order");
        }
        for i in self.spd_indicators.iter().chain(&self.indicators) {
            let n = i.number;
            let len = i.name.trim().chars().count();
            if len == 0 || len > NAME_MAX {
                err(format!("name{n}"), "name_invalid");
            }
            if !(i.weight.is_finite() && (0.0..=WEIGHT_MAX).contains(&i.weight)) {
                err(format!("weight{n}"), "number_invalid");
            }
            for (k, text) in i.levels.iter().enumerate() {
                let len = text.trim().chars().count();
                if len == 0 || len > LEVEL_TEXT_MAX {
                    err(format!("level{n}_{}", k + 1), "level_text_invalid");
                }
            }
        }
        out
    }
}

fn sum_scores(indicators: &[Indicator], levels: &Levels) -> f64 {
    indicators
        .iter()
        .map(|i| score(i.weight, levels.get(&i.number).copied().unwrap_or_default()))
        .sum()
}

fn max_scores(indicators: &[Indicator]) -> f64 {
    indicators
        .iter()
        .map(|i| score(i.weight, IidLevel(IidLevel::MAX)))
        .sum()
}

fn missing(indicators: &[Indicator], levels: &Levels) -> Vec<i64> {
    indicators
        .iter()
        .filter(|i| i.mandatory)
        .filter(|i| !levels.get(&i.number).is_some_and(|l| l.is_filled()))
        .map(|i| i.number)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(number: i64, weight: f64, mandatory: bool) -> Indicator {
        Indicator {
            number,
            name: format!("Indikator {number}"),
            variable: String::new(),
            weight,
            mandatory,
            levels: ["satu".into(), "dua".into(), "tiga".into()],
        }
    }

    /// The 2026 catalogue's weights (indicators 16–35).
    fn rules() -> YearRules {
        let weights = [
            (16, 3.0, true),
            (17, 2.0, true),
            (18, 2.0, false),
            (19, 2.0, false),
            (20, 1.0, false),
            (21, 2.0, false),
            (22, 1.0, false),
            (23, 1.0, false),
            (24, 1.0, false),
            (25, 1.0, false),
            (26, 1.0, false),
            (27, 1.0, false),
            (28, 2.0, false),
            (29, 1.0, false),
            (30, 2.0, false),
            (31, 3.0, false),
            (32, 2.0, true),
            (33, 3.0, true),
            (34, 2.0, false),
            (35, 4.0, true),
        ];
        YearRules {
            year: 2026,
            divisor_floor: 10,
            points_per_innovation: 0.38,
            cap: 200,
            min_yandas: 0,
            thresholds: Thresholds {
                sangat_inovatif: 60.01,
                inovatif: 35.0,
                kurang_inovatif: 0.01,
            },
            indicators: weights.iter().map(|&(n, w, m)| ind(n, w, m)).collect(),
            spd_indicators: Vec::new(),
        }
    }

    /// The 2026 rules with the seeded SPD indicators 1–15.
    fn rules_with_spd() -> YearRules {
        let spd = [
            (1, 1.0, true),
            (2, 2.0, false),
            (3, 1.0, true),
            (4, 1.0, true),
            (5, 1.5, true),
            (6, 1.5, true),
            (7, 1.5, true),
            (8, 1.5, true),
            (9, 1.0, true),
            (10, 1.5, true),
            (11, 1.5, true),
            (12, 2.0, false),
            (13, 2.0, false),
            (14, 1.0, false),
            (15, 1.0, false),
        ];
        YearRules {
            spd_indicators: spd.iter().map(|&(n, w, m)| ind(n, w, m)).collect(),
            ..rules()
        }
    }

    fn levels(pairs: &[(i64, u8)]) -> Levels {
        pairs
            .iter()
            .map(|&(n, l)| (n, IidLevel::new(l).unwrap()))
            .collect()
    }

    #[test]
    fn levels_parse_from_0_to_3_and_empty_is_0() {
        assert_eq!(IidLevel::parse(""), Some(IidLevel::NONE));
        assert_eq!(IidLevel::parse(" 2 ").map(IidLevel::get), Some(2));
        assert_eq!(IidLevel::parse("4"), None);
        assert_eq!(IidLevel::parse("-1"), None);
        assert_eq!(IidLevel::parse("dua"), None);
        assert_eq!(score(4.0, IidLevel::new(3).unwrap()), 12.0);
        assert_eq!(score(4.0, IidLevel::NONE), 0.0);
    }

    #[test]
    fn totals_are_weight_times_level_summed() {
        let r = rules();
        assert_eq!(r.max_innovation_total(), 111.0);
        // 3×3 + 2×2 + 2×1 + 3×3 + 4×2 + 1×3 (indicator 20) = 9+4+2+9+8+3 = 35.
        let l = levels(&[
            (16, 3),
            (17, 2),
            (32, 1),
            (33, 3),
            (35, 2),
            (20, 3),
            (99, 3),
        ]);
        assert_eq!(r.innovation_total(&l), 35.0);
        assert!(r.is_complete(&l));
        let l = levels(&[(16, 3), (17, 2), (32, 0), (33, 3)]);
        assert_eq!(r.missing_mandatory(&l), vec![32, 35]);
        assert!(!r.is_complete(&l));
    }

    #[test]
    fn region_index_uses_the_floor_the_cap_and_the_maximum() {
        let r = rules();
        // Max SID = 111 + 200 × 0.38 = 187.
        assert!((r.max_sid() - 187.0).abs() < 1e-9);
        assert_eq!(r.region_index(&[], 0), 0.0);
        assert_eq!(
            r.predikat(r.region_index(&[], 0)),
            Predikat::TidakDapatDinilai
        );
        // One innovation of 50: (50 / 10 + 0.38) / 187 × 100 = 2.8770…
        let i = r.region_index(&[50.0], 0);
        assert!((i - 5.38 / 187.0 * 100.0).abs() < 1e-9, "{i}");
        assert_eq!(r.predikat(i), Predikat::KurangInovatif);
        // Twelve of 111: (1332 / 12 + 12 × 0.38) / 187 × 100 = 61.8…
        let i = r.region_index(&[111.0; 12], 0);
        assert!((i - (111.0 + 4.56) / 187.0 * 100.0).abs() < 1e-9, "{i}");
        assert_eq!(r.predikat(i), Predikat::SangatInovatif);
        // 250 innovations: the count stops at 200.
        let i = r.region_index(&vec![111.0; 250], 0);
        assert!((i - 100.0).abs() < 1e-9, "{i}");
    }

    #[test]
    fn predikat_thresholds_are_inclusive_in_hundredths() {
        let t = rules().thresholds;
        assert_eq!(predikat(60.01, &t), Predikat::SangatInovatif);
        assert_eq!(predikat(60.005, &t), Predikat::SangatInovatif);
        assert_eq!(predikat(60.0049, &t), Predikat::Inovatif);
        assert_eq!(predikat(60.0, &t), Predikat::Inovatif);
        assert_eq!(predikat(35.0, &t), Predikat::Inovatif);
        assert_eq!(predikat(34.99, &t), Predikat::KurangInovatif);
        assert_eq!(predikat(0.01, &t), Predikat::KurangInovatif);
        assert_eq!(predikat(0.004, &t), Predikat::TidakDapatDinilai);
        assert_eq!(predikat(0.0, &t), Predikat::TidakDapatDinilai);
    }

    #[test]
    fn rules_are_checked_per_field() {
        assert!(rules().check().is_empty());
        let mut r = rules();
        r.indicators[0].weight = -1.0;
        r.indicators[1].name = " ".into();
        r.indicators[2].levels[1] = String::new();
        r.thresholds.inovatif = 70.0;
        r.cap = -1;
        let fields: Vec<String> = r.check().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["cap", "inovatif", "weight16", "name17", "level18_2"]
        );
    }

    #[test]
    fn spd_is_weight_times_level_and_its_maximum_is_63() {
        let r = rules_with_spd();
        assert!(r.has_spd());
        assert_eq!(r.max_spd(), 63.0);
        // 1×3 + 2×2 + 1.5×3 (8) + 2×1 (12) = 3 + 4 + 4.5 + 2 = 13.5;
        // SID numbers (16) and unknown ones (0) do not count towards SPD.
        let l = levels(&[(1, 3), (2, 2), (8, 3), (12, 1), (16, 3), (0, 3)]);
        assert_eq!(r.spd(&l), 13.5);
        assert_eq!(r.missing_spd_mandatory(&l), vec![3, 4, 5, 6, 7, 9, 10, 11]);
        assert_eq!(r.missing_spd_mandatory(&levels(&[])).len(), 10);
        // SPD levels never change an innovation's total.
        assert_eq!(r.innovation_total(&l), 9.0);
    }

    #[test]
    fn the_full_index_adds_spd_to_sid_over_both_maxima() {
        let r = rules_with_spd();
        // SPD 13.5; innovations 35 and 0: SID = 35 / 10 + 2 × 0.38 = 4.26.
        // Index = (13.5 + 4.26) / (63 + 187) × 100 = 17.76 / 250 × 100 = 7.104.
        let l = levels(&[(1, 3), (2, 2), (8, 3), (12, 1)]);
        let s = r.region_score(&l, &[35.0, 0.0], 0);
        assert_eq!(s.spd, 13.5);
        assert_eq!(s.max_spd, 63.0);
        assert!((s.sid - 4.26).abs() < 1e-9, "{}", s.sid);
        assert!((s.max_sid - 187.0).abs() < 1e-9);
        assert!((s.index - 7.104).abs() < 1e-9, "{}", s.index);
        assert!((s.sid_index - 4.26 / 187.0 * 100.0).abs() < 1e-9);
        assert_eq!(s.predikat, Predikat::KurangInovatif);
        // Everything at the top: 100.
        let all: Levels = (1..=15).map(|n| (n, IidLevel::new(3).unwrap())).collect();
        let s = r.region_score(&all, &vec![111.0; 200], 0);
        assert!((s.index - 100.0).abs() < 1e-9, "{}", s.index);
        assert_eq!(s.predikat, Predikat::SangatInovatif);
        // The predikat is that of the full index, not of the SID part:
        // SPD 63 with SID 0.38 (one empty innovation) is 25.35 → Kurang Inovatif.
        let s = r.region_score(&all, &[0.0], 0);
        assert!((s.index - 63.38 / 250.0 * 100.0).abs() < 1e-9);
        assert_eq!(s.predikat, Predikat::KurangInovatif);
        let s = r.region_score(&all, &vec![111.0; 30], 0);
        // (63 + 111 + 11.4) / 250 × 100 = 74.16; the SID part alone is 65.45.
        assert!((s.index - 74.16).abs() < 1e-9, "{}", s.index);
        assert_eq!(s.predikat, Predikat::SangatInovatif);
    }

    #[test]
    fn a_year_without_spd_indicators_has_the_sid_part_as_its_index() {
        let r = rules();
        assert!(!r.has_spd());
        assert_eq!(r.max_spd(), 0.0);
        let l = levels(&[(1, 3)]);
        let s = r.region_score(&l, &[35.0, 0.0], 0);
        assert_eq!(s.spd, 0.0);
        assert!(s.spd_missing.is_empty());
        assert!((s.index - s.sid_index).abs() < 1e-12);
        assert_eq!(s.predikat, r.predikat(r.region_index(&[35.0, 0.0], 0)));
    }

    #[test]
    fn spd_rules_are_checked_like_sid_ones() {
        let mut r = rules_with_spd();
        assert!(r.check().is_empty());
        r.spd_indicators[4].weight = 101.0;
        r.spd_indicators[0].levels[2] = "x".repeat(LEVEL_TEXT_MAX + 1);
        let fields: Vec<String> = r.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["level1_3", "weight5"]);
        assert_eq!(Aspect::parse("spd"), Some(Aspect::Spd));
        assert_eq!(Aspect::parse(Aspect::Sid.code()), Some(Aspect::Sid));
        assert_eq!(Aspect::parse("SPD"), None);
    }

    #[test]
    fn the_count_score_is_zero_below_the_yandas_minimum() {
        let r = YearRules {
            min_yandas: 5,
            ..rules_with_spd()
        };
        assert!(r.check().is_empty());
        let totals = [35.0, 0.0];
        let count = 2.0 * r.points_per_innovation;
        // covered = min − 1: zeroed; SID is the average part alone.
        let s = r.region_score(&levels(&[]), &totals, 4);
        assert!(s.count_zeroed);
        assert_eq!(s.count_score, 0.0);
        assert_eq!((s.yandas_covered, s.min_yandas), (4, 5));
        assert!((s.sid - 35.0 / 10.0).abs() < 1e-9, "{}", s.sid);
        assert!((s.index - 3.5 / 250.0 * 100.0).abs() < 1e-9, "{}", s.index);
        // The maximum assumes the rule is met.
        assert!((s.max_sid - 187.0).abs() < 1e-9);
        // covered = min: the points count.
        let s = r.region_score(&levels(&[]), &totals, 5);
        assert!(!s.count_zeroed);
        assert!((s.count_score - count).abs() < 1e-9);
        assert!((s.sid - (3.5 + count)).abs() < 1e-9, "{}", s.sid);
        assert!((r.region_index(&totals, 6) - (3.5 + count) / 187.0 * 100.0).abs() < 1e-9);
        assert!((r.region_index(&totals, 0) - 3.5 / 187.0 * 100.0).abs() < 1e-9);
        // All six required.
        let six = YearRules {
            min_yandas: YANDAS_COUNT,
            ..rules()
        };
        assert!(six.count_zeroed(5));
        assert!(!six.count_zeroed(6));
        assert_eq!(six.count_score(200, 5), 0.0);
        // Minimum 0: the rule is off, even with no yandas covered.
        let off = rules();
        assert!(!off.count_zeroed(0));
        assert!((off.count_score(2, 0) - count).abs() < 1e-9);
        let s = off.region_score(&levels(&[]), &totals, 0);
        assert!(!s.count_zeroed);
        assert!((s.sid - (3.5 + count)).abs() < 1e-9);
        // The cap still applies when the rule is met.
        assert!((r.count_score(250, 6) - 200.0 * 0.38).abs() < 1e-9);
    }

    #[test]
    fn a_yandas_minimum_outside_0_to_6_is_refused_by_name() {
        for bad in [-1, 7, 100] {
            let r = YearRules {
                min_yandas: bad,
                ..rules()
            };
            let errs = r.check();
            assert_eq!(errs.len(), 1, "{bad}");
            assert_eq!(errs[0].field, "min_yandas");
            assert_eq!(errs[0].code, "min_yandas_invalid");
        }
        for ok in [0, 5, 6] {
            let r = YearRules {
                min_yandas: ok,
                ..rules()
            };
            assert!(r.check().is_empty(), "{ok}");
        }
    }
}
