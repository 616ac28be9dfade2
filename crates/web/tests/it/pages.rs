//! The web shell: languages, error pages, security headers, assets.

use crate::support::{app_test, count_of, text_of};

app_test!(async fn home_page_speaks_indonesian_by_default_and_links_every_part(app) {
    let res = app.client().get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="id">"#));
    assert_eq!(text_of(&html, "h1").unwrap(), "Rumah Inovasi Jawa Timur");
    for href in ["/katalog", "/kovablik", "/skm", "/belajar", "/ruang", "/masuk"] {
        assert!(count_of(&html, &format!(r#"main a[href="{href}"]"#)) >= 1, "home links {href}");
    }
    assert!(html.contains("Segera hadir"));
    // Landmarks and the skip link for keyboard and screen-reader users.
    assert_eq!(count_of(&html, "header"), 1);
    assert_eq!(count_of(&html, "main#main"), 1);
    assert_eq!(count_of(&html, "footer"), 1);
    assert_eq!(count_of(&html, r##"a.skip-link[href="#main"]"##), 1);
});

app_test!(async fn english_on_request_by_header_and_by_the_visible_switch(app) {
    let html = app.client().get(app.url("/")).header("accept-language", "en-GB,en;q=0.9").send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    assert_eq!(text_of(&html, "h1").unwrap(), "Rumah Inovasi, East Java");

    let client = app.client();
    let home = client.get(app.url("/skm")).send().await.unwrap().text().await.unwrap();
    let switch = text_of(&home, "a.lang-switch").unwrap();
    assert_eq!(switch, "English");
    let res = client.get(app.url("/bahasa/en?kembali=%2Fskm")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/skm");
    let html = client.get(app.url("/skm")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"<html lang="en">"#), "the choice is remembered");
    assert_eq!(text_of(&html, "a.lang-switch").unwrap(), "Bahasa Indonesia");
    // The switch never sends anyone to another site.
    let res = client.get(app.url("/bahasa/id?kembali=%2F%2Fevil.example%2F")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/");
    assert_eq!(client.get(app.url("/bahasa/fr")).send().await.unwrap().status(), 404);
});

app_test!(async fn missing_pages_are_friendly_in_both_languages(app) {
    let res = app.client().get(app.url("/tidak-ada")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert_eq!(text_of(&html, "h1").unwrap(), "Halaman tidak ditemukan");
    assert_eq!(count_of(&html, r#"main a[href="/"]"#), 1);
    let html = app.client().get(app.url("/tidak-ada")).header("accept-language", "en").send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "h1").unwrap(), "Page not found");
    let res = app.client().post(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert!(res.text().await.unwrap().contains("tidak didukung"));
});

app_test!(async fn every_page_carries_the_security_headers_and_a_fresh_nonce(app) {
    let client = app.client();
    let a = client.get(app.url("/masuk")).send().await.unwrap();
    let h = a.headers().clone();
    let html = a.text().await.unwrap();
    let csp = h["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("form-action 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(html.contains(&format!(r#"nonce="{nonce}""#)), "the script tag carries this response's nonce");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    // No inline scripts at all: every <script> has a src.
    assert_eq!(count_of(&html, "script:not([src])"), 0);
    let b = client.get(app.url("/masuk")).send().await.unwrap();
    let csp_b = b.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_ne!(csp, csp_b, "a new nonce per response");
});

app_test!(async fn hsts_and_secure_host_cookies_behind_tls(_unused) {
    let Some(app) = crate::support::TestApp::spawn_with(_unused.backend, |c| {
        c.public_url = url::Url::parse("https://rumahinovasi.jatimprov.go.id").unwrap();
        c.secure_cookies = true;
    }).await else { return };
    let res = app.client().get(app.url("/masuk")).send().await.unwrap();
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-rumah_csrf="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
});

app_test!(async fn assets_are_embedded_and_cached_by_content_hash(app) {
    let html = app.client().get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let href = doc.select(&scraper::Selector::parse(r#"link[rel="stylesheet"]"#).unwrap()).next().unwrap().value().attr("href").unwrap().to_owned();
    assert!(href.starts_with("/static/") && href.ends_with("/app.css"));
    let res = app.client().get(app.url(&href)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert!(res.text().await.unwrap().contains("--brand"));
    assert_eq!(app.client().get(app.url("/static/x/evil.css")).send().await.unwrap().status(), 404);
    assert_eq!(app.client().get(app.url("/static/x/app.css")).send().await.unwrap().headers()["cache-control"], "no-cache");
});

app_test!(async fn parts_not_built_yet_say_coming_soon(app) {
    for path in ["/kovablik", "/belajar", "/ruang"] {
        let res = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.text().await.unwrap().contains("Segera hadir"), "{path}");
    }
});

app_test!(async fn a_server_error_is_a_friendly_page_without_detail(app) {
    app.account("admin.prov", Some("35"), &[(rumah_domain::authz::Role::Administrator, "35")]).await;
    let client = app.signed_in("admin.prov").await;
    app.db.close().await;
    for lang in ["id", "en"] {
        let res = client.get(app.url("/admin/audit")).header("accept-language", lang).send().await.unwrap();
        assert_eq!(res.status(), 500);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        let title = text_of(&html, "main h1").unwrap();
        assert_eq!(title, if lang == "id" { "Terjadi gangguan" } else { "Something went wrong" });
        for leak in ["sqlx", "pool", "closed", "SELECT"] {
            assert!(!html.contains(leak), "{leak} leaked into the page");
        }
    }
});
