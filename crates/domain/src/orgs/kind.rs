use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Provinsi,
    Kabupaten,
    Kota,
    /// Perangkat daerah: a regional government agency (dinas, badan, biro…).
    Opd,
    /// A unit under an OPD: UPT, puskesmas, service counter…
    Unit,
}

impl OrgKind {
    pub const ALL: [OrgKind; 5] = [
        Self::Provinsi,
        Self::Kabupaten,
        Self::Kota,
        Self::Opd,
        Self::Unit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Provinsi => "provinsi",
            Self::Kabupaten => "kabupaten",
            Self::Kota => "kota",
            Self::Opd => "opd",
            Self::Unit => "unit",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Regions are reference data shipped by migration; only OPDs and units
    /// are created at run time.
    pub fn is_region(self) -> bool {
        matches!(self, Self::Provinsi | Self::Kabupaten | Self::Kota)
    }

    /// Whether a node of this kind may hang directly under `parent`.
    pub fn may_have_parent(self, parent: OrgKind) -> bool {
        match self {
            Self::Provinsi => false,
            Self::Kabupaten | Self::Kota => parent == Self::Provinsi,
            Self::Opd => parent.is_region(),
            Self::Unit => matches!(parent, Self::Opd | Self::Unit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_shape_rules() {
        assert!(OrgKind::Opd.may_have_parent(OrgKind::Provinsi));
        assert!(OrgKind::Opd.may_have_parent(OrgKind::Kota));
        assert!(OrgKind::Unit.may_have_parent(OrgKind::Opd));
        assert!(OrgKind::Unit.may_have_parent(OrgKind::Unit));
        assert!(!OrgKind::Unit.may_have_parent(OrgKind::Kabupaten));
        assert!(!OrgKind::Opd.may_have_parent(OrgKind::Opd));
        assert!(!OrgKind::Kota.may_have_parent(OrgKind::Kabupaten));
        assert!(!OrgKind::Provinsi.may_have_parent(OrgKind::Provinsi));
    }
}
