use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use rumah_search::{SYNC_EVERY, SearchError, SearchIndex};

/// One catalogue page: its cards, the total and the facet counts.
pub type CataloguePage = (
    Vec<crate::routes::innovations::catalogue::ShownCard>,
    i64,
    rumah_store::innovations::catalogue::Facets,
);
use rumah_store::surveys::ingest::{Ingest, IngestSettings};
use rumah_store::{Db, StoreError, orgs, server_secrets};

use crate::auth::password::{InvalidParams, PasswordHasher};
use crate::config::WebConfig;
use crate::metrics::Metrics;

/// Name of the server secret that keys SKM rate-limit hashes.
const SKM_RATE_KEY: &str = "skm_rate_key";

/// Everything a handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: WebConfig,
    csrf_key: Arc<[u8]>,
    /// Keys the hashes of client addresses and device cookies that SKM rate
    /// limits count, so the database never holds the raw values.
    skm_rate_key: Vec<u8>,
    skm_ingest: Ingest,
    hasher: PasswordHasher,
    /// Password-reset mail (queued, sent in the background).
    mailer: crate::mail::Mailer,
    metrics: Metrics,
    regions_json: Bytes,
    /// Region and urusan names by code: reference data that only a
    /// migration changes, read once.
    region_names: Arc<std::collections::HashMap<String, String>>,
    urusan_names: Arc<std::collections::HashMap<String, String>>,
    started: Instant,
    search: SearchIndex,
    /// Catalogue pages (cards, total, facets) per index generation.
    page_cache: std::sync::Mutex<rumah_search::GenerationCache<CataloguePage>>,
    /// Satu Akun's signing and verification keys, held briefly.
    oidc_keys: crate::oidc::key_cache::KeyCache,
    /// Satu Akun's clients, held briefly for the token endpoints.
    oidc_clients: crate::oidc::client_cache::ClientCache,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Argon2(#[from] InvalidParams),
    #[error("cannot serialise the region list: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
}

impl AppState {
    /// Loads what every request needs from a migrated database. The region
    /// list is reference data that only a migration (that is, a new release)
    /// changes, so it is read once and served from memory on every node.
    pub async fn new(db: Db, config: WebConfig) -> Result<Self, StateError> {
        let mut conn = db.clone();
        let csrf_key = server_secrets::get_or_create(&mut conn, server_secrets::CSRF_KEY).await?;
        let skm_rate_key = server_secrets::get_or_create(&mut conn, SKM_RATE_KEY).await?;
        let skm_ingest = Ingest::start(db.clone(), IngestSettings::for_backend(db.backend()));
        let regions = orgs::regions(&mut conn).await?;
        let region_names = Arc::new(
            regions
                .iter()
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect(),
        );
        let urusan_names = Arc::new(
            rumah_store::innovations::urusan(&mut conn)
                .await?
                .into_iter()
                .map(|u| (u.code, u.name))
                .collect(),
        );
        let regions_json = Bytes::from(serde_json::to_vec(
            &crate::routes::api::regions::RegionList::from(regions),
        )?);
        let hasher = PasswordHasher::new(config.argon2)?;
        let mailer = crate::mail::Mailer::start(config.smtp.as_ref(), db.clone())?;
        // The search index is this node's derived copy: opened (or created)
        // here, filled by the first sync (in the background, or by the first search), then kept up to date from the
        // database by a background task.
        let search = match &config.search_dir {
            Some(dir) => SearchIndex::open_or_private(dir)?,
            None => SearchIndex::open_temporary()?,
        };
        search.set_cache_capacity(config.search_cache_entries);
        let page_cache_entries = config.search_cache_entries;
        search.spawn_sync(db.clone(), SYNC_EVERY);
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                config,
                csrf_key: Arc::from(csrf_key),
                skm_rate_key,
                skm_ingest,
                hasher,
                mailer,
                metrics: Metrics::new(),
                regions_json,
                region_names,
                urusan_names,
                started: Instant::now(),
                search,
                page_cache: std::sync::Mutex::new(rumah_search::GenerationCache::new(
                    page_cache_entries,
                )),
                oidc_keys: crate::oidc::key_cache::KeyCache::default(),
                oidc_clients: crate::oidc::client_cache::ClientCache::default(),
            }),
        })
    }

    /// A handle on the pool (an `Arc` clone).
    pub fn db(&self) -> Db {
        self.inner.db.clone()
    }

    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    pub fn csrf_key(&self) -> &[u8] {
        &self.inner.csrf_key
    }

    /// The CSRF key as a shared handle (no copy per request).
    pub fn csrf_key_shared(&self) -> Arc<[u8]> {
        self.inner.csrf_key.clone()
    }

    pub fn skm_rate_key(&self) -> &[u8] {
        &self.inner.skm_rate_key
    }

    /// The SKM write path (batched commits, see `rumah_store::surveys::ingest`).
    pub fn skm_ingest(&self) -> &Ingest {
        &self.inner.skm_ingest
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    pub fn mailer(&self) -> &crate::mail::Mailer {
        &self.inner.mailer
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The 38 regencies/cities (and the province) by code.
    pub fn region_names(&self) -> &std::collections::HashMap<String, String> {
        &self.inner.region_names
    }

    /// The urusan reference list by code.
    pub fn urusan_names(&self) -> &std::collections::HashMap<String, String> {
        &self.inner.urusan_names
    }

    pub fn regions_json(&self) -> Bytes {
        self.inner.regions_json.clone()
    }

    /// The search index of this node.
    /// The catalogue page cache (see `routes::innovations::catalogue::find`).
    pub fn page_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, rumah_search::GenerationCache<CataloguePage>> {
        self.inner
            .page_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The key that encrypts the OpenID Connect signing keys.
    pub fn kek(&self) -> &crate::oidc::keys::Kek {
        &self.inner.config.oidc_kek
    }

    pub fn oidc_keys(&self) -> &crate::oidc::key_cache::KeyCache {
        &self.inner.oidc_keys
    }

    pub fn oidc_clients(&self) -> &crate::oidc::client_cache::ClientCache {
        &self.inner.oidc_clients
    }

    pub fn search(&self) -> &SearchIndex {
        &self.inner.search
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.inner.started.elapsed()
    }
}
