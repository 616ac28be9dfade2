use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use rumah_store::{Db, StoreError, orgs, server_secrets};

use crate::auth::password::{InvalidParams, PasswordHasher};
use crate::config::WebConfig;
use crate::metrics::Metrics;

/// Everything a handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: WebConfig,
    csrf_key: Arc<[u8]>,
    hasher: PasswordHasher,
    metrics: Metrics,
    regions_json: Bytes,
    started: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Argon2(#[from] InvalidParams),
    #[error("cannot serialise the region list: {0}")]
    Json(#[from] serde_json::Error),
}

impl AppState {
    /// Loads what every request needs from a migrated database. The region
    /// list is reference data that only a migration (that is, a new release)
    /// changes, so it is read once and served from memory on every node.
    pub async fn new(db: Db, config: WebConfig) -> Result<Self, StateError> {
        let mut conn = db.clone();
        let csrf_key = server_secrets::get_or_create(&mut conn, server_secrets::CSRF_KEY).await?;
        let regions = orgs::regions(&mut conn).await?;
        let regions_json = Bytes::from(serde_json::to_vec(
            &crate::routes::api::regions::RegionList::from(regions),
        )?);
        let hasher = PasswordHasher::new(config.argon2)?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                config,
                csrf_key: Arc::from(csrf_key),
                hasher,
                metrics: Metrics::new(),
                regions_json,
                started: Instant::now(),
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

    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn regions_json(&self) -> Bytes {
        self.inner.regions_json.clone()
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.inner.started.elapsed()
    }
}
