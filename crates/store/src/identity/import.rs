//! Importing ASN accounts from the lists personnel departments keep (NIP,
//! name, e-mail, unit, position). The NIP is the key: an account with that
//! NIP is updated, otherwise one is created, so importing the same list
//! twice changes nothing. Imported accounts have no password: no password
//! signs them in until one is set through a reset link or brokering.

use std::collections::HashSet;

use rumah_domain::authz::Scope;
use rumah_domain::identity::{AccountKind, AccountStatus, Email, Nip, NipError, Username};
use rumah_domain::orgs::OrgCode;
use rumah_domain::time::Timestamp;

use crate::identity::accounts::{self, CreateAccountError, NewAccount};
use crate::{Exec, StoreError, orgs, q};

/// One data row as read from the file.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub nip: String,
    pub name: String,
    pub email: String,
    pub unit: String,
    pub position: String,
}

/// Why a row cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Nip(NipError),
    NameMissing,
    Email,
    /// Not an org node, or one outside the importer's scope.
    UnknownUnit,
    /// The NIP is on an earlier line of the same file.
    DuplicateNip {
        first_line: usize,
    },
    /// The e-mail belongs to another account.
    EmailTaken,
    /// The NIP's account belongs to an org node outside the importer's scope.
    NipOutsideScope,
}

impl Problem {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Nip(_) => "nip",
            Self::NameMissing => "name_missing",
            Self::Email => "email",
            Self::UnknownUnit => "unknown_unit",
            Self::DuplicateNip { .. } => "duplicate_nip",
            Self::EmailTaken => "email_taken",
            Self::NipOutsideScope => "nip_outside_scope",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Invalid(Vec<Problem>),
}

#[derive(Debug, Clone)]
pub struct RowReport {
    pub line: usize,
    pub nip: String,
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rows: Vec<RowReport>,
    /// Whether the changes were written (not a dry run, and no error
    /// rows unless only the valid rows were asked for).
    pub applied: bool,
    pub dry_run: bool,
}

impl Report {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.rows.iter().filter(|r| f(&r.outcome)).count()
    }
    pub fn created(&self) -> usize {
        self.count(|o| *o == Outcome::Created)
    }
    pub fn updated(&self) -> usize {
        self.count(|o| *o == Outcome::Updated)
    }
    pub fn unchanged(&self) -> usize {
        self.count(|o| *o == Outcome::Unchanged)
    }
    pub fn invalid(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Invalid(_)))
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub dry_run: bool,
    pub only_valid: bool,
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    display_name: String,
    email: Option<String>,
    org_id: Option<i64>,
    org_code: Option<String>,
    position: Option<String>,
}

/// A checked row and what it would do.
struct Plan {
    nip: Nip,
    name: String,
    email: Option<Email>,
    org_id: i64,
    position: Option<String>,
    existing: Option<Existing>,
}

/// The username of an imported account: `asn.` and the NIP (a bare NIP
/// is not a username; sign-in accepts the NIP anyway).
pub fn username_for(nip: &Nip) -> Username {
    Username::parse(&format!("asn.{}", nip.as_str())).expect("asn.<18 digits> is a username")
}

async fn check(
    ex: &mut impl Exec,
    scope: &Scope,
    row: &Row,
    seen: &mut HashSet<String>,
    first_lines: &mut std::collections::HashMap<String, usize>,
) -> Result<Result<Plan, Vec<Problem>>, StoreError> {
    let mut problems = Vec::new();
    let nip = match Nip::parse(&row.nip) {
        Ok(n) => {
            if !seen.insert(n.as_str().to_owned()) {
                problems.push(Problem::DuplicateNip {
                    first_line: first_lines.get(n.as_str()).copied().unwrap_or(0),
                });
            } else {
                first_lines.insert(n.as_str().to_owned(), row.line);
            }
            Some(n)
        }
        Err(e) => {
            problems.push(Problem::Nip(e));
            None
        }
    };
    let name = row.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        problems.push(Problem::NameMissing);
    }
    let email = if row.email.trim().is_empty() {
        None
    } else {
        match Email::parse(&row.email) {
            Ok(e) => Some(e),
            Err(_) => {
                problems.push(Problem::Email);
                None
            }
        }
    };
    let org = match OrgCode::parse(row.unit.trim()) {
        Ok(code) if scope.contains(&code) => orgs::by_code(ex, &code).await?,
        _ => None,
    };
    if org.is_none() {
        problems.push(Problem::UnknownUnit);
    }
    let existing: Option<Existing> = match &nip {
        Some(n) => {
            ex.fetch_optional(q!(
                "SELECT a.id, a.display_name, a.email, a.org_id, o.code AS org_code, a.position
                 FROM accounts a LEFT JOIN org_nodes o ON o.id = a.org_id WHERE a.nip = $1",
                n.as_str()
            ))
            .await?
        }
        None => None,
    };
    if let Some(e) = &existing {
        let inside = e
            .org_code
            .as_deref()
            .and_then(|c| OrgCode::parse(c).ok())
            .is_some_and(|c| scope.contains(&c))
            || (e.org_code.is_none() && scope.is_province_wide());
        if !inside {
            problems.push(Problem::NipOutsideScope);
        }
    }
    if let Some(mail) = &email {
        let owner: Option<(i64,)> = ex
            .fetch_optional(q!(
                "SELECT id FROM accounts WHERE email = $1",
                mail.as_str()
            ))
            .await?;
        if owner.is_some_and(|(id,)| existing.as_ref().is_none_or(|e| e.id != id)) {
            problems.push(Problem::EmailTaken);
        }
    }
    match (nip, org) {
        (Some(nip), Some(org)) if problems.is_empty() => {
            let position = Some(row.position.trim())
                .filter(|p| !p.is_empty())
                .map(str::to_owned);
            Ok(Ok(Plan {
                nip,
                name: name.to_owned(),
                email,
                org_id: org.id.0,
                position,
                existing,
            }))
        }
        _ => Ok(Err(problems)),
    }
}

impl Plan {
    fn outcome(&self) -> Outcome {
        match &self.existing {
            None => Outcome::Created,
            Some(e)
                if e.display_name == self.name
                    && e.email.as_deref() == self.email.as_ref().map(Email::as_str)
                    && e.org_id == Some(self.org_id)
                    && e.position == self.position =>
            {
                Outcome::Unchanged
            }
            Some(_) => Outcome::Updated,
        }
    }
}

/// Checks every row, then (unless a dry run, or a row has an error and
/// `only_valid` is off) writes them. Run it in a transaction. Returns the
/// report and the ids of created accounts (for the audit log).
pub async fn run(
    ex: &mut impl Exec,
    scope: &Scope,
    rows: &[Row],
    opts: Options,
) -> Result<(Report, Vec<(i64, String)>), StoreError> {
    let mut seen = HashSet::new();
    let mut first_lines = std::collections::HashMap::new();
    let mut plans = Vec::new();
    let mut report = Report::default();
    for row in rows {
        let checked = check(ex, scope, row, &mut seen, &mut first_lines).await?;
        let outcome = match &checked {
            Ok(plan) => plan.outcome(),
            Err(problems) => Outcome::Invalid(problems.clone()),
        };
        report.rows.push(RowReport {
            line: row.line,
            nip: row.nip.trim().to_owned(),
            name: row.name.trim().to_owned(),
            outcome,
        });
        if let Ok(plan) = checked {
            plans.push(plan);
        }
    }
    let apply = !opts.dry_run && (opts.only_valid || report.invalid() == 0);
    let mut created = Vec::new();
    if apply {
        for plan in &plans {
            match plan.outcome() {
                Outcome::Created => {
                    let username = username_for(&plan.nip);
                    let id = accounts::create(
                        ex,
                        &NewAccount {
                            kind: AccountKind::Asn,
                            username: &username,
                            display_name: &plan.name,
                            email: plan.email.as_ref(),
                            email_verified: false,
                            nip: Some(&plan.nip),
                            org_id: Some(rumah_domain::orgs::OrgId(plan.org_id)),
                            position: plan.position.as_deref(),
                            password_hash: None,
                            status: AccountStatus::Active,
                        },
                    )
                    .await
                    .map_err(|e| match e {
                        CreateAccountError::Store(e) => e,
                        other => StoreError::Corrupt(format!("import: {other}")),
                    })?;
                    created.push((id.0, username.as_str().to_owned()));
                }
                Outcome::Updated => {
                    let (id, email_changed) = plan.existing.as_ref().map_or((0, false), |e| {
                        (
                            e.id,
                            e.email.as_deref() != plan.email.as_ref().map(Email::as_str),
                        )
                    });
                    ex.execute(q!(
                        "UPDATE accounts SET display_name = $1, email = $2, org_id = $3, position = $4,
                             updated_at = $5,
                             email_verified = CASE WHEN $7 THEN false ELSE email_verified END
                         WHERE id = $6",
                        plan.name.as_str(),
                        plan.email.as_ref().map(Email::as_str),
                        plan.org_id,
                        plan.position.as_deref(),
                        Timestamp::now(),
                        id,
                        email_changed
                    ))
                    .await?;
                }
                _ => {}
            }
        }
    }
    report.applied = apply;
    report.dry_run = opts.dry_run;
    Ok((report, created))
}
