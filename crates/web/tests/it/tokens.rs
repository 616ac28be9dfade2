//! Personal access tokens: issued in the UI, shown once, used as bearer
//! tokens, limited by scope, revoked by their owner.

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;

use crate::support::{app_test, count_of, text_of};

app_test!(async fn a_token_is_shown_once_works_as_bearer_and_stops_when_revoked(app) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    let client = app.signed_in("siti").await;
    let res = app.post_form(&client, "/akun/token", "/akun/token", &[("name", "skrip laporan"), ("scope_read", "1"), ("expires_days", "90")]).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let token = text_of(&html, "#new-token").unwrap();
    assert!(token.starts_with("rumah_pat_"));
    let listed = client.get(app.url("/akun/token")).send().await.unwrap().text().await.unwrap();
    assert!(!listed.contains(&token), "the token is never shown again");
    assert!(listed.contains(&token[..14]), "its first characters identify it");
    let mut db = app.conn();
    let (stored,): (String,) = rumah_store::Exec::fetch_one(&mut db, rumah_store::q!("SELECT token_hash FROM personal_access_tokens")).await.unwrap();
    assert_ne!(stored, token, "only a hash is stored");

    let me = app.client().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let id = {
        let doc = scraper::Html::parse_document(&listed);
        let sel = scraper::Selector::parse("form[action^='/akun/token/']").unwrap();
        let action = doc.select(&sel).next().unwrap().value().attr("action").unwrap().to_owned();
        action.trim_start_matches("/akun/token/").trim_end_matches("/cabut").to_owned()
    };
    let res = app.post_form(&client, "/akun/token", &format!("/akun/token/{id}/cabut"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.client().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().status(), 401);
    let listed = client.get(app.url("/akun/token")).send().await.unwrap().text().await.unwrap();
    assert!(listed.contains("Dicabut"));
    assert_eq!(count_of(&listed, "form[action$='/cabut']"), 0);
    let (events,): (i64,) = rumah_store::Exec::fetch_one(&mut db, rumah_store::q!("SELECT COUNT(*) FROM audit_log WHERE event IN ('token.issued', 'token.revoked')")).await.unwrap();
    assert_eq!(events, 2);
});

app_test!(async fn a_read_only_token_cannot_change_or_administer(app) {
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")]).await;
    let client = app.signed_in("admin.prov").await;
    let res = app.post_form(&client, "/akun/token", "/akun/token", &[("name", "baca saja"), ("scope_read", "1"), ("expires_days", "30")]).await;
    let token = text_of(&res.text().await.unwrap(), "#new-token").unwrap();
    let api = app.client();
    assert_eq!(api.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().status(), 200);
    assert_eq!(api.get(app.url("/api/v1/accounts")).bearer_auth(&token).send().await.unwrap().status(), 403);
    let body = serde_json::json!({ "parent": "35", "segment": "BARU", "kind": "opd", "name": "Baru" });
    assert_eq!(api.post(app.url("/api/v1/orgs")).bearer_auth(&token).json(&body).send().await.unwrap().status(), 403);
});

app_test!(async fn creating_a_token_validates_its_fields(app) {
    app.account("siti", None, &[]).await;
    let client = app.signed_in("siti").await;
    let res = app.post_form(&client, "/akun/token", "/akun/token", &[("name", " "), ("expires_days", "90")]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#name-error").is_some());
    assert!(text_of(&html, "#scopes-error").is_some());
    let res = app.post_form(&client, "/akun/token", "/akun/token", &[("name", "x"), ("scope_read", "1"), ("expires_days", "lama")]).await;
    assert_eq!(res.status(), 422, "a wrong type is a clear 4xx");
    assert_eq!(app.count("personal_access_tokens").await, 0);
});

app_test!(async fn malformed_or_foreign_authorization_headers_are_401(app) {
    for value in ["Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer rumah_pat_doesnotexist", "Token abc"] {
        let res = app.client().get(app.url("/api/v1/me")).header("authorization", value).send().await.unwrap();
        assert_eq!(res.status(), 401, "{value}");
    }
});
