//! The clients admin pages: only the province's administrators, a secret
//! shown once that works at the token endpoint, rotation that cuts off the
//! old secret at once, deletion, and bad input refused with the field
//! named and nothing stored.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;

use crate::support::{TestApp, app_test, text_of};

async fn world(app: &TestApp) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")])
        .await;
    app.account(
        "admin.sidoarjo",
        Some("35.15.DINKES"),
        &[(Role::Administrator, "35.15")],
    )
    .await;
}

async fn token_status(app: &TestApp, client_id: &str, secret: &str) -> u16 {
    app.client()
        .post(app.url("/oidc/token"))
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}"))),
        )
        .form(&[("grant_type", "client_credentials"), ("scope", "roles")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
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

const SERVICE: &[(&str, &str)] = &[
    ("name", "Layanan Kepegawaian"),
    ("client_id", "layanan"),
    ("kind", "confidential"),
    ("redirect_uris", ""),
    ("grant", "client_credentials"),
    ("scope", "openid"),
    ("scope", "roles"),
];

/// Registers through the form; returns the secret shown on the result page.
async fn register(app: &TestApp, browser: &reqwest::Client, fields: &[(&str, &str)]) -> String {
    let res = app
        .post_form(browser, "/admin/klien/baru", "/admin/klien/baru", fields)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    text_of(&html, "#client-secret").expect("the secret is shown")
}

app_test!(async fn a_registered_secret_works_and_rotation_cuts_off_the_old_one(app) {
    world(&app).await;
    let browser = app.signed_in("admin.prov").await;
    let first = register(&app, &browser, SERVICE).await;
    assert!(first.len() >= 40);
    assert_eq!(token_status(&app, "layanan", &first).await, 200);
    assert_eq!(token_status(&app, "layanan", "not-the-secret").await, 401);
    assert_eq!(audit_count(&app, "oidc.client_created", "layanan").await, 1);
    // Listed, and the secret is not on the list.
    let list = browser.get(app.url("/admin/klien")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("Layanan Kepegawaian") && !list.contains(&first));

    let res = app.post_form(&browser, "/admin/klien", "/admin/klien/layanan/rahasia", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let second = text_of(&res.text().await.unwrap(), "#client-secret").unwrap();
    assert_ne!(first, second);
    assert_eq!(token_status(&app, "layanan", &first).await, 401);
    assert_eq!(token_status(&app, "layanan", &second).await, 200);
    assert_eq!(audit_count(&app, "oidc.client_secret_rotated", "layanan").await, 1);
    // Stored hashed, never in the clear.
    let (hash,): (String,) = rumah_store::Exec::fetch_one(
        &mut app.conn(),
        rumah_store::Query::assembled("SELECT secret_hash FROM oidc_clients WHERE client_id = 'layanan'".to_owned()),
    )
    .await
    .unwrap();
    assert_eq!(hash, rumah_store::oidc::hash(&second));

    // A public client has no secret to rotate.
    let public = [
        ("name", "Aplikasi Ponsel"),
        ("kind", "public"),
        ("redirect_uris", "https://ponsel.example/cb\nhttp://127.0.0.1:7000/cb"),
        ("grant", "authorization_code"),
    ];
    let res = app.post_form(&browser, "/admin/klien/baru", "/admin/klien/baru", &public).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_eq!(text_of(&html, "#client-id").as_deref(), Some("aplikasi-ponsel"));
    assert!(text_of(&html, "#client-secret").is_none());
    let res = app.post_form(&browser, "/admin/klien", "/admin/klien/aplikasi-ponsel/rahasia", &[]).await;
    assert_eq!(res.status(), 404);
});

app_test!(async fn settings_from_the_form_are_stored(app) {
    world(&app).await;
    let browser = app.signed_in("admin.prov").await;
    let fields = [
        ("name", "SIMASTER"),
        ("kind", "confidential"),
        ("redirect_uris", "https://simaster.example/cb\r\nhttps://simaster.example/cb2\r\n"),
        ("post_logout_redirect_uris", "https://simaster.example/bye"),
        ("backchannel_logout_uri", "https://simaster.example/bc"),
        ("grant", "authorization_code"),
        ("grant", "refresh_token"),
        ("scope", "openid"),
        ("scope", "nip"),
        ("first_party", "1"),
        ("require_mfa", "1"),
    ];
    register(&app, &browser, &fields).await;
    let mut db = app.conn();
    let c = rumah_store::oidc::clients::by_client_id(&mut db, "simaster").await.unwrap().unwrap();
    assert_eq!(c.redirect_uris(), ["https://simaster.example/cb", "https://simaster.example/cb2"]);
    assert_eq!(c.grant_types, "authorization_code refresh_token");
    assert_eq!(c.allowed_scopes, "nip openid");
    assert!(c.first_party && !c.is_public());
    assert!(c.require_mfa);
    let s = rumah_store::oidc::logout::settings(&mut db, "simaster").await.unwrap().unwrap();
    assert_eq!(s.post_logout_redirect_uris(), ["https://simaster.example/bye"]);
    assert_eq!(s.backchannel_logout_uri.as_deref(), Some("https://simaster.example/bc"));
});

app_test!(async fn bad_input_names_the_field_and_stores_nothing(app) {
    world(&app).await;
    let browser = app.signed_in("admin.prov").await;
    // (form fields, field in error, text in Indonesian, text in English)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str, &'a str);
    let cases: &[Case] = &[
        (&[("name", "  "), ("redirect_uris", "https://a.example/cb")], "name", "Nama aplikasi", "Application name"),
        (&[("name", "A"), ("redirect_uris", "not a url")], "redirect_uris", "URI pengalihan: \"not a url\" bukan URL absolut", "Redirect URIs: \"not a url\" is not an absolute URL"),
        (&[("name", "A"), ("redirect_uris", "http://a.example/cb")], "redirect_uris", "loopback", "plain http"),
        (&[("name", "A"), ("redirect_uris", "https://a.example/cb#frag")], "redirect_uris", "fragmen", "fragment"),
        (&[("name", "A"), ("redirect_uris", "https://a.example/cb"), ("post_logout_redirect_uris", "http://a.example/bye")], "post_logout_redirect_uris", "URI pengalihan setelah keluar", "Post-logout redirect URIs"),
        (&[("name", "A"), ("redirect_uris", "https://a.example/cb"), ("backchannel_logout_uri", "https://a.example/bc#x")], "backchannel_logout_uri", "URI keluar back-channel", "Back-channel logout URI"),
        (&[("name", "A"), ("redirect_uris", "https://a.example/cb"), ("grant", "password")], "grants", "\"password\" bukan grant", "\"password\" is not a known grant"),
        (&[("name", "A"), ("redirect_uris", "https://a.example/cb"), ("scope", "semua")], "scopes", "\"semua\" bukan scope", "\"semua\" is not a known scope"),
        (&[("name", "A"), ("kind", "public"), ("grant", "client_credentials")], "grants", "klien publik", "public client"),
        (&[("name", "A"), ("client_id", "bad id!"), ("redirect_uris", "https://a.example/cb")], "client_id", "ID klien", "Client ID"),
    ];
    for (fields, field, id_text, en_text) in cases {
        for (lang, text) in [("id", id_text), ("en", en_text)] {
            let token = app.csrf_token(&browser, "/admin/klien/baru").await;
            let mut form = vec![("csrf_token", token.as_str())];
            form.extend_from_slice(fields);
            let res = browser.post(app.url("/admin/klien/baru")).header("accept-language", lang).form(&form).send().await.unwrap();
            assert_eq!(res.status(), 422, "{fields:?}");
            let html = res.text().await.unwrap();
            let message = text_of(&html, &format!("#{field}-error")).unwrap_or_else(|| panic!("no error on {field} for {fields:?}"));
            assert!(message.contains(text), "{lang}: {message:?} lacks {text:?}");
        }
    }
    assert_eq!(app.count("oidc_clients").await, 0);
    // A taken client_id is refused the same way, and the first stays as it was.
    register(&app, &browser, SERVICE).await;
    let res = app.post_form(&browser, "/admin/klien/baru", "/admin/klien/baru", SERVICE).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#client_id-error").unwrap().contains("sudah ada"));
    assert_eq!(app.count("oidc_clients").await, 1);
    assert_eq!(audit_count(&app, "oidc.client_created", "layanan").await, 1);
});

app_test!(async fn deletion_asks_first_and_ends_the_client(app) {
    world(&app).await;
    let browser = app.signed_in("admin.prov").await;
    let secret = register(&app, &browser, SERVICE).await;
    let page = browser.get(app.url("/admin/klien/layanan/hapus")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Layanan Kepegawaian"));
    assert_eq!(app.count("oidc_clients").await, 1, "the confirmation page deletes nothing");
    // Without the CSRF token nothing happens.
    let res = browser.post(app.url("/admin/klien/layanan/hapus")).form(&[("x", "y")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = browser.post(app.url("/admin/klien/layanan/rahasia")).form(&[("x", "y")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = browser.post(app.url("/admin/klien/baru")).form(SERVICE).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(token_status(&app, "layanan", &secret).await, 200);

    let res = app.post_form(&browser, "/admin/klien/layanan/hapus", "/admin/klien/layanan/hapus", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/klien?pesan=dihapus");
    assert_eq!(app.count("oidc_clients").await, 0);
    assert_eq!(token_status(&app, "layanan", &secret).await, 401);
    assert_eq!(audit_count(&app, "oidc.client_deleted", "layanan").await, 1);
    let res = app.post_form(&browser, "/admin/klien", "/admin/klien/layanan/hapus", &[]).await;
    assert_eq!(res.status(), 404);
});

app_test!(async fn a_region_admin_is_refused_everywhere(app) {
    world(&app).await;
    let prov = app.signed_in("admin.prov").await;
    let secret = register(&app, &prov, SERVICE).await;
    let region = app.signed_in("admin.sidoarjo").await;
    for path in ["/admin/klien", "/admin/klien/baru", "/admin/klien/layanan/hapus"] {
        assert_eq!(region.get(app.url(path)).send().await.unwrap().status(), 403, "{path}");
    }
    let index = region.get(app.url("/admin")).send().await.unwrap().text().await.unwrap();
    assert!(!index.contains("/admin/klien"));
    let token = app.csrf_token(&region, "/akun").await;
    for path in ["/admin/klien/baru", "/admin/klien/layanan/rahasia", "/admin/klien/layanan/hapus"] {
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(&[("name", "Lain"), ("client_id", "lain"), ("grant", "client_credentials")]);
        let res = region.post(app.url(path)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
    assert_eq!(app.count("oidc_clients").await, 1);
    assert_eq!(token_status(&app, "layanan", &secret).await, 200);
    let prov_index = prov.get(app.url("/admin")).send().await.unwrap().text().await.unwrap();
    assert!(prov_index.contains("/admin/klien"));
});
