//! `rumah files sweep`: removes evidence blobs that no row refers to any
//! more (a deleted evidence file, an upload whose row was never written).
//! Safe while the server runs: a blob younger than the grace period is
//! kept, since an upload stores its blob before its row.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use rumah_store::{blobs, migrate};

use crate::cli::SweepArgs;
use crate::config::Settings;
use crate::serve::open_db;

pub async fn sweep(settings: &Settings, args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let grace: Duration = humantime::parse_duration(&args.grace).map_err(|e| {
        anyhow::anyhow!(
            "--grace {:?} is not a duration such as 24h or 30m: {e}",
            args.grace
        )
    })?;
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let store = settings.blob_store()?;
    let mut conn = db.clone();
    if args.dry_run {
        let cutoff = SystemTime::now()
            .checked_sub(grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut old = 0;
        let mut young = 0;
        for (key, modified) in blobs::unreferenced(&mut conn, store.as_ref()).await? {
            if modified <= cutoff {
                println!("would remove {key}");
                old += 1;
            } else {
                young += 1;
            }
        }
        println!(
            "{old} unreferenced blobs would be removed; {young} younger than {} kept",
            humantime::format_duration(grace)
        );
    } else {
        let removed = blobs::sweep(&mut conn, store.as_ref(), grace).await?;
        println!("removed {removed} unreferenced blobs");
    }
    Ok(ExitCode::SUCCESS)
}
