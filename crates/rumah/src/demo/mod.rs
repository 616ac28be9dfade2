//! `rumah serve --demo`: data a newcomer can click through. Every loader is
//! idempotent (it skips what exists), so restarting with `--demo` is safe.
//! Demo mode only: outside it no default passwords exist.

mod innovations;
mod platform;
mod skm;
mod surveys;

use rumah_store::Db;

use crate::config::Settings;

/// The password of every demo account; printed in the log and the README.
pub const DEMO_PASSWORD: &str = "demo-jatim-2026";

pub async fn load(db: &Db, settings: &Settings) -> anyhow::Result<()> {
    let created = platform::load(db, settings).await?;
    let responses = skm::load(db).await?;
    let survey_responses = surveys::load(db).await?;
    let innovations = innovations::load(db).await?;
    let blobs = settings.blob_store()?;
    let files = innovations::evidence(db, blobs.as_ref()).await?;
    tracing::info!(innovations, files, "demo innovations loaded");
    tracing::info!(
        skm.responses = responses,
        survey.responses = survey_responses,
        "demo SKM units and survey loaded"
    );
    tracing::warn!(
        password = DEMO_PASSWORD,
        accounts = %platform::ACCOUNTS.iter().map(|a| a.username).collect::<Vec<_>>().join(", "),
        created,
        "DEMO MODE: demo accounts share the password shown here; never use --demo in production"
    );
    Ok(())
}
