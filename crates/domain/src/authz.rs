//! Authorisation, decided in one place.
//!
//! A [`Grant`] gives a [`Role`] at an org node and everything below it. A
//! [`Principal`] is the caller with its grants; asking it for a
//! [`Permission`] yields a [`Scope`]: the subtrees where the caller may use
//! that permission. Store functions that read or change non-public data take
//! a `&Scope` and filter by it, so a handler cannot forget the check, and data
//! outside the scope is indistinguishable from data that does not exist.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::identity::{AccountId, AccountKind};
use crate::orgs::{OrgCode, PROVINCE_CODE};

/// A role, held at an org node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the platform for a node: accounts, roles, org tree, audit log.
    /// Held at the province root it is the province administrator.
    Administrator,
    /// Maintains the innovations of a region or OPD.
    InnovationAdmin,
    /// Reviews submitted innovations (usually the provincial team).
    Curator,
    /// Judges KOVABLIK entries.
    Juror,
    /// Runs satisfaction surveys of service units.
    SurveyAdmin,
    /// Runs ASN Belajar sessions.
    LearningAdmin,
    /// Manages desks and rooms of an office.
    SpaceAdmin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Self::Administrator,
        Self::InnovationAdmin,
        Self::Curator,
        Self::Juror,
        Self::SurveyAdmin,
        Self::LearningAdmin,
        Self::SpaceAdmin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::InnovationAdmin => "innovation_admin",
            Self::Curator => "curator",
            Self::Juror => "juror",
            Self::SurveyAdmin => "survey_admin",
            Self::LearningAdmin => "learning_admin",
            Self::SpaceAdmin => "space_admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What the role allows, inside the subtree where it is held.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::Administrator => &[
                ManageAccounts,
                ManageOrgs,
                ViewAudit,
                ManageClients,
                ManageInnovations,
                ManageSurveys,
                ManageLearning,
                ManageSpaces,
            ],
            Self::InnovationAdmin => &[ManageInnovations],
            Self::Curator => &[CurateInnovations],
            Self::Juror => &[Judge],
            Self::SurveyAdmin => &[ManageSurveys],
            Self::LearningAdmin => &[ManageLearning],
            Self::SpaceAdmin => &[ManageSpaces],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Something a caller may do within a subtree of the org tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Create accounts and grant or revoke roles.
    ManageAccounts,
    /// Create and edit OPDs and units.
    ManageOrgs,
    /// Read the audit log.
    ViewAudit,
    /// Register OpenID Connect clients (meaningful at the province root).
    ManageClients,
    ManageInnovations,
    CurateInnovations,
    Judge,
    ManageSurveys,
    ManageLearning,
    ManageSpaces,
}

/// A role held at an org node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub org: OrgCode,
}

/// How far a bearer token may act for its owner. Browser sessions have all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    /// Read what the owner may read.
    Read,
    /// Change what the owner may change (outside administration).
    Write,
    /// Administration: accounts, roles, org tree, audit log.
    Admin,
}

impl ApiScope {
    pub const ALL: [ApiScope; 3] = [Self::Read, Self::Write, Self::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl Permission {
    /// The token scope needed to use this permission through the API.
    pub fn api_scope(self) -> ApiScope {
        match self {
            Self::ManageAccounts | Self::ManageOrgs | Self::ViewAudit | Self::ManageClients => {
                ApiScope::Admin
            }
            _ => ApiScope::Write,
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: AccountId,
    pub kind: AccountKind,
    grants: Vec<Grant>,
    /// `None` for a browser session (every scope); `Some` for a bearer token.
    token_scopes: Option<Vec<ApiScope>>,
}

impl Principal {
    pub fn new(account: AccountId, kind: AccountKind, grants: Vec<Grant>) -> Self {
        Self {
            account,
            kind,
            grants,
            token_scopes: None,
        }
    }

    /// The same caller acting through a token limited to `scopes`.
    #[must_use]
    pub fn with_token_scopes(mut self, scopes: Vec<ApiScope>) -> Self {
        self.token_scopes = Some(scopes);
        self
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn has_api_scope(&self, scope: ApiScope) -> bool {
        self.token_scopes
            .as_ref()
            .is_none_or(|s| s.contains(&scope))
    }

    /// Where the caller may use `perm`, or `None` if nowhere.
    pub fn scope(&self, perm: Permission) -> Option<Scope> {
        if !self.has_api_scope(perm.api_scope()) {
            return None;
        }
        let roots = self
            .grants
            .iter()
            .filter(|g| g.role.permissions().contains(&perm))
            .map(|g| g.org.clone());
        Scope::from_roots(perm, roots)
    }

    /// Whether the caller may grant `role` at `org`: it must manage accounts
    /// there. Granting never reaches outside the granter's own subtrees.
    pub fn may_grant(&self, org: &OrgCode) -> bool {
        self.scope(Permission::ManageAccounts)
            .is_some_and(|s| s.contains(org))
    }
}

/// Proof that the caller may use a permission, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    perm: Permission,
    /// Subtree roots, none inside another, sorted.
    roots: Vec<OrgCode>,
}

impl Scope {
    fn from_roots(perm: Permission, roots: impl IntoIterator<Item = OrgCode>) -> Option<Self> {
        let mut all: Vec<OrgCode> = roots.into_iter().collect();
        all.sort();
        all.dedup();
        let minimal: Vec<OrgCode> = all
            .iter()
            .filter(|c| !all.iter().any(|other| other != *c && other.contains(c)))
            .cloned()
            .collect();
        (!minimal.is_empty()).then_some(Self {
            perm,
            roots: minimal,
        })
    }

    /// The whole province, for the command line and background jobs that act
    /// as the system itself.
    pub fn system(perm: Permission) -> Self {
        Self {
            perm,
            roots: vec![OrgCode::parse(PROVINCE_CODE).expect("province code is valid")],
        }
    }

    /// The system acting inside one subtree only: for aggregates of a region
    /// that are public anyway (a region's dashboard), never for a caller.
    pub fn system_at(perm: Permission, root: OrgCode) -> Self {
        Self {
            perm,
            roots: vec![root],
        }
    }

    pub fn permission(&self) -> Permission {
        self.perm
    }

    pub fn roots(&self) -> &[OrgCode] {
        &self.roots
    }

    pub fn contains(&self, org: &OrgCode) -> bool {
        self.roots.iter().any(|r| r.contains(org))
    }

    pub fn is_province_wide(&self) -> bool {
        self.roots.iter().any(|r| r.as_str() == PROVINCE_CODE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> OrgCode {
        OrgCode::parse(s).unwrap()
    }

    fn principal(grants: &[(Role, &str)]) -> Principal {
        Principal::new(
            AccountId(1),
            AccountKind::Asn,
            grants
                .iter()
                .map(|(role, org)| Grant {
                    role: *role,
                    org: code(org),
                })
                .collect(),
        )
    }

    #[test]
    fn region_admin_is_scoped_to_its_region() {
        let p = principal(&[(Role::Administrator, "35.15")]);
        let scope = p.scope(Permission::ManageOrgs).unwrap();
        assert!(scope.contains(&code("35.15.DINKES")));
        assert!(!scope.contains(&code("35.16.DINKES")));
        assert!(!scope.contains(&code("35")));
        assert!(!scope.is_province_wide());
        assert!(p.may_grant(&code("35.15.DINKES")));
        assert!(!p.may_grant(&code("35.78")));
    }

    #[test]
    fn roles_give_only_their_permissions() {
        let p = principal(&[(Role::InnovationAdmin, "35.15")]);
        assert!(p.scope(Permission::ManageInnovations).is_some());
        assert!(p.scope(Permission::ManageOrgs).is_none());
        assert!(p.scope(Permission::ViewAudit).is_none());
        assert!(!p.may_grant(&code("35.15")));
    }

    #[test]
    fn nested_roots_collapse_and_separate_roots_stay() {
        let p = principal(&[
            (Role::Administrator, "35.15.DINKES"),
            (Role::Administrator, "35.15"),
            (Role::Administrator, "35.78"),
        ]);
        let scope = p.scope(Permission::ManageOrgs).unwrap();
        assert_eq!(scope.roots(), &[code("35.15"), code("35.78")]);
    }

    #[test]
    fn token_scopes_limit_the_owner() {
        let p = principal(&[(Role::Administrator, "35")]).with_token_scopes(vec![ApiScope::Read]);
        assert!(p.scope(Permission::ManageAccounts).is_none());
        assert!(p.scope(Permission::ManageInnovations).is_none());
        let p = principal(&[(Role::Administrator, "35")]).with_token_scopes(vec![ApiScope::Admin]);
        assert!(
            p.scope(Permission::ManageAccounts)
                .unwrap()
                .is_province_wide()
        );
    }
}
