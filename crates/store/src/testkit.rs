//! Fresh, isolated databases for tests, on both backends.
//!
//! SQLite: a new file in a temporary directory. PostgreSQL: a new schema in
//! the database named by `RUMAH_TEST_DATABASE_URL`, selected through the
//! connection's `search_path`, dropped when the test ends.
//!
//! When `RUMAH_TEST_DATABASE_URL` is unset, PostgreSQL variants return
//! `None` and the test returns early (the test script says so loudly),
//! unless `RUMAH_TEST_REQUIRE_POSTGRES=1`, as in CI, where that is a failure.

use std::path::PathBuf;

use crate::{Backend, DatabaseUrl, Db, PoolSettings, secret::random_bytes};

pub const PG_URL_ENV: &str = "RUMAH_TEST_DATABASE_URL";
pub const REQUIRE_PG_ENV: &str = "RUMAH_TEST_REQUIRE_POSTGRES";

/// A database that exists for one test.
pub struct TestDb {
    pub db: Db,
    pub url: DatabaseUrl,
    pub backend: Backend,
    /// The SQLite temp dir or nothing; kept so it lives as long as the test.
    pub dir: Option<tempfile::TempDir>,
    pg_cleanup: Option<(String, String)>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("backend", &self.backend)
            .field("url", &self.url)
            .finish()
    }
}

/// The PostgreSQL base URL for tests, or `None` when PostgreSQL tests are
/// skipped. Panics when they are required but not configured.
pub fn postgres_base_url() -> Option<String> {
    match std::env::var(PG_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var(REQUIRE_PG_ENV).is_ok_and(|v| v == "1") {
                panic!(
                    "{REQUIRE_PG_ENV}=1 but {PG_URL_ENV} is not set: PostgreSQL tests cannot run"
                );
            }
            None
        }
    }
}

impl TestDb {
    /// A fresh database URL (not yet migrated) with its cleanup guard.
    pub async fn fresh_url(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = DatabaseUrl::sqlite_in(dir.path());
                let db = Db::connect(&url, &PoolSettings::default())
                    .await
                    .expect("open SQLite");
                Some(TestDb {
                    db,
                    url,
                    backend,
                    dir: Some(dir),
                    pg_cleanup: None,
                })
            }
            Backend::Postgres => {
                let base = postgres_base_url()?;
                let schema = format!("t_{}", hex::encode(random_bytes::<8>()));
                let admin = Db::connect(
                    &DatabaseUrl::parse(&base).expect("a postgres URL"),
                    &PoolSettings {
                        max_connections: 1,
                        ..PoolSettings::default()
                    },
                )
                .await
                .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {PG_URL_ENV}: {e}"));
                let mut a = admin.clone();
                crate::Exec::execute(
                    &mut a,
                    crate::Query::assembled(format!("CREATE SCHEMA {schema}")),
                )
                .await
                .expect("create schema");
                admin.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                let url =
                    DatabaseUrl::parse(&format!("{base}{sep}options=-c%20search_path%3D{schema}"))
                        .expect("a postgres URL");
                let db = Db::connect(
                    &url,
                    &PoolSettings {
                        max_connections: 8,
                        ..PoolSettings::default()
                    },
                )
                .await
                .expect("connect to the test schema");
                Some(TestDb {
                    db,
                    url,
                    backend,
                    dir: None,
                    pg_cleanup: Some((base, schema)),
                })
            }
        }
    }

    /// A fresh database with every migration applied.
    pub async fn migrated(backend: Backend) -> Option<TestDb> {
        let t = Self::fresh_url(backend).await?;
        crate::migrate::run(&t.db).await.expect("migrations apply");
        Some(t)
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.url.sqlite_path()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg_cleanup.take() else {
            return;
        };
        // Drop runs outside async context; use a small runtime on a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async move {
                if let Ok(url) = DatabaseUrl::parse(&base)
                    && let Ok(db) = Db::connect(
                        &url,
                        &PoolSettings {
                            max_connections: 1,
                            ..PoolSettings::default()
                        },
                    )
                    .await
                {
                    let mut d = db.clone();
                    let _ = crate::Exec::execute(
                        &mut d,
                        crate::Query::assembled(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")),
                    )
                    .await;
                    db.close().await;
                }
            });
        })
        .join();
    }
}

/// Declares a test that runs once per backend:
///
/// ```text
/// db_test!(async fn regions_are_seeded(t: TestDb) { ... });
/// ```
/// expands to a module with `sqlite` and `postgres` test functions.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($t:ident : TestDb) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($t: $crate::testkit::TestDb) $body

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::testkit::TestDb::migrated($crate::Backend::Sqlite).await.expect("SQLite is always available")).await;
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = $crate::testkit::TestDb::migrated($crate::Backend::Postgres).await else {
                    eprintln!("SKIPPED on PostgreSQL: set {} to run", $crate::testkit::PG_URL_ENV);
                    return;
                };
                run(t).await;
            }
        }
    };
}

pub const REQUIRE_S3_ENV: &str = "RUMAH_TEST_REQUIRE_S3";

/// A real S3 HTTP API on 127.0.0.1 for one test: moto's server
/// (`python3 -m moto.server`, installed by `scripts/install-test-deps`),
/// with a fresh bucket. MinIO cannot be fetched from the package
/// registries; moto speaks the same wire protocol and checks requests the
/// way S3 does for what the blob store uses (PUT, GET, HEAD, DELETE,
/// ListObjectsV2). Killed when dropped.
///
/// `None` when moto is not installed, unless `RUMAH_TEST_REQUIRE_S3=1` (as
/// in CI), where that is a failure.
pub struct S3Server {
    child: std::process::Child,
    pub settings: crate::blobs::S3Settings,
}

impl S3Server {
    pub async fn start() -> Option<S3Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let spawned = std::process::Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let required = std::env::var(REQUIRE_S3_ENV).is_ok_and(|v| v == "1");
        let child = match spawned {
            Ok(c) => c,
            Err(e) if !required => {
                eprintln!("SKIPPED the S3 variant: cannot start python3 -m moto.server: {e}");
                return None;
            }
            Err(e) => panic!("{REQUIRE_S3_ENV}=1 but python3 -m moto.server cannot start: {e}"),
        };
        let mut server = S3Server {
            child,
            settings: crate::blobs::S3Settings {
                endpoint: Some(format!("http://127.0.0.1:{port}")),
                bucket: format!("rumah-{}", hex::encode(random_bytes::<6>())),
                region: "us-east-1".into(),
                access_key_id: "testing".into(),
                secret_access_key: "testing".to_owned().into(),
                prefix: "blobs".into(),
                allow_http: true,
            },
        };
        crate::blobs::install_tls_provider();
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                if required {
                    panic!("moto.server exited with {status} ({REQUIRE_S3_ENV}=1)");
                }
                eprintln!(
                    "SKIPPED the S3 variant: moto.server exited with {status} (is moto[server] installed?)"
                );
                return None;
            }
            if client.get(&base).send().await.is_ok() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "moto.server did not answer in 60 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let res = client
            .put(format!("{base}/{}", server.settings.bucket))
            .send()
            .await
            .expect("create the bucket");
        assert!(
            res.status().is_success(),
            "create the bucket: {}",
            res.status()
        );
        Some(server)
    }

    /// The blob store on this server's bucket.
    pub fn store(&self) -> crate::blobs::S3 {
        crate::blobs::S3::new(&self.settings).expect("valid S3 settings")
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
