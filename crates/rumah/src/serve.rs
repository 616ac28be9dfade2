//! `rumah serve` and `rumah migrate`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use rumah_domain::time::Timestamp;
use rumah_store::{Backend, Db, migrate};
use rumah_web::AppState;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::lock::DataDirLock;

/// Opens the database named by the settings.
pub async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.database_url()?;
    Db::connect(&url, &settings.pool())
        .await
        .with_context(|| format!("cannot open the database {}", url.redacted()))
}

pub async fn migrate_only(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = open_db(settings).await?;
    let report = migrate::run(&db).await?;
    for (version, name) in &report.applied {
        println!("applied {version:04}_{name}");
    }
    println!(
        "schema is at version {} ({} migrations were already applied)",
        migrate::latest_version(),
        report.already_applied
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `rumah reindex`: rebuilds derived data from the rows it derives from, in
/// one transaction, so readers see the old or the new figures, never a mix.
pub async fn reindex(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let mut tx = db.begin().await?;
    let rows = rumah_store::surveys::tallies::rebuild(&mut tx).await?;
    tx.commit().await?;
    println!("rebuilt {rows} SKM tally rows from the stored responses");
    let search_dir = settings.data_dir.join("search");
    let index = rumah_search::SearchIndex::open(&search_dir).with_context(|| {
        format!(
            "cannot open the search index in {} (is a server running on this data directory?)",
            search_dir.display()
        )
    })?;
    let docs = index.rebuild(&db).await?;
    println!(
        "rebuilt the search index in {} with {docs} published innovations",
        search_dir.display()
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn run(settings: Settings) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let url = settings.database_url()?;
    let _lock = if url.backend() == Backend::Sqlite {
        Some(DataDirLock::shared(&settings.data_dir)?)
    } else {
        None
    };
    let db = open_db(&settings).await?;
    let report = migrate::run(&db).await?;
    if !report.applied.is_empty() {
        tracing::info!(
            migrations.applied = report.applied.len(),
            "database schema updated"
        );
    }
    if settings.demo {
        crate::demo::load(&db, &settings)
            .await
            .context("cannot load the demo data")?;
    }
    let web = settings.web()?;
    if !web.secure_cookies {
        tracing::warn!(public_url = %web.public_url, "cookies are sent without Secure because the public URL is not https");
    }
    let state = AppState::new(db.clone(), web)
        .await
        .context("cannot prepare the application state")?;
    // Delivers back-channel logout tokens; every node may run it.
    let backchannel =
        rumah_web::oidc::logout::BackChannel::for_state(&state).spawn(Duration::from_secs(2));
    let app = rumah_web::build(state);
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        listen = %addr,
        database = %url.redacted(),
        public_url = %settings.public_url()?,
        startup_ms = started.elapsed().as_millis() as u64,
        "ready"
    );
    // Scripts (and the browser tests) read the bound port from this line.
    println!("listening on http://{addr}");

    let sweeper = tokio::spawn(sweep_expired_sessions(db.clone(), settings.session.idle));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("the server failed")?;
    sweeper.abort();
    backchannel.abort();
    tracing::info!("finished in-flight requests; closing the database");
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Deletes expired sessions every ten minutes. Idempotent, so every node
/// may run it.
async fn sweep_expired_sessions(db: Db, idle: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let mut conn = db.clone();
        match rumah_store::identity::sessions::purge_expired(&mut conn, Timestamp::now(), idle)
            .await
        {
            Ok(n) if n > 0 => tracing::info!(sessions.purged = n, "purged expired sessions"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not purge expired sessions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
