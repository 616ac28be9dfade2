//! Nomor Induk Pegawai: the 18-digit civil-servant number (Perka BKN 22/2007).
//!
//! Layout: `YYYYMMDD` birth date, `YYYYMM` TMT CPNS (month of appointment as
//! candidate civil servant), one gender digit (1 male, 2 female) and a
//! three-digit sequence number. People often type it with spaces
//! (`19860926 201505 1 001`); spaces are ignored.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A NIP whose every part was checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nip(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
}

/// Why a NIP was rejected; each variant names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NipError {
    #[error("a NIP has 18 digits, found {found}")]
    Length { found: usize },
    #[error("a NIP contains only digits")]
    NotDigits,
    #[error("digits 1-8 are not a real birth date (YYYYMMDD)")]
    BirthDate,
    #[error("digits 9-14 are not a real TMT CPNS month (YYYYMM)")]
    TmtMonth,
    #[error("the TMT CPNS (digits 9-14) is not after the birth date")]
    TmtBeforeBirth,
    #[error("digit 15 (gender) must be 1 or 2")]
    Gender,
    #[error("digits 16-18 (sequence number) must not be 000")]
    Sequence,
}

impl NipError {
    /// Stable code, used as the translation key suffix and in API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "nip_length",
            Self::NotDigits => "nip_not_digits",
            Self::BirthDate => "nip_birth_date",
            Self::TmtMonth => "nip_tmt_month",
            Self::TmtBeforeBirth => "nip_tmt_before_birth",
            Self::Gender => "nip_gender",
            Self::Sequence => "nip_sequence",
        }
    }
}

/// Years outside this range are typing mistakes, not civil servants.
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2099;

impl Nip {
    pub fn parse(input: &str) -> Result<Self, NipError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(NipError::NotDigits);
        }
        if digits.len() != 18 {
            return Err(NipError::Length {
                found: digits.len(),
            });
        }
        let num = |range: std::ops::Range<usize>| -> i32 {
            digits[range]
                .bytes()
                .fold(0, |acc, b| acc * 10 + i32::from(b - b'0'))
        };
        let (birth_year, birth_month, birth_day) = (num(0..4), num(4..6), num(6..8));
        let birth_month_t = u8::try_from(birth_month)
            .ok()
            .and_then(|m| time::Month::try_from(m).ok())
            .ok_or(NipError::BirthDate)?;
        if !PLAUSIBLE_YEARS.contains(&birth_year) {
            return Err(NipError::BirthDate);
        }
        let birth_day = u8::try_from(birth_day).map_err(|_| NipError::BirthDate)?;
        time::Date::from_calendar_date(birth_year, birth_month_t, birth_day)
            .map_err(|_| NipError::BirthDate)?;

        let (tmt_year, tmt_month) = (num(8..12), num(12..14));
        if !PLAUSIBLE_YEARS.contains(&tmt_year) || !(1..=12).contains(&tmt_month) {
            return Err(NipError::TmtMonth);
        }
        if (tmt_year, tmt_month) <= (birth_year, birth_month) {
            return Err(NipError::TmtBeforeBirth);
        }
        if !matches!(&digits[14..15], "1" | "2") {
            return Err(NipError::Gender);
        }
        if &digits[15..18] == "000" {
            return Err(NipError::Sequence);
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> time::Date {
        let y: i32 = self.0[0..4].parse().unwrap_or(1900);
        let m: u8 = self.0[4..6].parse().unwrap_or(1);
        let d: u8 = self.0[6..8].parse().unwrap_or(1);
        time::Date::from_calendar_date(
            y,
            time::Month::try_from(m).unwrap_or(time::Month::January),
            d,
        )
        .unwrap_or(time::Date::MIN)
    }

    pub fn gender(&self) -> Gender {
        if &self.0[14..15] == "1" {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// The grouped form civil servants are used to: `19860926 201505 1 001`.
    pub fn grouped(&self) -> String {
        format!(
            "{} {} {} {}",
            &self.0[0..8],
            &self.0[8..14],
            &self.0[14..15],
            &self.0[15..18]
        )
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Nip {
    type Error = NipError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Nip> for String {
    fn from(value: Nip) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_nips_with_or_without_spaces() {
        for input in [
            "198609262015051001",
            "19860926 201505 1 001",
            " 19860926201505 2 999 ",
            "200002292024011001", // 29 February of a leap year
            "196512311990121002",
        ] {
            assert!(Nip::parse(input).is_ok(), "{input} should be accepted");
        }
        let nip = Nip::parse("19860926 201505 1 001").unwrap();
        assert_eq!(nip.as_str(), "198609262015051001");
        assert_eq!(nip.grouped(), "19860926 201505 1 001");
        assert_eq!(nip.gender(), Gender::Male);
        assert_eq!(nip.birth_date().to_string(), "1986-09-26");
    }

    #[test]
    fn names_the_part_that_is_wrong() {
        let cases: &[(&str, NipError)] = &[
            ("", NipError::Length { found: 0 }),
            ("19860926201505100", NipError::Length { found: 17 }),
            ("1986092620150510011", NipError::Length { found: 19 }),
            ("19860926-201505-1-001", NipError::NotDigits),
            ("1986092620150510O1", NipError::NotDigits),
            ("١٩٨٦٠٩٢٦٢٠١٥٠٥١٠٠١", NipError::NotDigits), // Arabic-Indic digits are not ASCII
            ("198613262015051001", NipError::BirthDate), // month 13
            ("198609312015051001", NipError::BirthDate), // 31 September
            ("199902292020011001", NipError::BirthDate), // 29 February, not a leap year
            ("198600002015051001", NipError::BirthDate), // month 00
            ("198609002015051001", NipError::BirthDate), // day 00
            ("180009262015051001", NipError::BirthDate), // implausible year
            ("198609262015131001", NipError::TmtMonth),  // TMT month 13
            ("198609262015001001", NipError::TmtMonth),  // TMT month 00
            ("198609261985051001", NipError::TmtBeforeBirth),
            ("198609261986091001", NipError::TmtBeforeBirth), // same month as birth
            ("198609262015053001", NipError::Gender),
            ("198609262015050001", NipError::Gender),
            ("198609262015051000", NipError::Sequence),
        ];
        for (input, expected) in cases {
            assert_eq!(Nip::parse(input).as_ref(), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn deserialises_only_valid_nips() {
        let ok: Result<Nip, _> = serde_json::from_str("\"198609262015051001\"");
        assert!(ok.is_ok());
        let bad: Result<Nip, _> = serde_json::from_str("\"198609262015053001\"");
        assert!(bad.is_err());
    }
}
