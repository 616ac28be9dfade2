//! Content-addressed storage of uploaded files (evidence documents and
//! photos of innovations, see `innovations::files`).
//!
//! A blob's key is the SHA-256 of its bytes, in lowercase hex, so storing
//! the same content twice stores it once and a key can never name two
//! contents. Rows in the database refer to blobs by key; the database is
//! the truth about which blobs are in use.
//!
//! **Write order:** the bytes are stored first (idempotently), then the row
//! that refers to them is inserted in a transaction. A failure between the
//! two leaves an unreferenced blob, never a row without its bytes. Deleting
//! a row does not delete its blob at once (another row, or an upload in
//! flight, may use the same content); [`sweep`] removes blobs no row
//! refers to once they are older than a grace period.
//!
//! [`LocalDir`] keeps blobs under a directory as `ab/cd/<sha256>`. A blob
//! is written to a temporary file in its final directory, flushed to disk
//! (`fsync`) and renamed into place, so a crash never leaves a partial file
//! under a real key. [`S3`] keeps them in an S3-compatible bucket.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::{Exec, StoreError};

mod s3;
pub use s3::{S3, S3Settings, install_tls_provider};

/// The SHA-256 of a blob's content in lowercase hex (64 characters).
/// Parsing checks the form, so a key read from the database can never
/// become a path outside the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(s.to_owned()))
    }

    /// The key of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the methods of [`BlobStore`] return.
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// An object store for blobs addressed by their content.
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` under their key and returns it. Storing content that
    /// is already there only refreshes its modification time (which keeps
    /// it from being swept while a new row comes to refer to it).
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BlobFuture<'a, BlobKey>;
    /// The content under `key`, or `None`.
    fn get<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, Option<Vec<u8>>>;
    fn exists<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, bool>;
    /// Removes the blob; true if it was there.
    fn delete<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, bool>;
    /// Every stored key with its last modification time.
    fn list(&self) -> BlobFuture<'_, Vec<(BlobKey, SystemTime)>>;
}

/// Blobs as files under a local directory: `<root>/ab/cd/<sha256>`.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// A store under `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob `key` lives.
    pub fn path_of(&self, key: &BlobKey) -> PathBuf {
        let k = key.as_str();
        self.root.join(&k[0..2]).join(&k[2..4]).join(k)
    }

    fn put_blocking(&self, bytes: &[u8]) -> Result<BlobKey, StoreError> {
        let key = BlobKey::of(bytes);
        let path = self.path_of(&key);
        if path.is_file() {
            // Same content, already complete (it got here by rename).
            std::fs::File::options()
                .append(true)
                .open(&path)?
                .set_modified(SystemTime::now())?;
            return Ok(key);
        }
        let dir = path.parent().expect("a blob path has a directory");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            key,
            hex::encode(crate::secret::random_bytes::<8>())
        ));
        let written = (|| -> std::io::Result<()> {
            let mut f = std::fs::File::create_new(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &path)?;
            // Make the rename itself durable.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        Ok(key)
    }

    fn list_blocking(&self) -> Result<Vec<(BlobKey, SystemTime)>, StoreError> {
        let mut out = Vec::new();
        let read = |p: &Path| -> std::io::Result<Vec<std::fs::DirEntry>> {
            match std::fs::read_dir(p) {
                Ok(rd) => rd.collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        };
        for a in read(&self.root)? {
            if !a.file_type()?.is_dir() {
                continue;
            }
            for b in read(&a.path())? {
                if !b.file_type()?.is_dir() {
                    continue;
                }
                for f in read(&b.path())? {
                    let name = f.file_name();
                    let Some(key) = name.to_str().and_then(BlobKey::parse) else {
                        continue; // temporary files and strangers
                    };
                    let modified = f.metadata()?.modified()?;
                    out.push((key, modified));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
}

impl BlobStore for LocalDir {
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BlobFuture<'a, BlobKey> {
        Box::pin(async move {
            let this = self.clone();
            let bytes = bytes.to_vec();
            blocking(move || this.put_blocking(&bytes)).await
        })
    }

    fn get<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            match tokio::fs::read(self.path_of(key)).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, bool> {
        Box::pin(async move { Ok(tokio::fs::try_exists(self.path_of(key)).await?) })
    }

    fn delete<'a>(&'a self, key: &'a BlobKey) -> BlobFuture<'a, bool> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path_of(key)).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn list(&self) -> BlobFuture<'_, Vec<(BlobKey, SystemTime)>> {
        Box::pin(async move {
            let this = self.clone();
            blocking(move || this.list_blocking()).await
        })
    }
}

/// Every key some row refers to.
pub async fn referenced(ex: &mut impl Exec) -> Result<Vec<BlobKey>, StoreError> {
    let rows: Vec<(String,)> = ex
        .fetch_all(crate::q!(
            "SELECT DISTINCT blob_key FROM innovation_files ORDER BY blob_key"
        ))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k,)| BlobKey::parse(&k))
        .collect())
}

/// Stored blobs no row refers to, with their modification time.
pub async fn unreferenced(
    ex: &mut impl Exec,
    store: &dyn BlobStore,
) -> Result<Vec<(BlobKey, SystemTime)>, StoreError> {
    let used: std::collections::HashSet<BlobKey> = referenced(ex).await?.into_iter().collect();
    Ok(store
        .list()
        .await?
        .into_iter()
        .filter(|(k, _)| !used.contains(k))
        .collect())
}

/// Deletes blobs no row refers to and that were last written more than
/// `grace` ago (an upload in flight stores its blob before its row, and
/// re-storing content refreshes the time). Returns how many were removed.
pub async fn sweep(
    ex: &mut impl Exec,
    store: &dyn BlobStore,
    grace: Duration,
) -> Result<usize, StoreError> {
    let cutoff = SystemTime::now()
        .checked_sub(grace)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut removed = 0;
    for (key, modified) in unreferenced(ex, store).await? {
        if modified <= cutoff && store.delete(&key).await? {
            tracing::info!(blob = %key, "removed an unreferenced blob");
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_is_content_addressed_idempotent_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalDir::new(dir.path().join("blobs"));
        let k1 = s.put(b"hello").await.unwrap();
        let k2 = s.put(b"hello").await.unwrap();
        assert_eq!(k1, k2);
        assert_eq!(
            k1.as_str(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(
            s.path_of(&k1).ends_with(
                "2c/f2/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
            )
        );
        assert_eq!(s.get(&k1).await.unwrap().as_deref(), Some(&b"hello"[..]));
        assert!(s.exists(&k1).await.unwrap());
        let listed = s.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        let files: Vec<_> = std::fs::read_dir(s.path_of(&k1).parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1, "no temporary file is left behind");
        assert!(s.delete(&k1).await.unwrap());
        assert!(!s.delete(&k1).await.unwrap());
        assert_eq!(s.get(&k1).await.unwrap(), None);
        assert!(s.list().await.unwrap().is_empty());
    }

    /// The same contract on a real S3 API (moto's server): content-addressed,
    /// idempotent, exists/delete answer truthfully, list sees what is there
    /// (and not objects outside the store's prefix), sweep honours the grace
    /// period.
    #[tokio::test]
    async fn the_s3_store_keeps_the_same_contract() {
        let Some(server) = crate::testkit::S3Server::start().await else {
            return;
        };
        let s = server.store();
        let k1 = s.put(b"hello").await.unwrap();
        let k2 = s.put(b"hello").await.unwrap();
        assert_eq!(k1, k2);
        assert_eq!(
            k1.as_str(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(s.get(&k1).await.unwrap().as_deref(), Some(&b"hello"[..]));
        assert!(s.exists(&k1).await.unwrap());
        let big = vec![7u8; 3 * 1024 * 1024];
        let kb = s.put(&big).await.unwrap();
        assert_eq!(s.get(&kb).await.unwrap().as_deref(), Some(big.as_slice()));
        // An object under the prefix that is not a blob is not listed.
        let mut other = server.settings.clone();
        other.prefix = "blobs/ab/cd".into();
        crate::blobs::S3::new(&other)
            .unwrap()
            .put(b"x")
            .await
            .unwrap();
        let listed: Vec<BlobKey> = s
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let mut want = vec![k1.clone(), kb.clone()];
        want.sort();
        assert_eq!(listed, want);

        assert!(s.delete(&k1).await.unwrap());
        assert!(!s.delete(&k1).await.unwrap());
        assert_eq!(s.get(&k1).await.unwrap(), None);
        assert!(!s.exists(&k1).await.unwrap());

        let t = crate::testkit::TestDb::migrated(crate::Backend::Sqlite)
            .await
            .expect("SQLite is always available");
        let mut db = t.db.clone();
        assert_eq!(
            sweep(&mut db, &s, Duration::from_secs(3600)).await.unwrap(),
            0
        );
        assert_eq!(sweep(&mut db, &s, Duration::ZERO).await.unwrap(), 1);
        assert!(s.list().await.unwrap().is_empty());

        // A bucket that does not exist is an error, not "not found".
        let mut missing = server.settings.clone();
        missing.bucket = "tidak-ada".into();
        let s = crate::blobs::S3::new(&missing).unwrap();
        assert!(s.put(b"x").await.is_err());
    }

    #[tokio::test]
    async fn sweep_removes_only_old_unreferenced_blobs() {
        let t = crate::testkit::TestDb::migrated(crate::Backend::Sqlite)
            .await
            .expect("SQLite is always available");
        let mut db = t.db.clone();
        let dir = tempfile::tempdir().unwrap();
        let s = LocalDir::new(dir.path());
        s.put(b"one").await.unwrap();
        s.put(b"two").await.unwrap();
        assert_eq!(unreferenced(&mut db, &s).await.unwrap().len(), 2);
        // Fresh blobs may belong to an upload in flight.
        assert_eq!(
            sweep(&mut db, &s, Duration::from_secs(3600)).await.unwrap(),
            0
        );
        assert_eq!(sweep(&mut db, &s, Duration::ZERO).await.unwrap(), 2);
        assert!(s.list().await.unwrap().is_empty());
    }

    #[test]
    fn keys_are_checked() {
        assert!(BlobKey::parse("../../etc/passwd").is_none());
        assert!(BlobKey::parse(&"A".repeat(64)).is_none());
        assert!(BlobKey::parse(&"a".repeat(64)).is_some());
    }
}
