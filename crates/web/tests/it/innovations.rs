//! The registry end to end: drafting with validation named per field,
//! curation from submission to publication, versions and their diffs,
//! optimistic concurrency, the public catalogue and API (and that nothing
//! unpublished leaks through them), and authorisation per role and region.

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;

use crate::support::{TestApp, app_test, count_of, text_of};

async fn setup(app: &TestApp) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.org("35.78", "DINKES", OrgKind::Opd).await;
    app.account(
        "inovasi.sidoarjo",
        Some("35.15.DINKES"),
        &[(Role::InnovationAdmin, "35.15")],
    )
    .await;
    app.account(
        "inovasi.surabaya",
        Some("35.78.DINKES"),
        &[(Role::InnovationAdmin, "35.78")],
    )
    .await;
    app.account("kurator", Some("35"), &[(Role::Curator, "35")])
        .await;
    app.account("asn", Some("35.15.DINKES"), &[]).await;
}

fn profile<'a>(name: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("name", name),
        ("bentuk", "pelayanan_publik"),
        ("jenis", "digital"),
        ("inisiator", "perangkat_daerah"),
        ("urusan", "kesehatan"),
        ("tahapan", "uji_coba"),
        ("date_inisiatif", "2024-01-10"),
        ("date_uji_coba", "2024-06-01"),
        ("problem", "Antrean puskesmas mengular sejak subuh."),
        ("design", "Nomor antrean diambil lewat WhatsApp."),
        ("beneficiaries", "1.200"),
        ("sdgs", "3"),
        ("sdgs", "10"),
    ];
    for (k, val) in extra {
        v.retain(|(key, _)| key != k);
        v.push((k, val));
    }
    v
}

/// Creates an innovation through the form as `client` in `org`; its id.
async fn create(app: &TestApp, client: &reqwest::Client, org: &str, name: &str) -> i64 {
    let mut fields = profile(name, &[]);
    fields.push(("org", org));
    app.create_innovation(client, &fields).await
}

async fn act(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action_url: &str,
    action: &str,
    note: &str,
) -> reqwest::Response {
    app.post_form(
        client,
        page,
        action_url,
        &[("action", action), ("note", note)],
    )
    .await
}

app_test!(async fn an_officer_drafts_submits_and_a_curator_publishes(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    // Bad input is named per field, and nothing is stored.
    let mut bad = profile("Antrean Daring", &[("video_url", "youtube kami"), ("date_penerapan", "2024-07-01"), ("beneficiaries", "-5")]);
    bad.push(("org", "35.15.DINKES"));
    let res = app.post_form(&owner, "/inovasi/kelola/baru", "/inovasi/kelola/baru", &bad).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    for field in ["video_url", "date_penerapan", "beneficiaries"] {
        assert!(text_of(&html, &format!("#{field}-error")).is_some(), "message next to {field}");
    }
    assert_eq!(html.matches(r#"value="Antrean Daring""#).count(), 1, "what was typed is kept");
    assert_eq!(app.count("innovations").await, 0);

    let id = create(&app, &owner, "35.15.DINKES", "Antrean Daring").await;
    let own = format!("/inovasi/kelola/{id}");
    let cur = format!("/inovasi/kurasi/{id}");
    // A draft is invisible to the public and to the API.
    assert_eq!(app.client().get(app.url(&format!("/inovasi/{id}"))).send().await.unwrap().status(), 404);
    assert_eq!(app.client().get(app.url(&format!("/api/v1/innovations/{id}"))).send().await.unwrap().status(), 404);

    // Submission needs the problem and the design.
    let page = owner.get(app.url(&own)).send().await.unwrap().text().await.unwrap();
    let version = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse(r#"input[name="version"]"#).unwrap())
        .next().unwrap().value().attr("value").unwrap().to_owned();
    let res = app.post_form(&owner, &own, &own, &[profile("Antrean Daring", &[("design", "")]), vec![("version", version.as_str())]].concat()).await;
    assert_eq!(res.status(), 303, "a draft may be incomplete");
    let res = act(&app, &owner, &own, &format!("{own}/aksi"), "submit", "").await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#design-error").is_some());
    let res = app.post_form(&owner, &own, &own, &[profile("Antrean Daring", &[]), vec![("version", "2")]].concat()).await;
    assert_eq!(res.status(), 303);
    assert_eq!(act(&app, &owner, &own, &format!("{own}/aksi"), "submit", "").await.status(), 303);
    // While submitted the owner cannot edit; the owner cannot verify.
    let res = app.post_form(&owner, &own, &own, &[profile("Diubah diam-diam", &[]), vec![("version", "3")]].concat()).await;
    assert_eq!(res.status(), 409);
    assert_eq!(act(&app, &owner, &own, &format!("{own}/aksi"), "verify", "").await.status(), 409);

    // The curator: a revision needs a comment.
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "start_review", "").await.status(), 303);
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "request_revision", "  ").await.status(), 422);
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "request_revision", "Lengkapi data penerima manfaat.").await.status(), 303);
    let page = owner.get(app.url(&own)).send().await.unwrap().text().await.unwrap();
    assert!(text_of(&page, "#trail").unwrap().contains("Lengkapi data penerima manfaat."));
    let res = app.post_form(&owner, &own, &own, &[profile("Antrean Daring", &[("beneficiaries", "2.400")]), vec![("version", "3")]].concat()).await;
    assert_eq!(res.status(), 303);
    assert_eq!(act(&app, &owner, &own, &format!("{own}/aksi"), "submit", "").await.status(), 303);
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "start_review", "").await.status(), 303);
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "verify", "").await.status(), 303);

    // Published: public page, catalogue, API.
    let public = app.client().get(app.url(&format!("/inovasi/{id}"))).send().await.unwrap();
    assert_eq!(public.status(), 200);
    let html = public.text().await.unwrap();
    assert_eq!(text_of(&html, "main h1").unwrap(), "Antrean Daring");
    assert!(html.contains("2.400"));
    let cat = app.client().get(app.url("/katalog")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&cat, "li.innovation-card"), 1);
    let api: serde_json::Value = app.client().get(app.url("/api/v1/innovations")).send().await.unwrap().json().await.unwrap();
    assert_eq!(api["total"], 1);
    assert_eq!(api["items"][0]["name"], "Antrean Daring");
    let one: serde_json::Value = app.client().get(app.url(&format!("/api/v1/innovations/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["profile"]["beneficiaries"], 2400);
    assert_eq!(one["profile"]["sdgs"], serde_json::json!([3, 10]));

    // History: four saved versions; version 4 changed only the beneficiaries.
    let hist = owner.get(app.url(&format!("{own}/riwayat?v=4"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&hist, "#versions li"), 4);
    assert_eq!(count_of(&hist, "#changes tbody tr"), 1);
    assert!(hist.contains("<del>1200</del>") || hist.contains("<del>1.200</del>"), "{hist}");
});

app_test!(async fn a_concurrent_edit_is_refused_and_shown_the_difference(app) {
    setup(&app).await;
    let a = app.signed_in("inovasi.sidoarjo").await;
    let id = create(&app, &a, "35.15.DINKES", "Antrean Daring").await;
    let own = format!("/inovasi/kelola/{id}");
    // Two officers opened version 1; the first saves a new name.
    let res = app.post_form(&a, &own, &own, &[profile("Antrean Daring Puskesmas", &[]), vec![("version", "1")]].concat()).await;
    assert_eq!(res.status(), 303);
    let res = app.post_form(&a, &own, &own, &[profile("Antrean Daring", &[("problem", "Versi lain")]), vec![("version", "1")]].concat()).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert_eq!(count_of(&html, "#conflict tbody tr"), 1, "the other save changed one field");
    assert!(text_of(&html, "#conflict").unwrap().contains("Antrean Daring Puskesmas"));
    assert!(html.contains("Versi lain"), "the second officer's text is kept in the form");
    let mut db = app.conn();
    let (name, version): (String, i64) = rumah_store::Exec::fetch_one(&mut db, rumah_store::q!("SELECT name, version FROM innovations WHERE id = $1", id)).await.unwrap();
    assert_eq!((name.as_str(), version), ("Antrean Daring Puskesmas", 2));
    // A version that is not a number is a clear 400.
    let res = app.post_form(&a, &own, &own, &[profile("X y z", &[]), vec![("version", "dua")]].concat()).await;
    assert_eq!(res.status(), 400);
});

app_test!(async fn nothing_unpublished_leaks_through_catalogue_facets_or_api(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let published = create(&app, &owner, "35.15.DINKES", "Terbit Resmi").await;
    app.publish_innovation( &owner, &curator, published).await;
    let draft = create(&app, &owner, "35.15.DINKES", "Rahasia Draf").await;
    let submitted = create(&app, &owner, "35.15.DINKES", "Rahasia Diajukan").await;
    let own = format!("/inovasi/kelola/{submitted}");
    assert_eq!(act(&app, &owner, &own, &format!("{own}/aksi"), "submit", "").await.status(), 303);
    let rejected = create(&app, &owner, "35.15.DINKES", "Rahasia Ditolak").await;
    let own = format!("/inovasi/kelola/{rejected}");
    let cur = format!("/inovasi/kurasi/{rejected}");
    assert_eq!(act(&app, &owner, &own, &format!("{own}/aksi"), "submit", "").await.status(), 303);
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "start_review", "").await.status(), 303);
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "reject", "").await.status(), 422, "a rejection needs a reason");
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "reject", "Bukan inovasi baru.").await.status(), 303);

    let anon = app.client();
    for path in ["/katalog", "/katalog?q=rahasia", "/katalog?urusan=kesehatan&tahapan=uji_coba"] {
        let html = anon.get(app.url(path)).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("Rahasia"), "{path} leaks");
        for facet in ["#facet-wilayah", "#facet-urusan", "#facet-bentuk"] {
            if let Some(t) = text_of(&html, facet) {
                assert!(!t.contains('4') && !t.contains('3') && !t.contains('2'), "{path} {facet} counts only the published one: {t}");
            }
        }
    }
    let html = anon.get(app.url("/katalog")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#result-count").unwrap(), "1 inovasi");
    let api: serde_json::Value = anon.get(app.url("/api/v1/innovations?q=rahasia")).send().await.unwrap().json().await.unwrap();
    assert_eq!(api["total"], 0);
    let api: serde_json::Value = anon.get(app.url("/api/v1/innovations")).send().await.unwrap().json().await.unwrap();
    assert_eq!(api["total"], 1);
    assert_eq!(api["facets"]["urusan"], serde_json::json!([["kesehatan", 1]]));
    for id in [submitted, rejected] {
        assert_eq!(anon.get(app.url(&format!("/inovasi/{id}"))).send().await.unwrap().status(), 404);
        assert_eq!(anon.get(app.url(&format!("/api/v1/innovations/{id}"))).send().await.unwrap().status(), 404);
    }
    assert_eq!(rumah_store::innovations::catalogue::published_count(&mut app.conn()).await.unwrap(), 1);
    // The sitemap lists the published innovation and nothing else.
    let sitemap = anon.get(app.url("/sitemap.xml")).send().await.unwrap().text().await.unwrap();
    assert!(sitemap.contains(&format!("/inovasi/{published}</loc>")));
    for id in [submitted, rejected, draft] {
        assert!(!sitemap.contains(&format!("/inovasi/{id}</loc>")), "{id} leaks into the sitemap");
    }
    assert!(anon.get(app.url("/robots.txt")).send().await.unwrap().text().await.unwrap().contains("Sitemap: "));
    // The curator's queue shows the submitted one, not the draft.
    let q = curator.get(app.url("/inovasi/kurasi")).send().await.unwrap().text().await.unwrap();
    assert!(q.contains("Rahasia Diajukan") && !q.contains("Rahasia Draf"));
});

app_test!(async fn officers_manage_only_their_region_and_curators_review_everywhere(app) {
    setup(&app).await;
    let sidoarjo = app.signed_in("inovasi.sidoarjo").await;
    let surabaya = app.signed_in("inovasi.surabaya").await;
    let theirs = create(&app, &surabaya, "35.78.DINKES", "Milik Surabaya").await;
    for path in [format!("/inovasi/kelola/{theirs}"), format!("/inovasi/kelola/{theirs}/riwayat")] {
        assert_eq!(sidoarjo.get(app.url(&path)).send().await.unwrap().status(), 404, "{path}");
    }
    let page = format!("/inovasi/kelola/{theirs}");
    let res = app.post_form(&sidoarjo, "/inovasi/kelola/baru", &page, &[profile("Diambil alih", &[]), vec![("version", "1")]].concat()).await;
    assert_eq!(res.status(), 404);
    let res = act(&app, &sidoarjo, "/inovasi/kelola/baru", &format!("{page}/aksi"), "submit", "").await;
    assert_eq!(res.status(), 404);
    let mut fields = profile("Salah wilayah", &[]);
    fields.push(("org", "35.78.DINKES"));
    let res = app.post_form(&sidoarjo, "/inovasi/kelola/baru", "/inovasi/kelola/baru", &fields).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#org-error").is_some());
    let list = sidoarjo.get(app.url("/inovasi/kelola")).send().await.unwrap().text().await.unwrap();
    assert!(!list.contains("Milik Surabaya"));
    // An officer is no curator; an ASN without a role is neither.
    assert_eq!(sidoarjo.get(app.url("/inovasi/kurasi")).send().await.unwrap().status(), 403);
    let asn = app.signed_in("asn").await;
    assert_eq!(asn.get(app.url("/inovasi/kelola")).send().await.unwrap().status(), 403);
    assert_eq!(app.client().get(app.url("/inovasi/kelola")).send().await.unwrap().status(), 303);
    // The provincial curator reviews the other region's submission.
    assert_eq!(act(&app, &surabaya, &page, &format!("{page}/aksi"), "submit", "").await.status(), 303);
    let curator = app.signed_in("kurator").await;
    let cur = format!("/inovasi/kurasi/{theirs}");
    assert_eq!(curator.get(app.url(&cur)).send().await.unwrap().status(), 200);
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "start_review", "").await.status(), 303);
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "start_review", "").await.status(), 409, "already in review");
    assert_eq!(act(&app, &curator, &cur, &format!("{cur}/aksi"), "terbang", "").await.status(), 422);
});

app_test!(async fn the_catalogue_filters_sorts_and_explains_bad_parameters(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let other = app.signed_in("inovasi.surabaya").await;
    let curator = app.signed_in("kurator").await;
    let a = create(&app, &owner, "35.15.DINKES", "Antrean Daring Puskesmas").await;
    let b = create(&app, &other, "35.78.DINKES", "Kader Ibu Hamil").await;
    app.publish_innovation( &owner, &curator, a).await;
    app.publish_innovation( &other, &curator, b).await;
    let html = app.client().get(app.url("/katalog?wilayah=35.78")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#result-count").unwrap(), "1 inovasi");
    assert!(html.contains("Kader Ibu Hamil") && !html.contains("Antrean Daring"));
    // The region facet still counts the other region (a facet ignores its own filter).
    assert!(text_of(&html, "#facet-wilayah").unwrap().contains("Kabupaten Sidoarjo"));
    // Both problems mention queues; only one name mentions cadres.
    let html = app.client().get(app.url("/katalog?q=antrean")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "li.innovation-card"), 2);
    let html = app.client().get(app.url("/katalog?q=KADER%20hamil")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "li.innovation-card"), 1);
    assert!(html.contains("Kader Ibu Hamil"));
    let html = app.client().get(app.url("/katalog?urut=nama")).send().await.unwrap().text().await.unwrap();
    let names: Vec<String> = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("li.innovation-card h2").unwrap())
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(names, ["Antrean Daring Puskesmas", "Kader Ibu Hamil"]);
    for bad in ["/katalog?sdg=tiga", "/katalog?urut=acak", "/katalog?hal=x"] {
        assert_eq!(app.client().get(app.url(bad)).send().await.unwrap().status(), 400, "{bad}");
    }
    let res = app.client().get(app.url("/api/v1/innovations?sort=acak")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_query");
});

app_test!(async fn collaborators_are_org_codes_that_exist(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let mut fields = profile("Antrean Bersama", &[]);
    fields.push(("org", "35.15.DINKES"));
    fields.push(("kolaborator", "35.78.DINKES\n35.99.TIDAK-ADA\nbukan kode!"));
    let res = app.post_form(&owner, "/inovasi/kelola/baru", "/inovasi/kelola/baru", &fields).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#kolaborator-error").unwrap().contains("bukan kode!"));
    assert_eq!(app.count("innovations").await, 0);
    fields.retain(|(k, _)| *k != "kolaborator");
    fields.push(("kolaborator", "35.78.DINKES\n35.99.TIDAK-ADA"));
    let res = app.post_form(&owner, "/inovasi/kelola/baru", "/inovasi/kelola/baru", &fields).await;
    assert_eq!(res.status(), 422, "an unknown code");
    assert!(text_of(&res.text().await.unwrap(), "#kolaborator-error").unwrap().contains("35.99.TIDAK-ADA"));
    assert_eq!(app.count("innovations").await, 0, "the whole save is rolled back");
    fields.retain(|(k, _)| *k != "kolaborator");
    fields.push(("kolaborator", "35.78.DINKES\n35.78"));
    let id = {
        let res = app.post_form(&owner, "/inovasi/kelola/baru", "/inovasi/kelola/baru", &fields).await;
        assert_eq!(res.status(), 303);
        res.headers()["location"].to_str().unwrap().trim_start_matches("/inovasi/kelola/").split('?').next().unwrap().parse::<i64>().unwrap()
    };
    app.publish_innovation( &owner, &curator, id).await;
    let html = app.client().get(app.url(&format!("/inovasi/{id}"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "#collaborators li"), 2);
    assert!(text_of(&html, "#collaborators").unwrap().contains("Kota Surabaya"));
});
