//! Health, readiness and metrics.

use std::time::Duration;

use rumah_store::{DatabaseUrl, Db, PoolSettings, migrate};
use rumah_web::{AppState, build};

use crate::support::{TestApp, app_test, test_config};

app_test!(async fn health_and_readiness_answer(app) {
    let res = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.text().await.unwrap()), (200, "ok".to_owned()));
    assert_eq!(app.client().get(app.url("/readyz")).send().await.unwrap().status(), 200);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_when_the_sqlite_file_is_gone() {
    let app = TestApp::spawn(rumah_store::Backend::Sqlite).await.unwrap();
    assert_eq!(
        app.client()
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let path = app.t.sqlite_path().unwrap();
    std::fs::remove_file(&path).unwrap();
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    let res = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(
        app.client()
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "alive, just not ready"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_when_the_postgres_database_is_dropped() {
    let Some(base) = rumah_store::testkit::postgres_base_url() else {
        eprintln!(
            "SKIPPED on PostgreSQL: set {} to run",
            rumah_store::testkit::PG_URL_ENV
        );
        return;
    };
    let name = format!(
        "rumah_gone_{}",
        hex::encode(rumah_store::secret::random_bytes::<6>())
    );
    let admin = Db::connect(
        &DatabaseUrl::parse(&base).unwrap(),
        &PoolSettings {
            max_connections: 1,
            ..PoolSettings::default()
        },
    )
    .await
    .unwrap();
    rumah_store::Exec::execute(
        &mut admin.clone(),
        rumah_store::Query::assembled(format!("CREATE DATABASE {name}")),
    )
    .await
    .unwrap();
    let url = {
        let mut u = url::Url::parse(&base).unwrap();
        u.set_path(&format!("/{name}"));
        u.to_string()
    };
    let db = Db::connect(
        &DatabaseUrl::parse(&url).unwrap(),
        &PoolSettings {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(1),
            ..PoolSettings::default()
        },
    )
    .await
    .unwrap();
    migrate::run(&db).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = build(
        AppState::new(db.clone(), test_config(&format!("http://{addr}")))
            .await
            .unwrap(),
    );
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    rumah_store::blobs::install_tls_provider();
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("http://{addr}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    rumah_store::Exec::execute(
        &mut admin.clone(),
        rumah_store::Query::assembled(format!("DROP DATABASE {name} WITH (FORCE)")),
    )
    .await
    .unwrap();
    assert_eq!(
        client
            .get(format!("http://{addr}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    admin.close().await;
}

app_test!(async fn metrics_count_requests_by_route_for_loopback_callers(app) {
    app.client().get(app.url("/api/v1/regions")).send().await.unwrap();
    app.client().get(app.url("/tidak-ada")).send().await.unwrap();
    let res = app.client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains(r#"http_requests_total{method="GET",route="/api/v1/regions",status="200"} 1"#), "{body}");
    assert!(body.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#));
    assert!(body.contains(r#"http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/regions"}"#));
    assert!(body.contains("db_pool_connections{state=\"idle\"}"));
    assert!(body.contains("process_resident_memory_bytes"));
});

app_test!(async fn metrics_require_the_token_when_one_is_configured(_unused) {
    let Some(app) = TestApp::spawn_with(_unused.backend, |c| c.metrics_token = Some("s3cret-metrics".into())).await else { return };
    assert_eq!(app.client().get(app.url("/metrics")).send().await.unwrap().status(), 403);
    let res = app.client().get(app.url("/metrics")).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = app.client().get(app.url("/metrics")).bearer_auth("s3cret-metrics").send().await.unwrap();
    assert_eq!(res.status(), 200);
});
