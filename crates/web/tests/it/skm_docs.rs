//! SKM documents: the public A4 poster with its QR code, and the "Laporan
//! SKM" as XLSX and PDF for those who manage the unit — same figures as the
//! results page, the unit's own analysis, empty periods, authorisation.

use std::collections::HashMap;
use std::io::Read;

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;
use rumah_store::surveys::units::{Service, Unit};

use crate::skm::{answers, submit, unit};
use crate::support::{TestApp, app_test, text_of};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

struct World {
    sukodono: Unit,
    sukodono_services: Vec<Service>,
    klampis: Unit,
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
    let (klampis, _) = unit(
        app,
        "35.78.DISPENDUKCAPIL",
        "sentra-klampis",
        &["KTP elektronik"],
    )
    .await;
    app.account(
        "skm.sukodono",
        Some("35.15.DINKES.PKM-SUKODONO"),
        &[(Role::SurveyAdmin, "35.15.DINKES.PKM-SUKODONO")],
    )
    .await;
    World {
        sukodono,
        sukodono_services,
        klampis,
    }
}

/// The three respondents of the results test: IKM 75.17 with weight 0.11.
async fn three_respondents(app: &TestApp, w: &World) {
    let client = app.client();
    for (service, scores) in [
        (w.sukodono_services[0].id, [4, 4, 4, 4, 4, 4, 4, 4, 4]),
        (w.sukodono_services[0].id, [3, 3, 3, 4, 3, 3, 3, 2, 3]),
        (w.sukodono_services[1].id, [2, 2, 2, 4, 2, 2, 2, 1, 2]),
    ] {
        let res = submit(app, &client, "pkm-sukodono", &answers(service, scores)).await;
        assert_eq!(res.status(), 200);
    }
}

fn year() -> i32 {
    rumah_web::routes::surveys::view::now_wib().0
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

// ---------------------------------------------------------------------------
// A small XLSX reader: enough of SpreadsheetML to read back our own cells.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Str(String),
    Num(f64),
}

type Sheet = HashMap<String, Cell>;

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

/// Every sheet of a workbook by name.
fn read_xlsx(bytes: &[u8]) -> HashMap<String, Sheet> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut file = |name: &str| -> Option<String> {
        let mut f = zip.by_name(name).ok()?;
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        Some(s)
    };
    let workbook = file("xl/workbook.xml").expect("a workbook part");
    let shared: Vec<String> = file("xl/sharedStrings.xml")
        .map(|xml| {
            xml.split("<si>")
                .skip(1)
                .map(|si| {
                    let t = si.split_once("<t").map_or("", |(_, rest)| rest);
                    let t = t.split_once('>').map_or("", |(_, rest)| rest);
                    unescape(t.split_once("</t>").map_or("", |(text, _)| text))
                })
                .collect()
        })
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
            let Some(v) = between(rest, "<v>", "</v>") else {
                continue;
            };
            let cell = if head.contains("t=\"s\"") {
                Cell::Str(shared[v.parse::<usize>().unwrap()].clone())
            } else {
                Cell::Num(v.parse().unwrap())
            };
            cells.insert(reference.to_owned(), cell);
        }
        sheets.insert(name, cells);
    }
    sheets
}

/// The value next to the label `label` in column A.
fn beside<'a>(sheet: &'a Sheet, label: &str) -> Option<&'a Cell> {
    let (reference, _) = sheet
        .iter()
        .find(|(r, c)| r.starts_with('A') && **c == Cell::Str(label.to_owned()))
        .unwrap_or_else(|| panic!("no label {label}"));
    sheet.get(&format!("B{}", &reference[1..]))
}

fn num(cell: Option<&Cell>) -> f64 {
    match cell {
        Some(Cell::Num(n)) => *n,
        other => panic!("not a number: {other:?}"),
    }
}

fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------------------

app_test!(async fn the_poster_is_a_public_pdf_with_the_absolute_form_link(app) {
    let w = world(&app).await;
    let res = get(&app.client(), &app, "/skm/pkm-sukodono/poster.pdf").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("poster-skm-pkm-sukodono.pdf"));
    let text = pdf_text(&res.bytes().await.unwrap());
    assert!(text.contains("/Type /Page"));
    assert!(text.trim_end().ends_with("%%EOF"));
    assert!(text.contains(&format!("({}/skm/pkm-sukodono)", app.base)), "the absolute form URL");
    assert!(text.contains("(Survei Kepuasan Masyarakat)"));
    assert!(text.contains(&format!("({})", w.sukodono.name)));
    assert!(text.contains("/BaseFont /Helvetica"));
    // Many filled squares: the QR code's modules.
    assert!(text.matches(" re\n").count() > 200);
    // In English on request; an unknown unit is not found.
    let res = app.client().get(app.url("/skm/pkm-sukodono/poster.pdf")).header("accept-language", "en").send().await.unwrap();
    assert!(pdf_text(&res.bytes().await.unwrap()).contains("(Citizen Satisfaction Survey)"));
    assert_eq!(get(&app.client(), &app, "/skm/tidak-ada/poster.pdf").await.status(), 404);
    // The results page links to it.
    let html = get(&app.client(), &app, "/skm/pkm-sukodono/hasil").await.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let href = doc.select(&scraper::Selector::parse("#poster-link").unwrap()).next().unwrap().value().attr("href").unwrap().to_owned();
    assert_eq!(href, "/skm/pkm-sukodono/poster.pdf");
});

app_test!(async fn the_xlsx_report_matches_the_results_page_and_carries_the_units_texts(app) {
    let w = world(&app).await;
    three_respondents(&app, &w).await;
    let year = year();
    let admin = app.signed_in("skm.sukodono").await;
    let page = format!("/skm/kelola/{}", w.sukodono.id);
    let analysis = "Antrean & waktu tunggu di loket pendaftaran perlu dipercepat.";
    let follow_up = "Menambah satu petugas loket pada jam sibuk.";
    let res = app.post_form(&admin, &page, &format!("{page}/laporan"), &[("analysis", analysis), ("follow_up", follow_up)]).await;
    assert_eq!(res.status(), 303);
    // The unit page links both reports of this year and the poster.
    let html = get(&admin, &app, &page).await.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let href = |id: &str| doc.select(&scraper::Selector::parse(id).unwrap()).next().unwrap().value().attr("href").unwrap().to_owned();
    assert_eq!(href("#report-xlsx"), format!("{page}/laporan.xlsx?periode={year}"));
    assert_eq!(href("#report-pdf"), format!("{page}/laporan.pdf?periode={year}"));
    assert_eq!(href("#poster-link"), "/skm/pkm-sukodono/poster.pdf");

    let results = get(&app.client(), &app, &format!("/skm/pkm-sukodono/hasil?periode={year}")).await.text().await.unwrap();
    let shown_ikm: f64 = text_of(&results, "#ikm-value").unwrap().replace(',', ".").parse().unwrap();
    assert!((shown_ikm - 75.17).abs() < 1e-9);
    assert!(results.contains("3 responden"));

    let res = get(&admin, &app, &format!("{page}/laporan.xlsx?periode={year}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], XLSX);
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"laporan-skm-pkm-sukodono-{year}.xlsx\"").as_str()
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let book = read_xlsx(&bytes);
    for name in ["Ringkasan", "Per Unsur", "Per Layanan", "Tren", "Analisis dan RTL"] {
        assert!(book.contains_key(name), "sheet {name}");
    }
    let summary = &book["Ringkasan"];
    assert!((num(beside(summary, "IKM")) - shown_ikm).abs() < 1e-9, "numbers are numbers");
    assert!((num(beside(summary, "Jumlah responden")) - 3.0).abs() < f64::EPSILON);
    assert_eq!(beside(summary, "Mutu pelayanan"), Some(&Cell::Str("C".into())));
    assert_eq!(beside(summary, "Unit layanan"), Some(&Cell::Str(w.sukodono.name.clone())));
    assert!((num(beside(summary, "Bobot tiap unsur")) - 0.11).abs() < 1e-12);
    match beside(summary, "Konvensi pembulatan") {
        Some(Cell::Str(s)) => assert!(s.contains("0,11"), "{s}"),
        other => panic!("{other:?}"),
    }

    let elements = &book["Per Unsur"];
    for i in 2..=10 {
        assert!(matches!(elements.get(&format!("A{i}")), Some(Cell::Str(c)) if *c == format!("U{}", i - 1)));
    }
    // U1: 4 + 3 + 2 = 9, NRR 3, converted 75; U8: 4 + 2 + 1 = 7.
    assert_eq!(elements.get("C2"), Some(&Cell::Num(9.0)));
    assert!((num(elements.get("D2")) - 3.0).abs() < 1e-12);
    assert!((num(elements.get("F2")) - 75.0).abs() < 1e-12);
    assert_eq!(elements.get("C9"), Some(&Cell::Num(7.0)));
    assert!((num(elements.get("D9")) - 7.0 / 3.0).abs() < 1e-12);
    assert!((num(elements.get("E9")) - 7.0 / 3.0 * 0.11).abs() < 1e-12);
    assert!((num(elements.get("F13")) - 75.17).abs() < 1e-9, "the IKM under the table");

    let services = &book["Per Layanan"];
    assert_eq!(services.get("A2"), Some(&Cell::Str("Imunisasi".into())));
    assert_eq!(services.get("B2"), Some(&Cell::Num(1.0)));
    assert!((num(services.get("C2")) - 52.25).abs() < 1e-9);
    assert_eq!(services.get("B3"), Some(&Cell::Num(2.0)));

    let trend = &book["Tren"];
    assert!(trend.contains_key("A13") && !trend.contains_key("A14"), "twelve months");
    let monthly: f64 = (2..=13).filter_map(|r| trend.get(&format!("B{r}"))).map(|c| num(Some(c))).sum();
    assert!((monthly - 3.0).abs() < f64::EPSILON);

    let texts = &book["Analisis dan RTL"];
    assert_eq!(texts.get("A2"), Some(&Cell::Str(analysis.into())));
    assert_eq!(texts.get("A5"), Some(&Cell::Str(follow_up.into())));
});

app_test!(async fn the_pdf_report_has_the_usual_sections_and_the_index(app) {
    let w = world(&app).await;
    three_respondents(&app, &w).await;
    let year = year();
    let admin = app.signed_in("skm.sukodono").await;
    let page = format!("/skm/kelola/{}", w.sukodono.id);
    let res = get(&admin, &app, &format!("{page}/laporan.pdf?periode={year}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"laporan-skm-pkm-sukodono-{year}.pdf\"").as_str()
    );
    let text = pdf_text(&res.bytes().await.unwrap());
    assert!(text.contains("/Type /Page") && text.trim_end().ends_with("%%EOF"));
    for needle in [
        "(LAPORAN SURVEI KEPUASAN MASYARAKAT)",
        "(1. Pendahuluan)",
        "(2. Metode)",
        "(3. Hasil per Unsur)",
        "(4. Indeks Kepuasan Masyarakat)",
        "(5. Analisis)",
        "(6. Rencana Tindak Lanjut)",
        "(75,17)",
        "(Kurang Baik)",
        "(Belum diisi oleh unit.)",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    // No analysis written: the weakest element is named.
    assert!(text.contains("U8 Penanganan Pengaduan"), "the generated analysis");
    // The unit's own texts replace the defaults.
    let res = app.post_form(&admin, &page, &format!("{page}/laporan"), &[("analysis", "Loket dua perlu kursi tunggu."), ("follow_up", "Pengadaan kursi pada bulan depan.")]).await;
    assert_eq!(res.status(), 303);
    let text = pdf_text(&get(&admin, &app, &format!("{page}/laporan.pdf?periode={year}")).await.bytes().await.unwrap());
    assert!(text.contains("(Loket dua perlu kursi tunggu.)"));
    assert!(text.contains("(Pengadaan kursi pada bulan depan.)"));
    assert!(!text.contains("(Belum diisi oleh unit.)"));
});

app_test!(async fn a_period_without_responses_still_gives_both_reports(app) {
    let w = world(&app).await;
    three_respondents(&app, &w).await;
    let admin = app.signed_in("skm.sukodono").await;
    let page = format!("/skm/kelola/{}", w.sukodono.id);
    let last_year = year() - 1;
    let res = get(&admin, &app, &format!("{page}/laporan.pdf?periode={last_year}")).await;
    assert_eq!(res.status(), 200);
    let text = pdf_text(&res.bytes().await.unwrap());
    assert!(text.contains("(Belum ada responden pada periode ini.)"));
    let res = get(&admin, &app, &format!("{page}/laporan.xlsx?periode={last_year}-Q2")).await;
    assert_eq!(res.status(), 200);
    let book = read_xlsx(&res.bytes().await.unwrap());
    let summary = &book["Ringkasan"];
    assert_eq!(beside(summary, "IKM"), None, "an empty cell, not a zero");
    assert!(num(beside(summary, "Jumlah responden")).abs() < f64::EPSILON);
    assert_eq!(book["Per Unsur"].get("D2"), None);
    let trend = &book["Tren"];
    assert!(trend.contains_key("A4") && !trend.contains_key("A5"), "the three months of the quarter");
});

app_test!(async fn reports_are_only_for_those_who_manage_the_unit(app) {
    let w = world(&app).await;
    app.account("skm.surabaya", Some("35.78.DISPENDUKCAPIL"), &[(Role::SurveyAdmin, "35.78")]).await;
    app.account("asn", Some("35.15.DINKES"), &[]).await;
    let mine = format!("/skm/kelola/{}", w.sukodono.id);
    let theirs = format!("/skm/kelola/{}", w.klampis.id);
    let surabaya = app.signed_in("skm.surabaya").await;
    for ext in ["xlsx", "pdf"] {
        // Another region's unit looks exactly like a missing one.
        assert_eq!(get(&surabaya, &app, &format!("{mine}/laporan.{ext}")).await.status(), 404, "{ext}");
        assert_eq!(get(&surabaya, &app, &format!("/skm/kelola/999999/laporan.{ext}")).await.status(), 404);
        assert_eq!(get(&surabaya, &app, &format!("{theirs}/laporan.{ext}")).await.status(), 200);
    }
    let asn = app.signed_in("asn").await;
    for ext in ["xlsx", "pdf"] {
        assert_eq!(get(&asn, &app, &format!("{mine}/laporan.{ext}")).await.status(), 403);
        let res = get(&app.client(), &app, &format!("{mine}/laporan.{ext}")).await;
        assert_eq!(res.status(), 303);
        assert!(res.headers()["location"].to_str().unwrap().starts_with("/masuk"));
    }
});

app_test!(async fn a_malformed_period_is_a_bad_request(app) {
    let w = world(&app).await;
    let admin = app.signed_in("skm.sukodono").await;
    for ext in ["xlsx", "pdf"] {
        let res = get(&admin, &app, &format!("/skm/kelola/{}/laporan.{ext}?periode=2026-Q5", w.sukodono.id)).await;
        assert_eq!(res.status(), 400, "{ext}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }
});
