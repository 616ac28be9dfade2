//! Bulk import through the upload page: a per-row report in the user's
//! language; a file with errors imports nothing unless only the valid rows
//! are asked for; importing the same file again creates nothing; another
//! region's org code is refused.

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;

use crate::support::{TestApp, app_test, count_of, text_of};

const GOOD: &str = "kode_organisasi,nama,bentuk,jenis,inisiator,urusan,tahapan,tgl_inisiatif,tgl_uji_coba,permasalahan,rancang_bangun,penerima_manfaat,sdg\n\
35.15.DINKES,Antrean Daring,Pelayanan publik,Digital,Perangkat daerah,Kesehatan,Uji coba,10/01/2024,01/06/2024,Antrean panjang,Nomor lewat WhatsApp,1.200,3; 10\n\
35.15.DINKES,Apotek Keliling,pelayanan_publik,non_digital,asn,kesehatan,inisiatif,2024-02-01,,Obat terlambat,Mobil apotek,,3\n";

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
    only_valid: bool,
) -> reqwest::Response {
    let token = app.csrf_token(client, "/inovasi/kelola/impor").await;
    let mut form = reqwest::multipart::Form::new().part(
        "berkas",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    if only_valid {
        form = form.text("hanya_valid", "ya");
    }
    client
        .post(app.url(&format!("/inovasi/kelola/impor?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn setup(app: &TestApp) -> reqwest::Client {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.org("35.78", "DINKES", OrgKind::Opd).await;
    app.account(
        "inovasi.sidoarjo",
        Some("35.15.DINKES"),
        &[(Role::InnovationAdmin, "35.15")],
    )
    .await;
    app.signed_in("inovasi.sidoarjo").await
}

app_test!(async fn a_clean_file_becomes_drafts_once(app) {
    let client = setup(&app).await;
    let res = upload(&app, &client, "inovasi.csv", GOOD.as_bytes().to_vec(), false).await;
    let status = res.status();
    let html = res.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    assert!(text_of(&html, "#imported").unwrap().contains('2'));
    assert_eq!(count_of(&html, "#import-report tr.imported"), 2);
    assert_eq!(app.count("innovations").await, 2);
    let mut db = app.conn();
    let (status, urusan, date): (String, String, Option<String>) = rumah_store::Exec::fetch_one(&mut db, rumah_store::q!("SELECT status, urusan_code, date_uji_coba FROM innovations WHERE name = 'Antrean Daring'")).await.unwrap();
    assert_eq!((status.as_str(), urusan.as_str(), date.as_deref()), ("draft", "kesehatan", Some("2024-06-01")));
    // The same file again: every row exists already.
    let res = upload(&app, &client, "inovasi.csv", GOOD.as_bytes().to_vec(), false).await;
    assert_eq!(res.status(), 200);
    assert_eq!(count_of(&res.text().await.unwrap(), "#import-report tr.exists"), 2);
    assert_eq!(app.count("innovations").await, 2);
    // The template reads back through the same path.
    let template = client.get(app.url("/inovasi/kelola/impor/templat.csv")).send().await.unwrap().text().await.unwrap();
    assert!(template.starts_with("kode_organisasi,nama,"));
});

app_test!(async fn a_file_with_errors_imports_nothing_unless_asked_for_the_valid_rows(app) {
    let client = setup(&app).await;
    let bad = format!("{GOOD}35.78.DINKES,Salah Wilayah,pelayanan_publik,digital,asn,kesehatan,inisiatif,2024-01-01,,,,,\n35.15.DINKES,X,bentuk_aneh,digital,asn,urusan_aneh,penerapan,2024-01-01,,,,-4,99\n");
    let res = upload(&app, &client, "inovasi.csv", bad.clone().into_bytes(), false).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#refused").is_some());
    assert_eq!(count_of(&html, "#import-report tr.invalid"), 2);
    let report = text_of(&html, "#import-report").unwrap();
    for field in ["kode_organisasi", "bentuk", "urusan", "name", "beneficiaries", "sdgs", "date_uji_coba"] {
        assert!(report.contains(field), "the report names {field}: {report}");
    }
    assert_eq!(app.count("innovations").await, 0, "nothing from a file with errors");
    let res = upload(&app, &client, "inovasi.csv", bad.into_bytes(), true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(count_of(&res.text().await.unwrap(), "#import-report tr.imported"), 2);
    assert_eq!(app.count("innovations").await, 2);
});

app_test!(async fn unreadable_files_are_refused_with_a_reason(app) {
    let client = setup(&app).await;
    for (bytes, needle) in [
        (b"nama,bentuk\nA,b\n".to_vec(), "kode_organisasi"),
        (vec![0xff, 0xd8, 0xff, 0x00, 0x10], "CSV"),
        (b"kode_organisasi,nama,bentuk,jenis,inisiator,urusan,tahapan\n".to_vec(), "baris"),
    ] {
        let res = upload(&app, &client, "x.csv", bytes, false).await;
        assert_eq!(res.status(), 422);
        assert!(text_of(&res.text().await.unwrap(), "#import-error").unwrap().contains(needle), "{needle}");
    }
    let res = upload(&app, &client, "besar.csv", vec![b'a'; 9 * 1024 * 1024], false).await;
    assert_eq!(res.status(), 413);
    // Without the token the upload is refused (a fresh connection: the one
    // above may have been closed after the 413).
    let form = reqwest::multipart::Form::new().part("berkas", reqwest::multipart::Part::bytes(GOOD.as_bytes().to_vec()).file_name("a.csv"));
    let res = app.client().post(app.url("/inovasi/kelola/impor")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("innovations").await, 0);
});
