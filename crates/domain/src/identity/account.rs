use serde::{Deserialize, Serialize};

/// Database identifier of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub i64);

/// Who an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A civil servant (Aparatur Sipil Negara); carries a NIP.
    Asn,
    /// A member of the public (warga).
    Public,
    /// A machine account used by another system; signs in with tokens only.
    Service,
}

impl AccountKind {
    pub const ALL: [AccountKind; 3] = [Self::Asn, Self::Public, Self::Service];

    pub fn code(self) -> &'static str {
        match self {
            Self::Asn => "asn",
            Self::Public => "public",
            Self::Service => "service",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// Locked by an administrator.
    Locked,
    /// Created by just-in-time provisioning; waits for an administrator.
    Pending,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 3] = [Self::Active, Self::Locked, Self::Pending];

    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Pending => "pending",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}
