//! The JSON API contract: reference data, the OpenAPI document, the error
//! envelope and bad input.

use rumah_domain::authz::{ApiScope, Role};
use rumah_store::identity::tokens;

use crate::support::{TestApp, app_test};

async fn admin_token(app: &TestApp) -> String {
    let id = app
        .account("admin.prov", Some("35"), &[(Role::Administrator, "35")])
        .await;
    tokens::create(
        &mut app.conn(),
        id,
        "test",
        &[ApiScope::Read, ApiScope::Write, ApiScope::Admin],
        None,
    )
    .await
    .unwrap()
    .1
}

app_test!(async fn regions_lists_the_38_regencies_and_cities(app) {
    let res = app.client().get(app.url("/api/v1/regions")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let regions: Vec<serde_json::Value> = res.json().await.unwrap();
    assert_eq!(regions.len(), 38);
    assert_eq!(regions[0], serde_json::json!({ "code": "35.01", "name": "Kabupaten Pacitan", "kind": "kabupaten", "parent": "35" }));
    assert_eq!(regions[37], serde_json::json!({ "code": "35.79", "name": "Kota Batu", "kind": "kota", "parent": "35" }));
    assert_eq!(regions.iter().filter(|r| r["kind"] == "kota").count(), 9);
    let again = app.client().get(app.url("/api/v1/regions")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    let bakorwil: Vec<serde_json::Value> = app.client().get(app.url("/api/v1/bakorwil")).send().await.unwrap().json().await.unwrap();
    assert_eq!(bakorwil.len(), 5);
    let sidoarjo: serde_json::Value = app.client().get(app.url("/api/v1/orgs/35.15")).send().await.unwrap().json().await.unwrap();
    assert_eq!(sidoarjo["parent"], "35");
    assert_eq!(sidoarjo["kind"], "kabupaten");
});

app_test!(async fn the_openapi_document_describes_the_api(app) {
    let res = app.client().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/api/v1/regions", "/api/v1/bakorwil", "/api/v1/me", "/api/v1/orgs", "/api/v1/orgs/{code}", "/api/v1/accounts", "/api/v1/accounts/{id}", "/api/v1/audit", "/api/v1/innovations", "/api/v1/innovations/{id}"] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"].get("ErrorEnvelope").is_some());
    assert!(doc["components"]["securitySchemes"].get("bearer").is_some());
    insta::assert_json_snapshot!("openapi", doc);
});

app_test!(async fn api_errors_use_one_envelope_in_the_callers_language(app) {
    let res = app.client().get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(body["error"]["message"], "Anda perlu masuk terlebih dahulu.");
    let body: serde_json::Value = app.client().get(app.url("/api/v1/me")).header("accept-language", "en").send().await.unwrap().json().await.unwrap();
    assert_eq!(body["error"]["message"], "You need to sign in first.");
    let res = app.client().get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let res = app.client().get(app.url("/api/v1/orgs?limit=banyak")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_query");
});

app_test!(async fn bad_bodies_are_refused_with_the_right_status_and_nothing_is_stored(app) {
    let token = admin_token(&app).await;
    let client = app.client();
    let before = app.count("org_nodes").await;
    let post = |body: reqwest::Body, ct: Option<&'static str>| {
        let mut req = client.post(app.url("/api/v1/orgs")).bearer_auth(&token).body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let cases: Vec<(reqwest::Body, Option<&'static str>, u16, &str)> = vec![
        (r#"{"parent": "35.15", "segment": "#.into(), Some("application/json"), 400, "malformed_json"),
        (r#"{"parent": 35.15, "segment": "X", "kind": "opd", "name": "N"}"#.into(), Some("application/json"), 422, "invalid_body"),
        (r#"{"parent": "35.15", "segment": "X", "kind": "opd"}"#.into(), Some("application/json"), 422, "invalid_body"),
        (r#"{"parent": "35.15", "segment": "X", "kind": "opd", "name": "N", "admin": true}"#.into(), Some("application/json"), 422, "invalid_body"),
        (r#"{"parent": "35.15", "segment": "X", "kind": "opd", "name": "N"}"#.into(), Some("text/plain"), 415, "unsupported_media_type"),
        (r#"{"parent": "35.15", "segment": "X", "kind": "opd", "name": "N"}"#.into(), None, 415, "unsupported_media_type"),
        (format!(r#"{{"parent": "35.15", "segment": "X", "kind": "opd", "name": "{}"}}"#, "x".repeat(2 * 1024 * 1024)).into(), Some("application/json"), 413, "payload_too_large"),
        (r#"{"parent": "35.15", "segment": "X", "kind": "kabupaten", "name": "N"}"#.into(), Some("application/json"), 422, "validation_failed"),
        (r#"{"parent": "35.15", "segment": "X_Y", "kind": "opd", "name": "N"}"#.into(), Some("application/json"), 422, "validation_failed"),
        (r#"{"parent": "35.15", "segment": "X", "kind": "opd", "name": "   "}"#.into(), Some("application/json"), 422, "validation_failed"),
    ];
    for (body, ct, status, code) in cases {
        let res = post(body, ct).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "expected {code}");
        let envelope: serde_json::Value = res.json().await.unwrap();
        assert_eq!(envelope["error"]["code"], code);
        assert!(envelope["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(app.count("org_nodes").await, before, "nothing was stored");
    let ok = post(r#"{"parent": "35.15", "segment": "X", "kind": "opd", "name": "N"}"#.into(), Some("application/json")).await.unwrap();
    assert_eq!(ok.status(), 201);
    let dup = post(r#"{"parent": "35.15", "segment": "X", "kind": "opd", "name": "N"}"#.into(), Some("application/json")).await.unwrap();
    assert_eq!(dup.status(), 409);
    let envelope: serde_json::Value = dup.json().await.unwrap();
    assert_eq!(envelope["error"]["field"], "segment");
});

app_test!(async fn a_large_body_refused_before_it_is_read_still_gets_its_answer(app) {
    // The handler refuses on the content type without reading the 3 MiB
    // body. Without lingering reads the server would close with the body
    // unread and the client would see a reset instead of the 415, on some
    // runs; twenty attempts make that visible.
    let token = admin_token(&app).await;
    let body = "x".repeat(3 * 1024 * 1024);
    for attempt in 0..20 {
        let res = app
            .client()
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("attempt {attempt}: {e:?}"));
        assert_eq!(res.status(), 415);
        let envelope: serde_json::Value = res.json().await.unwrap();
        assert_eq!(envelope["error"]["code"], "unsupported_media_type");
    }
    // A body sent in chunks without a length, over the limit: 413.
    let chunks = (0..40).map(|_| {
        Ok::<_, std::io::Error>(http_body::Frame::data(axum::body::Bytes::from(vec![b' '; 64 * 1024])))
    });
    let res = app
        .client()
        .post(app.url("/api/v1/orgs"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap(http_body_util::StreamBody::new(tokio_stream::iter(chunks))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
});

app_test!(async fn server_errors_never_reveal_internal_detail(app) {
    app.db.close().await;
    let res = app.client().get(app.url("/api/v1/bakorwil")).send().await.unwrap();
    assert_eq!(res.status(), 500);
    let text = res.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "internal");
    for leak in ["pool", "sqlx", "closed", "SELECT", "postgres", "sqlite"] {
        assert!(!text.to_lowercase().contains(&leak.to_lowercase()), "{leak} leaked: {text}");
    }
});

app_test!(async fn me_describes_the_caller(app) {
    let token = admin_token(&app).await;
    let me: serde_json::Value = app.client().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "admin.prov");
    assert_eq!(me["roles"], serde_json::json!([{ "role": "administrator", "org": "35" }]));
    assert_eq!(me["org"]["code"], "35");
    let session = app.signed_in("admin.prov").await;
    let me: serde_json::Value = session.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "admin.prov");
});
