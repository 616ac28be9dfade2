//! Cross-site request forgery protection.

use rumah_domain::authz::Role;

use crate::support::{TestApp, app_test};

async fn admin(app: &TestApp) -> reqwest::Client {
    app.account(
        "admin.sidoarjo",
        Some("35.15"),
        &[(Role::Administrator, "35.15")],
    )
    .await;
    app.signed_in("admin.sidoarjo").await
}

const NEW_OPD: &[(&str, &str)] = &[
    ("parent", "35.15"),
    ("segment", "DINKES"),
    ("kind", "opd"),
    ("name", "Dinas Kesehatan"),
];

app_test!(async fn a_form_without_a_valid_token_is_refused_and_changes_nothing(app) {
    let client = admin(&app).await;
    let before = app.count("org_nodes").await;
    let res = client.post(app.url("/admin/organisasi")).form(NEW_OPD).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("kedaluwarsa"), "the page explains what happened");
    let mut forged = vec![("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")];
    forged.extend_from_slice(NEW_OPD);
    assert_eq!(client.post(app.url("/admin/organisasi")).form(&forged).send().await.unwrap().status(), 403);
    assert_eq!(app.count("org_nodes").await, before);
    // The same form with the page's token goes through.
    let res = app.post_form(&client, "/admin/organisasi", "/admin/organisasi", NEW_OPD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("org_nodes").await, before + 1);
});

app_test!(async fn a_token_from_another_browser_or_session_does_not_work(app) {
    let client = admin(&app).await;
    let other = app.client();
    let foreign = app.csrf_token(&other, "/masuk").await;
    let mut form = vec![("csrf_token", foreign.as_str())];
    form.extend_from_slice(NEW_OPD);
    assert_eq!(client.post(app.url("/admin/organisasi")).form(&form).send().await.unwrap().status(), 403);
    // A token minted before signing in is bound to no session.
    let fresh = app.client();
    let before_login = app.csrf_token(&fresh, "/masuk").await;
    assert_eq!(app.login(&fresh, "admin.sidoarjo", crate::support::PASSWORD).await.status(), 303);
    let mut form = vec![("csrf_token", before_login.as_str())];
    form.extend_from_slice(NEW_OPD);
    assert_eq!(fresh.post(app.url("/admin/organisasi")).form(&form).send().await.unwrap().status(), 403);
    assert_eq!(app.count("org_nodes").await, 39);
});

app_test!(async fn a_cross_site_post_is_refused_even_with_a_token(app) {
    let client = admin(&app).await;
    let token = app.csrf_token(&client, "/admin/organisasi").await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(NEW_OPD);
    let res = client.post(app.url("/admin/organisasi")).header("sec-fetch-site", "cross-site").form(&form).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = client.post(app.url("/admin/organisasi")).header("origin", "https://evil.example").form(&form).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("org_nodes").await, 39);
});

app_test!(async fn the_api_needs_the_header_token_with_a_cookie_but_not_with_a_bearer_token(app) {
    let client = admin(&app).await;
    let body = serde_json::json!({ "parent": "35.15", "segment": "DINKES", "kind": "opd", "name": "Dinas Kesehatan" });
    let res = client.post(app.url("/api/v1/orgs")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let envelope: serde_json::Value = res.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "csrf_failed");
    let token = app.csrf_token(&client, "/admin/organisasi").await;
    let res = client.post(app.url("/api/v1/orgs")).header("x-csrf-token", token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    // A bearer token carries no ambient authority; no CSRF token is needed.
    let mut db = app.conn();
    let account = rumah_store::identity::accounts::by_username(&mut db, &rumah_domain::identity::Username::parse("admin.sidoarjo").unwrap()).await.unwrap().unwrap();
    let (_, pat) = rumah_store::identity::tokens::create(&mut db, account.id, "t", &[rumah_domain::authz::ApiScope::Admin], None).await.unwrap();
    let body = serde_json::json!({ "parent": "35.15", "segment": "BAPPEDA", "kind": "opd", "name": "Bappeda" });
    let res = app.client().post(app.url("/api/v1/orgs")).bearer_auth(pat).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
});
