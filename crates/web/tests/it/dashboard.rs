//! Dashboards and exports of the catalogue: counts of published
//! innovations only, per region on a tile map of all 38, per stage and
//! form, replication flows; the filtered list as CSV and XLSX.

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;

use crate::support::{TestApp, app_test, count_of, text_of};

async fn innovation(
    app: &TestApp,
    owner: &reqwest::Client,
    curator: Option<&reqwest::Client>,
    org: &str,
    name: &str,
    tahapan: &str,
) -> i64 {
    let dates: &[(&str, &str)] = match tahapan {
        "inisiatif" => &[("date_inisiatif", "2024-01-02")],
        "uji_coba" => &[
            ("date_inisiatif", "2024-01-02"),
            ("date_uji_coba", "2024-05-02"),
        ],
        _ => &[
            ("date_inisiatif", "2024-01-02"),
            ("date_uji_coba", "2024-05-02"),
            ("date_penerapan", "2025-01-02"),
        ],
    };
    let mut fields = vec![
        ("org", org),
        ("name", name),
        ("bentuk", "pelayanan_publik"),
        ("jenis", "digital"),
        ("inisiator", "asn"),
        ("urusan", "kesehatan"),
        ("tahapan", tahapan),
        ("problem", "Masalah layanan."),
        ("design", "Rancangan layanan."),
        ("beneficiaries", "1.500"),
    ];
    fields.extend_from_slice(dates);
    let id = app.create_innovation(owner, &fields).await;
    if let Some(curator) = curator {
        app.publish_innovation(owner, curator, id).await;
    }
    id
}

async fn world(app: &TestApp) {
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
    let sid = app.signed_in("inovasi.sidoarjo").await;
    let sby = app.signed_in("inovasi.surabaya").await;
    let cur = app.signed_in("kurator").await;
    innovation(
        app,
        &sid,
        Some(&cur),
        "35.15.DINKES",
        "Antrean Daring",
        "penerapan",
    )
    .await;
    innovation(
        app,
        &sid,
        Some(&cur),
        "35.15.DINKES",
        "Apotek Keliling",
        "uji_coba",
    )
    .await;
    innovation(
        app,
        &sby,
        Some(&cur),
        "35.78.DINKES",
        "Kader Ibu Hamil, Surabaya",
        "penerapan",
    )
    .await;
    innovation(app, &sby, None, "35.78.DINKES", "Draf Rahasia", "inisiatif").await;
}

app_test!(async fn the_dashboard_counts_published_innovations_per_region_stage_and_form(app) {
    world(&app).await;
    let html = app.client().get(app.url("/dasbor")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#total").unwrap(), "3");
    assert_eq!(count_of(&html, "svg.tilemap g.tile"), 38, "every regency and city on the map");
    let tile = |code: &str| {
        scraper::Html::parse_document(&html)
            .select(&scraper::Selector::parse(&format!(r#"svg.tilemap a[href="/dasbor?wilayah={code}"] text.tc"#)).unwrap())
            .next()
            .map(|e| e.text().collect::<String>())
            .unwrap()
    };
    assert_eq!((tile("35.15"), tile("35.78"), tile("35.01")), ("2".into(), "1".into(), "0".into()));
    assert!(!html.contains("Draf Rahasia"));
    // None has a monitoring report yet, so every published one is at risk.
    assert_eq!(text_of(&html, "#at-risk-count").unwrap(), "3");
    // One region.
    let html = app.client().get(app.url("/dasbor?wilayah=35.15")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#total").unwrap(), "2");
    assert_eq!(count_of(&html, "svg.tilemap g.selected"), 1);
    assert_eq!(app.client().get(app.url("/dasbor?wilayah=99.99")).send().await.unwrap().status(), 400);
    let html = app.client().get(app.url("/dasbor")).header("accept-language", "en").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Innovation dashboard"));
});

app_test!(async fn the_filtered_catalogue_exports_as_csv_and_xlsx(app) {
    world(&app).await;
    let res = app.client().get(app.url("/katalog/ekspor.csv?wilayah=35.15&urut=nama")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("katalog-inovasi.csv"));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 3, "{body}");
    assert!(lines[0].starts_with("id,nama,bentuk"));
    assert!(lines[1].contains(",Antrean Daring,pelayanan_publik,digital,penerapan,Kesehatan,"), "{}", lines[1]);
    let all = app.client().get(app.url("/katalog/ekspor.csv")).send().await.unwrap().text().await.unwrap();
    assert_eq!(all.lines().count(), 4, "published only");
    assert!(all.contains("\"Kader Ibu Hamil, Surabaya\""), "a comma is quoted");
    assert!(!all.contains("Draf Rahasia"));
    let res = app.client().get(app.url("/katalog/ekspor.xlsx?tahapan=penerapan")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut sheet).unwrap();
    assert_eq!(sheet.matches("<row ").count(), 3);
    assert!(sheet.contains("<v>1500</v>"), "beneficiaries are numbers");
    assert_eq!(app.client().get(app.url("/katalog/ekspor.csv?sdg=tiga")).send().await.unwrap().status(), 400);
});
