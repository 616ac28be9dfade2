//! IID self-assessment: an officer chooses levels and sees the total from
//! the year's weights; the province administrator changes a weight or a
//! threshold without a code change and totals, index and predikat follow;
//! the region summary and its XLSX carry the same numbers; other regions
//! and other roles get 404/403; bad input is named per field and stores
//! nothing.

use std::collections::HashMap;
use std::io::Read as _;

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;

use crate::support::{TestApp, app_test, count_of, text_of};

pub(crate) async fn setup(app: &TestApp) {
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
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")])
        .await;
    app.account(
        "admin.sidoarjo",
        Some("35.15"),
        &[(Role::Administrator, "35.15")],
    )
    .await;
    app.account("asn", Some("35.15.DINKES"), &[]).await;
}

pub(crate) async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let res = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

pub(crate) async fn status(app: &TestApp, client: &reqwest::Client, path: &str) -> u16 {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Levels 16→3, 17→2, 20→3, 32→1, 33→3, 35→2. With the 2026 weights:
/// 3×3 + 2×2 + 1×3 + 2×1 + 3×3 + 4×2 = 9 + 4 + 3 + 2 + 9 + 8 = 35.
const LEVELS: [(&str, &str); 7] = [
    ("level_16", "3"),
    ("level_17", "2"),
    ("level_20", "3"),
    ("level_32", "1"),
    ("level_33", "3"),
    ("level_35", "2"),
    (
        "evidence_16",
        "https://jdih.sidoarjokab.go.id/perbup-41-2025",
    ),
];

pub(crate) async fn assess(app: &TestApp, owner: &reqwest::Client, id: i64) {
    let page = format!("/inovasi/kelola/{id}/iid?tahun=2026");
    let mut fields = vec![("tahun", "2026")];
    fields.extend_from_slice(&LEVELS);
    let res = app
        .post_form(owner, &page, &format!("/inovasi/kelola/{id}/iid"), &fields)
        .await;
    assert_eq!(res.status(), 303);
}

/// Every field of the rules form as the page has it (ticked boxes only),
/// with `changes` applied.
pub(crate) async fn rules_form(
    app: &TestApp,
    admin: &reqwest::Client,
    changes: &[(&str, &str)],
) -> reqwest::Response {
    rules_form_in(app, admin, changes, "id").await
}

/// [`rules_form`] with the browser's language `lang`.
pub(crate) async fn rules_form_in(
    app: &TestApp,
    admin: &reqwest::Client,
    changes: &[(&str, &str)],
    lang: &str,
) -> reqwest::Response {
    let page = html(app, admin, "/admin/iid?tahun=2026").await;
    let mut fields: Vec<(String, String)> = {
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse("#iid-rules input").unwrap();
        doc.select(&sel)
            .filter(|e| {
                e.value().attr("type") != Some("checkbox") || e.value().attr("checked").is_some()
            })
            .filter_map(|e| {
                let name = e.value().attr("name")?;
                (name != "csrf_token").then(|| {
                    (
                        name.to_owned(),
                        e.value().attr("value").unwrap_or("").to_owned(),
                    )
                })
            })
            .collect()
    };
    for (k, v) in changes {
        match fields.iter_mut().find(|(n, _)| n == k) {
            Some(f) => f.1 = (*v).to_owned(),
            None => fields.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    let token = app.csrf_token(admin, "/admin/iid?tahun=2026").await;
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    admin
        .post(app.url("/admin/iid"))
        .header("accept-language", lang)
        .form(&form)
        .send()
        .await
        .unwrap()
}

app_test!(async fn an_officer_sees_the_total_from_the_weights_and_an_admin_weight_change_moves_it(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let id = app.published_innovation( &owner, &curator, "35.15.DINKES", "Antrean Daring").await;
    let page = format!("/inovasi/kelola/{id}/iid?tahun=2026");
    let before = html(&app, &owner, &page).await;
    assert_eq!(text_of(&before, "#iid-total").unwrap(), "0,00");
    assert_eq!(text_of(&before, "#iid-max-total").unwrap(), "111,00");
    assert_eq!(count_of(&before, "fieldset.iid-indicator"), 20);
    assert!(text_of(&before, "#indicator-16").unwrap().contains("3 = Peraturan daerah (Perda)"));
    assert!(text_of(&before, "#iid-incomplete").unwrap().contains("16, 17, 32, 33, 35"));

    assess(&app, &owner, id).await;
    let after = html(&app, &owner, &format!("{page}&ok=1")).await;
    assert_eq!(text_of(&after, "#iid-total").unwrap(), "35,00");
    assert!(text_of(&after, "#iid-complete").is_some());
    assert_eq!(count_of(&after, "input[name=level_35][value=\"2\"][checked]"), 1);
    assert!(after.contains("https://jdih.sidoarjokab.go.id/perbup-41-2025"));
    assert_eq!(app.count("iid_assessments").await, 20);

    // The administrator raises the weight of indicator 35 from 4 to 5: level 2 adds 2.
    let admin = app.signed_in("admin.prov").await;
    let res = rules_form(&app, &admin, &[("weight35", "5")]).await;
    assert_eq!(res.status(), 303);
    let after = html(&app, &owner, &page).await;
    assert_eq!(text_of(&after, "#iid-total").unwrap(), "37,00");
    assert_eq!(text_of(&after, "#iid-max-total").unwrap(), "114,00");
    assert_eq!(app.count("audit_log WHERE event = 'iid_rules.changed'").await, 1);
    // Unchanged rules saved again: no audit entry.
    let res = rules_form(&app, &admin, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("audit_log WHERE event = 'iid_rules.changed'").await, 1);
    // A decimal weight, typed with a comma: 35 - 4×2 + 4.5×2 = 36.
    let res = rules_form(&app, &admin, &[("weight35", "4,5")]).await;
    assert_eq!(res.status(), 303);
    let after = html(&app, &owner, &page).await;
    assert_eq!(text_of(&after, "#iid-total").unwrap(), "36,00");
});

app_test!(async fn the_region_summary_index_predikat_edges_and_xlsx_agree(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let admin = app.signed_in("admin.prov").await;
    let a = app.published_innovation( &owner, &curator, "35.15.DINKES", "Antrean Daring").await;
    let _b = app.published_innovation( &owner, &curator, "35.15.DINKES", "Bidan Desa Siaga").await;
    let _other = app.published_innovation( &app.signed_in("inovasi.surabaya").await, &curator, "35.78.DINKES", "Surabaya Sehat").await;
    assess(&app, &owner, a).await;

    // n = 2, Σ = 35. Both innovations are of urusan kesehatan: 1 of the 6 basic-service
    // urusan, fewer than the seeded minimum 5, so the skor jumlah inovasi (2 × 0.38) is 0:
    // SID = 35 / MAX(10, 2) + 0 = 3.5; max SID = 111 + 200 × 0.38 = 187 (the rule met);
    // SID part = 3.5 / 187 × 100 = 1.8716… → 1.87. No SPD levels yet (SPD 0 of 63):
    // index = (0 + 3.5) / (63 + 187) × 100 = 1.40, Kurang Inovatif.
    for client in [&curator, &owner, &admin] {
        let page = html(&app, client, "/iid/wilayah/35.15?tahun=2026").await;
        assert_eq!(text_of(&page, "#iid-n").unwrap(), "2");
        assert_eq!(text_of(&page, "#iid-sum").unwrap(), "35,00");
        assert_eq!(text_of(&page, "#iid-count-score").unwrap(), "0,00");
        assert_eq!(text_of(&page, "#iid-sid").unwrap(), "3,50");
        assert_eq!(text_of(&page, "#iid-max-sid").unwrap(), "187,00");
        assert_eq!(text_of(&page, "#iid-sid-index").unwrap(), "1,87");
        assert_eq!(text_of(&page, "#iid-spd").unwrap(), "0,00");
        assert_eq!(text_of(&page, "#iid-index").unwrap(), "1,40");
        assert_eq!(text_of(&page, "#iid-predikat").unwrap(), "Kurang Inovatif");
        assert_eq!(count_of(&page, "#iid-region tbody tr"), 2);
        assert_eq!(count_of(&page, "#iid-region tbody tr.incomplete"), 1);
        assert!(text_of(&page, "#iid-region tr.incomplete").unwrap().contains("Bidan Desa Siaga"));
    }

    // Thresholds at their edges (compared in hundredths): 1.40 is still Kurang Inovatif
    // when its lowest index is 1.40, not when it is 1.41; 1.40 as the lowest Inovatif is Inovatif.
    for (changes, expected) in [
        (vec![("kurang_inovatif", "1,40")], "Kurang Inovatif"),
        (vec![("kurang_inovatif", "1.41")], "Tidak Dapat Dinilai"),
        (vec![("kurang_inovatif", "0,01"), ("inovatif", "1,40")], "Inovatif"),
        (vec![("inovatif", "1,41")], "Kurang Inovatif"),
    ] {
        let res = rules_form(&app, &admin, &changes).await;
        assert_eq!(res.status(), 303, "{changes:?}");
        let page = html(&app, &curator, "/iid/wilayah/35.15?tahun=2026").await;
        assert_eq!(text_of(&page, "#iid-predikat").unwrap(), expected, "{changes:?}");
    }

    // The export: a summary sheet and one row per innovation × indicator.
    let res = curator.get(app.url("/iid/wilayah/35.15/ekspor.xlsx?tahun=2026")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let sheets = read_xlsx(&res.bytes().await.unwrap());
    let summary = &sheets["Ringkasan"];
    assert_eq!(beside(summary, "Jumlah inovasi"), Some(&Cell::Num(2.0)));
    assert_eq!(beside(summary, "Jumlah nilai inovasi"), Some(&Cell::Num(35.0)));
    let index = match beside(summary, "Indeks (bagian SID, 0-100)") {
        Some(Cell::Num(n)) => *n,
        other => panic!("{other:?}"),
    };
    assert!((index - 3.5 / 187.0 * 100.0).abs() < 1e-9, "{index}");
    let full = match beside(summary, "Indeks Inovasi Daerah (SPD + SID, 0-100)") {
        Some(Cell::Num(n)) => *n,
        other => panic!("{other:?}"),
    };
    assert!((full - 3.5 / 250.0 * 100.0).abs() < 1e-9, "{full}");
    assert_eq!(beside(summary, "Predikat"), Some(&Cell::Str("Kurang Inovatif".into())));
    let detail = &sheets["Rincian Indikator"];
    // Header + 2 innovations × 20 indicators.
    let rows: std::collections::BTreeSet<u32> = detail.keys().map(|r| r[1..].parse().unwrap()).collect();
    assert_eq!(rows.len(), 41);
    let row_of = |innovation: &str, number: f64| -> u32 {
        *rows
            .iter()
            .find(|r| {
                detail.get(&format!("A{r}")) == Some(&Cell::Str(innovation.into()))
                    && detail.get(&format!("C{r}")) == Some(&Cell::Num(number))
            })
            .unwrap_or_else(|| panic!("{innovation} {number}"))
    };
    let r = row_of("Antrean Daring", 35.0);
    assert_eq!(detail[&format!("D{r}")], Cell::Str("Video inovasi".into()));
    assert_eq!(detail[&format!("E{r}")], Cell::Num(4.0));
    assert_eq!(detail[&format!("F{r}")], Cell::Num(2.0));
    assert_eq!(detail[&format!("G{r}")], Cell::Num(8.0));
    let r = row_of("Antrean Daring", 16.0);
    assert_eq!(detail[&format!("G{r}")], Cell::Num(9.0));
    assert_eq!(detail[&format!("H{r}")], Cell::Str("https://jdih.sidoarjokab.go.id/perbup-41-2025".into()));
    let r = row_of("Bidan Desa Siaga", 33.0);
    assert_eq!(detail[&format!("F{r}")], Cell::Num(0.0));
});

/// A field's value on the rules form of 2026.
async fn rule_value(app: &TestApp, admin: &reqwest::Client, field: &str) -> String {
    let page = html(app, admin, "/admin/iid?tahun=2026").await;
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse(&format!("#iid-rules input[name={field}]")).unwrap();
    let value = doc
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned);
    value.unwrap_or_else(|| panic!("no field {field}"))
}

fn number(s: &str) -> f64 {
    s.replace(',', ".")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s}"))
}

/// As the pages show a figure: two decimals, a decimal comma.
fn shown(x: f64) -> String {
    format!("{:.2}", x).replace('.', ",")
}

fn xlsx_number(sheet: &Sheet, label: &str) -> f64 {
    match beside(sheet, label) {
        Some(Cell::Num(n)) => *n,
        other => panic!("{label}: {other:?}"),
    }
}

app_test!(async fn too_few_basic_service_urusan_zero_the_count_score_until_the_minimum_is_lowered(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let admin = app.signed_in("admin.prov").await;
    // Verified innovations of 35.15 covering 4 distinct basic-service urusan (kesehatan twice),
    // plus one of a non-basic urusan; a draft of perumahan and another region's trantibum
    // innovation do not count.
    let mut ids = Vec::new();
    for (name, urusan) in [
        ("Sekolah Ramah Anak", "pendidikan"),
        ("Antrean Daring", "kesehatan"),
        ("Bidan Desa Siaga", "kesehatan"),
        ("Jalan Mulus", "pupr"),
        ("Lansia Sejahtera", "sosial"),
        ("Desa Digital", "kominfo"),
    ] {
        let mut fields = crate::support::innovation_fields("35.15.DINKES", name);
        fields.iter_mut().find(|(k, _)| *k == "urusan").unwrap().1 = urusan;
        let id = app.create_innovation(&owner, &fields).await;
        app.publish_innovation(&owner, &curator, id).await;
        ids.push(id);
    }
    let mut draft = crate::support::innovation_fields("35.15.DINKES", "Rumah Layak");
    draft.iter_mut().find(|(k, _)| *k == "urusan").unwrap().1 = "perumahan";
    app.create_innovation(&owner, &draft).await;
    let surabaya = app.signed_in("inovasi.surabaya").await;
    let mut other = crate::support::innovation_fields("35.78.DINKES", "Kampung Aman");
    other.iter_mut().find(|(k, _)| *k == "urusan").unwrap().1 = "trantibum";
    let other_id = app.create_innovation(&surabaya, &other).await;
    app.publish_innovation(&surabaya, &curator, other_id).await;
    assess(&app, &owner, ids[1]).await;

    // The rules of the year, as the administrator's form has them.
    let min: i64 = rule_value(&app, &admin, "min_yandas").await.parse().unwrap();
    assert_eq!(min, 5, "the seeded (unconfirmed) minimum");
    let floor = number(&rule_value(&app, &admin, "divisor_floor").await);
    let points = number(&rule_value(&app, &admin, "points_per_innovation").await);
    let cap = number(&rule_value(&app, &admin, "cap").await);
    let (n, covered, sum) = (6.0_f64, 4_i64, 35.0);
    let average = sum / n.max(floor);
    let count_score = n.min(cap) * points;

    let page = html(&app, &curator, "/iid/wilayah/35.15?tahun=2026").await;
    let max = number(&text_of(&page, "#iid-max-spd").unwrap()) + number(&text_of(&page, "#iid-max-sid").unwrap());
    assert_eq!(text_of(&page, "#iid-n").unwrap(), "6");
    assert_eq!(text_of(&page, "#iid-yandas").unwrap(), format!("{covered} dari 6 (minimal {min})"));
    assert_eq!(text_of(&page, "#iid-count-score").unwrap(), "0,00");
    assert_eq!(text_of(&page, "#iid-sid").unwrap(), shown(average));
    let zeroed_index = average / max * 100.0;
    assert_eq!(text_of(&page, "#iid-index").unwrap(), shown(zeroed_index));
    let warning = text_of(&page, "#iid-yandas-warning").expect("a warning when zeroed");
    assert!(warning.contains("skor jumlah inovasi = 0"), "{warning}");
    for missing in ["Perumahan Rakyat dan Kawasan Permukiman", "Ketenteraman, Ketertiban Umum dan Pelindungan Masyarakat"] {
        assert!(warning.contains(missing), "{warning} lacks {missing}");
    }
    for present in ["Pendidikan", "Kesehatan", "Sosial", "Pekerjaan Umum", "Komunikasi"] {
        assert!(!warning.contains(present), "{warning} names {present}");
    }
    let res = curator.get(app.url("/iid/wilayah/35.15/ekspor.xlsx?tahun=2026")).send().await.unwrap();
    let sheets = read_xlsx(&res.bytes().await.unwrap());
    let summary = &sheets["Ringkasan"];
    assert_eq!(xlsx_number(summary, "Urusan pelayanan dasar tercakup"), covered as f64);
    assert_eq!(xlsx_number(summary, "Skor jumlah inovasi"), 0.0);
    assert!((xlsx_number(summary, "Nilai SID") - average).abs() < 1e-9);
    assert!((xlsx_number(summary, "Indeks Inovasi Daerah (SPD + SID, 0-100)") - zeroed_index).abs() < 1e-9);

    // The administrator lowers the minimum to the covered count (the boundary): the points
    // come back, the maximum does not move.
    let res = rules_form(&app, &admin, &[("min_yandas", &covered.to_string())]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("audit_log WHERE event = 'iid_rules.changed' AND details LIKE '%min_yandas: 5 -> 4%'").await, 1);
    let page = html(&app, &curator, "/iid/wilayah/35.15?tahun=2026").await;
    assert_eq!(text_of(&page, "#iid-yandas").unwrap(), format!("{covered} dari 6 (minimal {covered})"));
    assert!(text_of(&page, "#iid-yandas-warning").is_none());
    assert_eq!(text_of(&page, "#iid-count-score").unwrap(), shown(count_score));
    assert_eq!(text_of(&page, "#iid-sid").unwrap(), shown(average + count_score));
    let index = (average + count_score) / max * 100.0;
    assert!(index > zeroed_index);
    assert_eq!(text_of(&page, "#iid-index").unwrap(), shown(index));
    assert_eq!(number(&text_of(&page, "#iid-max-spd").unwrap()) + number(&text_of(&page, "#iid-max-sid").unwrap()), max);
    let res = curator.get(app.url("/iid/wilayah/35.15/ekspor.xlsx?tahun=2026")).send().await.unwrap();
    let sheets = read_xlsx(&res.bytes().await.unwrap());
    let summary = &sheets["Ringkasan"];
    assert!((xlsx_number(summary, "Skor jumlah inovasi") - count_score).abs() < 1e-9);
    assert!((xlsx_number(summary, "Indeks Inovasi Daerah (SPD + SID, 0-100)") - index).abs() < 1e-9);

    // One above the covered count zeroes it again; 0 turns the rule off.
    let res = rules_form(&app, &admin, &[("min_yandas", &(covered + 1).to_string())]).await;
    assert_eq!(res.status(), 303);
    let page = html(&app, &curator, "/iid/wilayah/35.15?tahun=2026").await;
    assert_eq!(text_of(&page, "#iid-count-score").unwrap(), "0,00");
    assert!(text_of(&page, "#iid-yandas-warning").is_some());
    let res = rules_form(&app, &admin, &[("min_yandas", "0")]).await;
    assert_eq!(res.status(), 303);
    let page = html(&app, &curator, "/iid/wilayah/35.15?tahun=2026").await;
    assert_eq!(text_of(&page, "#iid-yandas").unwrap(), format!("{covered} dari 6 (tanpa batas minimal)"));
    assert_eq!(text_of(&page, "#iid-count-score").unwrap(), shown(count_score));
    assert!(text_of(&page, "#iid-yandas-warning").is_none());

    // Copying the year copies the minimum.
    let res = rules_form(&app, &admin, &[("min_yandas", "6")]).await;
    assert_eq!(res.status(), 303);
    let res = app.post_form(&admin, "/admin/iid", "/admin/iid/salin", &[("from", "2026"), ("copy_to", "2027")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("iid_years WHERE year = 2027 AND min_yandas = 6").await, 1);
    let page = html(&app, &curator, "/iid/wilayah/35.15?tahun=2027").await;
    assert_eq!(text_of(&page, "#iid-yandas").unwrap(), format!("{covered} dari 6 (minimal 6)"));
});

app_test!(async fn a_bad_yandas_minimum_is_named_in_both_languages_and_stores_nothing(app) {
    setup(&app).await;
    let admin = app.signed_in("admin.prov").await;
    for bad in ["7", "-1", "abc", "2,5", ""] {
        for (lang, text) in [("id", "Minimal urusan pelayanan dasar"), ("en", "basic-service urusan")] {
            let res = rules_form_in(&app, &admin, &[("min_yandas", bad)], lang).await;
            assert_eq!(res.status(), 422, "{bad:?} {lang}");
            let body = res.text().await.unwrap();
            let message = text_of(&body, "#min_yandas-error").unwrap_or_else(|| panic!("no error for {bad:?}"));
            assert!(message.contains(text), "{lang}: {message:?} lacks {text:?}");
            assert!(body.contains(&format!("value=\"{bad}\"")), "the typed value {bad:?} is kept");
        }
    }
    assert_eq!(app.count("iid_years WHERE year = 2026 AND min_yandas = 5").await, 1);
    assert_eq!(app.count("audit_log WHERE event = 'iid_rules.changed'").await, 0);
    // Other changes in the same refused form are not stored either.
    let res = rules_form(&app, &admin, &[("min_yandas", "7"), ("cap", "150")]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.count("iid_years WHERE year = 2026 AND cap = 200").await, 1);
});

app_test!(async fn other_regions_and_other_roles_cannot_read_or_change_it(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let id = app.published_innovation( &owner, &curator, "35.15.DINKES", "Antrean Daring").await;
    let page = format!("/inovasi/kelola/{id}/iid?tahun=2026");
    let other = app.signed_in("inovasi.surabaya").await;
    assert_eq!(status(&app, &other, &page).await, 404);
    let res = app.post_form(&other, "/inovasi/kelola/baru", &format!("/inovasi/kelola/{id}/iid"), &[("tahun", "2026"), ("level_16", "3")]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.count("iid_assessments").await, 0);
    assert_eq!(status(&app, &other, "/iid/wilayah/35.15?tahun=2026").await, 404);
    assert_eq!(status(&app, &other, "/iid/wilayah/35.15/ekspor.xlsx?tahun=2026").await, 404);
    assert_eq!(status(&app, &other, "/iid/wilayah/35.78?tahun=2026").await, 200);
    assert_eq!(status(&app, &curator, "/iid/wilayah/99?tahun=2026").await, 404);
    assert_eq!(status(&app, &curator, "/iid/wilayah/35.15.DINKES?tahun=2026").await, 404);
    let asn = app.signed_in("asn").await;
    assert_eq!(status(&app, &asn, "/iid/wilayah/35.15?tahun=2026").await, 403);

    // Only the province administrator edits the rules.
    for who in ["inovasi.sidoarjo", "kurator", "admin.sidoarjo"] {
        let client = app.signed_in(who).await;
        assert_eq!(status(&app, &client, "/admin/iid?tahun=2026").await, 403, "{who}");
        let res = app.post_form(&client, "/akun", "/admin/iid", &[("tahun", "2026"), ("weight16", "9")]).await;
        assert_eq!(res.status(), 403, "{who}");
        let res = app.post_form(&client, "/akun", "/admin/iid/salin", &[("from", "2026"), ("copy_to", "2027")]).await;
        assert_eq!(res.status(), 403, "{who}");
    }
    assert_eq!(app.count("iid_indicators WHERE weight = 9").await, 0);
    assert_eq!(app.count("iid_years").await, 1);
    let admin = app.signed_in("admin.prov").await;
    assert_eq!(status(&app, &admin, "/admin/iid?tahun=2026").await, 200);
});

app_test!(async fn bad_input_is_named_per_field_and_stores_nothing(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let id = app.published_innovation( &owner, &curator, "35.15.DINKES", "Antrean Daring").await;
    let page = format!("/inovasi/kelola/{id}/iid?tahun=2026");
    let action = format!("/inovasi/kelola/{id}/iid");
    let long = "x".repeat(2001);
    for (fields, field) in [
        (vec![("tahun", "2026"), ("level_16", "4")], "level_16"),
        (vec![("tahun", "2026"), ("level_17", "dua")], "level_17"),
        (vec![("tahun", "2026"), ("level_99", "1")], "level_99"),
        (vec![("tahun", "2026"), ("level_16", "3"), ("evidence_16", long.as_str())], "evidence_16"),
    ] {
        let res = app.post_form(&owner, &page, &action, &fields).await;
        assert_eq!(res.status(), 422, "{field}");
        let body = res.text().await.unwrap();
        assert!(text_of(&body, &format!("#{field}-error")).is_some(), "{field}");
    }
    for year in ["abc", "2031", ""] {
        let res = app.post_form(&owner, &page, &action, &[("tahun", year), ("level_16", "3")]).await;
        assert_eq!(res.status(), 400, "{year}");
    }
    assert_eq!(app.count("iid_assessments").await, 0);
    assert_eq!(status(&app, &owner, &format!("/inovasi/kelola/{id}/iid?tahun=dua")).await, 400);
    assert_eq!(status(&app, &owner, &format!("/inovasi/kelola/{id}/iid?tahun=2031")).await, 400);
    assert_eq!(status(&app, &owner, &format!("/inovasi/kelola/{id}/iid")).await, 200);

    // The rules form: bad numbers, thresholds out of order, an empty level description.
    let admin = app.signed_in("admin.prov").await;
    for (changes, field) in [
        (vec![("weight16", "-1")], "weight16"),
        (vec![("weight17", "dua")], "weight17"),
        (vec![("inovatif", "70")], "inovatif"),
        (vec![("cap", "1,5")], "cap"),
        (vec![("level33_2", " ")], "level33_2"),
        (vec![("name20", "")], "name20"),
        (vec![("min_yandas", "7")], "min_yandas"),
    ] {
        let res = rules_form(&app, &admin, &changes).await;
        assert_eq!(res.status(), 422, "{field}");
        let body = res.text().await.unwrap();
        assert!(text_of(&body, &format!("#{field}-error")).is_some(), "{field}");
    }
    assert_eq!(app.count("iid_indicators WHERE year = 2026 AND number = 16 AND weight = 3").await, 1);
    assert_eq!(app.count("iid_years WHERE year = 2026 AND inovatif = 35").await, 1);
    assert_eq!(app.count("audit_log WHERE event = 'iid_rules.changed'").await, 0);

    // Copying a year: to a new year once; again, or to a bad year, is refused.
    let res = app.post_form(&admin, "/admin/iid", "/admin/iid/salin", &[("from", "2026"), ("copy_to", "2027")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("iid_indicators WHERE year = 2027 AND aspect = 'sid'").await, 20);
    assert_eq!(app.count("iid_indicators WHERE year = 2027 AND aspect = 'spd'").await, 15);
    for to in ["2027", "duaribu", "1999"] {
        let res = app.post_form(&admin, "/admin/iid", "/admin/iid/salin", &[("from", "2026"), ("copy_to", to)]).await;
        assert_eq!(res.status(), 422, "{to}");
        assert!(text_of(&res.text().await.unwrap(), "#copy_to-error").is_some(), "{to}");
    }
    assert_eq!(app.count("iid_years").await, 2);
    assert_eq!(app.count("audit_log WHERE event = 'iid_rules.copied'").await, 1);
    let copied = html(&app, &owner, &format!("/inovasi/kelola/{id}/iid?tahun=2027")).await;
    assert_eq!(count_of(&copied, "fieldset.iid-indicator"), 20);
});

// ---------------------------------------------------------------------------
// A small XLSX reader (shared strings, inline strings and numbers).
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Str(String),
    Num(f64),
}

pub(crate) type Sheet = HashMap<String, Cell>;

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

fn text_in(xml: &str) -> String {
    let t = xml.split_once("<t").map_or("", |(_, rest)| rest);
    let t = t.split_once('>').map_or("", |(_, rest)| rest);
    unescape(t.split_once("</t>").map_or("", |(text, _)| text))
}

pub(crate) fn read_xlsx(bytes: &[u8]) -> HashMap<String, Sheet> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut file = |name: &str| -> Option<String> {
        let mut f = zip.by_name(name).ok()?;
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        Some(s)
    };
    let workbook = file("xl/workbook.xml").expect("a workbook part");
    let shared: Vec<String> = file("xl/sharedStrings.xml")
        .map(|xml| xml.split("<si>").skip(1).map(text_in).collect())
        .unwrap_or_default();
    let mut sheets = HashMap::new();
    for (i, tag) in workbook.split("<sheet ").skip(1).enumerate() {
        let name = unescape(between(tag, "name=\"", "\"").unwrap());
        let xml = file(&format!("xl/worksheets/sheet{}.xml", i + 1)).expect("the sheet's part");
        let mut cells = Sheet::new();
        for c in xml.split("<c r=\"").skip(1) {
            let (reference, rest) = c.split_once('"').unwrap();
            let head = rest.split_once('>').unwrap().0;
            if head.ends_with('/') {
                continue;
            }
            let body = rest.split_once("</c>").map_or(rest, |(b, _)| b);
            let cell = if head.contains("t=\"inlineStr\"") {
                Cell::Str(text_in(body))
            } else if let Some(v) = between(body, "<v>", "</v>") {
                if head.contains("t=\"s\"") {
                    Cell::Str(shared[v.parse::<usize>().unwrap()].clone())
                } else {
                    Cell::Num(v.parse().unwrap())
                }
            } else {
                continue;
            };
            cells.insert(reference.to_owned(), cell);
        }
        sheets.insert(name, cells);
    }
    sheets
}

/// The value next to the label `label` in column A.
pub(crate) fn beside<'a>(sheet: &'a Sheet, label: &str) -> Option<&'a Cell> {
    let (reference, _) = sheet
        .iter()
        .find(|(r, c)| r.starts_with('A') && **c == Cell::Str(label.to_owned()))
        .unwrap_or_else(|| panic!("no label {label}"));
    sheet.get(&format!("B{}", &reference[1..]))
}
