//! `rumah import innovations --file F`: the bulk path for large
//! spreadsheets, with the same validation and report as the upload page,
//! and a progress bar on a terminal (quiet in cron and pipes).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rumah_domain::authz::{Permission, Scope};
use rumah_store::innovations::profiles::Author;
use rumah_store::migrate;
use rumah_web::i18n::Lang;
use rumah_web::imports::{self, Outcome};

use crate::cli::ImportInnovationsArgs;
use crate::config::Settings;
use crate::serve::open_db;

pub async fn innovations(
    settings: &Settings,
    args: &ImportInnovationsArgs,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let table =
        imports::read_table(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let rows =
        imports::rows(&table).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let scope = Scope::system(Permission::ManageInnovations);
    let wib = time::UtcOffset::from_hms(7, 0, 0).expect("a valid offset");
    let today = time::OffsetDateTime::now_utc().to_offset(wib).date();
    let mut validated = imports::validate(&db, &scope, &rows, today, Lang::En).await?;
    let mut invalid = 0;
    let mut exists = 0;
    for (r, _) in &validated {
        match &r.outcome {
            Outcome::Invalid(problems) => {
                invalid += 1;
                for (field, message) in problems {
                    eprintln!("line {}: {field}: {message}", r.line);
                }
            }
            Outcome::Exists => exists += 1,
            _ => {}
        }
    }
    if invalid > 0 && !args.only_valid {
        eprintln!(
            "{invalid} rows have errors; nothing was imported (use --only-valid to import the others)"
        );
        db.close().await;
        return Ok(ExitCode::from(2));
    }
    let total = validated.iter().filter(|(_, d)| d.is_some()).count();
    let bar = ProgressBar::with_draw_target(
        Some(total as u64),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("importing [{bar:30}] {pos}/{len} ({elapsed}, {eta} left)")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let author = Author {
        id: None,
        label: "rumah import",
    };
    let imported = imports::import(&db, &scope, &mut validated, author, |done, _| {
        bar.set_position(done as u64)
    })
    .await?;
    bar.finish_and_clear();
    println!(
        "imported {imported} innovations as drafts; {exists} already existed; {invalid} rows with errors skipped"
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
