//! The SKM arithmetic: scores, tallies, the IKM and its grade, sample size.
//!
//! PermenPANRB 14/2017 measures nine service elements (U1–U9) on a 1–4 scale.
//! For each element the average score over all respondents is its NRR
//! (nilai rata-rata). The weighted NRR is Σ NRR × 1/9 and the IKM (indeks
//! kepuasan masyarakat) is the weighted NRR × 25, which maps the 1–4 scale
//! onto 25–100. The IKM, rounded to two decimals, gives the grade (mutu
//! pelayanan A–D).
//!
//! Everything here works on [`Tally`]: per-element sums and a respondent
//! count. That is exactly what pre-aggregated storage returns, so the IKM of
//! a unit, an OPD or the whole province over any period is computed the same
//! way, from sums, never from individual answers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Number of service elements (unsur pelayanan) U1–U9.
pub const ELEMENT_COUNT: usize = 9;

/// The code of the element at `index` (0-based): `U1` … `U9`.
///
/// Only codes, no names: sources disagree on whether U8 or U9 is "Sarana dan
/// Prasarana", so names belong to the questionnaire and its translations.
pub fn element_code(index: usize) -> Option<&'static str> {
    const CODES: [&str; ELEMENT_COUNT] = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"];
    CODES.get(index).copied()
}

/// Why an SKM value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkmError {
    #[error("an SKM score is 1, 2, 3 or 4")]
    ScoreOutOfRange,
    #[error("an SKM score is a whole number from 1 to 4")]
    ScoreNotANumber,
    #[error("the IKM weight rule is \"exact\", \"2\" or \"3\" (decimals of 1/9)")]
    WeightRuleInvalid,
    #[error("the sample-size rounding is \"up\" or \"nearest\"")]
    SampleRoundingInvalid,
}

impl SkmError {
    /// Stable code, used as the translation key suffix and in API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ScoreOutOfRange => "score_out_of_range",
            Self::ScoreNotANumber => "score_not_a_number",
            Self::WeightRuleInvalid => "weight_rule_invalid",
            Self::SampleRoundingInvalid => "sample_rounding_invalid",
        }
    }
}

// ---------------------------------------------------------------------------
// Scores and tallies
// ---------------------------------------------------------------------------

/// One respondent's answer for one element: 1 (tidak sesuai / tidak baik) to
/// 4 (sangat sesuai / sangat baik).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

impl Score {
    pub const MIN: Score = Score(1);
    pub const MAX: Score = Score(4);

    pub fn new(value: u8) -> Result<Self, SkmError> {
        if (1..=4).contains(&value) {
            Ok(Self(value))
        } else {
            Err(SkmError::ScoreOutOfRange)
        }
    }

    /// Parses a form value. Surrounding whitespace is ignored; anything but
    /// ASCII digits (signs, decimals, other scripts' digits) is not a number.
    pub fn parse(input: &str) -> Result<Self, SkmError> {
        let digits = input.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SkmError::ScoreNotANumber);
        }
        // Digits only, so the only way `parse` fails is overflow, which is
        // certainly out of range.
        let value: u8 = digits.parse().map_err(|_| SkmError::ScoreOutOfRange)?;
        Self::new(value)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<u8> for Score {
    type Error = SkmError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Score> for u8 {
    fn from(value: Score) -> Self {
        value.0
    }
}

/// Per-element score sums and the number of respondents behind them.
///
/// Storage keeps one tally per unit per month instead of recomputing from
/// individual answers; tallies of any set of units and months add up with
/// [`Tally::merge`] / [`roll_up`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub respondents: i64,
    pub sums: [i64; ELEMENT_COUNT],
}

impl Tally {
    /// Counts one respondent who answered every element.
    pub fn add(&mut self, answers: &[Score; ELEMENT_COUNT]) {
        self.respondents += 1;
        for (sum, score) in self.sums.iter_mut().zip(answers) {
            *sum += i64::from(score.get());
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.respondents += other.respondents;
        for (sum, more) in self.sums.iter_mut().zip(other.sums) {
            *sum += more;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.respondents == 0
    }

    /// Sum over all elements of all scores.
    pub fn total(&self) -> i64 {
        self.sums.iter().sum()
    }

    /// Whether the sums could have come from `respondents` answers of 1–4:
    /// every element sum lies between 1× and 4× the respondent count. A
    /// `false` here means corrupted storage, not a bad survey.
    pub fn is_consistent(&self) -> bool {
        self.respondents >= 0
            && self
                .sums
                .iter()
                .all(|&s| (self.respondents..=self.respondents.saturating_mul(4)).contains(&s))
    }
}

/// Pools tallies (units into an OPD, months into a period…).
///
/// Pooling sums means each unit counts by its number of respondents: the
/// pooled NRR of an element is the respondent-weighted mean of the units'
/// NRRs, and with unrounded NRRs the pooled IKM is the respondent-weighted
/// mean of the units' IKMs. A unit with 3 respondents does not pull a
/// province-wide index as hard as one with 3,000, which an average of unit
/// IKMs would do.
pub fn roll_up(tallies: impl IntoIterator<Item = Tally>) -> Tally {
    tallies.into_iter().fold(Tally::default(), |mut acc, t| {
        acc.merge(&t);
        acc
    })
}

// ---------------------------------------------------------------------------
// Rounding
// ---------------------------------------------------------------------------

/// Relative nudge applied before rounding. Binary floats store 88.305 as
/// 88.30499999…; without the nudge it would round down. 1e-12 relative is
/// thousands of times the error of the few operations behind an IKM, and far
/// below any difference that real data (sums of small integers divided by a
/// respondent count) can produce.
const ROUNDING_NUDGE: f64 = 1e-12;

/// Beyond this many decimals an f64 has nothing left to round.
const MAX_DECIMALS: u8 = 15;

/// Rounds half away from zero ("half up" for the non-negative values of SKM,
/// the way Excel's `ROUND` and a hand calculation do), robust to binary
/// float noise: `round_half_up(88.305, 2) == 88.31`.
///
/// Non-finite values and more than 15 decimals are returned unchanged.
pub fn round_half_up(x: f64, decimals: u8) -> f64 {
    if !x.is_finite() || decimals > MAX_DECIMALS {
        return x;
    }
    let scale = 10f64.powi(i32::from(decimals));
    let scaled = x.abs() * scale;
    let nudged = scaled + scaled * ROUNDING_NUDGE;
    ((nudged + 0.5).floor() / scale).copysign(x)
}

/// `x` rounded half up to two decimals, as a whole number of hundredths, so
/// that grade boundaries are compared exactly.
fn hundredths(x: f64) -> i64 {
    // The rounded value times 100 is within float noise of an integer.
    (round_half_up(x, 2) * 100.0).round() as i64
}

/// How the element weight 1/9 is written down before multiplying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightRule {
    /// 1/9 exactly.
    Exact,
    /// 1/9 rounded half up to this many decimals: `Decimals(2)` is 0.11,
    /// `Decimals(3)` is 0.111. Configuration only produces 2 and 3;
    /// `Decimals(0)` would make every weight 0.
    Decimals(u8),
}

impl WeightRule {
    /// The weight of each element.
    pub fn weight(self) -> f64 {
        let exact = 1.0 / ELEMENT_COUNT as f64;
        match self {
            Self::Exact => exact,
            Self::Decimals(d) => round_half_up(exact, d),
        }
    }
}

/// Same spelling as [`Rounding::parse_weight`] accepts: `exact`, `2`, `3`.
impl fmt::Display for WeightRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact => f.write_str("exact"),
            Self::Decimals(d) => write!(f, "{d}"),
        }
    }
}

impl FromStr for WeightRule {
    type Err = SkmError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rounding::parse_weight(s)
    }
}

/// Where and how much an IKM calculation rounds.
///
/// Published reports differ: the regulation's annex writes the weight as
/// 0,11, spreadsheets often keep 1/9, some round the NRRs first. The rule is
/// configuration so that a number on the platform can be made to match the
/// number a unit already published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rounding {
    pub weight: WeightRule,
    /// Round each element's NRR to this many decimals before weighting;
    /// `None` keeps full precision.
    pub nrr_decimals: Option<u8>,
    /// Decimals of the published IKM.
    pub ikm_decimals: u8,
}

impl Rounding {
    /// The annex of PermenPANRB 14/2017 as the project's research reports
    /// it: weight 1/9 written as 0,11, NRRs kept as they are, the IKM to two
    /// decimals. Note that with 0,11 the maximum IKM is 99, not 100.
    pub const REGULATION: Rounding = Rounding {
        weight: WeightRule::Decimals(2),
        nrr_decimals: None,
        ikm_decimals: 2,
    };

    /// Weight 1/9 exactly; only the published IKM is rounded (two
    /// decimals). Equal to the grand mean of all scores × 25.
    pub const EXACT: Rounding = Rounding {
        weight: WeightRule::Exact,
        nrr_decimals: None,
        ikm_decimals: 2,
    };

    /// Parses the configured weight rule: `exact`, `2` (0.11) or `3`
    /// (0.111). Case and surrounding whitespace are ignored.
    pub fn parse_weight(input: &str) -> Result<WeightRule, SkmError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "exact" => Ok(WeightRule::Exact),
            "2" => Ok(WeightRule::Decimals(2)),
            "3" => Ok(WeightRule::Decimals(3)),
            _ => Err(SkmError::WeightRuleInvalid),
        }
    }
}

/// What the regulation prescribes, so a fresh installation publishes the
/// same numbers as the annex's worked method.
impl Default for Rounding {
    fn default() -> Self {
        Self::REGULATION
    }
}

// ---------------------------------------------------------------------------
// Grade and result
// ---------------------------------------------------------------------------

/// Mutu pelayanan: the grade of an IKM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Mutu {
    /// 88.31–100.00, kinerja "Sangat Baik".
    A,
    /// 76.61–88.30, "Baik".
    B,
    /// 65.00–76.60, "Kurang Baik".
    C,
    /// 25.00–64.99, "Tidak Baik".
    D,
}

/// Lower bounds of A, B and C in hundredths of an IKM point.
const MIN_A: i64 = 8831;
const MIN_B: i64 = 7661;
const MIN_C: i64 = 6500;

impl Mutu {
    pub const ALL: [Mutu; 4] = [Self::A, Self::B, Self::C, Self::D];

    pub fn code(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The kinerja unit pelayanan that goes with the grade, as a code for
    /// translation ("Sangat Baik" …).
    pub fn kinerja_code(self) -> &'static str {
        match self {
            Self::A => "sangat_baik",
            Self::B => "baik",
            Self::C => "kurang_baik",
            Self::D => "tidak_baik",
        }
    }

    /// The grade of an IKM. The IKM is first rounded half up to two
    /// decimals, as published, and compared in whole hundredths: the table's
    /// intervals (…88.30 | 88.31…) leave gaps that raw float comparisons
    /// would fall into. Values outside 25–100 (impossible from valid
    /// scores) get the nearest grade.
    pub fn from_ikm(ikm: f64) -> Mutu {
        match hundredths(ikm) {
            h if h >= MIN_A => Self::A,
            h if h >= MIN_B => Self::B,
            h if h >= MIN_C => Self::C,
            _ => Self::D,
        }
    }

    /// The grade's IKM interval as printed in the regulation's table, for
    /// legends.
    pub fn ikm_range(self) -> (f64, f64) {
        match self {
            Self::A => (88.31, 100.0),
            Self::B => (76.61, 88.30),
            Self::C => (65.0, 76.60),
            Self::D => (25.0, 64.99),
        }
    }
}

/// The IKM of a tally under a [`Rounding`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IkmResult {
    pub respondents: i64,
    /// NRR per element, after `nrr_decimals` rounding if any.
    pub nrr: [f64; ELEMENT_COUNT],
    /// Σ NRR × weight, unrounded.
    pub weighted: f64,
    /// `weighted` × 25, rounded to `ikm_decimals`.
    pub ikm: f64,
    /// The grade of the published (rounded) IKM, so a report never shows a
    /// number and a grade that disagree.
    pub mutu: Mutu,
}

/// NRRs closer than this are a tie. Different sums over the same respondents
/// differ by at least 1/respondents, far more than this.
const NRR_TIE: f64 = 1e-9;

impl IkmResult {
    /// Indexes (0-based, so 0 is U1) of the elements with the lowest NRR,
    /// ties included, in element order. These are the priorities for
    /// improvement in a report's analysis section.
    pub fn weakest_elements(&self) -> Vec<usize> {
        let min = self.nrr.iter().copied().fold(f64::INFINITY, f64::min);
        (0..ELEMENT_COUNT)
            .filter(|&i| self.nrr[i] - min <= NRR_TIE)
            .collect()
    }
}

/// Computes the IKM. `None` when the tally has no respondents (there is no
/// index of nobody) or a negative count.
pub fn compute(tally: &Tally, rounding: &Rounding) -> Option<IkmResult> {
    if tally.respondents <= 0 {
        return None;
    }
    let n = tally.respondents as f64;
    let nrr = tally.sums.map(|sum| {
        let value = sum as f64 / n;
        match rounding.nrr_decimals {
            Some(d) => round_half_up(value, d),
            None => value,
        }
    });
    let total: f64 = nrr.iter().sum();
    let weighted = match rounding.weight {
        // Dividing once is more precise than adding nine products with 1/9.
        WeightRule::Exact => total / ELEMENT_COUNT as f64,
        rule @ WeightRule::Decimals(_) => total * rule.weight(),
    };
    let ikm = round_half_up(weighted * 25.0, rounding.ikm_decimals);
    Some(IkmResult {
        respondents: tally.respondents,
        nrr,
        weighted,
        ikm,
        mutu: Mutu::from_ikm(ikm),
    })
}

// ---------------------------------------------------------------------------
// Sample size
// ---------------------------------------------------------------------------

/// How a fractional Krejcie–Morgan sample size becomes a head count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleRounding {
    /// The default: a sample cannot be fractional, and rounding down would
    /// leave the sample just short of what the 5% margin of error needs.
    /// Rounding up always keeps it.
    #[default]
    Up,
    /// Nearest whole number, half up. Some published tables use it (N=500
    /// gives 217 instead of 218); offered to match them.
    Nearest,
}

impl SampleRounding {
    pub fn code(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Nearest => "nearest",
        }
    }

    /// Parses `up` or `nearest`; case and surrounding whitespace are
    /// ignored.
    pub fn parse(input: &str) -> Result<Self, SkmError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "up" => Ok(Self::Up),
            "nearest" => Ok(Self::Nearest),
            _ => Err(SkmError::SampleRoundingInvalid),
        }
    }
}

impl fmt::Display for SampleRounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for SampleRounding {
    type Err = SkmError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Minimum number of respondents for a population of `population` service
/// users (Krejcie & Morgan, 1970: χ² = 3.841 for 1 degree of freedom at 95%
/// confidence, P = 0.5, margin d = 0.05):
///
/// S = χ²·N·P(1−P) / (d²·(N−1) + χ²·P(1−P))
///
/// Computed in integers (the formula × 100,000 is 96025·N / (250·(N−1) +
/// 96025)), so the rounding never depends on float noise. Never more than
/// the population. For large populations it tends to 96025/250 = 384.1, so
/// rounding up gives 385 once N exceeds 1,471,104 (published tables stop at
/// 384 because they round to nearest or end at one million).
pub fn krejcie_morgan(population: u64, rounding: SampleRounding) -> u64 {
    if population == 0 {
        return 0;
    }
    let n = u128::from(population);
    let numerator = 96_025 * n;
    let denominator = 250 * (n - 1) + 96_025;
    let sample = match rounding {
        SampleRounding::Up => numerator.div_ceil(denominator),
        SampleRounding::Nearest => (2 * numerator + denominator) / (2 * denominator),
    };
    // The sample never exceeds the population, so it fits.
    u64::try_from(sample).unwrap_or(population)
}

// ---------------------------------------------------------------------------
// Respondent profile
// ---------------------------------------------------------------------------

/// Age band of a respondent (umur).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBand {
    #[serde(rename = "lt20")]
    Under20,
    #[serde(rename = "20-29")]
    From20To29,
    #[serde(rename = "30-39")]
    From30To39,
    #[serde(rename = "40-49")]
    From40To49,
    #[serde(rename = "50-59")]
    From50To59,
    #[serde(rename = "60+")]
    From60,
}

impl AgeBand {
    pub const ALL: [AgeBand; 6] = [
        Self::Under20,
        Self::From20To29,
        Self::From30To39,
        Self::From40To49,
        Self::From50To59,
        Self::From60,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Under20 => "lt20",
            Self::From20To29 => "20-29",
            Self::From30To39 => "30-39",
            Self::From40To49 => "40-49",
            Self::From50To59 => "50-59",
            Self::From60 => "60+",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Under20 => "skm.age.lt_20",
            Self::From20To29 => "skm.age.20_29",
            Self::From30To39 => "skm.age.30_39",
            Self::From40To49 => "skm.age.40_49",
            Self::From50To59 => "skm.age.50_59",
            Self::From60 => "skm.age.60_plus",
        }
    }

    /// The band of an age in whole years.
    pub fn from_age(years: u32) -> Self {
        match years {
            0..=19 => Self::Under20,
            20..=29 => Self::From20To29,
            30..=39 => Self::From30To39,
            40..=49 => Self::From40To49,
            50..=59 => Self::From50To59,
            _ => Self::From60,
        }
    }
}

/// Jenis kelamin as asked on the questionnaire: L (laki-laki) or P
/// (perempuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Gender {
    #[serde(rename = "l")]
    Male,
    #[serde(rename = "p")]
    Female,
}

impl Gender {
    pub const ALL: [Gender; 2] = [Self::Male, Self::Female];

    pub fn code(self) -> &'static str {
        match self {
            Self::Male => "l",
            Self::Female => "p",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Male => "skm.gender.male",
            Self::Female => "skm.gender.female",
        }
    }
}

/// Highest completed education (pendidikan), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Education {
    /// Tidak sekolah.
    #[serde(rename = "none")]
    NoSchooling,
    #[serde(rename = "sd")]
    Sd,
    #[serde(rename = "smp")]
    Smp,
    #[serde(rename = "sma")]
    Sma,
    /// Diploma I–III.
    #[serde(rename = "d1-d3")]
    D1D3,
    /// Diploma IV or bachelor (S1).
    #[serde(rename = "d4-s1")]
    D4S1,
    #[serde(rename = "s2")]
    S2,
    #[serde(rename = "s3")]
    S3,
}

impl Education {
    pub const ALL: [Education; 8] = [
        Self::NoSchooling,
        Self::Sd,
        Self::Smp,
        Self::Sma,
        Self::D1D3,
        Self::D4S1,
        Self::S2,
        Self::S3,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::NoSchooling => "none",
            Self::Sd => "sd",
            Self::Smp => "smp",
            Self::Sma => "sma",
            Self::D1D3 => "d1-d3",
            Self::D4S1 => "d4-s1",
            Self::S2 => "s2",
            Self::S3 => "s3",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::NoSchooling => "skm.education.none",
            Self::Sd => "skm.education.sd",
            Self::Smp => "skm.education.smp",
            Self::Sma => "skm.education.sma",
            Self::D1D3 => "skm.education.d1_d3",
            Self::D4S1 => "skm.education.d4_s1",
            Self::S2 => "skm.education.s2",
            Self::S3 => "skm.education.s3",
        }
    }
}

/// Main occupation (pekerjaan utama).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Occupation {
    /// PNS/ASN.
    #[serde(rename = "pns")]
    Pns,
    #[serde(rename = "tni-polri")]
    TniPolri,
    /// Pegawai swasta.
    #[serde(rename = "swasta")]
    Swasta,
    #[serde(rename = "wirausaha")]
    Wirausaha,
    /// Pelajar/mahasiswa.
    #[serde(rename = "pelajar")]
    Pelajar,
    #[serde(rename = "lainnya")]
    Lainnya,
}

impl Occupation {
    pub const ALL: [Occupation; 6] = [
        Self::Pns,
        Self::TniPolri,
        Self::Swasta,
        Self::Wirausaha,
        Self::Pelajar,
        Self::Lainnya,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Pns => "pns",
            Self::TniPolri => "tni-polri",
            Self::Swasta => "swasta",
            Self::Wirausaha => "wirausaha",
            Self::Pelajar => "pelajar",
            Self::Lainnya => "lainnya",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Pns => "skm.occupation.pns",
            Self::TniPolri => "skm.occupation.tni_polri",
            Self::Swasta => "skm.occupation.swasta",
            Self::Wirausaha => "skm.occupation.wirausaha",
            Self::Pelajar => "skm.occupation.pelajar",
            Self::Lainnya => "skm.occupation.lainnya",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(values: [u8; ELEMENT_COUNT]) -> [Score; ELEMENT_COUNT] {
        values.map(|v| Score::new(v).unwrap())
    }

    fn tally_of(rows: &[[u8; ELEMENT_COUNT]]) -> Tally {
        let mut tally = Tally::default();
        for row in rows {
            tally.add(&answers(*row));
        }
        tally
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "expected {expected}, got {actual}"
        );
    }

    #[test]
    fn scores_are_whole_numbers_from_one_to_four() {
        for (input, expected) in [
            ("1", 1),
            ("2", 2),
            ("3", 3),
            ("4", 4),
            (" 4 ", 4),
            ("\t3\n", 3),
            ("04", 4),
        ] {
            assert_eq!(
                Score::parse(input).map(Score::get),
                Ok(expected),
                "input {input:?}"
            );
        }
        let cases: &[(&str, SkmError)] = &[
            ("0", SkmError::ScoreOutOfRange),
            ("5", SkmError::ScoreOutOfRange),
            ("10", SkmError::ScoreOutOfRange),
            ("255", SkmError::ScoreOutOfRange),
            ("99999999999999999999", SkmError::ScoreOutOfRange),
            ("", SkmError::ScoreNotANumber),
            ("   ", SkmError::ScoreNotANumber),
            ("-1", SkmError::ScoreNotANumber),
            ("+3", SkmError::ScoreNotANumber),
            ("3.0", SkmError::ScoreNotANumber),
            ("3,5", SkmError::ScoreNotANumber),
            ("tiga", SkmError::ScoreNotANumber),
            ("٣", SkmError::ScoreNotANumber), // Arabic-Indic three is not ASCII
            ("3 4", SkmError::ScoreNotANumber),
        ];
        for (input, expected) in cases {
            assert_eq!(
                Score::parse(input).as_ref(),
                Err(expected),
                "input {input:?}"
            );
        }
        assert_eq!(Score::new(0), Err(SkmError::ScoreOutOfRange));
        assert_eq!(Score::new(5), Err(SkmError::ScoreOutOfRange));
        assert_eq!(Score::MIN.get(), 1);
        assert_eq!(Score::MAX.get(), 4);
    }

    #[test]
    fn scores_deserialise_only_from_one_to_four() {
        let ok: Score = serde_json::from_str("3").unwrap();
        assert_eq!(ok.get(), 3);
        assert_eq!(serde_json::to_string(&ok).unwrap(), "3");
        assert!(serde_json::from_str::<Score>("0").is_err());
        assert!(serde_json::from_str::<Score>("5").is_err());
    }

    #[test]
    fn error_codes_are_stable() {
        assert_eq!(SkmError::ScoreOutOfRange.code(), "score_out_of_range");
        assert_eq!(SkmError::ScoreNotANumber.code(), "score_not_a_number");
        assert_eq!(SkmError::WeightRuleInvalid.code(), "weight_rule_invalid");
        assert_eq!(
            SkmError::SampleRoundingInvalid.code(),
            "sample_rounding_invalid"
        );
    }

    #[test]
    fn element_codes_run_from_u1_to_u9() {
        assert_eq!(element_code(0), Some("U1"));
        assert_eq!(element_code(8), Some("U9"));
        assert_eq!(element_code(9), None);
    }

    #[test]
    fn a_tally_counts_respondents_and_sums_each_element() {
        let mut tally = Tally::default();
        assert!(tally.is_empty());
        tally.add(&answers([4, 3, 2, 1, 4, 3, 2, 1, 4]));
        tally.add(&answers([1, 1, 1, 1, 1, 1, 1, 1, 1]));
        assert!(!tally.is_empty());
        assert_eq!(tally.respondents, 2);
        assert_eq!(tally.sums, [5, 4, 3, 2, 5, 4, 3, 2, 5]);
        assert_eq!(tally.total(), 33);
        assert!(tally.is_consistent());

        let mut merged = tally;
        merged.merge(&tally);
        assert_eq!(merged.respondents, 4);
        assert_eq!(merged.sums, [10, 8, 6, 4, 10, 8, 6, 4, 10]);
    }

    #[test]
    fn a_tally_whose_sums_no_answers_could_give_is_inconsistent() {
        let too_high = Tally {
            respondents: 2,
            sums: [9, 2, 2, 2, 2, 2, 2, 2, 2],
        };
        let too_low = Tally {
            respondents: 2,
            sums: [1, 2, 2, 2, 2, 2, 2, 2, 2],
        };
        let negative = Tally {
            respondents: -1,
            sums: [0; ELEMENT_COUNT],
        };
        assert!(!too_high.is_consistent());
        assert!(!too_low.is_consistent());
        assert!(!negative.is_consistent());
        assert!(Tally::default().is_consistent());
    }

    #[test]
    fn rounds_half_up_despite_binary_float_noise() {
        let cases: &[(f64, u8, f64)] = &[
            (88.305, 2, 88.31),
            (88.304_999, 2, 88.30),
            (0.115, 2, 0.12),
            (0.125, 2, 0.13), // half up, not half to even
            (1.005, 2, 1.01), // 1.005 is stored as 1.00499999999999989…
            (2.675, 2, 2.68), // stored as 2.67499999999999982…
            (91.475_095_785, 2, 91.48),
            (83.1875, 2, 83.19),
            (83.1875, 3, 83.188),
            (2.5, 0, 3.0),
            (3.5, 0, 4.0),
            (1.0 / 9.0, 2, 0.11),
            (1.0 / 9.0, 3, 0.111),
            (1.0 / 9.0, 4, 0.1111),
            (3.620_689_655, 4, 3.6207),
            (100.0, 2, 100.0),
            (0.0, 2, 0.0),
            (-1.005, 2, -1.01), // half away from zero
        ];
        for &(x, decimals, expected) in cases {
            assert_eq!(
                round_half_up(x, decimals),
                expected,
                "round_half_up({x}, {decimals})"
            );
        }
        assert!(round_half_up(f64::NAN, 2).is_nan());
        assert_eq!(round_half_up(f64::INFINITY, 2), f64::INFINITY);
        assert_eq!(round_half_up(1.23, 16), 1.23);
    }

    #[test]
    fn grade_edges_are_exact_to_the_hundredth() {
        let cases: &[(f64, Mutu)] = &[
            (100.0, Mutu::A),
            (88.31, Mutu::A),
            (88.30, Mutu::B),
            (76.61, Mutu::B),
            (76.60, Mutu::C),
            (65.00, Mutu::C),
            (64.99, Mutu::D),
            (25.0, Mutu::D),
            // Between the table's rows: graded after rounding to 2 decimals.
            (88.305, Mutu::A),
            (88.304_9, Mutu::B),
            (76.605, Mutu::B),
            (76.604_9, Mutu::C),
            (64.995, Mutu::C),
            (64.994_9, Mutu::D),
            // Outside 25–100 (impossible from valid scores): nearest grade.
            (0.0, Mutu::D),
            (120.0, Mutu::A),
        ];
        for &(ikm, expected) in cases {
            assert_eq!(Mutu::from_ikm(ikm), expected, "IKM {ikm}");
        }
    }

    #[test]
    fn grade_codes_and_kinerja() {
        let table: Vec<_> = Mutu::ALL
            .iter()
            .map(|m| (m.code(), m.kinerja_code()))
            .collect();
        assert_eq!(
            table,
            [
                ("A", "sangat_baik"),
                ("B", "baik"),
                ("C", "kurang_baik"),
                ("D", "tidak_baik")
            ]
        );
        for mutu in Mutu::ALL {
            assert_eq!(Mutu::from_code(mutu.code()), Some(mutu));
            let (low, high) = mutu.ikm_range();
            assert_eq!(Mutu::from_ikm(low), mutu);
            assert_eq!(Mutu::from_ikm(high), mutu);
        }
        assert_eq!(Mutu::from_code("E"), None);
        assert_eq!(serde_json::to_string(&Mutu::A).unwrap(), "\"A\"");
    }

    #[test]
    fn weight_rules_parse_and_display_the_same_spelling() {
        assert_eq!(Rounding::parse_weight("exact"), Ok(WeightRule::Exact));
        assert_eq!(Rounding::parse_weight(" EXACT "), Ok(WeightRule::Exact));
        assert_eq!(Rounding::parse_weight("2"), Ok(WeightRule::Decimals(2)));
        assert_eq!(Rounding::parse_weight("3"), Ok(WeightRule::Decimals(3)));
        for bad in ["", "1", "4", "0.11", "1/9", "two"] {
            assert_eq!(
                Rounding::parse_weight(bad),
                Err(SkmError::WeightRuleInvalid),
                "input {bad:?}"
            );
        }
        for rule in [
            WeightRule::Exact,
            WeightRule::Decimals(2),
            WeightRule::Decimals(3),
        ] {
            assert_eq!(rule.to_string().parse::<WeightRule>(), Ok(rule));
        }
        assert_eq!(WeightRule::Decimals(2).weight(), 0.11);
        assert_eq!(WeightRule::Decimals(3).weight(), 0.111);
        assert_close(WeightRule::Exact.weight() * 9.0, 1.0);
        assert_eq!(Rounding::default(), Rounding::REGULATION);
        assert_eq!(Rounding::REGULATION.weight, WeightRule::Decimals(2));
        assert_eq!(Rounding::REGULATION.nrr_decimals, None);
        assert_eq!(Rounding::REGULATION.ikm_decimals, 2);
    }

    /// Four respondents, worked by hand.
    ///
    /// ```text
    ///        U1 U2 U3 U4 U5 U6 U7 U8 U9
    /// R1      4  4  4  4  4  4  4  4  4
    /// R2      3  3  3  4  3  3  3  3  3
    /// R3      3  2  3  4  3  3  4  3  2
    /// R4      4  3  2  4  3  4  4  3  3
    /// sum    14 12 12 16 13 14 15 13 12    (total 121)
    /// NRR   3.5 3  3  4 3.25 3.5 3.75 3.25 3 (Σ NRR = 30.25)
    ///
    /// exact weight: 30.25 / 9    = 3.361111… × 25 = 84.02777… → 84.03 → B
    /// weight 0.11:  30.25 × 0.11 = 3.3275     × 25 = 83.1875   → 83.19 → B
    /// weight 0.111: 30.25 × 0.111 = 3.35775   × 25 = 83.94375  → 83.94 → B
    /// weakest: U2, U3, U9 (NRR 3.00)
    /// ```
    #[test]
    fn worked_example_of_four_respondents_matches_the_hand_calculation() {
        let tally = tally_of(&[
            [4, 4, 4, 4, 4, 4, 4, 4, 4],
            [3, 3, 3, 4, 3, 3, 3, 3, 3],
            [3, 2, 3, 4, 3, 3, 4, 3, 2],
            [4, 3, 2, 4, 3, 4, 4, 3, 3],
        ]);
        assert_eq!(tally.sums, [14, 12, 12, 16, 13, 14, 15, 13, 12]);
        assert_eq!(tally.total(), 121);

        let exact = compute(&tally, &Rounding::EXACT).unwrap();
        assert_eq!(exact.respondents, 4);
        assert_eq!(exact.nrr, [3.5, 3.0, 3.0, 4.0, 3.25, 3.5, 3.75, 3.25, 3.0]);
        assert_close(exact.weighted, 30.25 / 9.0);
        assert_eq!(exact.ikm, 84.03);
        assert_eq!(exact.mutu, Mutu::B);
        assert_eq!(exact.weakest_elements(), vec![1, 2, 8]);

        let regulation = compute(&tally, &Rounding::REGULATION).unwrap();
        assert_close(regulation.weighted, 3.3275);
        assert_eq!(regulation.ikm, 83.19);
        assert_eq!(regulation.mutu, Mutu::B);

        let three = Rounding {
            weight: WeightRule::Decimals(3),
            ..Rounding::REGULATION
        };
        let three = compute(&tally, &three).unwrap();
        assert_close(three.weighted, 3.35775);
        assert_eq!(three.ikm, 83.94);
    }

    /// The Triwulan III example of rennn9/GASPUL_BACKEND
    /// (`rumus_perhitungan_ikm_lengkap.md`): 29 respondents, element sums
    /// 105, 101, 100, 116, 102, 105, 106, 105, 115 (total 955). The document
    /// publishes 91.48 for 955 / (29 × 9) × 25 and 90.56 for its "weighted"
    /// table, whose products (3.6207 × … = 0.3983) are in fact taken with
    /// 0.11, though its weight column says 0.1111.
    #[test]
    fn gaspul_triwulan_iii_example_gives_91_48_exact_and_90_56_with_weight_0_11() {
        let tally = Tally {
            respondents: 29,
            sums: [105, 101, 100, 116, 102, 105, 106, 105, 115],
        };
        assert!(tally.is_consistent());
        assert_eq!(tally.total(), 955);

        let exact = compute(&tally, &Rounding::EXACT).unwrap();
        assert_eq!(exact.ikm, 91.48); // 91.47509…
        assert_eq!(exact.mutu, Mutu::A);

        let regulation = compute(&tally, &Rounding::REGULATION).unwrap();
        assert_eq!(regulation.ikm, 90.56); // 3.622414 × 25 = 90.5603…
        assert_eq!(regulation.mutu, Mutu::A);

        // The document's table rounds NRRs to 4 decimals first; same result.
        let as_in_table = Rounding {
            nrr_decimals: Some(4),
            ..Rounding::REGULATION
        };
        let table = compute(&tally, &as_in_table).unwrap();
        assert_eq!(
            table.nrr,
            [
                3.6207, 3.4828, 3.4483, 4.0, 3.5172, 3.6207, 3.6552, 3.6207, 3.9655
            ]
        );
        assert_close(table.nrr.iter().sum::<f64>(), 32.9311);
        assert_eq!(table.ikm, 90.56);
        assert_eq!(table.weakest_elements(), vec![2]); // U3, waktu pelayanan
    }

    #[test]
    fn rounding_the_weight_can_lower_the_grade() {
        // 100 respondents, scores totalling 3,180 over the nine elements.
        // Exact: 3180 / 900 × 25 = 88.33 → A. Weight 0.11: 31.8 × 0.11 × 25
        // = 87.45 → B.
        let tally = Tally {
            respondents: 100,
            sums: [354, 354, 354, 354, 353, 353, 353, 353, 352],
        };
        assert_eq!(tally.total(), 3180);
        let exact = compute(&tally, &Rounding::EXACT).unwrap();
        assert_eq!((exact.ikm, exact.mutu), (88.33, Mutu::A));
        let regulation = compute(&tally, &Rounding::REGULATION).unwrap();
        assert_eq!((regulation.ikm, regulation.mutu), (87.45, Mutu::B));
    }

    #[test]
    fn extreme_answers_give_25_and_100() {
        let all_ones = tally_of(&[[1; ELEMENT_COUNT]]);
        let all_fours = tally_of(&[[4; ELEMENT_COUNT]; 3]);
        let low = compute(&all_ones, &Rounding::EXACT).unwrap();
        let high = compute(&all_fours, &Rounding::EXACT).unwrap();
        assert_eq!((low.ikm, low.mutu), (25.0, Mutu::D));
        assert_eq!((high.ikm, high.mutu), (100.0, Mutu::A));
        // Every element ties for weakest.
        assert_eq!(
            high.weakest_elements(),
            (0..ELEMENT_COUNT).collect::<Vec<_>>()
        );
        // With 0.11 the maximum falls short of 100: 9 × 4 × 0.11 × 25 = 99.
        let capped = compute(&all_fours, &Rounding::REGULATION).unwrap();
        assert_eq!(capped.ikm, 99.0);
    }

    #[test]
    fn nobody_has_no_index() {
        assert_eq!(compute(&Tally::default(), &Rounding::REGULATION), None);
        let negative = Tally {
            respondents: -3,
            sums: [0; ELEMENT_COUNT],
        };
        assert_eq!(compute(&negative, &Rounding::EXACT), None);
    }

    #[test]
    fn rolled_up_ikm_is_the_respondent_weighted_mean_of_unit_ikms() {
        let small = tally_of(&[
            [4, 4, 3, 4, 4, 3, 4, 4, 4],
            [3, 3, 3, 4, 3, 3, 3, 3, 2],
            [2, 3, 2, 4, 3, 3, 3, 2, 2],
        ]);
        let large = tally_of(&[
            [3, 3, 3, 3, 3, 3, 3, 3, 3],
            [4, 4, 4, 4, 4, 4, 4, 4, 4],
            [3, 2, 3, 4, 3, 3, 4, 3, 3],
            [4, 3, 3, 4, 4, 4, 4, 3, 3],
            [2, 2, 2, 3, 2, 3, 3, 2, 1],
            [3, 3, 2, 4, 3, 3, 3, 3, 3],
            [4, 4, 4, 4, 3, 4, 4, 4, 4],
        ]);
        let pooled = roll_up([small, large]);
        assert_eq!(pooled.respondents, 10);
        assert_eq!(pooled.total(), small.total() + large.total());

        let unrounded = |t: &Tally| compute(t, &Rounding::EXACT).unwrap().weighted * 25.0;
        let weighted_mean = (3.0 * unrounded(&small) + 7.0 * unrounded(&large)) / 10.0;
        assert_close(unrounded(&pooled), weighted_mean);
        let pooled_result = compute(&pooled, &Rounding::EXACT).unwrap();
        assert_eq!(pooled_result.ikm, round_half_up(weighted_mean, 2));

        // The same holds per element NRR.
        let nrr = |t: &Tally| compute(t, &Rounding::EXACT).unwrap().nrr;
        for i in 0..ELEMENT_COUNT {
            assert_close(
                nrr(&pooled)[i],
                (3.0 * nrr(&small)[i] + 7.0 * nrr(&large)[i]) / 10.0,
            );
        }

        // A plain mean of the two unit IKMs would be a different number.
        let plain_mean = (unrounded(&small) + unrounded(&large)) / 2.0;
        assert!((plain_mean - weighted_mean).abs() > 0.1);
    }

    #[test]
    fn rolling_up_nothing_gives_an_empty_tally() {
        assert!(roll_up(std::iter::empty()).is_empty());
        let one = tally_of(&[[2; ELEMENT_COUNT]]);
        assert_eq!(roll_up([one]), one);
        assert_eq!(roll_up([Tally::default(), one, Tally::default()]), one);
    }

    #[test]
    fn krejcie_morgan_sample_sizes_rounded_up() {
        let table: &[(u64, u64)] = &[
            (0, 0),
            (1, 1),
            (2, 2),
            (10, 10),
            (50, 45),
            (100, 80),
            (200, 132),
            (300, 169),
            (500, 218),
            (1_000, 278),
            (2_000, 323),
            (5_000, 357),
            (10_000, 370),
            (100_000, 383),
            (1_000_000, 384),
            (1_471_104, 384),
            (1_471_105, 385),
        ];
        for &(population, expected) in table {
            assert_eq!(
                krejcie_morgan(population, SampleRounding::Up),
                expected,
                "N = {population}"
            );
        }
    }

    #[test]
    fn krejcie_morgan_sample_sizes_rounded_to_nearest() {
        // Exact values: 44.34, 79.51, 131.74, 168.69, 217.47, 277.71,
        // 322.35, 356.76, 369.93, 382.63.
        let table: &[(u64, u64)] = &[
            (0, 0),
            (1, 1),
            (50, 44),
            (100, 80),
            (200, 132),
            (300, 169),
            (500, 217),
            (1_000, 278),
            (2_000, 322),
            (5_000, 357),
            (10_000, 370),
            (100_000, 383),
            (41_000_000, 384),
        ];
        for &(population, expected) in table {
            assert_eq!(
                krejcie_morgan(population, SampleRounding::Nearest),
                expected,
                "N = {population}"
            );
        }
    }

    #[test]
    fn krejcie_morgan_never_exceeds_the_population_nor_385() {
        for population in (0..2_000).chain([u64::MAX / 2, u64::MAX]) {
            for rounding in [SampleRounding::Up, SampleRounding::Nearest] {
                let sample = krejcie_morgan(population, rounding);
                assert!(sample <= population, "N = {population}");
                assert!(sample <= 385, "N = {population}");
            }
        }
        assert_eq!(krejcie_morgan(u64::MAX, SampleRounding::Up), 385);
    }

    #[test]
    fn sample_rounding_defaults_to_up_and_parses_its_codes() {
        assert_eq!(SampleRounding::default(), SampleRounding::Up);
        assert_eq!(SampleRounding::parse("up"), Ok(SampleRounding::Up));
        assert_eq!(
            SampleRounding::parse(" Nearest "),
            Ok(SampleRounding::Nearest)
        );
        for bad in ["", "down", "ceil", "round"] {
            assert_eq!(
                SampleRounding::parse(bad),
                Err(SkmError::SampleRoundingInvalid)
            );
        }
        for rounding in [SampleRounding::Up, SampleRounding::Nearest] {
            assert_eq!(rounding.to_string().parse::<SampleRounding>(), Ok(rounding));
        }
    }

    #[test]
    fn profile_codes_round_trip_and_match_serde() {
        fn check<T>(
            all: &[T],
            code: fn(&T) -> &'static str,
            from: fn(&str) -> Option<T>,
            key: fn(&T) -> &'static str,
            prefix: &str,
        ) where
            T: Copy + PartialEq + std::fmt::Debug + Serialize + for<'de> Deserialize<'de>,
        {
            let mut codes = std::collections::HashSet::new();
            let mut keys = std::collections::HashSet::new();
            for value in all {
                assert_eq!(from(code(value)), Some(*value));
                assert!(codes.insert(code(value)), "duplicate code {}", code(value));
                assert!(keys.insert(key(value)), "duplicate key {}", key(value));
                assert!(key(value).starts_with(prefix), "{}", key(value));
                let json = serde_json::to_string(value).unwrap();
                assert_eq!(json, format!("\"{}\"", code(value)));
                assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *value);
            }
            assert_eq!(from(""), None);
            assert_eq!(from("unknown"), None);
        }
        check(
            &AgeBand::ALL,
            |v| v.code(),
            AgeBand::from_code,
            |v| v.label_key(),
            "skm.age.",
        );
        check(
            &Gender::ALL,
            |v| v.code(),
            Gender::from_code,
            |v| v.label_key(),
            "skm.gender.",
        );
        check(
            &Education::ALL,
            |v| v.code(),
            Education::from_code,
            |v| v.label_key(),
            "skm.education.",
        );
        check(
            &Occupation::ALL,
            |v| v.code(),
            Occupation::from_code,
            |v| v.label_key(),
            "skm.occupation.",
        );

        assert_eq!(AgeBand::Under20.label_key(), "skm.age.lt_20");
        assert_eq!(AgeBand::from_code("60+"), Some(AgeBand::From60));
        assert_eq!(Education::from_code("none"), Some(Education::NoSchooling));
        assert_eq!(Education::from_code("d4-s1"), Some(Education::D4S1));
        assert_eq!(
            Occupation::from_code("tni-polri"),
            Some(Occupation::TniPolri)
        );
        assert_eq!(Gender::from_code("L"), None); // codes are lowercase
    }

    #[test]
    fn ages_fall_into_their_bands() {
        let cases = [
            (0, AgeBand::Under20),
            (19, AgeBand::Under20),
            (20, AgeBand::From20To29),
            (29, AgeBand::From20To29),
            (30, AgeBand::From30To39),
            (45, AgeBand::From40To49),
            (59, AgeBand::From50To59),
            (60, AgeBand::From60),
            (101, AgeBand::From60),
        ];
        for (age, band) in cases {
            assert_eq!(AgeBand::from_age(age), band, "age {age}");
        }
    }
}
