//! Importing ASN accounts from a personnel list: the NIP is the key (a
//! second import changes nothing, a changed row updates its account), rows
//! with errors are reported with their reasons and stop the import unless
//! only the valid rows are asked for, CSV and XLSX alike, and a region's
//! administrator imports into its own units only. Imported accounts have
//! no password.

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;

use crate::support::{TestApp, app_test, count_of, text_of};

const A: &str = "199001012015011001";
const B: &str = "198501012010012002";

async fn setup(app: &TestApp) -> reqwest::Client {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.org("35.78", "DINKES", OrgKind::Opd).await;
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")])
        .await;
    app.account(
        "admin.sidoarjo",
        Some("35.15.DINKES"),
        &[(Role::Administrator, "35.15")],
    )
    .await;
    app.signed_in("admin.prov").await
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
    flags: &[&'static str],
) -> (u16, String) {
    let token = app.csrf_token(client, "/admin/akun/impor").await;
    let mut form = reqwest::multipart::Form::new().part(
        "berkas",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    for f in flags {
        form = form.text(*f, "ya");
    }
    let res = client
        .post(app.url(&format!("/admin/akun/impor?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn csv(rows: &[[&str; 5]]) -> Vec<u8> {
    let mut out = String::from("NIP;Nama;Email;Unit;Jabatan\n");
    for r in rows {
        out.push_str(&r.join(";"));
        out.push('\n');
    }
    out.into_bytes()
}

async fn account_of(
    app: &TestApp,
    nip: &str,
) -> Option<(String, Option<String>, String, Option<String>, bool)> {
    rumah_store::Exec::fetch_optional(
        &mut app.conn(),
        rumah_store::Query::assembled(
            "SELECT a.display_name, a.email, o.code, a.position, (a.password_hash IS NULL)
             FROM accounts a JOIN org_nodes o ON o.id = a.org_id WHERE a.nip = $1"
                .to_owned(),
        )
        .bind(nip.to_owned()),
    )
    .await
    .unwrap()
}

app_test!(async fn import_creates_then_changes_nothing_then_updates(app) {
    let admin = setup(&app).await;
    let before = app.count("accounts").await;
    let file = csv(&[
        [A, "Siti Aminah", "siti@jatimprov.go.id", "35.15.DINKES", "Analis"],
        [B, "Budi Santoso", "", "35.78.DINKES", ""],
    ]);
    let (status, html) = upload(&app, &admin, "pegawai.csv", file.clone(), &[]).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(count_of(&html, "#import-report tr.created"), 2);
    assert!(text_of(&html, "#import-summary").unwrap().contains("2 dibuat"));
    assert_eq!(app.count("accounts").await, before + 2);
    let siti = account_of(&app, A).await.unwrap();
    assert_eq!(siti, ("Siti Aminah".into(), Some("siti@jatimprov.go.id".into()), "35.15.DINKES".into(), Some("Analis".into()), true));

    // No password signs an imported account in, not even an empty one.
    for (login, password) in [(A, ""), (A, "x"), ("asn.199001012015011001", "rahasia-panjang-sekali")] {
        let res = app.login(&app.client(), login, password).await;
        assert_ne!(res.status(), 303, "{login} signed in with {password:?}");
    }

    // The same file again: nothing changes, and the page says so.
    let (status, html) = upload(&app, &admin, "pegawai.csv", file, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(count_of(&html, "#import-report tr.unchanged"), 2);
    assert!(text_of(&html, "#import-summary").unwrap().contains("0 dibuat, 0 diperbarui, 2 tidak berubah"));
    assert_eq!(app.count("accounts").await, before + 2);

    // A changed row updates its account, found by NIP.
    let file = csv(&[
        [A, "Siti Aminah", "siti@jatimprov.go.id", "35.15.DINKES", "Analis"],
        [B, "Budi Santoso, S.Kom.", "budi@jatimprov.go.id", "35.15.DINKES", "Pranata Komputer"],
    ]);
    let (status, html) = upload(&app, &admin, "pegawai.csv", file, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(count_of(&html, "#import-report tr.unchanged"), 1);
    assert_eq!(count_of(&html, "#import-report tr.updated"), 1);
    assert_eq!(app.count("accounts").await, before + 2);
    let budi = account_of(&app, B).await.unwrap();
    assert_eq!(budi, ("Budi Santoso, S.Kom.".into(), Some("budi@jatimprov.go.id".into()), "35.15.DINKES".into(), Some("Pranata Komputer".into()), true));
    let (n,): (i64,) = rumah_store::Exec::fetch_one(
        &mut app.conn(),
        rumah_store::Query::assembled("SELECT COUNT(*) FROM audit_log WHERE event = 'accounts.imported'".to_owned()),
    )
    .await
    .unwrap();
    assert_eq!(n, 3);
});

app_test!(async fn error_rows_stop_the_import_unless_only_valid_rows_are_asked_for(app) {
    let admin = setup(&app).await;
    // An account that already holds an e-mail.
    app.account("lain", Some("35.15.DINKES"), &[]).await;
    rumah_store::Exec::execute(
        &mut app.conn(),
        rumah_store::Query::assembled("UPDATE accounts SET email = 'dipakai@jatimprov.go.id' WHERE username = 'lain'".to_owned()),
    )
    .await
    .unwrap();
    let before = app.count("accounts").await;
    let file = csv(&[
        [A, "Siti", "siti@jatimprov.go.id", "35.15.DINKES", ""],
        ["19900101201501100", "Pendek", "", "35.15.DINKES", ""],
        [B, "Surel", "bukan-surel", "35.15.DINKES", ""],
        ["198611262015052001", "Unit", "", "35.99.TIDAKADA", ""],
        [A, "Ganda", "", "35.15.DINKES", ""],
        ["198609262015052001", "Dipakai", "dipakai@jatimprov.go.id", "35.15.DINKES", ""],
    ]);
    let (status, html) = upload(&app, &admin, "pegawai.csv", file.clone(), &[]).await;
    assert_eq!(status, 422);
    assert_eq!(count_of(&html, "#import-report tr.invalid"), 5);
    assert_eq!(count_of(&html, "#import-report tr.created"), 1);
    let report = text_of(&html, "#import-report").unwrap();
    for reason in ["18 angka", "Alamat email tidak valid", "Kode unit tidak dikenal", "baris 2", "sudah terdaftar pada akun lain"] {
        assert!(report.to_lowercase().contains(&reason.to_lowercase()), "{reason} missing from {report}");
    }
    assert!(text_of(&html, "#import-summary").unwrap().contains("Tidak ada yang diimpor"));
    assert_eq!(app.count("accounts").await, before);

    // A dry run with only-valid writes nothing either.
    let (status, html) = upload(&app, &admin, "pegawai.csv", file.clone(), &["hanya_valid", "uji"]).await;
    assert_eq!(status, 200);
    assert!(text_of(&html, "#import-summary").unwrap().contains("tidak ada yang disimpan"));
    assert_eq!(app.count("accounts").await, before);

    let (status, html) = upload(&app, &admin, "pegawai.csv", file, &["hanya_valid"]).await;
    assert_eq!(status, 200);
    assert_eq!(count_of(&html, "#import-report tr.created"), 1);
    assert_eq!(count_of(&html, "#import-report tr.invalid"), 5);
    assert_eq!(app.count("accounts").await, before + 1);
    assert!(account_of(&app, A).await.is_some());
    assert!(account_of(&app, B).await.is_none());

    // A file without the required columns is refused as a whole.
    let (status, html) = upload(&app, &admin, "x.csv", b"NIP,Email\n1,2\n".to_vec(), &[]).await;
    assert_eq!(status, 422);
    assert!(text_of(&html, "#import-error").unwrap().contains("nama"));
});

app_test!(async fn xlsx_reads_like_csv(app) {
    let admin = setup(&app).await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [["NIP", "Nama", "Email", "Unit", "Jabatan"], [A, "Siti", "siti@jatimprov.go.id", "35.15.DINKES", "Analis"]].iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let (status, html) = upload(&app, &admin, "pegawai.xlsx", bytes.clone(), &[]).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(count_of(&html, "#import-report tr.created"), 1);
    let (_, html) = upload(&app, &admin, "pegawai.xlsx", bytes, &[]).await;
    assert_eq!(count_of(&html, "#import-report tr.unchanged"), 1);
    assert_eq!(account_of(&app, A).await.unwrap().2, "35.15.DINKES");
});

app_test!(async fn a_region_admin_imports_into_its_own_units_only(app) {
    let prov = setup(&app).await;
    // Budi is already in Surabaya.
    upload(&app, &prov, "a.csv", csv(&[[B, "Budi", "", "35.78.DINKES", ""]]), &[]).await;
    let region = app.signed_in("admin.sidoarjo").await;
    let before = app.count("accounts").await;
    let file = csv(&[
        [A, "Siti", "", "35.78.DINKES", ""],
        [B, "Budi", "", "35.15.DINKES", ""],
    ]);
    let (status, html) = upload(&app, &region, "a.csv", file, &[]).await;
    assert_eq!(status, 422);
    assert_eq!(count_of(&html, "#import-report tr.invalid"), 2);
    let report = text_of(&html, "#import-report").unwrap();
    assert!(report.contains("di luar wilayah Anda"), "{report}");
    assert_eq!(app.count("accounts").await, before);
    assert_eq!(account_of(&app, B).await.unwrap().2, "35.78.DINKES");
    // Its own unit is fine.
    let (status, html) = upload(&app, &region, "a.csv", csv(&[[A, "Siti", "", "35.15.DINKES", ""]]), &[]).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(account_of(&app, A).await.unwrap().2, "35.15.DINKES");
    // Without the CSRF token nothing happens; without the permission, 403.
    let form = reqwest::multipart::Form::new().part("berkas", reqwest::multipart::Part::bytes(csv(&[[A, "X", "", "35.15.DINKES", ""]])).file_name("a.csv"));
    let res = region.post(app.url("/admin/akun/impor")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 403);
    app.account("staf", Some("35.15.DINKES"), &[]).await;
    let staff = app.signed_in("staf").await;
    assert_eq!(staff.get(app.url("/admin/akun/impor")).send().await.unwrap().status(), 403);
});
