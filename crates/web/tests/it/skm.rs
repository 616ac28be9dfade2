//! SKM end to end: the public form, duplicates and retries, malformed and
//! hostile submissions (answered 4xx with nothing stored), rate limits,
//! anonymity, results from the tallies, feedback publication, exports and
//! authorisation per role and region.

use rumah_domain::authz::{Permission, Role, Scope};
use rumah_domain::orgs::{OrgCode, OrgKind};
use rumah_store::surveys::units::{self, NewUnit, Service, Unit};

use crate::support::{TestApp, app_test, count_of, csrf_from, text_of};

struct World {
    sukodono: Unit,
    sukodono_services: Vec<Service>,
    klampis: Unit,
    klampis_services: Vec<Service>,
}

pub(crate) async fn unit(
    app: &TestApp,
    org: &str,
    slug: &str,
    services: &[&str],
) -> (Unit, Vec<Service>) {
    let scope = Scope::system(Permission::ManageSurveys);
    let mut db = app.conn();
    let u = units::create(
        &mut db,
        &scope,
        NewUnit {
            org: &OrgCode::parse(org).unwrap(),
            slug,
            name: &format!("Unit {slug}"),
        },
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    for s in services {
        out.push(units::add_service(&mut db, &u, s).await.unwrap());
    }
    (u, out)
}

async fn world(app: &TestApp) -> World {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.org("35.15.DINKES", "PKM-SUKODONO", OrgKind::Unit).await;
    app.org("35.78", "DISPENDUKCAPIL", OrgKind::Opd).await;
    let (sukodono, sukodono_services) = unit(
        app,
        "35.15.DINKES.PKM-SUKODONO",
        "pkm-sukodono",
        &["Pemeriksaan umum", "Imunisasi"],
    )
    .await;
    let (klampis, klampis_services) = unit(
        app,
        "35.78.DISPENDUKCAPIL",
        "sentra-klampis",
        &["KTP elektronik"],
    )
    .await;
    World {
        sukodono,
        sukodono_services,
        klampis,
        klampis_services,
    }
}

/// The CSRF token and the submission key of a freshly rendered form.
pub(crate) async fn render_form(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
) -> (String, String) {
    let html = client
        .get(app.url(&format!("/skm/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let kunci = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse(r#"input[name="kunci"]"#).unwrap())
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_owned))
        .expect("the form carries a submission key");
    (
        csrf_from(&html).expect("the form carries a CSRF token"),
        kunci,
    )
}

pub(crate) fn answers(service: i64, scores: [u8; 9]) -> Vec<(String, String)> {
    let mut v = vec![("layanan".to_owned(), service.to_string())];
    for (i, s) in scores.iter().enumerate() {
        v.push((format!("u{}", i + 1), s.to_string()));
    }
    v
}

pub(crate) async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
    csrf: &str,
    kunci: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    let mut form: Vec<(String, String)> = vec![
        ("csrf_token".into(), csrf.into()),
        ("kunci".into(), kunci.into()),
    ];
    form.extend_from_slice(fields);
    client
        .post(app.url(&format!("/skm/{slug}")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Renders the form and submits it once.
pub(crate) async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    let (csrf, kunci) = render_form(app, client, slug).await;
    post(app, client, slug, &csrf, &kunci, fields).await
}

async fn stored(app: &TestApp) -> (i64, i64) {
    let mut db = app.conn();
    let (n,): (i64,) = rumah_store::Exec::fetch_one(
        &mut db,
        rumah_store::Query::new("SELECT COUNT(*) FROM skm_responses"),
    )
    .await
    .unwrap();
    let (t,): (i64,) = rumah_store::Exec::fetch_one(
        &mut db,
        rumah_store::Query::new(
            "SELECT CAST(COALESCE(SUM(respondents), 0) AS BIGINT) FROM skm_tallies",
        ),
    )
    .await
    .unwrap();
    (n, t)
}

app_test!(async fn the_public_form_asks_the_nine_elements_with_the_regulations_labels(app) {
    let w = world(&app).await;
    let res = app.client().get(app.url("/skm/pkm-sukodono")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert_eq!(count_of(&html, "fieldset.question"), 9);
    assert_eq!(count_of(&html, r#"input[type="radio"][name="u4"]"#), 4);
    for label in ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"] {
        assert!(html.contains(label), "U4 offers {label}");
    }
    assert_eq!(count_of(&html, r#"select[name="layanan"] option"#), 1 + w.sukodono_services.len());
    // The honeypot is out of sight and out of the accessibility tree.
    assert_eq!(count_of(&html, r#"div.hp[aria-hidden="true"] input[name="situs"][tabindex="-1"]"#), 1);
    // Two renders, two keys.
    let client = app.client();
    let (_, a) = render_form(&app, &client, "pkm-sukodono").await;
    let (_, b) = render_form(&app, &client, "pkm-sukodono").await;
    assert_ne!(a, b);
    let html = app.client().get(app.url("/skm/pkm-sukodono")).header("accept-language", "en").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Free of charge"));
    assert_eq!(app.client().get(app.url("/skm/tidak-ada")).send().await.unwrap().status(), 404);
});

app_test!(async fn a_submission_is_stored_once_even_when_sent_twice(app) {
    let w = world(&app).await;
    let client = app.client();
    let (csrf, kunci) = render_form(&app, &client, "pkm-sukodono").await;
    let fields = answers(w.sukodono_services[0].id, [4, 4, 3, 4, 4, 4, 4, 3, 4]);
    for _ in 0..3 {
        let res = post(&app, &client, "pkm-sukodono", &csrf, &kunci, &fields).await;
        assert_eq!(res.status(), 200);
        assert_eq!(text_of(&res.text().await.unwrap(), "main h1").unwrap(), "Terima kasih");
    }
    assert_eq!(stored(&app).await, (1, 1));
    // Twenty taps at once with one key: still one.
    let (csrf, kunci) = render_form(&app, &client, "pkm-sukodono").await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, url, form) = (client.clone(), app.url("/skm/pkm-sukodono"), {
            let mut f: Vec<(String, String)> = vec![("csrf_token".into(), csrf.clone()), ("kunci".into(), kunci.clone())];
            f.extend(fields.clone());
            f
        });
        tasks.push(tokio::spawn(async move { client.post(url).form(&form).send().await.unwrap().status() }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(stored(&app).await, (2, 2));
});

app_test!(async fn concurrent_respondents_are_all_counted_exactly_once(app) {
    let w = world(&app).await;
    let mut tasks = Vec::new();
    for i in 0..40u8 {
        let client = app.client();
        let base = app.base.clone();
        let service = w.sukodono_services[usize::from(i % 2)].id;
        tasks.push(tokio::spawn(async move {
            let html = client.get(format!("{base}/skm/pkm-sukodono")).send().await.unwrap().text().await.unwrap();
            let csrf = csrf_from(&html).unwrap();
            let kunci = scraper::Html::parse_document(&html)
                .select(&scraper::Selector::parse(r#"input[name="kunci"]"#).unwrap())
                .next().unwrap().value().attr("value").unwrap().to_owned();
            let mut form = vec![("csrf_token".to_owned(), csrf), ("kunci".to_owned(), kunci)];
            form.extend(answers(service, [1 + i % 4; 9]));
            client.post(format!("{base}/skm/pkm-sukodono")).form(&form).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(stored(&app).await, (40, 40));
    // The tallies agree with the raw answers: sum of U1 = 10 × (1+2+3+4).
    let mut db = app.conn();
    let (s1,): (i64,) = rumah_store::Exec::fetch_one(&mut db, rumah_store::Query::new("SELECT CAST(SUM(s1) AS BIGINT) FROM skm_tallies")).await.unwrap();
    assert_eq!(s1, 100);
});

app_test!(async fn malformed_and_hostile_submissions_are_refused_and_store_nothing(app) {
    let w = world(&app).await;
    let client = app.client();
    let good = answers(w.sukodono_services[0].id, [3; 9]);
    let without = |field: &str| good.iter().filter(|(k, _)| k != field).cloned().collect::<Vec<_>>();
    let with = |field: &str, value: &str| {
        let mut v: Vec<(String, String)> = good.iter().filter(|(k, _)| k != field).cloned().collect();
        v.push((field.to_owned(), value.to_owned()));
        v
    };
    // A missing element: 422, the message next to that question, the other answers kept.
    let res = submit(&app, &client, "pkm-sukodono", &without("u3")).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert_eq!(text_of(&html, "#u3-error").unwrap(), "Pilih salah satu jawaban.");
    assert_eq!(count_of(&html, r#"input[name="u1"][value="3"][checked]"#), 1, "answers survive the error");
    for (fields, field) in [
        (with("u5", "5"), "u5"),
        (with("u5", "0"), "u5"),
        (with("u5", "tiga"), "u5"),
        (with("layanan", &w.klampis_services[0].id.to_string()), "layanan"),
        (with("layanan", "abc"), "layanan"),
        (with("usia", "99-120"), "usia"),
        (with("tanggal", "2999-01-01"), "tanggal"),
        (with("tanggal", "31-12-2025"), "tanggal"),
        (with("masukan", &"x".repeat(2001)), "masukan"),
    ] {
        let res = submit(&app, &client, "pkm-sukodono", &fields).await;
        assert_eq!(res.status(), 422, "{field}");
        let html = res.text().await.unwrap();
        assert!(text_of(&html, &format!("#{field}-error")).is_some(), "message next to {field}");
    }
    // The honeypot, a forged key, a wrong content type and a missing CSRF token.
    assert_eq!(submit(&app, &client, "pkm-sukodono", &with("situs", "http://spam.example")).await.status(), 400);
    let (csrf, _) = render_form(&app, &client, "pkm-sukodono").await;
    assert_eq!(post(&app, &client, "pkm-sukodono", &csrf, "pendek", &good).await.status(), 400);
    assert_eq!(post(&app, &client, "pkm-sukodono", &csrf, "", &good).await.status(), 400);
    let (_, kunci) = render_form(&app, &client, "pkm-sukodono").await;
    let res = client.post(app.url("/skm/pkm-sukodono")).form(&[("kunci", kunci.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 403, "no CSRF token");
    let res = client.post(app.url("/skm/pkm-sukodono")).header("content-type", "application/json").body("{}").send().await.unwrap();
    assert!(res.status().is_client_error());
    // Unknown unit, then a closed one.
    assert_eq!(submit(&app, &client, "pkm-sukodono", &good).await.status(), 200);
    let (csrf, kunci) = render_form(&app, &client, "pkm-sukodono").await;
    assert_eq!(post(&app, &client, "tidak-ada", &csrf, &kunci, &good).await.status(), 404);
    units::set_open(&mut app.conn(), &w.sukodono, false).await.unwrap();
    let res = post(&app, &client, "pkm-sukodono", &csrf, &kunci, &good).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("ditutup"));
    assert_eq!(stored(&app).await, (1, 1), "only the one good submission");
    assert_eq!(app.count("skm_feedback").await, 0);
});

mod rate_limits_per_device_stop_floods_without_storing_them {
    use super::*;

    async fn run(app: TestApp) {
        let w = world(&app).await;
        let client = app.client();
        let fields = answers(w.sukodono_services[0].id, [3; 9]);
        for _ in 0..2 {
            assert_eq!(
                submit(&app, &client, "pkm-sukodono", &fields)
                    .await
                    .status(),
                200
            );
        }
        let res = submit(&app, &client, "pkm-sukodono", &fields).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        assert_eq!(stored(&app).await, (2, 2));
        // Another device at the same address is still welcome (the address limit is higher).
        let other = app.client();
        assert_eq!(
            submit(&app, &other, "pkm-sukodono", &fields).await.status(),
            200
        );
        // The rate table holds keyed hashes, never the address or the cookie.
        let mut db = app.conn();
        let keys: Vec<(String,)> = rumah_store::Exec::fetch_all(
            &mut db,
            rumah_store::Query::new("SELECT key FROM skm_rate"),
        )
        .await
        .unwrap();
        assert!(!keys.is_empty());
        for (k,) in keys {
            assert!(!k.contains("127.0.0.1"), "{k}");
            assert!(k.starts_with("ip:") || k.starts_with("dev:"), "{k}");
        }
    }

    async fn spawn(backend: rumah_store::Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, |c| c.skm.per_device_per_hour = 2).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(spawn(rumah_store::Backend::Sqlite)
            .await
            .expect("SQLite is always available"))
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(app) = spawn(rumah_store::Backend::Postgres).await else {
            eprintln!(
                "SKIPPED on PostgreSQL: set {} to run",
                rumah_store::testkit::PG_URL_ENV
            );
            return;
        };
        run(app).await;
    }
}

app_test!(async fn answers_cannot_be_joined_back_to_a_respondent(app) {
    let w = world(&app).await;
    let mut fields = answers(w.sukodono_services[0].id, [2; 9]);
    fields.push(("masukan".into(), "Antrean terlalu lama".into()));
    fields.push(("jenis_masukan".into(), "pengaduan".into()));
    fields.push(("publikasi".into(), "ya".into()));
    let client = app.client();
    assert_eq!(submit(&app, &client, "pkm-sukodono", &fields).await.status(), 200);
    let mut db = app.conn();
    // No column of a response or a ticket names a person, an address, a device or a session.
    for table in ["skm_responses", "skm_feedback"] {
        let cols = columns(&app, table).await;
        for forbidden in ["account", "ip", "user_agent", "session", "device", "token", "nik", "email", "phone"] {
            assert!(!cols.iter().any(|c| c.contains(forbidden) && c != "responded_by"), "{table}.{forbidden}");
        }
    }
    // The ticket is not linked to the response it came with.
    assert!(!columns(&app, "skm_feedback").await.iter().any(|c| c.contains("response_id")));
    let (n,): (i64,) = rumah_store::Exec::fetch_one(&mut db, rumah_store::Query::new("SELECT COUNT(*) FROM skm_feedback WHERE kind = 'pengaduan' AND status = 'baru'")).await.unwrap();
    assert_eq!(n, 1);
});

async fn columns(app: &TestApp, table: &str) -> Vec<String> {
    let mut db = app.conn();
    let q = match app.backend {
        rumah_store::Backend::Sqlite => {
            rumah_store::Query::assembled(format!("SELECT name FROM pragma_table_info('{table}')"))
        }
        rumah_store::Backend::Postgres => rumah_store::Query::assembled(format!(
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_name = '{table}' AND table_schema = current_schema()"
        )),
    };
    let rows: Vec<(String,)> = rumah_store::Exec::fetch_all(&mut db, q).await.unwrap();
    assert!(!rows.is_empty(), "{table} has columns");
    rows.into_iter().map(|(c,)| c).collect()
}

app_test!(async fn results_follow_the_regulations_formula_per_period_and_service(app) {
    let w = world(&app).await;
    let client = app.client();
    // Two respondents on the first service, one on the second.
    for (service, scores) in [
        (w.sukodono_services[0].id, [4, 4, 4, 4, 4, 4, 4, 4, 4]),
        (w.sukodono_services[0].id, [3, 3, 3, 4, 3, 3, 3, 2, 3]),
        (w.sukodono_services[1].id, [2, 2, 2, 4, 2, 2, 2, 1, 2]),
    ] {
        assert_eq!(submit(&app, &client, "pkm-sukodono", &answers(service, scores)).await.status(), 200);
    }
    // NRR = (9, 9, 9, 12, 9, 9, 9, 7, 9) / 3; Σ = 82/3 = 27.333…; × 0.11 × 25 = 75.17 (the
    // regulation's rounded weight) — grade C.
    let html = app.client().get(app.url("/skm/pkm-sukodono/hasil")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#ikm-value").unwrap(), "75,17");
    assert_eq!(text_of(&html, "#mutu").unwrap(), "Mutu C");
    assert_eq!(text_of(&html, "#kinerja").unwrap(), "Kurang Baik");
    assert_eq!(count_of(&html, "#elements tbody tr"), 9);
    // U8 (NRR 2.333) is the weakest element.
    assert_eq!(count_of(&html, "#elements tbody tr.weak"), 1);
    // One service alone.
    let one = app.client().get(app.url(&format!("/skm/pkm-sukodono/hasil?layanan={}", w.sukodono_services[1].id))).send().await.unwrap().text().await.unwrap();
    // (2×7 + 4 + 1) = 19 × 0.11 × 25 = 52.25 — grade D.
    assert_eq!(text_of(&one, "#ikm-value").unwrap(), "52,25");
    assert_eq!(text_of(&one, "#mutu").unwrap(), "Mutu D");
    // English, with its own number format.
    let en = app.client().get(app.url("/skm/pkm-sukodono/hasil")).header("accept-language", "en").send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&en, "#ikm-value").unwrap(), "75.17");
    // Last year has nothing; a malformed period is a clear 400; another unit's service is not found.
    let (year, _) = rumah_web::routes::surveys::view::now_wib();
    let past = app.client().get(app.url(&format!("/skm/pkm-sukodono/hasil?periode={}", year - 1))).send().await.unwrap().text().await.unwrap();
    assert!(text_of(&past, "#no-responses").is_some());
    let res = app.client().get(app.url("/skm/pkm-sukodono/hasil?periode=2026-Q5")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("2026-Q3"));
    let res = app.client().get(app.url(&format!("/skm/pkm-sukodono/hasil?layanan={}", w.klampis_services[0].id))).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // The sample target appears once the yearly volume is known.
    units::set_volume(&mut app.conn(), &w.sukodono_services[0], i64::from(year), 300).await.unwrap();
    let html = app.client().get(app.url("/skm/pkm-sukodono/hasil")).send().await.unwrap().text().await.unwrap();
    assert!(text_of(&html, "#sample").unwrap().contains(": 169; tercapai 3"), "{:?}", text_of(&html, "#sample"));
    // The province overview pools the units: Sidoarjo has the three answers, Surabaya none.
    let html = app.client().get(app.url("/skm")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#ikm-value").unwrap(), "75,17");
    assert_eq!(count_of(&html, "#groups tbody tr"), 2);
    assert_eq!(count_of(&html, "#units tbody tr"), 2);
    let html = app.client().get(app.url("/skm?wilayah=35.78")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "#units tbody tr"), 1);
    assert!(html.contains(&w.klampis.name));
    assert!(!html.contains(&w.sukodono.name));
    assert_eq!(app.client().get(app.url("/skm?wilayah=99")).send().await.unwrap().status(), 404);
    assert_eq!(app.client().get(app.url("/skm?wilayah=bukan%20kode")).send().await.unwrap().status(), 400);
});

app_test!(async fn feedback_is_public_only_when_the_respondent_agreed_and_the_unit_answered(app) {
    let w = world(&app).await;
    app.account("skm.sukodono", Some("35.15.DINKES.PKM-SUKODONO"), &[(Role::SurveyAdmin, "35.15.DINKES.PKM-SUKODONO")]).await;
    let client = app.client();
    for (text, consent) in [("Tolong tambah kursi tunggu", true), ("Petugas loket dua kasar", false)] {
        let mut f = answers(w.sukodono_services[0].id, [3; 9]);
        f.push(("masukan".into(), text.into()));
        if consent {
            f.push(("publikasi".into(), "ya".into()));
        }
        assert_eq!(submit(&app, &client, "pkm-sukodono", &f).await.status(), 200);
    }
    let public = || async { app.client().get(app.url("/skm/pkm-sukodono/hasil")).send().await.unwrap().text().await.unwrap() };
    let html = public().await;
    assert!(!html.contains("kursi tunggu") && !html.contains("loket dua"), "unanswered tickets stay private");
    let admin = app.signed_in("skm.sukodono").await;
    let page = admin.get(app.url(&format!("/skm/kelola/{}", w.sukodono.id))).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&page, "article.ticket"), 2);
    let ids: Vec<i64> = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("article.ticket").unwrap())
        .map(|e| e.value().attr("id").unwrap().trim_start_matches("tiket-").parse().unwrap())
        .collect();
    for id in &ids {
        let res = app.post_form(&admin, &format!("/skm/kelola/{}", w.sukodono.id), &format!("/skm/kelola/{}/masukan/{id}", w.sukodono.id),
            &[("status", "ditanggapi"), ("response", "Sudah kami tindak lanjuti")]).await;
        assert_eq!(res.status(), 303);
    }
    let page = admin.get(app.url(&format!("/skm/kelola/{}", w.sukodono.id))).send().await.unwrap().text().await.unwrap();
    assert!(text_of(&page, "#mean-response").unwrap().contains("menit"), "time to response is shown");
    assert_eq!(page.matches("Ditanggapi setelah").count(), 2, "each answered ticket says how long it took");
    let html = public().await;
    assert!(html.contains("kursi tunggu"), "answered with consent: public");
    assert!(html.contains("Sudah kami tindak lanjuti"));
    assert!(!html.contains("loket dua"), "no consent: never public");
    // A bad status is refused and changes nothing.
    let res = app.post_form(&admin, &format!("/skm/kelola/{}", w.sukodono.id), &format!("/skm/kelola/{}/masukan/{}", w.sukodono.id, ids[0]),
        &[("status", "dihapus"), ("response", "x")]).await;
    assert_eq!(res.status(), 422);
    let mut db = app.conn();
    let (n,): (i64,) = rumah_store::Exec::fetch_one(&mut db, rumah_store::Query::new("SELECT COUNT(*) FROM skm_feedback WHERE status = 'ditanggapi' AND response = 'Sudah kami tindak lanjuti'")).await.unwrap();
    assert_eq!(n, 2);
});

app_test!(async fn survey_admins_manage_only_their_own_units(app) {
    let w = world(&app).await;
    app.account("skm.sukodono", Some("35.15.DINKES.PKM-SUKODONO"), &[(Role::SurveyAdmin, "35.15.DINKES.PKM-SUKODONO")]).await;
    app.account("admin.surabaya", Some("35.78.DISPENDUKCAPIL"), &[(Role::Administrator, "35.78")]).await;
    app.account("asn", Some("35.15.DINKES"), &[]).await;
    let mine = format!("/skm/kelola/{}", w.sukodono.id);
    let theirs = format!("/skm/kelola/{}", w.klampis.id);

    let sukodono = app.signed_in("skm.sukodono").await;
    let list = sukodono.get(app.url("/skm/kelola")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&list, "#my-units tbody tr"), 1);
    assert!(list.contains(&w.sukodono.name) && !list.contains(&w.klampis.name));
    assert_eq!(sukodono.get(app.url(&mine)).send().await.unwrap().status(), 200);
    // Not yours looks exactly like not there.
    for path in [theirs.clone(), format!("{theirs}/ekspor.csv"), "/skm/kelola/999999".to_owned()] {
        let res = sukodono.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = app.post_form(&sukodono, &mine, &format!("{theirs}/status"), &[("open", "0")]).await;
    assert_eq!(res.status(), 404);
    let res = app.post_form(&sukodono, &mine, &format!("{theirs}/layanan"), &[("name", "Disusupkan")]).await;
    assert_eq!(res.status(), 404);
    assert!(units::by_slug(&mut app.conn(), "sentra-klampis").await.unwrap().unwrap().open);
    assert_eq!(units::services(&mut app.conn(), w.klampis.id).await.unwrap().len(), 1);
    // Creating a unit outside the scope is refused as "not found", and stores nothing.
    let res = app.post_form(&sukodono, "/skm/kelola", "/skm/kelola", &[("org", "35.78.DISPENDUKCAPIL"), ("slug", "susupan"), ("name", "Susupan")]).await;
    assert_eq!(res.status(), 422);
    assert!(units::by_slug(&mut app.conn(), "susupan").await.unwrap().is_none());

    // A region administrator manages its region only.
    let surabaya = app.signed_in("admin.surabaya").await;
    assert_eq!(surabaya.get(app.url(&theirs)).send().await.unwrap().status(), 200);
    assert_eq!(surabaya.get(app.url(&mine)).send().await.unwrap().status(), 404);
    // No role: forbidden; anonymous: sent to sign in.
    let asn = app.signed_in("asn").await;
    assert_eq!(asn.get(app.url("/skm/kelola")).send().await.unwrap().status(), 403);
    let res = app.client().get(app.url(&mine)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/masuk"));
});

app_test!(async fn a_unit_admin_sets_up_a_unit_and_exports_its_answers_as_csv(app) {
    world(&app).await;
    app.org("35.15.DINKES", "PKM-TAMAN", OrgKind::Unit).await;
    app.account("admin.sidoarjo", Some("35.15.DINKES"), &[(Role::Administrator, "35.15")]).await;
    let admin = app.signed_in("admin.sidoarjo").await;
    // Form errors are shown next to their fields and create nothing.
    let res = app.post_form(&admin, "/skm/kelola", "/skm/kelola", &[("org", "35.15.DINKES.PKM-TAMAN"), ("slug", "Bukan Slug!"), ("name", "Puskesmas Taman")]).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#slug-error").is_some());
    let res = app.post_form(&admin, "/skm/kelola", "/skm/kelola", &[("org", "35.15.DINKES.PKM-TAMAN"), ("slug", "pkm-sukodono"), ("name", "Puskesmas Taman")]).await;
    assert_eq!(res.status(), 422, "a taken slug");
    let res = app.post_form(&admin, "/skm/kelola", "/skm/kelola", &[("org", "35.15.DINKES.PKM-TAMAN"), ("slug", "pkm-taman"), ("name", "Puskesmas Taman")]).await;
    assert_eq!(res.status(), 303);
    let page = res.headers()["location"].to_str().unwrap().to_owned();
    let res = app.post_form(&admin, &page, &format!("{page}/layanan"), &[("name", "Laboratorium"), ("served", "1.200")]).await;
    assert_eq!(res.status(), 303);
    let res = app.post_form(&admin, &page, &format!("{page}/layanan"), &[("name", "Laboratorium"), ("served", "")]).await;
    assert_eq!(res.status(), 422, "a duplicate service name");
    let res = app.post_form(&admin, &page, &format!("{page}/layanan"), &[("name", "Gigi"), ("served", "banyak")]).await;
    assert_eq!(res.status(), 422);
    let html = admin.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "#services tbody tr"), 1);
    assert!(html.contains("1.200"));
    let unit = units::by_slug(&mut app.conn(), "pkm-taman").await.unwrap().unwrap();
    let service = units::services(&mut app.conn(), unit.id).await.unwrap()[0].id;

    let client = app.client();
    for i in 0..3u8 {
        let mut f = answers(service, [1 + i; 9]);
        f.push(("usia".into(), "30-39".into()));
        f.push(("jk".into(), "p".into()));
        assert_eq!(submit(&app, &client, "pkm-taman", &f).await.status(), 200);
    }
    let res = admin.get(app.url(&format!("{page}/ekspor.csv"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("skm-pkm-taman-"));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 4, "{body}");
    assert!(lines[0].starts_with("id,submitted_at_utc_ms,service,"));
    assert!(lines[1].contains(",Laboratorium,,30-39,p,,,1,1,1,1,1,1,1,1,1"), "{}", lines[1]);
    // Closing the form.
    let res = app.post_form(&admin, &page, &format!("{page}/status"), &[("open", "0")]).await;
    assert_eq!(res.status(), 303);
    let form = app.client().get(app.url("/skm/pkm-taman")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&form, "form.skm-form"), 0);
    let res = app.post_form(&admin, &page, &format!("{page}/status"), &[("open", "mungkin")]).await;
    assert_eq!(res.status(), 422);
});
