use std::fmt;

use serde::{Deserialize, Serialize};

/// A hierarchical org code such as `35`, `35.15` or `35.15.DINKES`.
///
/// Segments are separated by `.`. The first is the two-digit Kemendagri
/// province code. The second is either a two-digit regency/city code or, for
/// the province's own OPDs, a local segment with at least one letter
/// (`35.BAPPEDA`). Local segments are 1–24 characters of `A–Z`, `0–9` and `-`
/// (uppercased on parse). `_` and `%` can never occur, so a code is safe inside a SQL `LIKE`
/// prefix pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgCodeError {
    #[error("an org code starts with a two-digit Kemendagri province code")]
    Province,
    #[error(
        "the second segment of an org code is a two-digit regency/city code or a provincial OPD code"
    )]
    Region,
    #[error("a segment of an org code has 1 to 24 characters of A-Z, 0-9 and '-'")]
    Segment,
    #[error("an org code has at most 6 levels")]
    TooDeep,
}

impl OrgCodeError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Province => "org_code_province",
            Self::Region => "org_code_region",
            Self::Segment => "org_code_segment",
            Self::TooDeep => "org_code_too_deep",
        }
    }
}

const MAX_DEPTH: usize = 6;

fn is_two_digits(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A local segment (OPD or unit). Digits-only segments are allowed at depth
/// three and below so that existing numeric OPD codes can be kept.
fn is_local_segment(s: &str) -> bool {
    (1..=24).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

impl OrgCode {
    pub fn parse(input: &str) -> Result<Self, OrgCodeError> {
        let code = input.trim().to_ascii_uppercase();
        let segments: Vec<&str> = code.split('.').collect();
        if segments.len() > MAX_DEPTH {
            return Err(OrgCodeError::TooDeep);
        }
        if !is_two_digits(segments[0]) {
            return Err(OrgCodeError::Province);
        }
        if let Some(second) = segments.get(1)
            && !is_two_digits(second)
            && !(is_local_segment(second) && second.bytes().any(|b| b.is_ascii_uppercase()))
        {
            return Err(OrgCodeError::Region);
        }
        if segments.iter().skip(2).any(|s| !is_local_segment(s)) {
            return Err(OrgCodeError::Segment);
        }
        Ok(Self(code))
    }

    /// The code of a new child node with the given local segment.
    pub fn child(&self, segment: &str) -> Result<Self, OrgCodeError> {
        Self::parse(&format!("{}.{}", self.0, segment.trim()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The regency/city (`35.15`) or, for provincial nodes, the province
    /// (`35`) this node belongs to.
    pub fn region(&self) -> OrgCode {
        let mut parts = self.0.splitn(3, '.');
        match (parts.next(), parts.next()) {
            (Some(p), Some(r)) if is_two_digits(r) => OrgCode(format!("{p}.{r}")),
            (Some(p), _) => OrgCode(p.to_owned()),
            _ => self.clone(),
        }
    }

    /// Whether `other` is this node or lies below it.
    pub fn contains(&self, other: &OrgCode) -> bool {
        other.0 == self.0
            || (other.0.len() > self.0.len()
                && other.0.starts_with(&self.0)
                && other.0.as_bytes()[self.0.len()] == b'.')
    }

    /// `LIKE` pattern matching every strict descendant.
    pub fn descendants_pattern(&self) -> String {
        format!("{}.%", self.0)
    }

    pub fn depth(&self) -> usize {
        self.0.split('.').count()
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrgCode {
    type Error = OrgCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<OrgCode> for String {
    fn from(value: OrgCode) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> OrgCode {
        OrgCode::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(code("35").as_str(), "35");
        assert_eq!(code("35.15.dinkes").as_str(), "35.15.DINKES");
        assert_eq!(code("35.15.DINKES.PKM-SUKODONO").depth(), 4);
        assert_eq!(OrgCode::parse("3"), Err(OrgCodeError::Province));
        assert_eq!(OrgCode::parse("35.1"), Err(OrgCodeError::Region));
        assert_eq!(OrgCode::parse("35.123"), Err(OrgCodeError::Region));
        assert_eq!(code("35.bappeda").as_str(), "35.BAPPEDA");
        assert_eq!(OrgCode::parse("35.15.DIN_KES"), Err(OrgCodeError::Segment));
        assert_eq!(OrgCode::parse("35.15.DIN%"), Err(OrgCodeError::Segment));
        assert_eq!(OrgCode::parse("35.15."), Err(OrgCodeError::Segment));
        assert_eq!(OrgCode::parse("35.15.-X"), Err(OrgCodeError::Segment));
        assert_eq!(
            OrgCode::parse("35.15.A.B.C.D.E"),
            Err(OrgCodeError::TooDeep)
        );
    }

    #[test]
    fn subtree_membership_is_by_whole_segments() {
        assert!(code("35").contains(&code("35.15.DINKES")));
        assert!(code("35.15").contains(&code("35.15")));
        assert!(code("35.15").contains(&code("35.15.DINKES")));
        assert!(!code("35.15").contains(&code("35.16.DINKES")));
        assert!(!code("35.15.DINKES").contains(&code("35.15.DINKESOS")));
        assert!(!code("35.15.DINKES").contains(&code("35.15")));
    }

    #[test]
    fn region_of_a_node() {
        assert_eq!(code("35.15.DINKES.PKM").region().as_str(), "35.15");
        assert_eq!(code("35.BAPPEDA.UPT-1").region().as_str(), "35");
        assert_eq!(code("35").region().as_str(), "35");
    }
}
