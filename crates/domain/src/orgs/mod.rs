//! The organisation tree: Provinsi Jawa Timur → kabupaten/kota → perangkat
//! daerah (OPD) → units (UPT, service units).
//!
//! Every node has a hierarchical [`OrgCode`]. The province and regencies/
//! cities use their Kemendagri codes (`35`, `35.15`); OPDs and units add one
//! segment per level (`35.15.DINKES`, `35.15.DINKES.PKM-SUKODONO`). Because a
//! code starts with its parent's code, "is X inside Y's subtree" is a prefix
//! test, which is how authorisation scopes are checked (see [`crate::authz`]).

mod code;
mod kind;

pub use code::{OrgCode, OrgCodeError};
pub use kind::OrgKind;

use serde::{Deserialize, Serialize};

/// Database identifier of an org node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgId(pub i64);

/// Kemendagri code of Provinsi Jawa Timur, the root of the tree.
pub const PROVINCE_CODE: &str = "35";
