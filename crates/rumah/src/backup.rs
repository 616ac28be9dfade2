//! `rumah backup` and `rumah restore` (SQLite). For PostgreSQL both print
//! the pg_dump/pg_restore procedure (docs/OPERATIONS.md) and exit with 2.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rumah_store::{Backend, backup, migrate};

use crate::config::Settings;
use crate::lock::DataDirLock;
use crate::serve::open_db;

const PG_BACKUP: &str = "This deployment uses PostgreSQL; back it up with PostgreSQL's own tools while the nodes run:\n\
    \n    pg_dump --format=custom --file=rumah-$(date +%F).dump \"$RUMAH_DATABASE_URL\"\n\
    \nand restore into an empty database with the nodes stopped:\n\
    \n    pg_restore --clean --if-exists --no-owner --dbname=\"$RUMAH_DATABASE_URL\" rumah-YYYY-MM-DD.dump\n\
    \nSee docs/OPERATIONS.md.";

/// A progress bar on a terminal; nothing at all otherwise (cron, CI, pipes).
fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(len),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

pub async fn backup(settings: &Settings, to: &Path) -> anyhow::Result<ExitCode> {
    let url = settings.database_url()?;
    if url.backend() == Backend::Postgres {
        eprintln!("{PG_BACKUP}");
        return Ok(ExitCode::from(2));
    }
    if to.exists() {
        bail!("{} already exists; choose a new file name", to.display());
    }
    let source = url.sqlite_path().context("the SQLite URL names no file")?;
    if !source.exists() {
        bail!("there is no database at {}", source.display());
    }
    let db = open_db(settings).await?;
    let estimate = file_len(&source) + file_len(&source.with_extension("db-wal"));
    let bar = progress(estimate, "backup");
    let dest = to.to_path_buf();
    let snapshot = {
        let db = db.clone();
        let dest = dest.clone();
        tokio::spawn(async move { backup::sqlite_snapshot(&db, &dest).await })
    };
    while !snapshot.is_finished() {
        bar.set_position(file_len(&dest).min(estimate));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    snapshot.await.context("the backup task failed")??;
    bar.set_position(estimate);
    bar.finish_and_clear();
    db.close().await;
    let info = backup::verify_sqlite_file(&dest).await?;
    println!(
        "wrote {} ({} bytes, schema version {}, {} accounts)",
        dest.display(),
        file_len(&dest),
        info.schema_version,
        info.accounts
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(settings: &Settings, from: &Path) -> anyhow::Result<ExitCode> {
    let url = settings.database_url()?;
    if url.backend() == Backend::Postgres {
        eprintln!("{PG_BACKUP}");
        return Ok(ExitCode::from(2));
    }
    let info = backup::verify_sqlite_file(from).await?;
    if info.schema_version > i64::from(migrate::latest_version()) {
        bail!(
            "{} comes from a newer release (schema version {}, this binary knows {}); restore it with that release",
            from.display(),
            info.schema_version,
            migrate::latest_version()
        );
    }
    let _lock = DataDirLock::exclusive(&settings.data_dir)?;
    let target = url.sqlite_path().context("the SQLite URL names no file")?;
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let staging = target.with_extension("db.restoring");
    copy_with_progress(from, &staging)?;

    let kept = if target.exists() {
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let kept = target.with_extension(format!("db.before-restore-{stamp}"));
        std::fs::rename(&target, &kept).with_context(|| {
            format!(
                "cannot move the current database aside to {}",
                kept.display()
            )
        })?;
        for suffix in ["wal", "shm"] {
            let side = target.with_extension(format!("db-{suffix}"));
            if side.exists() {
                std::fs::rename(
                    &side,
                    kept.with_extension(format!(
                        "{}-{suffix}",
                        kept.extension().and_then(|e| e.to_str()).unwrap_or("db")
                    )),
                )?;
            }
        }
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&staging, &target).with_context(|| {
        format!(
            "cannot move the snapshot into place at {}",
            target.display()
        )
    })?;
    if let Some(dir) = target.parent() {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).ok();
    }
    println!(
        "restored {} into {} (schema version {}, {} accounts)",
        from.display(),
        target.display(),
        info.schema_version,
        info.accounts
    );
    if let Some(kept) = kept {
        println!("the previous database was kept as {}", kept.display());
    }
    if info.schema_version < i64::from(migrate::latest_version()) {
        println!("the next `rumah serve` or `rumah migrate` brings the schema up to date");
    }
    Ok(ExitCode::SUCCESS)
}

fn copy_with_progress(from: &Path, to: &Path) -> anyhow::Result<()> {
    let total = file_len(from);
    let bar = progress(total, "restore");
    let mut src =
        std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut dst =
        std::fs::File::create(to).with_context(|| format!("cannot write {}", to.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n])?;
        bar.inc(n as u64);
    }
    dst.sync_all()?;
    bar.finish_and_clear();
    Ok(())
}
