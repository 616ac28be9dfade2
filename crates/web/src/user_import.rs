//! Importing ASN accounts from personnel lists (CSV or XLSX, columns NIP,
//! nama, email, unit, jabatan): the file is read like the innovation import
//! ([`crate::imports::read_table`]); the checks and writes are
//! [`rumah_store::identity::import`]. Used by `/admin/akun/impor` and by
//! `rumah admin users import`.

use rumah_domain::authz::Scope;
use rumah_store::audit::{self, event};
use rumah_store::identity::import::{self, Options, Outcome, Problem, Report, Row};
use rumah_store::{Db, StoreError};

use crate::i18n::Lang;
use crate::imports::{TableError, column_index};
use crate::routes::admin::nip_message;

/// Columns, matched without regard to case, spaces or punctuation.
pub const COLUMNS: [&str; 5] = ["nip", "nama", "email", "unit", "jabatan"];

/// The data rows; `nip`, `nama` and `unit` are required columns.
pub fn rows(table: &[Vec<String>]) -> Result<Vec<Row>, TableError> {
    let index = column_index(&table[0], &COLUMNS, &["nip", "nama", "unit"])?;
    Ok(table
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(n, cells)| {
            let get = |c: &str| {
                index
                    .get(c)
                    .and_then(|i| cells.get(*i))
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_default()
            };
            Row {
                line: n + 1,
                nip: get("nip").replace([' ', '.', '\''], ""),
                name: get("nama"),
                email: get("email"),
                unit: get("unit"),
                position: get("jabatan"),
            }
        })
        .collect())
}

/// A problem in the user's language.
pub fn problem_message(p: &Problem, lang: Lang) -> String {
    match p {
        Problem::Nip(e) => nip_message(e).render(lang),
        Problem::NameMissing => lang.t("sso_admin.import_name_missing").into_owned(),
        Problem::Email => lang.t("error.email_invalid").into_owned(),
        Problem::UnknownUnit => lang.t("sso_admin.import_unknown_unit").into_owned(),
        Problem::DuplicateNip { first_line } => lang.tf(
            "sso_admin.import_duplicate_nip",
            &[("line", &first_line.to_string())],
        ),
        Problem::EmailTaken => lang.t("admin.email_taken").into_owned(),
        Problem::NipOutsideScope => lang.t("sso_admin.import_nip_outside").into_owned(),
    }
}

/// The locale key of an outcome, and the CSS class of its report row.
pub fn outcome_key(o: &Outcome, applied: bool) -> (&'static str, &'static str) {
    match (o, applied) {
        (Outcome::Created, true) => ("sso_admin.import_created", "created"),
        (Outcome::Created, false) => ("sso_admin.import_would_create", "created"),
        (Outcome::Updated, true) => ("sso_admin.import_updated", "updated"),
        (Outcome::Updated, false) => ("sso_admin.import_would_update", "updated"),
        (Outcome::Unchanged, _) => ("sso_admin.import_unchanged", "unchanged"),
        (Outcome::Invalid(_), _) => ("sso_admin.import_invalid", "invalid"),
    }
}

/// Runs an import in one transaction and audits it.
pub async fn run_audited(
    db: &Db,
    scope: &Scope,
    rows: &[import::Row],
    opts: Options,
    actor: Option<(rumah_domain::identity::AccountId, &str)>,
    ip: Option<&str>,
) -> Result<Report, StoreError> {
    let mut tx = db.begin().await?;
    let (report, created) = import::run(&mut tx, scope, rows, opts).await?;
    if report.applied {
        for (id, username) in &created {
            audit::record(
                &mut tx,
                &audit::Entry {
                    event: event::ACCOUNT_CREATED,
                    actor,
                    subject: Some((*id, username)),
                    ip,
                    details: Some(serde_json::json!({ "kind": "asn", "via": "import" })),
                    ..Default::default()
                },
            )
            .await?;
        }
        audit::record(
            &mut tx,
            &audit::Entry {
                event: event::ACCOUNTS_IMPORTED,
                actor,
                ip,
                details: Some(serde_json::json!({
                    "created": report.created(), "updated": report.updated(),
                    "unchanged": report.unchanged(), "invalid": report.invalid(),
                })),
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}
