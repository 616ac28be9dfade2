//! `rumah admin users import --file F [--dry-run] [--only-valid]`: ASN
//! accounts from a personnel list, with the checks and the report of the
//! upload page (`/admin/akun/impor`), for the whole province.

use std::process::ExitCode;

use anyhow::Context;
use rumah_domain::authz::{Permission, Scope};
use rumah_store::identity::import::{Options, Outcome};
use rumah_store::migrate;
use rumah_web::i18n::Lang;
use rumah_web::imports::read_table;
use rumah_web::user_import;

use crate::cli::ImportUsersArgs;
use crate::config::Settings;
use crate::serve::open_db;

/// Exit status 2 when rows have errors (and nothing or only the valid
/// rows were imported), as `rumah import innovations`.
pub async fn import(settings: &Settings, args: ImportUsersArgs) -> anyhow::Result<ExitCode> {
    let file = args.file.display();
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {file}"))?;
    let rows = read_table(&bytes)
        .and_then(|t| user_import::rows(&t))
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let opts = Options {
        dry_run: args.dry_run,
        only_valid: args.only_valid,
    };
    let scope = Scope::system(Permission::ManageAccounts);
    let report = user_import::run_audited(&db, &scope, &rows, opts, None, None).await?;
    db.close().await;
    for r in &report.rows {
        let (key, _) = user_import::outcome_key(&r.outcome, report.applied);
        println!(
            "line {}\t{}\t{}\t{}",
            r.line,
            r.nip,
            r.name,
            Lang::En.t(key)
        );
        if let Outcome::Invalid(problems) = &r.outcome {
            for p in problems {
                println!(
                    "\t{}: {}",
                    p.code(),
                    user_import::problem_message(p, Lang::En)
                );
            }
        }
    }
    let (created, updated) = if report.applied {
        ("created", "updated")
    } else {
        ("to create", "to update")
    };
    let counts = format!(
        "{} {created}, {} {updated}, {} unchanged, {} with errors",
        report.created(),
        report.updated(),
        report.unchanged(),
        report.invalid()
    );
    if report.applied {
        eprintln!("imported: {counts}");
        if report.created() + report.updated() == 0 {
            eprintln!("nothing changed");
        }
    } else if args.dry_run {
        eprintln!("dry run, nothing written: {counts}");
    } else {
        eprintln!("nothing was imported (use --only-valid to import the valid rows): {counts}");
    }
    Ok(if report.invalid() > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
