//! IID, SPD aspect (indicators 1–15, region level): the region's officers
//! fill in levels and evidence; the region page and its XLSX show SPD, SID,
//! the full index and its predikat; curators and province administrators
//! read every region, officers only their own; bad input is named per field
//! and stores nothing; a year without SPD indicators keeps the SID part.

use rumah_domain::authz::Role;

use crate::iid::{Cell, assess, beside, html, read_xlsx, rules_form, setup, status};
use crate::support::{TestApp, app_test, count_of, text_of};

const SPD_PAGE: &str = "/iid/wilayah/35.15/spd?tahun=2026";
const SPD_ACTION: &str = "/iid/wilayah/35.15/spd";
const REGION_PAGE: &str = "/iid/wilayah/35.15?tahun=2026";

/// Levels 1→3, 2→2, 8→3, 12→1. With the 2026 weights (1, 2, 1.5, 2):
/// SPD = 1×3 + 2×2 + 1.5×3 + 2×1 = 3 + 4 + 4.5 + 2 = 13.5.
const SPD_LEVELS: [(&str, &str); 6] = [
    ("tahun", "2026"),
    ("level_1", "3"),
    ("level_2", "2"),
    ("level_8", "3"),
    ("level_12", "1"),
    ("evidence_8", "LHP BPK atas LKPD 2025: WTP"),
];

async fn fill_spd(app: &TestApp, client: &reqwest::Client, fields: &[(&str, &str)]) {
    let res = app.post_form(client, SPD_PAGE, SPD_ACTION, fields).await;
    assert_eq!(res.status(), 303);
}

app_test!(async fn an_officer_fills_the_spd_and_the_region_page_and_export_show_the_full_index(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let admin = app.signed_in("admin.prov").await;
    let a = app.published_innovation(&owner, &curator, "35.15.DINKES", "Antrean Daring").await;
    let _b = app.published_innovation(&owner, &curator, "35.15.DINKES", "Bidan Desa Siaga").await;
    assess(&app, &owner, a).await;

    let before = html(&app, &owner, SPD_PAGE).await;
    assert_eq!(count_of(&before, "fieldset.iid-indicator"), 15);
    assert_eq!(text_of(&before, "#iid-spd").unwrap(), "0,00");
    assert_eq!(text_of(&before, "#iid-max-spd").unwrap(), "63,00");
    assert!(text_of(&before, "#indicator-8").unwrap().contains("3 = Wajar tanpa pengecualian (WTP)"));
    assert!(text_of(&before, "#iid-spd-incomplete").unwrap().contains("1, 3, 4, 5, 6, 7, 8, 9, 10, 11"));
    assert!(text_of(&before, "#iid-spd-readonly").is_none());

    fill_spd(&app, &owner, &SPD_LEVELS).await;
    let after = html(&app, &owner, &format!("{SPD_PAGE}&ok=1")).await;
    assert_eq!(text_of(&after, "#iid-spd").unwrap(), "13,50");
    assert_eq!(count_of(&after, "input[name=level_8][value=\"3\"][checked]"), 1);
    assert!(after.contains("LHP BPK atas LKPD 2025: WTP"));
    assert_eq!(app.count("iid_region_assessments WHERE region_code = '35.15' AND updated_by = 'inovasi.sidoarjo'").await, 15);
    // The SPD answers are the region's: an innovation's total does not move.
    let inn = html(&app, &owner, &format!("/inovasi/kelola/{a}/iid?tahun=2026")).await;
    assert_eq!(text_of(&inn, "#iid-total").unwrap(), "35,00");

    // Worked example: SPD 13.5 of 63; both innovations are of urusan kesehatan, 1 of the 6
    // basic-service urusan (< the seeded minimum 5), so the skor jumlah inovasi is 0:
    // SID = 35 / 10 + 0 = 3.5 of 187; index = (13.5 + 3.5) / (63 + 187) × 100 = 6.80.
    for client in [&curator, &owner, &admin] {
        let page = html(&app, client, REGION_PAGE).await;
        assert_eq!(text_of(&page, "#iid-spd").unwrap(), "13,50");
        assert_eq!(text_of(&page, "#iid-max-spd").unwrap(), "63,00");
        assert_eq!(text_of(&page, "#iid-sid").unwrap(), "3,50");
        assert_eq!(text_of(&page, "#iid-max-sid").unwrap(), "187,00");
        assert_eq!(text_of(&page, "#iid-sid-index").unwrap(), "1,87");
        assert_eq!(text_of(&page, "#iid-index").unwrap(), "6,80");
        assert_eq!(text_of(&page, "#iid-predikat").unwrap(), "Kurang Inovatif");
        assert!(text_of(&page, "#iid-spd-incomplete").unwrap().contains("3, 4, 5, 6, 7, 9, 10, 11"));
        assert!(text_of(&page, "#iid-sid-only").is_none());
    }
    // Another region's SPD is its own.
    let surabaya = app.signed_in("inovasi.surabaya").await;
    let page = html(&app, &surabaya, "/iid/wilayah/35.78?tahun=2026").await;
    assert_eq!(text_of(&page, "#iid-spd").unwrap(), "0,00");

    // Every SPD indicator at 3: SPD 63, index (63 + 3.5) / 250 × 100 = 26.60.
    let mut all: Vec<(String, String)> = vec![("tahun".into(), "2026".into())];
    all.extend((1..=15).map(|n| (format!("level_{n}"), "3".to_owned())));
    let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fill_spd(&app, &owner, &all).await;
    let page = html(&app, &curator, REGION_PAGE).await;
    assert_eq!(text_of(&page, "#iid-spd").unwrap(), "63,00");
    assert_eq!(text_of(&page, "#iid-index").unwrap(), "26,60");
    assert!(text_of(&page, "#iid-spd-complete").is_some());
    // The predikat is that of the full index: 26.60 is Inovatif when it is the lowest Inovatif.
    let res = rules_form(&app, &admin, &[("inovatif", "26,60")]).await;
    assert_eq!(res.status(), 303);
    let page = html(&app, &curator, REGION_PAGE).await;
    assert_eq!(text_of(&page, "#iid-predikat").unwrap(), "Inovatif");
    // An SPD weight changed by the administrator: indicator 1 from 1 to 2 adds 3 to SPD and
    // to the maximum: (66 + 3.5) / (66 + 187) × 100 = 27.470… → 27.47.
    let res = rules_form(&app, &admin, &[("weight1", "2")]).await;
    assert_eq!(res.status(), 303);
    let page = html(&app, &curator, REGION_PAGE).await;
    assert_eq!(text_of(&page, "#iid-spd").unwrap(), "66,00");
    assert_eq!(text_of(&page, "#iid-max-spd").unwrap(), "66,00");
    assert_eq!(text_of(&page, "#iid-index").unwrap(), "27,47");
    let res = rules_form(&app, &admin, &[("weight1", "1"), ("level8_3", "")]).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#level8_3-error").is_some());
    assert_eq!(app.count("iid_indicators WHERE year = 2026 AND number = 1 AND weight = 2").await, 1);

    // The export: the summary carries SPD and the full index, one sheet lists the SPD indicators.
    let res = curator.get(app.url("/iid/wilayah/35.15/ekspor.xlsx?tahun=2026")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let sheets = read_xlsx(&res.bytes().await.unwrap());
    let summary = &sheets["Ringkasan"];
    assert_eq!(beside(summary, "Nilai SPD"), Some(&Cell::Num(66.0)));
    assert_eq!(beside(summary, "Nilai SPD maksimum"), Some(&Cell::Num(66.0)));
    let full = match beside(summary, "Indeks Inovasi Daerah (SPD + SID, 0-100)") {
        Some(Cell::Num(n)) => *n,
        other => panic!("{other:?}"),
    };
    assert!((full - 69.5 / 253.0 * 100.0).abs() < 1e-9, "{full}");
    assert_eq!(beside(summary, "Predikat"), Some(&Cell::Str("Inovatif".into())));
    assert_eq!(beside(summary, "Dasar indeks"), Some(&Cell::Str("SPD + SID".into())));
    let spd = &sheets["Indikator SPD"];
    let rows: std::collections::BTreeSet<u32> = spd.keys().map(|r| r[1..].parse().unwrap()).collect();
    assert_eq!(rows.len(), 16);
    let r = rows.iter().find(|r| spd.get(&format!("A{r}")) == Some(&Cell::Num(8.0))).unwrap();
    assert_eq!(spd[&format!("B{r}")], Cell::Str("Institusi".into()));
    assert_eq!(spd[&format!("C{r}")], Cell::Str("Opini BPK".into()));
    assert_eq!(spd[&format!("D{r}")], Cell::Num(1.5));
    assert_eq!(spd[&format!("F{r}")], Cell::Num(3.0));
    assert_eq!(spd[&format!("G{r}")], Cell::Num(4.5));
    // The second save had no evidence field for 8: it is cleared, as on the SID form.
    assert!(spd.get(&format!("H{r}")).is_none_or(|c| *c == Cell::Str(String::new())));
});

app_test!(async fn spd_pages_are_for_the_region_officers_and_read_only_for_the_province(app) {
    setup(&app).await;
    app.account("inovasi.dinkes", Some("35.15.DINKES"), &[(Role::InnovationAdmin, "35.15.DINKES")])
        .await;
    // Another region's officer: 404 to read or to save.
    let other = app.signed_in("inovasi.surabaya").await;
    assert_eq!(status(&app, &other, SPD_PAGE).await, 404);
    let res = app.post_form(&other, "/iid/wilayah/35.78/spd?tahun=2026", SPD_ACTION, &SPD_LEVELS).await;
    assert_eq!(res.status(), 404);
    assert_eq!(status(&app, &other, "/iid/wilayah/35.78/spd?tahun=2026").await, 200);
    // An officer of one agency does not manage the region's root: 404 as on the region page.
    let dinkes = app.signed_in("inovasi.dinkes").await;
    assert_eq!(status(&app, &dinkes, SPD_PAGE).await, 404);
    assert_eq!(status(&app, &dinkes, REGION_PAGE).await, 404);
    // No innovation role: 403.
    let asn = app.signed_in("asn").await;
    assert_eq!(status(&app, &asn, SPD_PAGE).await, 403);
    let res = app.post_form(&asn, "/akun", SPD_ACTION, &SPD_LEVELS).await;
    assert_eq!(res.status(), 403);
    // The province curator reads every region, without a form to save; a save is refused.
    let curator = app.signed_in("kurator").await;
    let page = html(&app, &curator, SPD_PAGE).await;
    assert!(text_of(&page, "#iid-spd-readonly").is_some());
    assert_eq!(count_of(&page, "fieldset.iid-indicator[disabled]"), 15);
    assert_eq!(count_of(&page, "#iid-spd-form button[type=submit]"), 0);
    let res = app.post_form(&curator, SPD_PAGE, SPD_ACTION, &SPD_LEVELS).await;
    assert_eq!(res.status(), 403);
    assert_eq!(status(&app, &curator, "/iid/wilayah/35.78/spd?tahun=2026").await, 200);
    assert_eq!(status(&app, &curator, "/iid/wilayah/99/spd?tahun=2026").await, 404);
    assert_eq!(status(&app, &curator, "/iid/wilayah/35.15.DINKES/spd?tahun=2026").await, 404);
    assert_eq!(app.count("iid_region_assessments").await, 0);
    // The province administrator reads every region and, managing innovations
    // province-wide, may also save.
    let admin = app.signed_in("admin.prov").await;
    let page = html(&app, &admin, "/iid/wilayah/35.78/spd?tahun=2026").await;
    assert!(text_of(&page, "#iid-spd-readonly").is_none());
    let res = app
        .post_form(&admin, "/iid/wilayah/35.78/spd?tahun=2026", "/iid/wilayah/35.78/spd", &[("tahun", "2026"), ("level_1", "1")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("iid_region_assessments WHERE region_code = '35.78' AND updated_by = 'admin.prov'").await, 15);
    // The region's own officers save: the innovation officer and the region's administrator.
    let owner = app.signed_in("inovasi.sidoarjo").await;
    fill_spd(&app, &owner, &SPD_LEVELS).await;
    let region_admin = app.signed_in("admin.sidoarjo").await;
    fill_spd(&app, &region_admin, &[("tahun", "2026"), ("level_9", "2")]).await;
    assert_eq!(app.count("iid_region_assessments WHERE region_code = '35.15' AND updated_by = 'admin.sidoarjo'").await, 15);
    assert_eq!(app.count("iid_region_assessments WHERE region_code = '35.15' AND level > 0").await, 1);
});

app_test!(async fn bad_spd_input_is_named_per_field_and_stores_nothing(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let long = "x".repeat(2001);
    for (fields, field) in [
        (vec![("tahun", "2026"), ("level_1", "4")], "level_1"),
        (vec![("tahun", "2026"), ("level_2", "dua")], "level_2"),
        (vec![("tahun", "2026"), ("level_2", "-1")], "level_2"),
        // A SID indicator is not an SPD indicator.
        (vec![("tahun", "2026"), ("level_16", "3")], "level_16"),
        (vec![("tahun", "2026"), ("level_99", "1")], "level_99"),
        (vec![("tahun", "2026"), ("level_8", "3"), ("evidence_8", long.as_str())], "evidence_8"),
    ] {
        let res = app.post_form(&owner, SPD_PAGE, SPD_ACTION, &fields).await;
        assert_eq!(res.status(), 422, "{field}");
        let body = res.text().await.unwrap();
        assert!(text_of(&body, &format!("#{field}-error")).is_some(), "{field}");
    }
    for (year, message) in [
        ("abc", "Tahun penilaian tidak valid."),
        ("", "Tahun penilaian tidak valid."),
        ("1999", "Tahun penilaian tidak valid."),
        ("2031", "Belum ada aturan IID untuk tahun ini."),
    ] {
        let res = app.post_form(&owner, SPD_PAGE, SPD_ACTION, &[("tahun", year), ("level_1", "3")]).await;
        assert_eq!(res.status(), 400, "{year}");
        assert!(res.text().await.unwrap().contains(message), "{year}");
    }
    let res = app.post_form(&owner, SPD_PAGE, SPD_ACTION, &[("level_1", "3")]).await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.count("iid_region_assessments").await, 0);
    assert_eq!(status(&app, &owner, "/iid/wilayah/35.15/spd?tahun=dua").await, 400);
    assert_eq!(status(&app, &owner, "/iid/wilayah/35.15/spd?tahun=2031").await, 400);
    assert_eq!(status(&app, &owner, "/iid/wilayah/35.15/spd").await, 200);
});

app_test!(async fn a_year_without_spd_indicators_keeps_the_sid_part_and_says_so(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let _a = app.published_innovation(&owner, &curator, "35.15.DINKES", "Antrean Daring").await;
    // A year whose migration brought only SID indicators.
    let mut db = app.conn();
    rumah_store::Exec::execute(&mut db, rumah_store::q!(
        "INSERT INTO iid_years (year, divisor_floor, points_per_innovation, cap, sangat_inovatif, inovatif, kurang_inovatif, updated_at, updated_by)
         SELECT 2028, divisor_floor, points_per_innovation, cap, sangat_inovatif, inovatif, kurang_inovatif, 0, 'uji' FROM iid_years WHERE year = 2026"
    )).await.unwrap();
    rumah_store::Exec::execute(&mut db, rumah_store::q!(
        "INSERT INTO iid_indicators (year, number, aspect, variable, name, weight, mandatory, level1, level2, level3)
         SELECT 2028, number, aspect, variable, name, weight, mandatory, level1, level2, level3
         FROM iid_indicators WHERE year = 2026 AND aspect = 'sid'"
    )).await.unwrap();

    // One innovation without levels. The year's row names no yandas minimum, so it is 0
    // (no rule) and the skor jumlah inovasi counts: SID = 0.38, index = 0.38 / 187 × 100
    // = 0.2032… → 0.20.
    let page = html(&app, &curator, "/iid/wilayah/35.15?tahun=2028").await;
    assert!(text_of(&page, "#iid-sid-only").is_some());
    assert!(text_of(&page, "#iid-spd").is_none());
    assert_eq!(text_of(&page, "#iid-sid-index").unwrap(), "0,20");
    assert_eq!(text_of(&page, "#iid-index").unwrap(), "0,20");
    assert_eq!(text_of(&page, "#iid-yandas").unwrap(), "1 dari 6 (tanpa batas minimal)");
    assert!(text_of(&page, "#iid-yandas-warning").is_none());
    let spd = html(&app, &owner, "/iid/wilayah/35.15/spd?tahun=2028").await;
    assert!(text_of(&spd, "#iid-no-spd").is_some());
    let res = app
        .post_form(&owner, "/iid/wilayah/35.15/spd?tahun=2028", SPD_ACTION, &[("tahun", "2028"), ("level_1", "3")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#level_1-error").is_some());
    assert_eq!(app.count("iid_region_assessments").await, 0);
    let res = curator.get(app.url("/iid/wilayah/35.15/ekspor.xlsx?tahun=2028")).send().await.unwrap();
    let sheets = read_xlsx(&res.bytes().await.unwrap());
    assert_eq!(
        beside(&sheets["Ringkasan"], "Dasar indeks"),
        Some(&Cell::Str("Hanya SID (tahun ini tanpa indikator SPD)".into()))
    );
    // The administrator's page has no SPD section for that year.
    let admin = app.signed_in("admin.prov").await;
    let rules = html(&app, &admin, "/admin/iid?tahun=2028").await;
    assert_eq!(count_of(&rules, "#rule-1"), 0);
    assert_eq!(count_of(&rules, "#rule-16"), 1);
    let rules = html(&app, &admin, "/admin/iid?tahun=2026").await;
    assert_eq!(count_of(&rules, "#rule-1"), 1);
    assert!(text_of(&rules, "#rule-1").unwrap().contains("Institusi"));
});
