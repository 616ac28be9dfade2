//! Survei Kepuasan Masyarakat (SKM): citizen satisfaction surveys of public
//! service units under PermenPANRB 14/2017.
//!
//! - [`skm`]: scores, per-element tallies, the IKM and its grade (mutu
//!   pelayanan), Krejcie–Morgan sample sizes and the respondent profile.
//! - [`custom`]: custom surveys (needs surveys, event evaluations): seven
//!   kinds of question, conditional display, parsing a respondent's answers.
//! - [`period`]: the month, triwulan, semester and year a result is reported
//!   for, and the `YYYYMM` month keys storage aggregates by.
//!
//! Pure arithmetic and parsing: answers are aggregated by storage into
//! monthly [`Tally`] rows per unit, and everything shown (a unit's IKM for a
//! triwulan, an OPD's for a year, a trend chart) is [`compute`]d from
//! [`roll_up`]s of those rows.

pub mod custom;
pub mod period;
pub mod skm;

pub use period::{Period, PeriodError, PeriodKind, month_key};
pub use skm::{
    AgeBand, ELEMENT_COUNT, Education, Gender, IkmResult, Mutu, Occupation, Rounding,
    SampleRounding, Score, SkmError, Tally, WeightRule, compute, element_code, krejcie_morgan,
    roll_up, round_half_up,
};
