//! `rumah serve --demo`: data a newcomer can click through. Every loader is
//! idempotent (it skips what exists), so restarting with `--demo` is safe.
//! Demo mode only: outside it no default passwords exist.

mod platform;

use rumah_store::Db;

use crate::config::Settings;

/// The password of every demo account; printed in the log and the README.
pub const DEMO_PASSWORD: &str = "demo-jatim-2026";

pub async fn load(db: &Db, settings: &Settings) -> anyhow::Result<()> {
    let created = platform::load(db, settings).await?;
    tracing::warn!(
        password = DEMO_PASSWORD,
        accounts = %platform::ACCOUNTS.iter().map(|a| a.username).collect::<Vec<_>>().join(", "),
        created,
        "DEMO MODE: demo accounts share the password shown here; never use --demo in production"
    );
    Ok(())
}
