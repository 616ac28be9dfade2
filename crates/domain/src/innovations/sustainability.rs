//! Keberlanjutan: whether an innovation is likely to survive, for the
//! "at risk" list that innovation officers work through.
//!
//! Regional innovations mostly die quietly: the unit that ran it is merged
//! away in a reorganisation, the champion moves on, the budget line is not
//! renewed. [`assess`] turns a handful of facts the platform knows into a
//! [`Level`] and the [`Reason`]s behind it, so the list says what to fix,
//! not only that something is wrong.
//!
//! The rules:
//!
//! - **berisiko** (at risk) when any of these holds:
//!   - the owning unit is no longer active (reorganised or dissolved);
//!   - the innovation is in penerapan without any legal basis: running it
//!     regularly without one means it ends with the person who started it;
//!   - no monitoring report within the window (by default
//!     [`MONITORING_WINDOW_MONTHS`]): nobody is known to be watching it.
//! - **perlu perhatian** (needs attention) when any other reason applies:
//!   no legal basis yet in uji coba, no budget this year, no SOP, not in
//!   the RKPD, no dedicated staff.
//! - **terjaga** (sustained) otherwise.
//!
//! An innovation still in inisiatif is an idea being worked out: it is not
//! expected to have a legal basis or a budget yet, so those two reasons are
//! not raised for it. Every other reason is.

use serde::{Deserialize, Serialize};
use time::Date;

use super::classification::Tahapan;

/// Default monitoring window: one budget year.
pub const MONITORING_WINDOW_MONTHS: u32 = 12;

/// The legal instrument an innovation rests on, weakest first (`Ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalKind {
    /// Surat keputusan of the head of the perangkat daerah.
    SkKepalaOpd,
    /// Peraturan kepala daerah (peraturan gubernur, bupati or wali kota).
    Perkada,
    /// Peraturan daerah, enacted with the DPRD.
    Perda,
}

impl LegalKind {
    pub const ALL: [LegalKind; 3] = [Self::SkKepalaOpd, Self::Perkada, Self::Perda];

    pub fn code(self) -> &'static str {
        match self {
            Self::SkKepalaOpd => "sk_kepala_opd",
            Self::Perkada => "perkada",
            Self::Perda => "perda",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::SkKepalaOpd => "innovation.legal.sk_kepala_opd",
            Self::Perkada => "innovation.legal.perkada",
            Self::Perda => "innovation.legal.perda",
        }
    }
}

/// What the platform knows about an innovation's footing. The store
/// gathers it (documents, budget and RKPD flags, the org tree); the rules
/// stay here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SustainabilityFacts {
    /// The strongest legal basis on file, if any.
    pub legal_basis: Option<LegalKind>,
    pub has_budget_this_year: bool,
    pub has_sop: bool,
    /// Whether the innovation is in the RKPD (rencana kerja pemerintah
    /// daerah), the regional annual work plan.
    pub in_rkpd: bool,
    pub dedicated_staff: bool,
    /// Date of the latest monitoring report.
    pub last_monitoring_report: Option<Date>,
    /// Whether the owning org node still exists as an active unit.
    pub owner_unit_active: bool,
    pub stage: Tahapan,
}

/// The outcome, mildest first (`Ord`), so the worst of several is `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Terjaga,
    PerluPerhatian,
    Berisiko,
}

impl Level {
    pub const ALL: [Level; 3] = [Self::Terjaga, Self::PerluPerhatian, Self::Berisiko];

    pub fn code(self) -> &'static str {
        match self {
            Self::Terjaga => "terjaga",
            Self::PerluPerhatian => "perlu_perhatian",
            Self::Berisiko => "berisiko",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Terjaga => "innovation.sustainability.terjaga",
            Self::PerluPerhatian => "innovation.sustainability.perlu_perhatian",
            Self::Berisiko => "innovation.sustainability.berisiko",
        }
    }
}

/// One thing that threatens an innovation's survival, listed in
/// [`Reason::ALL`] order: the ones that can make it berisiko first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The owning unit is inactive: merged, renamed into another node or
    /// dissolved.
    OwnerUnitReorganised,
    NoLegalBasis,
    /// No monitoring report within the window. The code does not name the
    /// window's length, which is configurable; the label is given the
    /// number of months.
    NoRecentMonitoring,
    NoBudget,
    NoSop,
    NotInRkpd,
    NoDedicatedStaff,
}

impl Reason {
    pub const ALL: [Reason; 7] = [
        Self::OwnerUnitReorganised,
        Self::NoLegalBasis,
        Self::NoRecentMonitoring,
        Self::NoBudget,
        Self::NoSop,
        Self::NotInRkpd,
        Self::NoDedicatedStaff,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::OwnerUnitReorganised => "owner_unit_reorganised",
            Self::NoLegalBasis => "no_legal_basis",
            Self::NoRecentMonitoring => "no_recent_monitoring",
            Self::NoBudget => "no_budget",
            Self::NoSop => "no_sop",
            Self::NotInRkpd => "not_in_rkpd",
            Self::NoDedicatedStaff => "no_dedicated_staff",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::OwnerUnitReorganised => "innovation.sustainability.reason.owner_unit_reorganised",
            Self::NoLegalBasis => "innovation.sustainability.reason.no_legal_basis",
            Self::NoRecentMonitoring => "innovation.sustainability.reason.no_recent_monitoring",
            Self::NoBudget => "innovation.sustainability.reason.no_budget",
            Self::NoSop => "innovation.sustainability.reason.no_sop",
            Self::NotInRkpd => "innovation.sustainability.reason.not_in_rkpd",
            Self::NoDedicatedStaff => "innovation.sustainability.reason.no_dedicated_staff",
        }
    }

    /// How serious this reason is for an innovation at `stage`: a missing
    /// legal basis is a risk once the innovation runs for real
    /// (penerapan), a matter of attention while it is tried out.
    pub fn level(self, stage: Tahapan) -> Level {
        match self {
            Self::OwnerUnitReorganised | Self::NoRecentMonitoring => Level::Berisiko,
            Self::NoLegalBasis if stage == Tahapan::Penerapan => Level::Berisiko,
            Self::NoLegalBasis
            | Self::NoBudget
            | Self::NoSop
            | Self::NotInRkpd
            | Self::NoDedicatedStaff => Level::PerluPerhatian,
        }
    }
}

/// The assessment of one innovation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sustainability {
    pub level: Level,
    /// Every reason that applies, in [`Reason::ALL`] order; empty exactly
    /// when the level is terjaga.
    pub reasons: Vec<Reason>,
}

/// Assesses `facts` as of `today` (a parameter: the domain never reads the
/// clock). A monitoring report counts when it is dated on or after the
/// same day `monitoring_window_months` months before `today` (see
/// [`months_before`]); pass [`MONITORING_WINDOW_MONTHS`] for the default.
pub fn assess(
    facts: &SustainabilityFacts,
    today: Date,
    monitoring_window_months: u32,
) -> Sustainability {
    let idea = facts.stage == Tahapan::Inisiatif;
    let since = months_before(today, monitoring_window_months);
    let monitored = facts.last_monitoring_report.is_some_and(|d| d >= since);
    let reasons: Vec<Reason> = Reason::ALL
        .into_iter()
        .filter(|reason| match reason {
            Reason::OwnerUnitReorganised => !facts.owner_unit_active,
            Reason::NoLegalBasis => !idea && facts.legal_basis.is_none(),
            Reason::NoRecentMonitoring => !monitored,
            Reason::NoBudget => !idea && !facts.has_budget_this_year,
            Reason::NoSop => !facts.has_sop,
            Reason::NotInRkpd => !facts.in_rkpd,
            Reason::NoDedicatedStaff => !facts.dedicated_staff,
        })
        .collect();
    let level = reasons
        .iter()
        .map(|r| r.level(facts.stage))
        .max()
        .unwrap_or(Level::Terjaga);
    Sustainability { level, reasons }
}

/// The same day `months` calendar months earlier, or the last day of that
/// month when it is shorter (31 March → 28 or 29 February). Clamps to
/// [`Date::MIN`] far in the past.
pub fn months_before(date: Date, months: u32) -> Date {
    let index =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 - i64::from(months);
    let month = u8::try_from(index.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok());
    match (i32::try_from(index.div_euclid(12)), month) {
        (Ok(year), Some(month)) => {
            Date::from_calendar_date(year, month, date.day().min(month.length(year)))
                .unwrap_or(Date::MIN)
        }
        _ => Date::MIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 06 - 30);

    fn healthy(stage: Tahapan) -> SustainabilityFacts {
        SustainabilityFacts {
            legal_basis: Some(LegalKind::Perkada),
            has_budget_this_year: true,
            has_sop: true,
            in_rkpd: true,
            dedicated_staff: true,
            last_monitoring_report: Some(date!(2025 - 01 - 15)),
            owner_unit_active: true,
            stage,
        }
    }

    fn codes(s: &Sustainability) -> Vec<&'static str> {
        s.reasons.iter().map(|r| r.code()).collect()
    }

    #[test]
    fn the_sustainability_rules() {
        use Level::*;
        use Tahapan::*;
        type Case = (
            Tahapan,
            fn(&mut SustainabilityFacts),
            Level,
            &'static [&'static str],
        );
        let cases: &[Case] = &[
            (Penerapan, |_| {}, Terjaga, &[]),
            (UjiCoba, |_| {}, Terjaga, &[]),
            (Inisiatif, |_| {}, Terjaga, &[]),
            // The weakest legal basis is still a legal basis.
            (
                Penerapan,
                |f| f.legal_basis = Some(LegalKind::SkKepalaOpd),
                Terjaga,
                &[],
            ),
            // Berisiko.
            (
                Penerapan,
                |f| f.owner_unit_active = false,
                Berisiko,
                &["owner_unit_reorganised"],
            ),
            (
                Inisiatif,
                |f| f.owner_unit_active = false,
                Berisiko,
                &["owner_unit_reorganised"],
            ),
            (
                Penerapan,
                |f| f.legal_basis = None,
                Berisiko,
                &["no_legal_basis"],
            ),
            (
                Penerapan,
                |f| f.last_monitoring_report = None,
                Berisiko,
                &["no_recent_monitoring"],
            ),
            (
                UjiCoba,
                |f| f.last_monitoring_report = Some(date!(2024 - 06 - 29)),
                Berisiko,
                &["no_recent_monitoring"],
            ),
            (
                Inisiatif,
                |f| f.last_monitoring_report = None,
                Berisiko,
                &["no_recent_monitoring"],
            ),
            // Exactly twelve months ago is still inside the window.
            (
                Penerapan,
                |f| f.last_monitoring_report = Some(date!(2024 - 06 - 30)),
                Terjaga,
                &[],
            ),
            // Perlu perhatian.
            (
                UjiCoba,
                |f| f.legal_basis = None,
                PerluPerhatian,
                &["no_legal_basis"],
            ),
            (
                Penerapan,
                |f| f.has_budget_this_year = false,
                PerluPerhatian,
                &["no_budget"],
            ),
            (
                Penerapan,
                |f| f.has_sop = false,
                PerluPerhatian,
                &["no_sop"],
            ),
            (
                UjiCoba,
                |f| {
                    f.in_rkpd = false;
                    f.dedicated_staff = false;
                },
                PerluPerhatian,
                &["not_in_rkpd", "no_dedicated_staff"],
            ),
            // Inisiatif: no legal basis or budget expected, the rest is.
            (
                Inisiatif,
                |f| {
                    f.legal_basis = None;
                    f.has_budget_this_year = false;
                },
                Terjaga,
                &[],
            ),
            (
                Inisiatif,
                |f| {
                    f.legal_basis = None;
                    f.has_sop = false;
                },
                PerluPerhatian,
                &["no_sop"],
            ),
            // Everything wrong: every reason, most serious first.
            (
                Penerapan,
                |f| {
                    *f = SustainabilityFacts {
                        legal_basis: None,
                        has_budget_this_year: false,
                        has_sop: false,
                        in_rkpd: false,
                        dedicated_staff: false,
                        last_monitoring_report: None,
                        owner_unit_active: false,
                        stage: f.stage,
                    }
                },
                Berisiko,
                &[
                    "owner_unit_reorganised",
                    "no_legal_basis",
                    "no_recent_monitoring",
                    "no_budget",
                    "no_sop",
                    "not_in_rkpd",
                    "no_dedicated_staff",
                ],
            ),
            (
                Inisiatif,
                |f| {
                    *f = SustainabilityFacts {
                        legal_basis: None,
                        has_budget_this_year: false,
                        has_sop: false,
                        in_rkpd: false,
                        dedicated_staff: false,
                        last_monitoring_report: None,
                        owner_unit_active: false,
                        stage: f.stage,
                    }
                },
                Berisiko,
                &[
                    "owner_unit_reorganised",
                    "no_recent_monitoring",
                    "no_sop",
                    "not_in_rkpd",
                    "no_dedicated_staff",
                ],
            ),
        ];
        for (stage, mutate, level, reasons) in cases {
            let mut facts = healthy(*stage);
            mutate(&mut facts);
            let got = assess(&facts, TODAY, MONITORING_WINDOW_MONTHS);
            assert_eq!(
                (got.level, codes(&got).as_slice()),
                (*level, *reasons),
                "{facts:?}"
            );
            assert_eq!(got.level == Terjaga, got.reasons.is_empty());
        }
    }

    #[test]
    fn the_monitoring_window_is_a_parameter() {
        let facts = SustainabilityFacts {
            last_monitoring_report: Some(date!(2024 - 11 - 30)),
            ..healthy(Tahapan::Penerapan)
        };
        assert_eq!(assess(&facts, TODAY, 12).level, Level::Terjaga);
        assert_eq!(assess(&facts, TODAY, 7).level, Level::Terjaga);
        let six = assess(&facts, TODAY, 6);
        assert_eq!(six.level, Level::Berisiko);
        assert_eq!(six.reasons, vec![Reason::NoRecentMonitoring]);
        // A zero window wants a report dated today; a report dated after
        // "today" (clock skew between servers) counts as recent.
        let today = SustainabilityFacts {
            last_monitoring_report: Some(TODAY),
            ..facts.clone()
        };
        assert_eq!(assess(&today, TODAY, 0).level, Level::Terjaga);
        let tomorrow = SustainabilityFacts {
            last_monitoring_report: Some(date!(2025 - 07 - 01)),
            ..facts
        };
        assert_eq!(assess(&tomorrow, TODAY, 0).level, Level::Terjaga);
    }

    #[test]
    fn months_before_keeps_the_day_or_takes_the_end_of_a_shorter_month() {
        let cases = [
            (date!(2025 - 06 - 30), 12, date!(2024 - 06 - 30)),
            (date!(2025 - 06 - 30), 0, date!(2025 - 06 - 30)),
            (date!(2025 - 01 - 15), 1, date!(2024 - 12 - 15)),
            (date!(2025 - 03 - 31), 1, date!(2025 - 02 - 28)),
            (date!(2024 - 03 - 31), 1, date!(2024 - 02 - 29)),
            (date!(2024 - 02 - 29), 12, date!(2023 - 02 - 28)),
            (date!(2025 - 12 - 31), 6, date!(2025 - 06 - 30)),
            (date!(2025 - 06 - 30), 30, date!(2022 - 12 - 30)),
        ];
        for (from, months, expected) in cases {
            assert_eq!(months_before(from, months), expected, "{from} - {months}");
        }
        assert_eq!(months_before(TODAY, u32::MAX), Date::MIN);
    }

    #[test]
    fn reasons_at_their_levels() {
        for reason in Reason::ALL {
            let raw = reason.level(Tahapan::UjiCoba);
            let live = reason.level(Tahapan::Penerapan);
            let expected_live = match reason {
                Reason::OwnerUnitReorganised
                | Reason::NoLegalBasis
                | Reason::NoRecentMonitoring => Level::Berisiko,
                _ => Level::PerluPerhatian,
            };
            assert_eq!(live, expected_live, "{reason:?}");
            assert_eq!(
                raw == Level::Berisiko,
                matches!(
                    reason,
                    Reason::OwnerUnitReorganised | Reason::NoRecentMonitoring
                ),
                "{reason:?}"
            );
        }
        assert!(Level::Terjaga < Level::PerluPerhatian);
        assert!(Level::PerluPerhatian < Level::Berisiko);
        assert!(LegalKind::SkKepalaOpd < LegalKind::Perkada);
        assert!(LegalKind::Perkada < LegalKind::Perda);
    }

    #[test]
    fn levels_reasons_and_legal_kinds_round_trip_through_their_codes() {
        for v in Level::ALL {
            assert_eq!(Level::from_code(v.code()), Some(v));
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.code())
            );
            assert!(v.label_key().ends_with(v.code()));
        }
        for v in Reason::ALL {
            assert_eq!(Reason::from_code(v.code()), Some(v));
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.code())
            );
            assert!(v.label_key().ends_with(v.code()));
        }
        for v in LegalKind::ALL {
            assert_eq!(LegalKind::from_code(v.code()), Some(v));
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.code())
            );
            assert!(v.label_key().ends_with(v.code()));
        }
        assert_eq!(Reason::from_code("no_monitoring_12_months"), None);
        let json = serde_json::to_value(assess(
            &SustainabilityFacts {
                has_sop: false,
                ..healthy(Tahapan::Penerapan)
            },
            TODAY,
            MONITORING_WINDOW_MONTHS,
        ))
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "level": "perlu_perhatian", "reasons": ["no_sop"] })
        );
    }
}
