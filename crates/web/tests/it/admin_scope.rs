//! Authorisation across regions: a region's administrator can neither read
//! nor change another region's non-public data, and "not yours" looks
//! exactly like "not found".

use rumah_domain::authz::{ApiScope, Role};
use rumah_domain::identity::AccountId;
use rumah_domain::orgs::OrgKind;
use rumah_store::identity::tokens;

use crate::support::{TestApp, app_test, count_of, text_of};

struct World {
    surabaya_staff: AccountId,
    sidoarjo_staff: AccountId,
}

async fn world(app: &TestApp) -> World {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.org("35.78", "DINKES", OrgKind::Opd).await;
    app.account(
        "admin.sidoarjo",
        Some("35.15.DINKES"),
        &[(Role::Administrator, "35.15")],
    )
    .await;
    app.account(
        "admin.surabaya",
        Some("35.78.DINKES"),
        &[(Role::Administrator, "35.78")],
    )
    .await;
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")])
        .await;
    let sidoarjo_staff = app.account("siti", Some("35.15.DINKES"), &[]).await;
    let surabaya_staff = app.account("budi", Some("35.78.DINKES"), &[]).await;
    World {
        surabaya_staff,
        sidoarjo_staff,
    }
}

fn usernames(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("tbody td:first-child a").unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>())
        .collect()
}

app_test!(async fn a_region_admin_sees_only_its_region_in_the_account_list(app) {
    world(&app).await;
    let sidoarjo = app.signed_in("admin.sidoarjo").await;
    let mut names = usernames(&sidoarjo.get(app.url("/admin/akun")).send().await.unwrap().text().await.unwrap());
    names.sort();
    assert_eq!(names, ["admin.sidoarjo", "siti"]);
    let names = usernames(&sidoarjo.get(app.url("/admin/akun?q=budi")).send().await.unwrap().text().await.unwrap());
    assert!(names.is_empty());
    let province = app.signed_in("admin.prov").await;
    assert_eq!(usernames(&province.get(app.url("/admin/akun")).send().await.unwrap().text().await.unwrap()).len(), 5);
});

app_test!(async fn another_regions_account_is_a_404_that_looks_like_a_missing_one(app) {
    let w = world(&app).await;
    let sidoarjo = app.signed_in("admin.sidoarjo").await;
    let theirs = sidoarjo.get(app.url(&format!("/admin/akun/{}", w.surabaya_staff.0))).send().await.unwrap();
    let missing = sidoarjo.get(app.url("/admin/akun/987654")).send().await.unwrap();
    assert_eq!(theirs.status(), 404);
    assert_eq!(missing.status(), 404);
    let (a, b) = (theirs.text().await.unwrap(), missing.text().await.unwrap());
    assert_eq!(text_of(&a, "main"), text_of(&b, "main"));
    assert!(!a.contains("budi"));
    let ours = sidoarjo.get(app.url(&format!("/admin/akun/{}", w.sidoarjo_staff.0))).send().await.unwrap();
    assert_eq!(ours.status(), 200);
});

app_test!(async fn another_regions_account_cannot_be_changed(app) {
    let w = world(&app).await;
    let sidoarjo = app.signed_in("admin.sidoarjo").await;
    let own = format!("/admin/akun/{}", w.sidoarjo_staff.0);
    let theirs = format!("/admin/akun/{}", w.surabaya_staff.0);
    let res = app.post_form(&sidoarjo, &own, &format!("{theirs}/status"), &[("status", "locked")]).await;
    assert_eq!(res.status(), 404);
    let res = app.post_form(&sidoarjo, &own, &format!("{theirs}/peran"), &[("role", "curator"), ("org", "35.15")]).await;
    assert_eq!(res.status(), 404);
    // Granting at an org outside the region fails on the field, for our own account.
    let grants_before = app.count("role_grants").await;
    let res = app.post_form(&sidoarjo, &own, &format!("{own}/peran"), &[("role", "curator"), ("org", "35.78")]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#org-error").unwrap().contains("tidak ditemukan"));
    assert_eq!(app.count("role_grants").await, grants_before);
    let mut db = app.conn();
    let budi = rumah_store::identity::accounts::get(&mut db, w.surabaya_staff).await.unwrap().unwrap();
    assert_eq!(budi.status, rumah_domain::identity::AccountStatus::Active);
});

app_test!(async fn another_regions_grants_cannot_be_revoked(app) {
    let w = world(&app).await;
    let province = app.signed_in("admin.prov").await;
    let theirs = format!("/admin/akun/{}", w.surabaya_staff.0);
    assert_eq!(app.post_form(&province, &theirs, &format!("{theirs}/peran"), &[("role", "survey_admin"), ("org", "35.78.DINKES")]).await.status(), 303);
    let mut db = app.conn();
    let grant = rumah_store::identity::accounts::grants(&mut db, w.surabaya_staff).await.unwrap()[0].id;
    let sidoarjo = app.signed_in("admin.sidoarjo").await;
    let res = app.post_form(&sidoarjo, "/admin/akun", &format!("{theirs}/peran/{grant}/cabut"), &[]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(rumah_store::identity::accounts::grants(&mut db, w.surabaya_staff).await.unwrap().len(), 1);
});

app_test!(async fn org_units_cannot_be_added_to_another_region(app) {
    world(&app).await;
    let sidoarjo = app.signed_in("admin.sidoarjo").await;
    let before = app.count("org_nodes").await;
    let res = app.post_form(&sidoarjo, "/admin/organisasi", "/admin/organisasi", &[("parent", "35.78"), ("segment", "BAPPEDA"), ("kind", "opd"), ("name", "Bappeda")]).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#parent-error").unwrap().contains("tidak ditemukan"));
    assert_eq!(app.count("org_nodes").await, before);
    let html = sidoarjo.get(app.url("/admin/organisasi")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("35.78"), "another region's units are not listed");
});

app_test!(async fn a_region_admin_cannot_lock_someone_who_holds_a_province_role(app) {
    let w = world(&app).await;
    let province = app.signed_in("admin.prov").await;
    let own = format!("/admin/akun/{}", w.sidoarjo_staff.0);
    assert_eq!(app.post_form(&province, &own, &format!("{own}/peran"), &[("role", "curator"), ("org", "35")]).await.status(), 303);
    let sidoarjo = app.signed_in("admin.sidoarjo").await;
    let res = app.post_form(&sidoarjo, &own, &format!("{own}/status"), &[("status", "locked")]).await;
    assert_eq!(res.status(), 403);
});

app_test!(async fn the_audit_log_shows_only_the_admins_region(app) {
    world(&app).await;
    app.signed_in("siti").await;
    app.signed_in("budi").await;
    let sidoarjo = app.signed_in("admin.sidoarjo").await;
    let html = sidoarjo.get(app.url("/admin/audit?event=login.succeeded")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("siti"));
    assert!(!html.contains("budi"), "Surabaya's sign-ins are not Sidoarjo's business");
    let province = app.signed_in("admin.prov").await;
    let html = province.get(app.url("/admin/audit?event=login.succeeded&user=budi")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "tbody tr"), 1);
});

app_test!(async fn people_without_an_admin_role_cannot_open_administration(app) {
    world(&app).await;
    let siti = app.signed_in("siti").await;
    for path in ["/admin", "/admin/akun", "/admin/akun/baru", "/admin/organisasi", "/admin/audit"] {
        assert_eq!(siti.get(app.url(path)).send().await.unwrap().status(), 403, "{path}");
    }
    let html = siti.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, r#"a[href="/admin"]"#), 0, "no administration link for them");
});

app_test!(async fn the_api_applies_the_same_scope(app) {
    let w = world(&app).await;
    let mut db = app.conn();
    let admin = rumah_store::identity::accounts::by_username(&mut db, &rumah_domain::identity::Username::parse("admin.sidoarjo").unwrap()).await.unwrap().unwrap();
    let (_, pat) = tokens::create(&mut db, admin.id, "api", &[ApiScope::Read, ApiScope::Admin], None).await.unwrap();
    let client = app.client();
    let res = client.get(app.url(&format!("/api/v1/accounts/{}", w.surabaya_staff.0))).bearer_auth(&pat).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let missing = client.get(app.url("/api/v1/accounts/987654")).bearer_auth(&pat).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), missing.text().await.unwrap());
    let list: Vec<serde_json::Value> = client.get(app.url("/api/v1/accounts")).bearer_auth(&pat).send().await.unwrap().json().await.unwrap();
    let mut names: Vec<&str> = list.iter().map(|a| a["username"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["admin.sidoarjo", "siti"]);
    let body = serde_json::json!({ "parent": "35.78", "segment": "BAPPEDA", "kind": "opd", "name": "Bappeda" });
    let res = client.post(app.url("/api/v1/orgs")).bearer_auth(&pat).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let audit: Vec<serde_json::Value> = client.get(app.url("/api/v1/audit")).bearer_auth(&pat).send().await.unwrap().json().await.unwrap();
    assert!(audit.iter().all(|e| e["org"].as_str().is_some_and(|o| o.starts_with("35.15"))));
});

app_test!(async fn the_new_account_form_shows_each_error_next_to_its_field(app) {
    world(&app).await;
    let sidoarjo = app.signed_in("admin.sidoarjo").await;
    let before = app.count("accounts").await;
    let res = app
        .post_form(&sidoarjo, "/admin/akun/baru", "/admin/akun/baru", &[
            ("kind", "asn"),
            ("username", "ab"),
            ("display_name", "Dewi"),
            ("nip", "19861326 201505 2 001"),
            ("email", "dewi@"),
            ("org", "35.78.DINKES"),
            ("password", "pendek"),
        ])
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#nip-error").unwrap().contains("tanggal lahir"), "names the wrong part of the NIP");
    assert!(text_of(&html, "#username-error").unwrap().contains("3 sampai 32"));
    assert!(text_of(&html, "#email-error").is_some());
    assert!(text_of(&html, "#org-error").unwrap().contains("tidak ditemukan"), "another region's unit is not offered");
    assert!(text_of(&html, "#password-error").is_some());
    assert_eq!(count_of(&html, r#"input#nip[aria-invalid="true"][aria-describedby~="nip-error"]"#), 1);
    assert!(html.contains(r#"value="19861326 201505 2 001""#), "what was typed is kept");
    assert_eq!(app.count("accounts").await, before);

    let res = app
        .post_form(&sidoarjo, "/admin/akun/baru", "/admin/akun/baru", &[
            ("kind", "asn"),
            ("username", "dewi"),
            ("display_name", "Dewi Lestari"),
            ("nip", "19861126 201505 2 001"),
            ("email", "dewi@sidoarjokab.go.id"),
            ("org", "35.15.DINKES"),
            ("password", "semangat pagi sidoarjo"),
        ])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("accounts").await, before + 1);
    let res = app
        .post_form(&sidoarjo, "/admin/akun/baru", "/admin/akun/baru", &[
            ("kind", "asn"), ("username", "dewi2"), ("display_name", "Dewi"), ("nip", "198611262015052001"),
            ("org", "35.15.DINKES"), ("password", "semangat pagi sidoarjo"),
        ])
        .await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#nip-error").unwrap().contains("sudah terdaftar"));
});
