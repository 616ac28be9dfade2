//! Reporting periods of SKM results: month, triwulan, semester, year.
//!
//! PermenPANRB 14/2017 requires a survey at least once a year; units also
//! report per triwulan (quarter) or semester. Storage keeps one tally per
//! unit per month, keyed by the integer `YYYYMM` ([`month_key`]), so every
//! period is an inclusive range of month keys ([`Period::month_range`]).
//!
//! The canonical text form, used in URLs and configuration, is `2026`,
//! `2026-S1`, `2026-Q3` or `2026-07`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The month key storage uses: `YYYYMM` as an integer, e.g. 202607.
pub fn month_key(year: i32, month: u8) -> i32 {
    year * 100 + i32::from(month)
}

/// Years outside this range are typing mistakes, not survey periods.
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2099;

/// Why a period was rejected. All variants share the code `period_invalid`:
/// periods come from pickers and URLs, not free typing, so one message with
/// the accepted forms helps more than a message per part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("a period is written 2026, 2026-S1, 2026-Q3 (or 2026-T3) or 2026-07")]
    Format,
    #[error("the year of a period is between 1900 and 2099")]
    Year,
    #[error("the month of a period is 01 to 12")]
    Month,
    #[error("the quarter (triwulan) of a period is 1 to 4")]
    Quarter,
    #[error("the semester of a period is 1 or 2")]
    Semester,
}

impl PeriodError {
    /// Stable code, used as the translation key suffix and in API errors.
    pub fn code(&self) -> &'static str {
        "period_invalid"
    }
}

/// The length of a reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PeriodKind {
    #[serde(rename = "bulan")]
    Month,
    /// Triwulan.
    #[serde(rename = "triwulan")]
    Quarter,
    #[serde(rename = "semester")]
    Semester,
    #[serde(rename = "tahun")]
    Year,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] = [Self::Month, Self::Quarter, Self::Semester, Self::Year];

    pub fn code(self) -> &'static str {
        match self {
            Self::Month => "bulan",
            Self::Quarter => "triwulan",
            Self::Semester => "semester",
            Self::Year => "tahun",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Number of months in a period of this kind.
    pub fn months(self) -> u8 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Semester => 6,
            Self::Year => 12,
        }
    }
}

/// One reporting period.
///
/// Build periods with [`Period::parse`], the `new_*` constructors or
/// [`Period::containing`]. The variants' fields are public for matching;
/// a variant built by hand with an out-of-range field (month 13, quarter 5)
/// is treated as if clamped into range by every method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Month { year: i32, month: u8 },
    Quarter { year: i32, q: u8 },
    Semester { year: i32, s: u8 },
    Year { year: i32 },
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

fn check_year(year: i32) -> Result<i32, PeriodError> {
    if PLAUSIBLE_YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(PeriodError::Year)
    }
}

/// A number written with exactly `len` ASCII digits.
fn fixed_digits(s: &str, len: usize) -> Option<u32> {
    if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

impl Period {
    pub fn new_month(year: i32, month: u8) -> Result<Self, PeriodError> {
        if !(1..=12).contains(&month) {
            return Err(PeriodError::Month);
        }
        Ok(Self::Month {
            year: check_year(year)?,
            month,
        })
    }

    pub fn new_quarter(year: i32, q: u8) -> Result<Self, PeriodError> {
        if !(1..=4).contains(&q) {
            return Err(PeriodError::Quarter);
        }
        Ok(Self::Quarter {
            year: check_year(year)?,
            q,
        })
    }

    pub fn new_semester(year: i32, s: u8) -> Result<Self, PeriodError> {
        if !(1..=2).contains(&s) {
            return Err(PeriodError::Semester);
        }
        Ok(Self::Semester {
            year: check_year(year)?,
            s,
        })
    }

    pub fn new_year(year: i32) -> Result<Self, PeriodError> {
        Ok(Self::Year {
            year: check_year(year)?,
        })
    }

    /// Parses `2026`, `2026-S1`/`2026-S2`, `2026-Q1`…`2026-Q4` (or
    /// `2026-T1`…`2026-T4` for triwulan) and `2026-01`…`2026-12`.
    /// Surrounding whitespace and the case of the letter are ignored.
    pub fn parse(input: &str) -> Result<Self, PeriodError> {
        let input = input.trim();
        let (year_part, rest) = match input.split_once('-') {
            Some((year, rest)) => (year, Some(rest)),
            None => (input, None),
        };
        let year = fixed_digits(year_part, 4).ok_or(PeriodError::Format)? as i32;
        let Some(rest) = rest else {
            return Self::new_year(year);
        };
        let bytes = rest.as_bytes();
        match bytes {
            [letter, digit] if letter.is_ascii_alphabetic() && digit.is_ascii_digit() => {
                let n = digit - b'0';
                match letter.to_ascii_uppercase() {
                    b'Q' | b'T' => Self::new_quarter(year, n),
                    b'S' => Self::new_semester(year, n),
                    _ => Err(PeriodError::Format),
                }
            }
            _ => {
                let month = fixed_digits(rest, 2).ok_or(PeriodError::Format)?;
                Self::new_month(year, month as u8)
            }
        }
    }

    /// The canonical text form: `2026`, `2026-S2`, `2026-Q3`, `2026-07`.
    pub fn key(&self) -> String {
        self.to_string()
    }

    pub fn kind(&self) -> PeriodKind {
        match self {
            Self::Month { .. } => PeriodKind::Month,
            Self::Quarter { .. } => PeriodKind::Quarter,
            Self::Semester { .. } => PeriodKind::Semester,
            Self::Year { .. } => PeriodKind::Year,
        }
    }

    pub fn year(&self) -> i32 {
        match *self {
            Self::Month { year, .. }
            | Self::Quarter { year, .. }
            | Self::Semester { year, .. }
            | Self::Year { year } => year,
        }
    }

    /// Fields forced into range, so that hand-built variants cannot make a
    /// method panic or produce nonsense keys.
    fn clamped(self) -> Self {
        match self {
            Self::Month { year, month } => Self::Month {
                year,
                month: month.clamp(1, 12),
            },
            Self::Quarter { year, q } => Self::Quarter {
                year,
                q: q.clamp(1, 4),
            },
            Self::Semester { year, s } => Self::Semester {
                year,
                s: s.clamp(1, 2),
            },
            Self::Year { year } => Self::Year { year },
        }
    }

    /// First and last month of the period (1–12) within its year.
    fn months(self) -> (u8, u8) {
        match self.clamped() {
            Self::Month { month, .. } => (month, month),
            Self::Quarter { q, .. } => (q * 3 - 2, q * 3),
            Self::Semester { s, .. } => (s * 6 - 5, s * 6),
            Self::Year { .. } => (1, 12),
        }
    }

    /// First and last month key (`YYYYMM`), both inclusive: the range to
    /// select from monthly tallies.
    pub fn month_range(&self) -> (i32, i32) {
        let (first, last) = self.months();
        (month_key(self.year(), first), month_key(self.year(), last))
    }

    /// Whether the month with this `YYYYMM` key lies in the period.
    pub fn contains_month_key(&self, key: i32) -> bool {
        let (first, last) = self.month_range();
        (first..=last).contains(&key)
    }

    /// The period of the given kind that contains a month. A month outside
    /// 1–12 is clamped into range.
    pub fn containing(kind: PeriodKind, year: i32, month: u8) -> Self {
        let month = month.clamp(1, 12);
        match kind {
            PeriodKind::Month => Self::Month { year, month },
            PeriodKind::Quarter => Self::Quarter {
                year,
                q: (month - 1) / 3 + 1,
            },
            PeriodKind::Semester => Self::Semester {
                year,
                s: (month - 1) / 6 + 1,
            },
            PeriodKind::Year => Self::Year { year },
        }
    }

    /// The period of the given kind that contains a date.
    pub fn containing_date(kind: PeriodKind, date: time::Date) -> Self {
        Self::containing(kind, date.year(), u8::from(date.month()))
    }

    /// The period of the same kind just before this one.
    #[must_use]
    pub fn previous(&self) -> Self {
        match self.clamped() {
            Self::Month { year, month: 1 } => Self::Month {
                year: year - 1,
                month: 12,
            },
            Self::Month { year, month } => Self::Month {
                year,
                month: month - 1,
            },
            Self::Quarter { year, q: 1 } => Self::Quarter {
                year: year - 1,
                q: 4,
            },
            Self::Quarter { year, q } => Self::Quarter { year, q: q - 1 },
            Self::Semester { year, s: 1 } => Self::Semester {
                year: year - 1,
                s: 2,
            },
            Self::Semester { year, s } => Self::Semester { year, s: s - 1 },
            Self::Year { year } => Self::Year { year: year - 1 },
        }
    }

    /// The period of the same kind just after this one.
    #[must_use]
    pub fn next(&self) -> Self {
        match self.clamped() {
            Self::Month { year, month: 12 } => Self::Month {
                year: year + 1,
                month: 1,
            },
            Self::Month { year, month } => Self::Month {
                year,
                month: month + 1,
            },
            Self::Quarter { year, q: 4 } => Self::Quarter {
                year: year + 1,
                q: 1,
            },
            Self::Quarter { year, q } => Self::Quarter { year, q: q + 1 },
            Self::Semester { year, s: 2 } => Self::Semester {
                year: year + 1,
                s: 1,
            },
            Self::Semester { year, s } => Self::Semester { year, s: s + 1 },
            Self::Year { year } => Self::Year { year: year + 1 },
        }
    }

    /// The `count` periods of the same kind ending with this one, oldest
    /// first: the x-axis of a trend chart.
    pub fn trend(self, count: usize) -> Vec<Period> {
        let mut periods = Vec::with_capacity(count);
        let mut period = self.clamped();
        for _ in 0..count {
            periods.push(period);
            period = period.previous();
        }
        periods.reverse();
        periods
    }

    /// The name used in Indonesian reports: "Juli 2026", "Triwulan III
    /// 2026", "Semester I 2026", "2026".
    pub fn label_id(&self) -> String {
        match self.clamped() {
            Self::Month { year, month } => format!("{} {year}", MONTHS_ID[usize::from(month - 1)]),
            Self::Quarter { year, q } => format!("Triwulan {} {year}", ROMAN[usize::from(q - 1)]),
            Self::Semester { year, s } => format!("Semester {} {year}", ROMAN[usize::from(s - 1)]),
            Self::Year { year } => year.to_string(),
        }
    }

    /// The English name: "July 2026", "Q3 2026", "H1 2026", "2026".
    pub fn label_en(&self) -> String {
        match self.clamped() {
            Self::Month { year, month } => format!("{} {year}", MONTHS_EN[usize::from(month - 1)]),
            Self::Quarter { year, q } => format!("Q{q} {year}"),
            Self::Semester { year, s } => format!("H{s} {year}"),
            Self::Year { year } => year.to_string(),
        }
    }
}

/// The canonical form, which [`Period::parse`] reads back.
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.clamped() {
            Self::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Self::Quarter { year, q } => write!(f, "{year:04}-Q{q}"),
            Self::Semester { year, s } => write!(f, "{year:04}-S{s}"),
            Self::Year { year } => write!(f, "{year:04}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Period> for String {
    fn from(value: Period) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn parses_every_kind_of_period_into_its_canonical_form() {
        let cases: &[(&str, Period, &str)] = &[
            ("2026", Period::Year { year: 2026 }, "2026"),
            (" 2026 ", Period::Year { year: 2026 }, "2026"),
            ("2026-S1", Period::Semester { year: 2026, s: 1 }, "2026-S1"),
            ("2026-s2", Period::Semester { year: 2026, s: 2 }, "2026-S2"),
            ("2026-Q1", Period::Quarter { year: 2026, q: 1 }, "2026-Q1"),
            ("2026-q4", Period::Quarter { year: 2026, q: 4 }, "2026-Q4"),
            ("2026-T3", Period::Quarter { year: 2026, q: 3 }, "2026-Q3"),
            ("2026-t2", Period::Quarter { year: 2026, q: 2 }, "2026-Q2"),
            (
                "2026-01",
                Period::Month {
                    year: 2026,
                    month: 1,
                },
                "2026-01",
            ),
            (
                "2026-07",
                Period::Month {
                    year: 2026,
                    month: 7,
                },
                "2026-07",
            ),
            (
                "2026-12",
                Period::Month {
                    year: 2026,
                    month: 12,
                },
                "2026-12",
            ),
            ("1900", Period::Year { year: 1900 }, "1900"),
            (
                "2099-12",
                Period::Month {
                    year: 2099,
                    month: 12,
                },
                "2099-12",
            ),
        ];
        for (input, expected, canonical) in cases {
            let parsed = Period::parse(input);
            assert_eq!(parsed.as_ref(), Ok(expected), "input {input:?}");
            let parsed = parsed.unwrap();
            assert_eq!(parsed.key(), *canonical);
            assert_eq!(Period::parse(&parsed.key()), Ok(parsed));
        }
    }

    #[test]
    fn rejects_anything_else_and_names_the_part() {
        let cases: &[(&str, PeriodError)] = &[
            ("", PeriodError::Format),
            ("26", PeriodError::Format),
            ("20261", PeriodError::Format),
            ("2026-", PeriodError::Format),
            ("2026-7", PeriodError::Format),
            ("2026-007", PeriodError::Format),
            ("2026/07", PeriodError::Format),
            ("2026-W01", PeriodError::Format),
            ("2026-Q", PeriodError::Format),
            ("2026-Q10", PeriodError::Format),
            ("2026-X1", PeriodError::Format),
            ("2026-07-01", PeriodError::Format),
            ("Q3-2026", PeriodError::Format),
            ("+2026", PeriodError::Format),
            ("２０２６", PeriodError::Format), // full-width digits
            ("2026 -07", PeriodError::Format),
            ("1899", PeriodError::Year),
            ("2100-S1", PeriodError::Year),
            ("2026-00", PeriodError::Month),
            ("2026-13", PeriodError::Month),
            ("2026-Q0", PeriodError::Quarter),
            ("2026-Q5", PeriodError::Quarter),
            ("2026-T5", PeriodError::Quarter),
            ("2026-S0", PeriodError::Semester),
            ("2026-S3", PeriodError::Semester),
        ];
        for (input, expected) in cases {
            assert_eq!(
                Period::parse(input).as_ref(),
                Err(expected),
                "input {input:?}"
            );
            assert_eq!(expected.code(), "period_invalid");
        }
    }

    #[test]
    fn constructors_check_their_fields() {
        assert_eq!(
            Period::new_month(2026, 7),
            Ok(Period::Month {
                year: 2026,
                month: 7
            })
        );
        assert_eq!(Period::new_month(2026, 13), Err(PeriodError::Month));
        assert_eq!(Period::new_quarter(2026, 5), Err(PeriodError::Quarter));
        assert_eq!(Period::new_semester(2026, 3), Err(PeriodError::Semester));
        assert_eq!(Period::new_year(3000), Err(PeriodError::Year));
    }

    #[test]
    fn month_keys_are_yyyymm_integers() {
        assert_eq!(month_key(2026, 7), 202_607);
        assert_eq!(month_key(2026, 12), 202_612);
        assert_eq!(month_key(2027, 1), 202_701);
    }

    #[test]
    fn each_period_covers_its_months() {
        let cases: &[(&str, (i32, i32))] = &[
            ("2026", (202_601, 202_612)),
            ("2026-S1", (202_601, 202_606)),
            ("2026-S2", (202_607, 202_612)),
            ("2026-Q1", (202_601, 202_603)),
            ("2026-Q2", (202_604, 202_606)),
            ("2026-Q3", (202_607, 202_609)),
            ("2026-Q4", (202_610, 202_612)),
            ("2026-07", (202_607, 202_607)),
        ];
        for (input, range) in cases {
            assert_eq!(period(input).month_range(), *range, "period {input}");
        }
        let q3 = period("2026-Q3");
        assert!(q3.contains_month_key(202_607));
        assert!(q3.contains_month_key(202_609));
        assert!(!q3.contains_month_key(202_606));
        assert!(!q3.contains_month_key(202_610));
        assert!(!q3.contains_month_key(202_707));
    }

    #[test]
    fn kinds_have_codes_and_lengths() {
        let table: Vec<_> = PeriodKind::ALL
            .iter()
            .map(|k| (k.code(), k.months()))
            .collect();
        assert_eq!(
            table,
            [
                ("bulan", 1),
                ("triwulan", 3),
                ("semester", 6),
                ("tahun", 12)
            ]
        );
        for kind in PeriodKind::ALL {
            assert_eq!(PeriodKind::from_code(kind.code()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.code()));
        }
        assert_eq!(PeriodKind::from_code("quarter"), None);
        assert_eq!(period("2026").kind(), PeriodKind::Year);
        assert_eq!(period("2026-S1").kind(), PeriodKind::Semester);
        assert_eq!(period("2026-Q1").kind(), PeriodKind::Quarter);
        assert_eq!(period("2026-01").kind(), PeriodKind::Month);
        for input in ["2026", "2026-S2", "2026-Q4", "2026-12"] {
            let p = period(input);
            let (first, last) = p.month_range();
            let months = last - first + 1;
            assert_eq!(months, i32::from(p.kind().months()), "period {input}");
        }
    }

    #[test]
    fn finds_the_period_containing_a_month() {
        let cases: &[(PeriodKind, u8, &str)] = &[
            (PeriodKind::Month, 7, "2026-07"),
            (PeriodKind::Quarter, 1, "2026-Q1"),
            (PeriodKind::Quarter, 3, "2026-Q1"),
            (PeriodKind::Quarter, 4, "2026-Q2"),
            (PeriodKind::Quarter, 9, "2026-Q3"),
            (PeriodKind::Quarter, 10, "2026-Q4"),
            (PeriodKind::Quarter, 12, "2026-Q4"),
            (PeriodKind::Semester, 6, "2026-S1"),
            (PeriodKind::Semester, 7, "2026-S2"),
            (PeriodKind::Year, 5, "2026"),
            // Out-of-range months are clamped.
            (PeriodKind::Quarter, 0, "2026-Q1"),
            (PeriodKind::Semester, 13, "2026-S2"),
        ];
        for &(kind, month, expected) in cases {
            assert_eq!(
                Period::containing(kind, 2026, month).key(),
                expected,
                "{kind:?} containing month {month}"
            );
        }
        let date = time::Date::from_calendar_date(2026, time::Month::August, 17).unwrap();
        assert_eq!(
            Period::containing_date(PeriodKind::Quarter, date).key(),
            "2026-Q3"
        );
    }

    #[test]
    fn previous_and_next_cross_year_boundaries() {
        let cases: &[(&str, &str)] = &[
            ("2026-01", "2025-12"),
            ("2026-07", "2026-06"),
            ("2026-Q1", "2025-Q4"),
            ("2026-Q3", "2026-Q2"),
            ("2026-S1", "2025-S2"),
            ("2026-S2", "2026-S1"),
            ("2026", "2025"),
        ];
        for (input, before) in cases {
            assert_eq!(period(input).previous(), period(before), "before {input}");
            assert_eq!(period(before).next(), period(input), "after {before}");
        }
    }

    #[test]
    fn a_trend_ends_with_the_period_and_crosses_the_year_boundary() {
        let keys = |p: &str, n: usize| -> Vec<String> {
            period(p).trend(n).iter().map(Period::key).collect()
        };
        assert_eq!(
            keys("2026-Q2", 4),
            ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
        );
        assert_eq!(
            keys("2026-02", 5),
            ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(keys("2026-S1", 3), ["2025-S1", "2025-S2", "2026-S1"]);
        assert_eq!(keys("2026", 3), ["2024", "2025", "2026"]);
        assert_eq!(keys("2026-07", 1), ["2026-07"]);
        assert!(period("2026-07").trend(0).is_empty());
    }

    #[test]
    fn labels_in_indonesian_and_english() {
        let cases: &[(&str, &str, &str)] = &[
            ("2026-Q1", "Triwulan I 2026", "Q1 2026"),
            ("2026-Q3", "Triwulan III 2026", "Q3 2026"),
            ("2026-Q4", "Triwulan IV 2026", "Q4 2026"),
            ("2026-S1", "Semester I 2026", "H1 2026"),
            ("2026-S2", "Semester II 2026", "H2 2026"),
            ("2026-01", "Januari 2026", "January 2026"),
            ("2026-07", "Juli 2026", "July 2026"),
            ("2026-08", "Agustus 2026", "August 2026"),
            ("2026-12", "Desember 2026", "December 2026"),
            ("2026", "2026", "2026"),
        ];
        for (input, id, en) in cases {
            assert_eq!(period(input).label_id(), *id);
            assert_eq!(period(input).label_en(), *en);
        }
    }

    #[test]
    fn hand_built_periods_with_bad_fields_are_clamped_not_panicking() {
        let bad_month = Period::Month {
            year: 2026,
            month: 13,
        };
        assert_eq!(bad_month.key(), "2026-12");
        assert_eq!(bad_month.month_range(), (202_612, 202_612));
        assert_eq!(bad_month.label_id(), "Desember 2026");
        assert_eq!(bad_month.next().key(), "2027-01");
        let bad_quarter = Period::Quarter { year: 2026, q: 0 };
        assert_eq!(bad_quarter.month_range(), (202_601, 202_603));
        assert_eq!(bad_quarter.previous().key(), "2025-Q4");
        let bad_semester = Period::Semester { year: 2026, s: 9 };
        assert_eq!(bad_semester.label_en(), "H2 2026");
    }

    #[test]
    fn serialises_as_its_canonical_string() {
        let p = period("2026-t3");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"2026-Q3\"");
        let back: Period = serde_json::from_str("\"2026-Q3\"").unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<Period>("\"2026-Q5\"").is_err());
        assert_eq!("2026-07".parse::<Period>(), Ok(period("2026-07")));
    }
}
