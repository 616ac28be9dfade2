//! What an innovation is: its form (bentuk), its kind (jenis), who started it
//! (inisiator), how far it has come (tahapan) and the SDGs it serves.
//!
//! The codes are the ones the national IID (Indeks Inovasi Daerah) reporting
//! uses for the categories of PP 38/2017, so an export needs no mapping
//! table. They are also the serde names, so a stored snapshot and a form
//! value spell a category the same way.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Bentuk inovasi daerah: what part of regional government the innovation
/// changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bentuk {
    /// Inovasi tata kelola pemerintahan daerah: how the regional government
    /// itself works (planning, budgeting, staffing, internal processes).
    TataKelola,
    /// Inovasi pelayanan publik: a service citizens or businesses receive.
    PelayananPublik,
    /// Inovasi daerah lainnya sesuai urusan pemerintahan yang menjadi
    /// kewenangan daerah.
    Lainnya,
}

impl Bentuk {
    pub const ALL: [Bentuk; 3] = [Self::TataKelola, Self::PelayananPublik, Self::Lainnya];

    pub fn code(self) -> &'static str {
        match self {
            Self::TataKelola => "tata_kelola",
            Self::PelayananPublik => "pelayanan_publik",
            Self::Lainnya => "lainnya",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::TataKelola => "innovation.bentuk.tata_kelola",
            Self::PelayananPublik => "innovation.bentuk.pelayanan_publik",
            Self::Lainnya => "innovation.bentuk.lainnya",
        }
    }
}

/// Jenis inovasi: whether it depends on information technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jenis {
    Digital,
    NonDigital,
}

impl Jenis {
    pub const ALL: [Jenis; 2] = [Self::Digital, Self::NonDigital];

    pub fn code(self) -> &'static str {
        match self {
            Self::Digital => "digital",
            Self::NonDigital => "non_digital",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Digital => "innovation.jenis.digital",
            Self::NonDigital => "innovation.jenis.non_digital",
        }
    }
}

/// Inisiator: where the idea came from. PP 38/2017 lets any of these
/// propose a regional innovation, and the IID index reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inisiator {
    KepalaDaerah,
    AnggotaDprd,
    PerangkatDaerah,
    /// An individual civil servant (aparatur sipil negara).
    Asn,
    /// Anggota masyarakat: a citizen or community group.
    Masyarakat,
}

impl Inisiator {
    pub const ALL: [Inisiator; 5] = [
        Self::KepalaDaerah,
        Self::AnggotaDprd,
        Self::PerangkatDaerah,
        Self::Asn,
        Self::Masyarakat,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::KepalaDaerah => "kepala_daerah",
            Self::AnggotaDprd => "anggota_dprd",
            Self::PerangkatDaerah => "perangkat_daerah",
            Self::Asn => "asn",
            Self::Masyarakat => "masyarakat",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::KepalaDaerah => "innovation.inisiator.kepala_daerah",
            Self::AnggotaDprd => "innovation.inisiator.anggota_dprd",
            Self::PerangkatDaerah => "innovation.inisiator.perangkat_daerah",
            Self::Asn => "innovation.inisiator.asn",
            Self::Masyarakat => "innovation.inisiator.masyarakat",
        }
    }
}

/// Tahapan inovasi: the stage reached. The order is meaningful (`Ord`): an
/// innovation passes through every stage before its current one, which is
/// what the stage-date rules of the profile rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tahapan {
    /// The idea is worked out; nothing runs yet.
    Inisiatif,
    /// Tried out on a limited scale.
    UjiCoba,
    /// In regular operation.
    Penerapan,
}

impl Tahapan {
    /// Every stage, earliest first.
    pub const ALL: [Tahapan; 3] = [Self::Inisiatif, Self::UjiCoba, Self::Penerapan];

    pub fn code(self) -> &'static str {
        match self {
            Self::Inisiatif => "inisiatif",
            Self::UjiCoba => "uji_coba",
            Self::Penerapan => "penerapan",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Inisiatif => "innovation.tahapan.inisiatif",
            Self::UjiCoba => "innovation.tahapan.uji_coba",
            Self::Penerapan => "innovation.tahapan.penerapan",
        }
    }

    /// The form field holding the date this stage started.
    pub fn date_field(self) -> &'static str {
        match self {
            Self::Inisiatif => "date_inisiatif",
            Self::UjiCoba => "date_uji_coba",
            Self::Penerapan => "date_penerapan",
        }
    }
}

impl fmt::Display for Tahapan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

// ---------------------------------------------------------------------------
// Sustainable Development Goals
// ---------------------------------------------------------------------------

/// Why an SDG value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an SDG is one of the goals 1 to 17")]
pub struct SdgError;

impl SdgError {
    /// Stable code, used as the translation key suffix and in API errors.
    pub fn code(&self) -> &'static str {
        "sdg_invalid"
    }
}

/// One of the 17 Sustainable Development Goals, by number. Innovations are
/// tagged with the goals they serve so the catalogue can be filtered by
/// them and the province can report its contribution per goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Sdg(u8);

/// Translation keys of the goals' names, goal 1 first.
const SDG_LABEL_KEYS: [&str; Sdg::COUNT as usize] = [
    "innovation.sdg.1",
    "innovation.sdg.2",
    "innovation.sdg.3",
    "innovation.sdg.4",
    "innovation.sdg.5",
    "innovation.sdg.6",
    "innovation.sdg.7",
    "innovation.sdg.8",
    "innovation.sdg.9",
    "innovation.sdg.10",
    "innovation.sdg.11",
    "innovation.sdg.12",
    "innovation.sdg.13",
    "innovation.sdg.14",
    "innovation.sdg.15",
    "innovation.sdg.16",
    "innovation.sdg.17",
];

impl Sdg {
    /// Number of goals of the 2030 Agenda.
    pub const COUNT: u8 = 17;

    pub fn new(goal: u8) -> Result<Self, SdgError> {
        if (1..=Self::COUNT).contains(&goal) {
            Ok(Self(goal))
        } else {
            Err(SdgError)
        }
    }

    /// Parses a form value: the goal's number in ASCII digits, surrounding
    /// whitespace ignored. Signs, decimals and words are refused, so a
    /// tampered checkbox value cannot slip through as something else.
    pub fn parse(input: &str) -> Result<Self, SdgError> {
        let digits = input.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SdgError);
        }
        // Digits only, so the parse fails only on overflow: out of range.
        let goal: u8 = digits.parse().map_err(|_| SdgError)?;
        Self::new(goal)
    }

    /// Every goal, 1 to 17, for a list of checkboxes.
    pub fn all() -> impl Iterator<Item = Sdg> {
        (1..=Self::COUNT).map(Sdg)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn label_key(self) -> &'static str {
        SDG_LABEL_KEYS[usize::from(self.0 - 1)]
    }
}

impl fmt::Display for Sdg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<u8> for Sdg {
    type Error = SdgError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Sdg> for u8 {
    fn from(value: Sdg) -> Self {
        value.0
    }
}

/// The SDGs of an innovation: sorted and without duplicates by
/// construction, so two profiles tagged with the same goals compare equal
/// and a version diff never reports a mere reordering as a change.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "Vec<Sdg>", into = "Vec<Sdg>")]
pub struct Sdgs(Vec<Sdg>);

impl Sdgs {
    pub fn new(goals: impl IntoIterator<Item = Sdg>) -> Self {
        let mut goals: Vec<Sdg> = goals.into_iter().collect();
        goals.sort_unstable();
        goals.dedup();
        Self(goals)
    }

    pub fn as_slice(&self) -> &[Sdg] {
        &self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = Sdg> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, goal: Sdg) -> bool {
        self.0.binary_search(&goal).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Sdg> for Sdgs {
    fn from_iter<I: IntoIterator<Item = Sdg>>(iter: I) -> Self {
        Self::new(iter)
    }
}

/// Snapshots may hold goals in any order; they are normalised on load.
impl From<Vec<Sdg>> for Sdgs {
    fn from(value: Vec<Sdg>) -> Self {
        Self::new(value)
    }
}

impl From<Sdgs> for Vec<Sdg> {
    fn from(value: Sdgs) -> Self {
        value.0
    }
}

/// `1, 3, 17`: how a version history shows the goals.
impl fmt::Display for Sdgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, goal) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{goal}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_codes<T>(
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
            assert!(key(value).ends_with(code(value)), "{}", key(value));
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(json, format!("\"{}\"", code(value)));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *value);
        }
        assert_eq!(from(""), None);
        assert_eq!(from("unknown"), None);
    }

    #[test]
    fn categories_round_trip_through_their_codes_and_serde() {
        check_codes(
            &Bentuk::ALL,
            |v| v.code(),
            Bentuk::from_code,
            |v| v.label_key(),
            "innovation.bentuk.",
        );
        check_codes(
            &Jenis::ALL,
            |v| v.code(),
            Jenis::from_code,
            |v| v.label_key(),
            "innovation.jenis.",
        );
        check_codes(
            &Inisiator::ALL,
            |v| v.code(),
            Inisiator::from_code,
            |v| v.label_key(),
            "innovation.inisiator.",
        );
        check_codes(
            &Tahapan::ALL,
            |v| v.code(),
            Tahapan::from_code,
            |v| v.label_key(),
            "innovation.tahapan.",
        );
        // Codes are exact: no case folding, no spaces.
        assert_eq!(Bentuk::from_code("Tata_Kelola"), None);
        assert_eq!(Jenis::from_code("non-digital"), None);
        assert_eq!(Inisiator::from_code(" asn"), None);
    }

    #[test]
    fn stages_are_ordered_inisiatif_then_uji_coba_then_penerapan() {
        assert!(Tahapan::Inisiatif < Tahapan::UjiCoba);
        assert!(Tahapan::UjiCoba < Tahapan::Penerapan);
        let mut sorted = Tahapan::ALL;
        sorted.sort();
        assert_eq!(sorted, Tahapan::ALL, "ALL lists the stages in order");
        assert_eq!(Tahapan::UjiCoba.date_field(), "date_uji_coba");
        assert_eq!(Tahapan::Penerapan.to_string(), "penerapan");
    }

    #[test]
    fn sdgs_are_the_goals_1_to_17() {
        for (input, goal) in [("1", 1), ("17", 17), (" 3 ", 3), ("08", 8)] {
            assert_eq!(Sdg::parse(input).map(Sdg::get), Ok(goal), "{input:?}");
        }
        for bad in [
            "", " ", "0", "18", "255", "256", "99999", "-1", "+3", "3.0", "3,", "tiga", "SDG 3",
            "٣",
        ] {
            assert_eq!(Sdg::parse(bad), Err(SdgError), "{bad:?}");
        }
        assert_eq!(SdgError.code(), "sdg_invalid");
        assert_eq!(Sdg::all().count(), 17);
        assert_eq!(Sdg::all().map(Sdg::get).last(), Some(17));
        assert_eq!(Sdg::new(1).unwrap().label_key(), "innovation.sdg.1");
        assert_eq!(Sdg::new(17).unwrap().label_key(), "innovation.sdg.17");
    }

    #[test]
    fn sdgs_serialise_as_numbers_and_refuse_other_goals() {
        let goal = Sdg::new(11).unwrap();
        assert_eq!(serde_json::to_string(&goal).unwrap(), "11");
        assert_eq!(serde_json::from_str::<Sdg>("11").unwrap(), goal);
        assert!(serde_json::from_str::<Sdg>("0").is_err());
        assert!(serde_json::from_str::<Sdg>("18").is_err());
    }

    #[test]
    fn an_sdg_set_is_sorted_and_deduplicated_and_reads_1_3_17() {
        let goals: Sdgs = [17, 3, 1, 3]
            .into_iter()
            .map(|g| Sdg::new(g).unwrap())
            .collect();
        assert_eq!(
            goals.iter().map(Sdg::get).collect::<Vec<_>>(),
            vec![1, 3, 17]
        );
        assert_eq!(goals.to_string(), "1, 3, 17");
        assert_eq!(goals.len(), 3);
        assert!(goals.contains(Sdg::new(3).unwrap()));
        assert!(!goals.contains(Sdg::new(4).unwrap()));
        assert_eq!(Sdgs::default().to_string(), "");
        assert!(Sdgs::default().is_empty());

        assert_eq!(serde_json::to_string(&goals).unwrap(), "[1,3,17]");
        let loaded: Sdgs = serde_json::from_str("[17,1,3,1]").unwrap();
        assert_eq!(loaded, goals, "snapshots are normalised on load");
        assert!(serde_json::from_str::<Sdgs>("[1,20]").is_err());
    }
}
