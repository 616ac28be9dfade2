//! Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, the
//! object storage of a government cloud), through the `object_store`
//! crate. Objects are `<prefix>/ab/cd/<sha256>`, like [`super::LocalDir`]'s
//! files, so a store can be copied between the two with any sync tool.
//!
//! S3 has no "touch": storing content that is already there writes it again,
//! which moves its `LastModified` forward exactly as the local store's
//! modification time moves (the sweep's grace period relies on it). Every
//! PUT of S3 is atomic, so a half-written object is never visible under a
//! real key.

use std::sync::{Arc, Once};
use std::time::SystemTime;

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use secrecy::{ExposeSecret, SecretString};

use super::{BlobFuture, BlobKey, BlobStore};
use crate::StoreError;

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// The service's URL, e.g. `https://s3.ap-southeast-3.amazonaws.com` or
    /// `http://minio.internal:9000`; `None` means AWS for `region`.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Key prefix inside the bucket (no leading or trailing `/`), may be empty.
    pub prefix: String,
    /// Allow a plain-HTTP endpoint (a service on a private network).
    pub allow_http: bool,
}

/// Blobs in an S3 bucket; cheap to clone.
#[derive(Clone)]
pub struct S3 {
    store: Arc<AmazonS3>,
    prefix: String,
    bucket: String,
}

impl std::fmt::Debug for S3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn object_error(e: object_store::Error) -> StoreError {
    StoreError::Io(std::io::Error::other(format!("object store: {e}")))
}

/// Makes ring the process's TLS provider, once. reqwest is built without a
/// bundled provider (the default would pull aws-lc and a C build); every
/// HTTP client of the process, the S3 one and those of tests, needs this
/// before it is built.
pub fn install_tls_provider() {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl S3 {
    /// Checks the settings and builds the client (no request is made).
    pub fn new(s: &S3Settings) -> Result<Self, StoreError> {
        install_tls_provider();
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(s.secret_access_key.expose_secret())
            .with_allow_http(s.allow_http);
        if let Some(endpoint) = &s.endpoint {
            // Path-style requests (`endpoint/bucket/key`), which every
            // S3-compatible service accepts.
            b = b
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        Ok(Self {
            store: Arc::new(b.build().map_err(object_error)?),
            prefix: s.prefix.trim_matches('/').to_owned(),
            bucket: s.bucket.clone(),
        })
    }

    fn path_of(&self, key: &BlobKey) -> ObjectPath {
        let k = key.as_str();
        let rel = format!("{}/{}/{k}", &k[0..2], &k[2..4]);
        if self.prefix.is_empty() {
            ObjectPath::from(rel)
        } else {
            ObjectPath::from(format!("{}/{rel}", self.prefix))
        }
    }
}

impl BlobStore for S3 {
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BlobFuture<'a, BlobKey> {
        Box::pin(async move {
            let key = BlobKey::of(bytes);
            self.store
                .put(&self.path_of(&key), PutPayload::from(bytes.to_vec()))
                .await
                .map_err(object_error)?;
            Ok(key)
        })
    }

    fn get<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            match self.store.get(&self.path_of(key)).await {
                Ok(r) => Ok(Some(r.bytes().await.map_err(object_error)?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(object_error(e)),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, bool> {
        Box::pin(async move {
            match self.store.head(&self.path_of(key)).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(object_error(e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, bool> {
        Box::pin(async move {
            // S3 answers a DELETE of a missing key with success too.
            if !self.exists(key).await? {
                return Ok(false);
            }
            self.store
                .delete(&self.path_of(key))
                .await
                .map_err(object_error)?;
            Ok(true)
        })
    }

    fn list(&self) -> BlobFuture<'_, Vec<(BlobKey, SystemTime)>> {
        Box::pin(async move {
            let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
            let metas: Vec<object_store::ObjectMeta> = self
                .store
                .list(prefix.as_ref())
                .try_collect()
                .await
                .map_err(object_error)?;
            let mut out: Vec<(BlobKey, SystemTime)> = metas
                .into_iter()
                .filter_map(|m| {
                    let key = BlobKey::parse(m.location.filename()?)?;
                    // Only objects at the place their key puts them.
                    (m.location == self.path_of(&key)).then(|| (key, m.last_modified.into()))
                })
                .collect();
            out.sort();
            Ok(out)
        })
    }
}
