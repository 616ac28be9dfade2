//! Consistent snapshots of a SQLite database while the server runs, and the
//! checks a snapshot must pass before it may replace the live database.
//! (PostgreSQL deployments use pg_dump/pg_restore; see docs/OPERATIONS.md.)

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{Db, StoreError};

/// Writes a transactionally consistent copy of the live database to `dest`
/// with `VACUUM INTO`. Concurrent writers carry on; the copy reflects one
/// moment. `dest` must not exist.
pub async fn sqlite_snapshot(db: &Db, dest: &Path) -> Result<(), StoreError> {
    let Db::Sqlite(pool, _) = db else {
        return Err(StoreError::Config(
            "snapshots are for SQLite; use pg_dump for PostgreSQL".into(),
        ));
    };
    if dest.exists() {
        return Err(StoreError::Config(format!(
            "{} already exists; choose a new file",
            dest.display()
        )));
    }
    let dest_str = dest
        .to_str()
        .ok_or_else(|| StoreError::Config("the backup path is not valid UTF-8".into()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(dest_str)
        .execute(pool)
        .await?;
    Ok(())
}

/// What a verified snapshot holds.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    pub schema_version: i64,
    pub accounts: i64,
}

/// Opens `path` read-only and checks that it is an intact Rumah Inovasi
/// database: SQLite's integrity check passes and the schema table exists.
pub async fn verify_sqlite_file(path: &Path) -> Result<SnapshotInfo, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Config(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .read_only(true)
        .immutable(true);
    let mut conn = opts.connect().await.map_err(|e| {
        StoreError::Config(format!("{} is not a SQLite database: {e}", path.display()))
    })?;
    let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| {
            StoreError::Config(format!("{} is not a SQLite database: {e}", path.display()))
        })?;
    if check.0 != "ok" {
        return Err(StoreError::Config(format!(
            "{} failed the integrity check: {}",
            path.display(),
            check.0
        )));
    }
    let version: (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| {
            StoreError::Config(format!(
                "{} is not a Rumah Inovasi database",
                path.display()
            ))
        })?;
    let accounts: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(SnapshotInfo {
        schema_version: version.0.unwrap_or(0),
        accounts: accounts.0,
    })
}
