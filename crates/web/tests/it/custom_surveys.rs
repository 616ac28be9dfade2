//! Custom surveys end to end: building, publishing, answering with
//! conditional questions, validation with nothing stored on error, one-time
//! tokens kept apart from answers, dates, results, CSV export and
//! authorisation.

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;
use rumah_store::surveys::custom as store;

use crate::support::{TestApp, app_test, count_of, csrf_from, text_of};

async fn setup(app: &TestApp) -> reqwest::Client {
    app.org("35.15", "BKD", OrgKind::Opd).await;
    app.org("35.78", "BKD", OrgKind::Opd).await;
    app.account(
        "survei.sidoarjo",
        Some("35.15.BKD"),
        &[(Role::SurveyAdmin, "35.15")],
    )
    .await;
    app.account(
        "survei.surabaya",
        Some("35.78.BKD"),
        &[(Role::SurveyAdmin, "35.78")],
    )
    .await;
    app.account("asn", Some("35.15.BKD"), &[]).await;
    app.signed_in("survei.sidoarjo").await
}

/// Creates a survey through the UI; returns its id.
async fn create(app: &TestApp, admin: &reqwest::Client, slug: &str, access: &str) -> i64 {
    let res = app
        .post_form(
            admin,
            "/survei/kelola",
            "/survei/kelola",
            &[
                ("org", "35.15.BKD"),
                ("slug", slug),
                ("title", "Kebutuhan pelatihan ASN 2026"),
                ("access", access),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    res.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn add(
    app: &TestApp,
    admin: &reqwest::Client,
    id: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = format!("/survei/kelola/{id}");
    app.post_form(admin, &page, &format!("{page}/pertanyaan"), fields)
        .await
}

async fn publish(
    app: &TestApp,
    admin: &reqwest::Client,
    id: i64,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let page = format!("/survei/kelola/{id}");
    let mut fields = vec![
        ("title", "Kebutuhan pelatihan ASN 2026"),
        ("access", "anonim"),
        ("published", "ya"),
    ];
    fields.extend_from_slice(extra);
    app.post_form(admin, &page, &format!("{page}/pengaturan"), &fields)
        .await
}

/// Seven questions, one of each kind; the short one shows only after "Ya".
async fn build_all_kinds(app: &TestApp, admin: &reqwest::Client, id: i64) -> Vec<i64> {
    for fields in [
        vec![
            ("kind", "single"),
            ("prompt", "Pernah ikut pelatihan daring?"),
            ("required", "ya"),
            ("options", "Ya\nTidak"),
        ],
        vec![
            ("kind", "multiple"),
            ("prompt", "Topik yang dibutuhkan"),
            ("options", "Pelayanan publik\nDigital\nKeuangan"),
        ],
        vec![
            ("kind", "likert"),
            ("prompt", "Pelatihan berguna bagi tugas saya"),
            ("scale", "5"),
            ("required", "ya"),
        ],
        vec![
            ("kind", "number"),
            ("prompt", "Jam pelatihan tahun ini"),
            ("min", "0"),
            ("max", "200"),
        ],
        vec![
            ("kind", "short"),
            ("prompt", "Platform yang dipakai"),
            ("required", "ya"),
            ("show_if", ""),
        ],
        vec![("kind", "long"), ("prompt", "Saran")],
        vec![
            ("kind", "matrix"),
            ("prompt", "Nilai aspek berikut"),
            ("options", "Kurang\nCukup\nBaik"),
            ("rows", "Materi\nNarasumber"),
        ],
    ] {
        let res = add(app, admin, id, &fields).await;
        assert_eq!(res.status(), 303, "{fields:?}");
    }
    let ids: Vec<i64> = store::questions(&mut app.conn(), id)
        .await
        .unwrap()
        .iter()
        .map(|q| q.id)
        .collect();
    // Make question 5 conditional on "Ya" of question 1 by rebuilding it.
    let page = format!("/survei/kelola/{id}");
    assert_eq!(
        app.post_form(
            admin,
            &page,
            &format!("{page}/pertanyaan/{}/hapus", ids[6]),
            &[]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        app.post_form(
            admin,
            &page,
            &format!("{page}/pertanyaan/{}/hapus", ids[5]),
            &[]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        app.post_form(
            admin,
            &page,
            &format!("{page}/pertanyaan/{}/hapus", ids[4]),
            &[]
        )
        .await
        .status(),
        303
    );
    let cond = format!("{}:0", ids[0]);
    for fields in [
        vec![
            ("kind", "short"),
            ("prompt", "Platform yang dipakai"),
            ("required", "ya"),
            ("show_if", cond.as_str()),
        ],
        vec![("kind", "long"), ("prompt", "Saran")],
        vec![
            ("kind", "matrix"),
            ("prompt", "Nilai aspek berikut"),
            ("options", "Kurang\nCukup\nBaik"),
            ("rows", "Materi\nNarasumber"),
        ],
    ] {
        assert_eq!(add(app, admin, id, &fields).await.status(), 303);
    }
    store::questions(&mut app.conn(), id)
        .await
        .unwrap()
        .iter()
        .map(|q| q.id)
        .collect()
}

async fn form(app: &TestApp, client: &reqwest::Client, path: &str) -> (String, String, String) {
    let html = client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let kunci = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse(r#"input[name="kunci"]"#).unwrap())
        .next()
        .map(|e| e.value().attr("value").unwrap().to_owned())
        .unwrap_or_default();
    (csrf_from(&html).unwrap_or_default(), kunci, html)
}

async fn answer(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
    path: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    let (csrf, kunci, _) = form(app, client, path).await;
    let mut body = vec![("csrf_token".to_owned(), csrf), ("kunci".to_owned(), kunci)];
    body.extend_from_slice(fields);
    client
        .post(app.url(&format!("/survei/{slug}")))
        .form(&body)
        .send()
        .await
        .unwrap()
}

fn f(pairs: &[(String, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), (*v).to_owned()))
        .collect()
}

app_test!(async fn an_admin_builds_publishes_and_collects_answers(app) {
    let admin = setup(&app).await;
    let id = create(&app, &admin, "pelatihan-2026", "anonim").await;
    // A draft is invisible to respondents, and cannot be published empty.
    assert_eq!(app.client().get(app.url("/survei/pelatihan-2026")).send().await.unwrap().status(), 404);
    let res = publish(&app, &admin, id, &[]).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#published-error").is_some());
    let q = build_all_kinds(&app, &admin, id).await;
    assert_eq!(q.len(), 7);
    // A bad design is refused next to its field.
    let res = add(&app, &admin, id, &[("kind", "single"), ("prompt", "Satu pilihan saja"), ("options", "Hanya ini")]).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#options-error").is_some());
    let res = add(&app, &admin, id, &[("kind", "short"), ("prompt", "Syarat palsu"), ("show_if", &format!("{}:0", q[2]))]).await;
    assert_eq!(res.status(), 422, "a condition on a Likert question");
    assert_eq!(publish(&app, &admin, id, &[]).await.status(), 303);
    let list = app.client().get(app.url("/survei")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("Kebutuhan pelatihan ASN 2026"));

    let (_, _, html) = form(&app, &app.client(), "/survei/pelatihan-2026").await;
    assert_eq!(count_of(&html, "fieldset.question"), 7);
    assert_eq!(count_of(&html, &format!(r#"fieldset[data-show-if="q{}:0"]"#, q[0])), 1);
    assert_eq!(count_of(&html, r#"input[type="checkbox"]"#), 3);
    assert_eq!(count_of(&html, "table.matrix tbody tr"), 2);

    let qf = |i: usize| format!("q{}", q[i]);
    let row = |i: usize, r: usize| format!("q{}_r{r}", q[i]);
    let client = app.client();
    for fields in [
        f(&[(qf(0), "0"), (qf(1), "0"), (qf(1), "1"), (qf(2), "5"), (qf(3), "24"), (qf(4), "Zoom"), (qf(5), "Tambah kelas malam"), (row(6, 0), "2"), (row(6, 1), "1")]),
        f(&[(qf(0), "1"), (qf(1), "1"), (qf(2), "3"), (qf(3), "12,5"), (qf(4), "diabaikan karena tersembunyi")]),
        f(&[(qf(0), "0"), (qf(2), "4"), (qf(4), "YouTube")]),
    ] {
        let res = answer(&app, &client, "pelatihan-2026", "/survei/pelatihan-2026", &fields).await;
        assert_eq!(res.status(), 200);
    }
    let results = admin.get(app.url(&format!("/survei/kelola/{id}/hasil"))).send().await.unwrap().text().await.unwrap();
    assert!(results.contains("3 responden"));
    // Likert mean (5 + 3 + 4) / 3 = 4,00; number mean (24 + 12.5) / 2 = 18,25.
    assert_eq!(text_of(&results, &format!("#hasil-q{} .mean", q[2])).unwrap(), "4,00");
    assert_eq!(text_of(&results, &format!("#hasil-q{} .mean", q[3])).unwrap(), "18,25");
    // Single choice: Ya 2, Tidak 1; the hidden answer of respondent 2 was dropped.
    let single = scraper::Html::parse_document(&results);
    let counts: Vec<String> = single
        .select(&scraper::Selector::parse(&format!("#hasil-q{} table.counts tbody td:nth-child(2)", q[0])).unwrap())
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(counts, ["2", "1"]);
    assert!(results.contains("Zoom") && results.contains("YouTube"));
    assert!(!results.contains("diabaikan karena tersembunyi"));
    // Questions are frozen once answers exist.
    let res = add(&app, &admin, id, &[("kind", "long"), ("prompt", "Terlambat")]).await;
    assert_eq!(res.status(), 422);
    let page = format!("/survei/kelola/{id}");
    let res = app.post_form(&admin, &page, &format!("{page}/pertanyaan/{}/hapus", q[5]), &[]).await;
    assert_eq!(res.status(), 409);
    assert_eq!(store::questions(&mut app.conn(), id).await.unwrap().len(), 7);

    // The CSV export: a header and one line per response, labels not indexes.
    let res = admin.get(app.url(&format!("/survei/kelola/{id}/ekspor.csv"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 4, "{body}");
    assert!(lines[0].contains("7. Nilai aspek berikut [Materi]"));
    assert!(lines[1].ends_with(",Ya,Pelayanan publik; Digital,5,24,Zoom,Tambah kelas malam,Baik,Cukup"), "{}", lines[1]);
    assert!(lines[2].contains(",Tidak,Digital,3,12.5,,,,"), "{}", lines[2]);

    // The XLSX export holds the same rows; numbers stay numbers.
    let res = admin.get(app.url(&format!("/survei/kelola/{id}/ekspor.xlsx"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut sheet).unwrap();
    assert_eq!(sheet.matches("<row ").count(), 4, "a header and three responses");
    assert!(sheet.contains("Zoom") && sheet.contains("Pelayanan publik; Digital"));
    assert!(sheet.contains("<v>24</v>") && sheet.contains("<v>12.5</v>"), "numbers are numeric cells");
    let other = app.signed_in("survei.surabaya").await;
    assert_eq!(other.get(app.url(&format!("/survei/kelola/{id}/ekspor.xlsx"))).send().await.unwrap().status(), 404);
});

app_test!(async fn invalid_answers_are_named_per_question_and_store_nothing(app) {
    let admin = setup(&app).await;
    let id = create(&app, &admin, "evaluasi", "anonim").await;
    let q = build_all_kinds(&app, &admin, id).await;
    assert_eq!(publish(&app, &admin, id, &[]).await.status(), 303);
    let qf = |i: usize| format!("q{}", q[i]);
    let client = app.client();
    for (fields, bad) in [
        (f(&[(qf(2), "3")]), 0),                                   // required single missing
        (f(&[(qf(0), "0"), (qf(2), "3")]), 4),                     // "Ya" makes the short question required
        (f(&[(qf(0), "1"), (qf(2), "6")]), 2),                     // Likert out of scale
        (f(&[(qf(0), "1"), (qf(2), "3"), (qf(3), "201")]), 3),     // over the number's maximum
        (f(&[(qf(0), "1"), (qf(2), "3"), (qf(3), "dua")]), 3),     // not a number
        (f(&[(qf(0), "7"), (qf(2), "3")]), 0),                     // not an option
        (f(&[(qf(0), "1"), (qf(2), "3"), (qf(1), "9")]), 1),       // not an option of the multiple
    ] {
        let res = answer(&app, &client, "evaluasi", "/survei/evaluasi", &fields).await;
        assert_eq!(res.status(), 422, "{fields:?}");
        let html = res.text().await.unwrap();
        assert!(text_of(&html, &format!("#q{}-error", q[bad])).is_some(), "error next to question {bad}");
    }
    assert_eq!(store::response_count(&mut app.conn(), id).await.unwrap(), 0);
    assert_eq!(app.count("survey_answers").await, 0);
    // A forged key and a missing CSRF token.
    let (csrf, _, _) = form(&app, &client, "/survei/evaluasi").await;
    let res = client.post(app.url("/survei/evaluasi")).form(&[("csrf_token", csrf.as_str()), ("kunci", "x")]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let res = client.post(app.url("/survei/evaluasi")).form(&[("kunci", "abcdefghijklmnopqrstuv")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // The same submission twice is one response.
    let (csrf, kunci, _) = form(&app, &client, "/survei/evaluasi").await;
    let body = vec![("csrf_token".to_owned(), csrf), ("kunci".to_owned(), kunci), (qf(0), "1".to_owned()), (qf(2), "2".to_owned())];
    for _ in 0..2 {
        assert_eq!(client.post(app.url("/survei/evaluasi")).form(&body).send().await.unwrap().status(), 200);
    }
    assert_eq!(store::response_count(&mut app.conn(), id).await.unwrap(), 1);
});

app_test!(async fn a_token_survey_takes_each_token_once_and_keeps_answers_anonymous(app) {
    let admin = setup(&app).await;
    let id = create(&app, &admin, "evaluasi-diklat", "token").await;
    assert_eq!(add(&app, &admin, id, &[("kind", "likert"), ("prompt", "Materi bermanfaat"), ("required", "ya")]).await.status(), 303);
    let page = format!("/survei/kelola/{id}");
    let res = app.post_form(&admin, &page, &format!("{page}/pengaturan"), &[("title", "Evaluasi diklat"), ("access", "token"), ("published", "ya")]).await;
    assert_eq!(res.status(), 303);
    let res = app.post_form(&admin, &page, &format!("{page}/token"), &[("holders", "Dewi 19830517 200801 2 003\nBudi\n")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let links: Vec<String> = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("#new-tokens td.mono").unwrap())
        .map(|e| e.text().collect::<String>())
        .collect();
    assert_eq!(links.len(), 2);
    let token = links[0].split("token=").nth(1).unwrap().to_owned();
    let res = app.post_form(&admin, &page, &format!("{page}/token"), &[("holders", "")]).await;
    assert_eq!(res.status(), 422);

    let q = store::questions(&mut app.conn(), id).await.unwrap()[0].id;
    let client = app.client();
    // Without a token, or with a wrong one, there is no form.
    let (_, _, html) = form(&app, &client, "/survei/evaluasi-diklat").await;
    assert_eq!(count_of(&html, "form.survey-form"), 0);
    assert_eq!(count_of(&html, r#"input[name="token"]"#), 1);
    let (_, _, html) = form(&app, &client, "/survei/evaluasi-diklat?token=sv_palsu").await;
    assert_eq!(count_of(&html, "form.survey-form"), 0);
    let path = format!("/survei/evaluasi-diklat?token={token}");
    let fields = vec![(format!("q{q}"), "4".to_owned()), ("token".to_owned(), token.clone())];
    assert_eq!(answer(&app, &client, "evaluasi-diklat", &path, &fields).await.status(), 200);
    // The token is used up: its form is gone and a replayed post is refused.
    let (_, _, html) = form(&app, &client, &path).await;
    assert_eq!(count_of(&html, "form.survey-form"), 0);
    let csrf = app.csrf_token(&client, "/masuk").await;
    let replay = vec![("csrf_token".to_owned(), csrf), ("kunci".to_owned(), "kunci-baru-untuk-ulang-123".to_owned()), (format!("q{q}"), "1".to_owned()), ("token".to_owned(), token)];
    assert_eq!(client.post(app.url("/survei/evaluasi-diklat")).form(&replay).send().await.unwrap().status(), 409);
    assert_eq!(store::response_count(&mut app.conn(), id).await.unwrap(), 1);
    // Who held a token and whether it was used is known; which answer it gave is not.
    let tokens = store::tokens(&mut app.conn(), id).await.unwrap();
    assert_eq!(tokens.iter().filter(|t| t.1).count(), 1);
    for table in ["survey_tokens", "survey_responses", "survey_answers"] {
        let mut db = app.conn();
        let q = match app.backend {
            rumah_store::Backend::Sqlite => rumah_store::Query::assembled(format!("SELECT name FROM pragma_table_info('{table}')")),
            rumah_store::Backend::Postgres => rumah_store::Query::assembled(format!(
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_name = '{table}' AND table_schema = current_schema()")),
        };
        let cols: Vec<(String,)> = rumah_store::Exec::fetch_all(&mut db, q).await.unwrap();
        assert!(!cols.is_empty());
        for (c,) in cols {
            let linking = match table {
                "survey_tokens" => c.contains("response") || c.ends_with("_at") && c != "created_at",
                _ => c.contains("token") || c.contains("holder") || c.contains("account"),
            };
            assert!(!linking, "{table}.{c} could tie answers to a person");
        }
    }
});

app_test!(async fn surveys_answer_only_between_their_dates(app) {
    let admin = setup(&app).await;
    let id = create(&app, &admin, "kemarin", "anonim").await;
    assert_eq!(add(&app, &admin, id, &[("kind", "short"), ("prompt", "Apa kabar?")]).await.status(), 303);
    let (year, _) = rumah_web::routes::surveys::view::now_wib();
    let past = (format!("{}-01-01", year - 2), format!("{}-12-31", year - 2));
    let res = publish(&app, &admin, id, &[("opens", &past.0), ("closes", &past.1)]).await;
    assert_eq!(res.status(), 303);
    let client = app.client();
    let (_, _, html) = form(&app, &client, "/survei/kemarin").await;
    assert_eq!(count_of(&html, "form.survey-form"), 0);
    assert!(html.contains("tidak sedang menerima jawaban"));
    let csrf = app.csrf_token(&client, "/masuk").await;
    let res = client.post(app.url("/survei/kemarin")).form(&[("csrf_token", csrf.as_str()), ("kunci", "abcdefghijklmnopqrstuv")]).send().await.unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(store::response_count(&mut app.conn(), id).await.unwrap(), 0);
    // Dates in the wrong order are refused next to the field.
    let res = publish(&app, &admin, id, &[("opens", "2026-05-01"), ("closes", "2026-04-01")]).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#closes-error").is_some());
    let res = publish(&app, &admin, id, &[("opens", "besok")]).await;
    assert_eq!(res.status(), 422);
});

app_test!(async fn another_regions_survey_looks_like_no_survey(app) {
    let admin = setup(&app).await;
    let id = create(&app, &admin, "milik-sidoarjo", "anonim").await;
    let surabaya = app.signed_in("survei.surabaya").await;
    for path in [format!("/survei/kelola/{id}"), format!("/survei/kelola/{id}/hasil"), format!("/survei/kelola/{id}/ekspor.csv")] {
        assert_eq!(surabaya.get(app.url(&path)).send().await.unwrap().status(), 404, "{path}");
    }
    let res = app.post_form(&surabaya, "/survei/kelola", &format!("/survei/kelola/{id}/pertanyaan"), &[("kind", "long"), ("prompt", "Susupan")]).await;
    assert_eq!(res.status(), 404);
    assert!(store::questions(&mut app.conn(), id).await.unwrap().is_empty());
    let list = surabaya.get(app.url("/survei/kelola")).send().await.unwrap().text().await.unwrap();
    assert!(!list.contains("milik-sidoarjo") && !list.contains("Kebutuhan pelatihan"));
    let res = app.post_form(&surabaya, "/survei/kelola", "/survei/kelola", &[("org", "35.15.BKD"), ("slug", "susupan"), ("title", "Susupan")]).await;
    assert_eq!(res.status(), 422);
    let asn = app.signed_in("asn").await;
    assert_eq!(asn.get(app.url("/survei/kelola")).send().await.unwrap().status(), 403);
    assert_eq!(app.client().get(app.url("/survei/kelola")).send().await.unwrap().status(), 303);
});
