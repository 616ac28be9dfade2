//! Per-client signing algorithms (ES256 by default, RS256 and EdDSA on
//! request): tokens whose header names a published key of that algorithm
//! and verify with it, rotation that keeps the old keys published, and the
//! edit page of the clients admin (same checks as registration, province
//! administrators only, CSRF, audited, a second save from an old form told).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;
use sha2::Digest as _;

use crate::oidc::{
    REDIRECT, SECRET, VERIFIER, authorize_url, callback, client, exchange, verify_jwt,
};
use crate::support::{TestApp, app_test, text_of};

/// A first-party confidential client whose tokens are signed with `alg`.
async fn client_with_alg(app: &TestApp, id: &str, alg: &str) {
    client(app, id, false, true, "authorization_code refresh_token").await;
    assert!(
        rumah_store::oidc::clients::set_token_settings(&mut app.conn(), id, alg, None, None)
            .await
            .unwrap()
    );
}

/// The code flow for `id`; returns the token response.
async fn tokens(app: &TestApp, browser: &reqwest::Client, id: &str) -> serde_json::Value {
    let code = callback(
        &browser
            .get(app.url(&authorize_url(id, "")))
            .send()
            .await
            .unwrap(),
    )["code"]
        .clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let res = exchange(app, &form, Some((id, SECRET))).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn header(token: &str) -> jsonwebtoken::Header {
    jsonwebtoken::decode_header(token).unwrap()
}

async fn jwks(app: &TestApp) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = app
        .client()
        .get(app.url("/oidc/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    doc["keys"].as_array().unwrap().clone()
}

async fn signed_in_user(app: &TestApp) -> reqwest::Client {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    app.signed_in("siti").await
}

app_test!(async fn each_client_gets_tokens_in_its_algorithm(app) {
    let browser = signed_in_user(&app).await;
    let doc: serde_json::Value = app.client().get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["id_token_signing_alg_values_supported"], serde_json::json!(["ES256", "RS256", "EdDSA"]));
    client(&app, "biasa", false, true, "authorization_code").await;
    client_with_alg(&app, "rsa-app", "RS256").await;
    client_with_alg(&app, "ed-app", "EdDSA").await;
    let iss = app.url("");
    let api = format!("{}/api", iss.trim_end_matches('/'));
    for (id, alg) in [("biasa", jsonwebtoken::Algorithm::ES256), ("rsa-app", jsonwebtoken::Algorithm::RS256), ("ed-app", jsonwebtoken::Algorithm::EdDSA)] {
        let t = tokens(&app, &browser, id).await;
        let id_token = t["id_token"].as_str().unwrap();
        let at = t["access_token"].as_str().unwrap();
        assert_eq!(header(id_token).alg, alg, "{id}");
        assert_eq!(header(at).alg, alg, "{id}: its access tokens too");
        // verify_jwt finds the kid in the JWKS and checks the signature with that key.
        let claims = verify_jwt(&app, id_token, "JWT", Some(id)).await;
        assert_eq!(claims["preferred_username"], "siti");
        verify_jwt(&app, at, "at+jwt", Some(&api)).await;
        // at_hash with the hash of the algorithm: SHA-512 for Ed25519.
        let digest = if alg == jsonwebtoken::Algorithm::EdDSA { sha2::Sha512::digest(at.as_bytes()).to_vec() } else { sha2::Sha256::digest(at.as_bytes()).to_vec() };
        assert_eq!(claims["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]), "{id}");
        // The API accepts the access token whatever its algorithm.
        let info = app.client().get(app.url("/oidc/userinfo")).bearer_auth(at).send().await.unwrap();
        assert_eq!(info.status(), 200, "{id}");
    }
    let keys = jwks(&app).await;
    let mut algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    algs.sort_unstable();
    assert_eq!(algs, ["ES256", "EdDSA", "RS256"], "one key per algorithm");
    for k in &keys {
        assert_eq!(k["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(k.get(private).is_none(), "no private part is published");
        }
    }
    let rsa = keys.iter().find(|k| k["alg"] == "RS256").unwrap();
    assert_eq!(rsa["kty"], "RSA");
    assert_eq!(URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap().len(), 256, "2048 bits");
    let ed = keys.iter().find(|k| k["alg"] == "EdDSA").unwrap();
    assert_eq!((ed["kty"].as_str(), ed["crv"].as_str()), (Some("OKP"), Some("Ed25519")));
    // Every private key is stored sealed: none opens as plain DER.
    let rows: Vec<(Vec<u8>,)> = rumah_store::Exec::fetch_all(&mut app.conn(), rumah_store::q!("SELECT private_key FROM oidc_signing_keys")).await.unwrap();
    assert_eq!(rows.len(), 3);
    for (sealed,) in rows {
        assert_ne!(sealed[0], 0x30, "not a DER SEQUENCE in the clear");
    }
});

app_test!(async fn rotation_keeps_the_old_keys_published(app) {
    let browser = signed_in_user(&app).await;
    client_with_alg(&app, "rsa-app", "RS256").await;
    let before = tokens(&app, &browser, "rsa-app").await;
    let old_id_token = before["id_token"].as_str().unwrap();
    let old_kid = header(old_id_token).kid.unwrap();
    let made = rumah_web::oidc::keys::rotate(&mut app.conn(), &app.config.oidc_kek).await.unwrap();
    let mut made_algs: Vec<&str> = made.iter().map(|k| k.alg.as_str()).collect();
    made_algs.sort_unstable();
    assert_eq!(made_algs, ["ES256", "RS256"], "the default and every algorithm in use; EdDSA waits until needed");
    // A node holds its signing keys for up to a minute (`key_cache`), so
    // the new key is seen first by a node that starts now; every node
    // publishes and accepts both.
    let node = app.another_node().await;
    let code = callback(&browser.get(node.url(&authorize_url("rsa-app", ""))).send().await.unwrap())["code"].clone();
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let res = reqwest::Client::new().post(node.url("/oidc/token")).basic_auth("rsa-app", Some(SECRET)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let after: serde_json::Value = res.json().await.unwrap();
    let new_id_token = after["id_token"].as_str().unwrap();
    let new_kid = header(new_id_token).kid.unwrap();
    assert_ne!(old_kid, new_kid, "signed with the new key");
    let kids: Vec<String> = jwks(&app).await.iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    assert!(kids.contains(&old_kid) && kids.contains(&new_kid));
    // Both still verify against the published keys.
    verify_jwt(&app, old_id_token, "JWT", Some("rsa-app")).await;
    verify_jwt(&app, new_id_token, "JWT", Some("rsa-app")).await;
});

async fn admins(app: &TestApp) -> (reqwest::Client, reqwest::Client) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")])
        .await;
    app.account(
        "admin.sidoarjo",
        Some("35.15.DINKES"),
        &[(Role::Administrator, "35.15")],
    )
    .await;
    (
        app.signed_in("admin.prov").await,
        app.signed_in("admin.sidoarjo").await,
    )
}

const PORTAL: &[(&str, &str)] = &[
    ("name", "Portal Layanan"),
    ("client_id", "portal"),
    ("auth_method", "none"),
    ("redirect_uris", "https://portal.example/cb"),
    ("grant", "authorization_code"),
    ("scope", "openid"),
];

async fn version_of(app: &TestApp, browser: &reqwest::Client, id: &str) -> String {
    let html = browser
        .get(app.url(&format!("/admin/klien/{id}/ubah")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("input[name=version]").unwrap();
    doc.select(&sel)
        .next()
        .expect("a version field")
        .value()
        .attr("value")
        .unwrap()
        .to_owned()
}

async fn stored(app: &TestApp, id: &str) -> rumah_store::oidc::clients::Client {
    rumah_store::oidc::clients::any_by_client_id(&mut app.conn(), id)
        .await
        .unwrap()
        .unwrap()
}

async fn audit_count(app: &TestApp, event: &str, client_id: &str) -> i64 {
    let (n,): (i64,) = rumah_store::Exec::fetch_one(
        &mut app.conn(),
        rumah_store::Query::assembled(
            "SELECT COUNT(*) FROM audit_log WHERE event = $1 AND client_id = $2".to_owned(),
        )
        .bind(event.to_owned())
        .bind(client_id.to_owned()),
    )
    .await
    .unwrap();
    n
}

app_test!(async fn a_province_admin_edits_every_setting_of_a_client(app) {
    let (prov, _) = admins(&app).await;
    let res = app.post_form(&prov, "/admin/klien/baru", "/admin/klien/baru", PORTAL).await;
    assert_eq!(res.status(), 200);
    let page = prov.get(app.url("/admin/klien/portal/ubah")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("https://portal.example/cb"), "the form shows what is stored");
    let v1 = version_of(&app, &prov, "portal").await;
    // Public -> confidential with client_secret_post, RS256, lifetimes, URIs.
    let edit = [
        ("version", v1.as_str()),
        ("name", "Portal Layanan Publik"),
        ("auth_method", "client_secret_post"),
        ("redirect_uris", "https://portal.example/cb\nhttps://portal.example/cb2"),
        ("post_logout_redirect_uris", "https://portal.example/bye"),
        ("backchannel_logout_uri", "https://portal.example/bc"),
        ("grant", "authorization_code"),
        ("grant", "client_credentials"),
        ("scope", "openid"),
        ("scope", "roles"),
        ("signing_alg", "RS256"),
        ("access_token_lifetime", "300"),
        ("refresh_token_lifetime", "86400"),
        ("first_party", "1"),
        ("require_mfa", "1"),
    ];
    let res = app.post_form(&prov, "/admin/klien/portal/ubah", "/admin/klien/portal/ubah", &edit).await;
    assert_eq!(res.status(), 200, "a client that now needs a secret gets one, shown once");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let secret = text_of(&res.text().await.unwrap(), "#client-secret").expect("the new secret");
    let c = stored(&app, "portal").await;
    assert_eq!(c.name, "Portal Layanan Publik");
    assert_eq!(c.token_endpoint_auth_method, "client_secret_post");
    assert_eq!(c.redirect_uris(), ["https://portal.example/cb", "https://portal.example/cb2"]);
    assert_eq!(c.post_logout_redirect_uris, r#"["https://portal.example/bye"]"#);
    assert_eq!(c.backchannel_logout_uri.as_deref(), Some("https://portal.example/bc"));
    assert_eq!(c.grant_types, "authorization_code client_credentials");
    assert_eq!(c.id_token_signed_response_alg, "RS256");
    assert_eq!((c.access_token_lifetime_s, c.refresh_token_lifetime_s), (Some(300), Some(86400)));
    assert!(c.first_party && c.require_mfa);
    assert_eq!(audit_count(&app, "oidc.client_updated", "portal").await, 1);
    // The secret works in the form body; the token is RS256 and lives 300 s.
    let res = app.client().post(app.url("/oidc/token")).form(&[("grant_type", "client_credentials"), ("client_id", "portal"), ("client_secret", secret.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let t: serde_json::Value = res.json().await.unwrap();
    assert_eq!(t["expires_in"], 300);
    assert_eq!(header(t["access_token"].as_str().unwrap()).alg, jsonwebtoken::Algorithm::RS256);

    // An edit that keeps a secret keeps it (and goes back to the list).
    let v2 = version_of(&app, &prov, "portal").await;
    let mut keep: Vec<(&str, &str)> = edit.to_vec();
    keep[0] = ("version", v2.as_str());
    keep[1] = ("name", "Portal");
    let res = app.post_form(&prov, "/admin/klien/portal/ubah", "/admin/klien/portal/ubah", &keep).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/klien?pesan=diubah");
    let res = app.client().post(app.url("/oidc/token")).form(&[("grant_type", "client_credentials"), ("client_id", "portal"), ("client_secret", secret.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200, "the secret still works");

    // private_key_jwt with a JWKS: the secret is gone.
    let jwks = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k1"}]}"#;
    let v3 = version_of(&app, &prov, "portal").await;
    let mut keys: Vec<(&str, &str)> = keep.clone();
    keys[0] = ("version", v3.as_str());
    keys[2] = ("auth_method", "private_key_jwt");
    keys.push(("jwks", jwks));
    let res = app.post_form(&prov, "/admin/klien/portal/ubah", "/admin/klien/portal/ubah", &keys).await;
    assert_eq!(res.status(), 303);
    let c = stored(&app, "portal").await;
    assert_eq!(c.token_endpoint_auth_method, "private_key_jwt");
    assert!(c.secret_hash.is_none());
    let basic = format!("Basic {}", STANDARD.encode(format!("portal:{secret}")));
    let res = app.client().post(app.url("/oidc/token")).header("authorization", basic).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
    assert_eq!(res.status(), 401, "the old secret no longer works");
    assert_eq!(audit_count(&app, "oidc.client_updated", "portal").await, 3);
});

app_test!(async fn edits_are_checked_like_registrations_and_a_stale_form_is_told(app) {
    let (prov, region) = admins(&app).await;
    app.post_form(&prov, "/admin/klien/baru", "/admin/klien/baru", PORTAL).await;
    let before = stored(&app, "portal").await;
    let v = version_of(&app, &prov, "portal").await;
    let base = |extra: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, &str)> = vec![("name", "Portal"), ("auth_method", "none"), ("redirect_uris", "https://portal.example/cb"), ("grant", "authorization_code")];
        f.extend_from_slice(extra);
        f
    };
    type Case = (Vec<(&'static str, &'static str)>, &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (base(&[("redirect_uris", "http://portal.example/cb")]), "redirect_uris", "loopback"),
        (base(&[("signing_alg", "HS256")]), "signing_alg", "bukan ES256, RS256 atau EdDSA"),
        (base(&[("access_token_lifetime", "10")]), "access_token_lifetime", "rentang"),
        (base(&[("refresh_token_lifetime", "lama")]), "refresh_token_lifetime", "rentang"),
        (base(&[("grant", "client_credentials")]), "grants", "klien publik"),
        (vec![("name", "Portal"), ("auth_method", "private_key_jwt"), ("redirect_uris", "https://portal.example/cb"), ("jwks", "")], "jwks", "wajib"),
        (vec![("name", "Portal"), ("auth_method", "private_key_jwt"), ("redirect_uris", "https://portal.example/cb"), ("jwks", r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#)], "jwks", "tidak bisa dipakai"),
    ];
    for (fields, field, text) in &cases {
        let mut form = vec![("version", v.as_str())];
        form.extend_from_slice(fields);
        let res = app.post_form(&prov, "/admin/klien/portal/ubah", "/admin/klien/portal/ubah", &form).await;
        assert_eq!(res.status(), 422, "{fields:?}");
        let html = res.text().await.unwrap();
        let message = text_of(&html, &format!("#{field}-error")).unwrap_or_else(|| panic!("no error on {field}: {fields:?}"));
        assert!(message.contains(text), "{message:?} lacks {text:?}");
    }
    assert_eq!(stored(&app, "portal").await, before, "nothing changed");
    assert_eq!(audit_count(&app, "oidc.client_updated", "portal").await, 0);

    // Two forms read at the same version: the second save is told, not applied.
    let first = [("version", v.as_str()), ("name", "Portal Satu"), ("auth_method", "none"), ("redirect_uris", "https://portal.example/cb"), ("grant", "authorization_code")];
    let res = app.post_form(&prov, "/admin/klien/portal/ubah", "/admin/klien/portal/ubah", &first).await;
    assert_eq!(res.status(), 303);
    let second = [("version", v.as_str()), ("name", "Portal Dua"), ("auth_method", "none"), ("redirect_uris", "https://portal.example/cb"), ("grant", "authorization_code")];
    let res = app.post_form(&prov, "/admin/klien/portal/ubah", "/admin/klien/portal/ubah", &second).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#form-stale").unwrap().contains("diubah orang lain"));
    assert!(html.contains("Portal Satu"), "the form shows what is stored now");
    assert_eq!(stored(&app, "portal").await.name, "Portal Satu");

    // Region administrators are refused; CSRF is required; unknown clients are 404.
    assert_eq!(region.get(app.url("/admin/klien/portal/ubah")).send().await.unwrap().status(), 403);
    let token = app.csrf_token(&region, "/akun").await;
    let v_now = version_of(&app, &prov, "portal").await;
    let res = region.post(app.url("/admin/klien/portal/ubah")).form(&[("csrf_token", token.as_str()), ("version", v_now.as_str()), ("name", "Milik Kabupaten"), ("auth_method", "none"), ("redirect_uris", "https://portal.example/cb")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = prov.post(app.url("/admin/klien/portal/ubah")).form(&[("version", v_now.as_str()), ("name", "Tanpa CSRF")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(stored(&app, "portal").await.name, "Portal Satu");
    assert_eq!(prov.get(app.url("/admin/klien/tidak-ada/ubah")).send().await.unwrap().status(), 404);
    assert_eq!(audit_count(&app, "oidc.client_updated", "portal").await, 1);
});

app_test!(async fn authlib_validates_the_id_token_of_an_rs256_client(app) {
    // The flow of `oidc_client.rs` (Authlib) for a client whose tokens are RS256.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc_client.py");
    let has_authlib = tokio::process::Command::new("python3")
        .args(["-c", "import authlib, requests"])
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !has_authlib {
        assert!(
            std::env::var("RUMAH_TEST_REQUIRE_OIDC_CLIENTS").as_deref() != Ok("1"),
            "RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1 but Authlib is not installed"
        );
        eprintln!("SKIPPED: python3 with authlib and requests is not installed");
        return;
    }
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    client_with_alg(&app, "rsa-app", "RS256").await;
    let post_logout = "http://127.0.0.1:9/sampai-jumpa";
    rumah_store::oidc::logout::set_settings(&mut app.conn(), "rsa-app", &[post_logout.to_owned()], None, false)
        .await
        .unwrap();
    let issuer = app.url("");
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("ISSUER", issuer.trim_end_matches('/'))
        .env("CLIENT_ID", "rsa-app")
        .env("CLIENT_SECRET", SECRET)
        .env("REDIRECT_URI", REDIRECT)
        .env("POST_LOGOUT_REDIRECT_URI", post_logout)
        .env("USERNAME", "siti")
        .env("PASSWORD", crate::support::PASSWORD)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "Authlib failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["id_token_alg"], "RS256");
    assert_eq!(seen["preferred_username"], "siti");
    assert_eq!(seen["refreshed_id_token"], true);
    assert_eq!(seen["logged_out"], true, "the RS256 ID token was accepted as logout hint");
});
