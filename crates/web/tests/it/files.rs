//! Evidence files and photos of innovations: uploads are checked by their
//! content (not their name) and their size, stored once per content, and
//! served only to those allowed to see them; a refused upload stores
//! nothing, neither a row nor a blob.

use std::path::{Path, PathBuf};

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;
use scraper::{Html, Selector};

use crate::support::{TestApp, count_of, innovation_fields, text_of};

/// Like `app_test!`, with the blob store in a temporary directory the test
/// can look into, and a small upload limit (64 KiB).
macro_rules! files_test {
    (async fn $name:ident($app:ident, $blobs:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::support::TestApp, $blobs: &std::path::Path) $body

            async fn spawn(backend: rumah_store::Backend) -> Option<($crate::support::TestApp, tempfile::TempDir)> {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("blobs");
                let app = $crate::support::TestApp::spawn_with(backend, |c| {
                    c.blob_dir = rumah_web::config::BlobDir::At(path);
                    c.upload_max_bytes = super::MAX;
                })
                .await?;
                Some((app, dir))
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (app, dir) = spawn(rumah_store::Backend::Sqlite).await.expect("SQLite is always available");
                run(app, &dir.path().join("blobs")).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some((app, dir)) = spawn(rumah_store::Backend::Postgres).await else {
                    eprintln!("SKIPPED on PostgreSQL: set {} to run", rumah_store::testkit::PG_URL_ENV);
                    return;
                };
                run(app, &dir.path().join("blobs")).await;
            }
        }
    };
}

const MAX: usize = 64 * 1024;

/// A small but complete PDF (one empty A4 page).
fn pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", n + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A 1×1 transparent PNG.
const PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// A minimal Word document: a ZIP whose first entry is `word/document.xml`
/// (how infer recognises DOCX).
fn docx() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("word/document.xml", opts).unwrap();
    w.write_all(br#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>"#).unwrap();
    w.start_file("[Content_Types].xml", opts).unwrap();
    w.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#).unwrap();
    w.finish().unwrap().into_inner()
}

/// Files under the blob directory (temporary files included).
fn blob_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        for e in rd.flatten() {
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

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
}

/// A multipart body: text fields, then the file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----rumah-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The upload form's action on the files page of `id` (it carries the CSRF
/// token), or `None` when the page is not there for this client.
async fn upload_action(app: &TestApp, client: &reqwest::Client, id: i64) -> Option<String> {
    let res = client
        .get(app.url(&format!("/inovasi/kelola/{id}/berkas")))
        .send()
        .await
        .unwrap();
    if res.status() != 200 {
        return None;
    }
    let html = res.text().await.unwrap();
    let doc = Html::parse_document(&html);
    let sel = Selector::parse("#upload-form").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|f| f.value().attr("action"))
        .map(str::to_owned)
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let action = upload_action(app, client, id)
        .await
        .expect("the files page");
    let (ct, body) = multipart(fields, file);
    client
        .post(app.url(&action))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The id of the newest file of `id`, from its files page.
/// A draft of the Sidoarjo health office.
async fn draft(app: &TestApp, owner: &reqwest::Client) -> i64 {
    app.create_innovation(owner, &innovation_fields("35.15.DINKES", "Antrean Daring"))
        .await
}

async fn newest_file(app: &TestApp, client: &reqwest::Client, id: i64) -> i64 {
    let html = client
        .get(app.url(&format!("/inovasi/kelola/{id}/berkas")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = Html::parse_document(&html);
    let sel = Selector::parse("#files tbody tr").unwrap();
    doc.select(&sel)
        .next()
        .unwrap()
        .value()
        .attr("data-file")
        .unwrap()
        .parse()
        .unwrap()
}

files_test!(async fn a_pdf_and_a_png_are_stored_once_per_content_served_and_deleted(app, blobs) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let id = draft(&app, &owner).await;
    let pdf = pdf();

    let res = upload(&app, &owner, id, &[("kind", "regulasi"), ("title", "Perbup 41/2025")], Some(("perbup.pdf", &pdf))).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/inovasi/kelola/{id}/berkas?ok=1"));
    let pdf_id = newest_file(&app, &owner, id).await;
    let res = upload(&app, &owner, id, &[("kind", "foto"), ("title", ""), ("public", "ya")], Some(("loket antrean.png", &PNG))).await;
    assert_eq!(res.status(), 303);
    let png_id = newest_file(&app, &owner, id).await;
    assert_eq!(app.count("innovation_files").await, 2);
    assert_eq!(blob_files(blobs).len(), 2);

    let html = owner.get(app.url(&format!("/inovasi/kelola/{id}/berkas"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "#files tbody tr"), 2);
    assert!(html.contains("Perbup 41/2025"));
    // No title: the sanitised file name, with the extension of the detected type.
    assert!(html.contains("loket antrean.png"));

    let res = owner.get(app.url(&format!("/inovasi/berkas/{pdf_id}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().starts_with("sandbox;"), "served files are sandboxed");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("inline; filename=\"perbup.pdf\""));
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());
    let res = owner.get(app.url(&format!("/inovasi/berkas/{png_id}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG.as_slice());

    // An Office document is accepted by its content and always downloaded.
    let res = upload(&app, &owner, id, &[("kind", "sop"), ("title", "SOP loket")], Some(("sop loket.docx", &docx()))).await;
    assert_eq!(res.status(), 303);
    let docx_id = newest_file(&app, &owner, id).await;
    let res = owner.get(app.url(&format!("/inovasi/berkas/{docx_id}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"sop loket.docx\""));
    let page = format!("/inovasi/kelola/{id}/berkas");
    let res = app.post_form(&owner, &page, &format!("{page}/{docx_id}/hapus"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(blob_files(blobs).len(), 2);

    // The same content again: a second row, one blob.
    let res = upload(&app, &owner, id, &[("kind", "laporan"), ("title", "Salinan")], Some(("salinan.pdf", &pdf))).await;
    assert_eq!(res.status(), 303);
    let copy_id = newest_file(&app, &owner, id).await;
    assert_eq!(app.count("innovation_files").await, 3);
    assert_eq!(blob_files(blobs).len(), 2);

    // Deleting one of two rows of a content keeps the blob for the other;
    // deleting the last removes it.
    let res = app.post_form(&owner, &page, &format!("{page}/{copy_id}/hapus"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("innovation_files").await, 2);
    assert_eq!(blob_files(blobs).len(), 2);
    assert_eq!(owner.get(app.url(&format!("/inovasi/berkas/{pdf_id}"))).send().await.unwrap().status(), 200);
    let res = app.post_form(&owner, &page, &format!("{page}/{pdf_id}/hapus"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("innovation_files").await, 1);
    assert_eq!(blob_files(blobs).len(), 1);
    assert_eq!(owner.get(app.url(&format!("/inovasi/berkas/{pdf_id}"))).send().await.unwrap().status(), 404);
    // Deleting again: not found.
    let res = app.post_form(&owner, &page, &format!("{page}/{pdf_id}/hapus"), &[]).await;
    assert_eq!(res.status(), 404);
});

files_test!(async fn a_file_that_is_not_what_its_name_says_or_too_large_is_refused_and_nothing_is_stored(app, blobs) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let id = draft(&app, &owner).await;

    // HTML with a script, named .pdf: refused, naming the detected type.
    let html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
    let res = upload(&app, &owner, id, &[("kind", "regulasi"), ("title", "Perbup")], Some(("perbup.pdf", html))).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    let msg = text_of(&page, "#file-error").unwrap();
    assert!(msg.contains("text/html"), "{msg}");
    assert!(msg.contains("PDF"), "{msg}");
    // The form keeps what was typed.
    assert!(page.contains("value=\"Perbup\""));

    // Unknown content (plain text): refused as of unknown type.
    let res = upload(&app, &owner, id, &[("kind", "sop")], Some(("sop.docx", b"just some words"))).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#file-error").unwrap().contains("tidak dikenal"));

    // A PDF as a photo: refused.
    let res = upload(&app, &owner, id, &[("kind", "foto")], Some(("foto.pdf", &pdf()))).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#file-error").is_some());

    // No file, or an unknown kind.
    let res = upload(&app, &owner, id, &[("kind", "regulasi")], None).await;
    assert_eq!(res.status(), 422);
    let res = upload(&app, &owner, id, &[("kind", "rahasia")], Some(("a.png", &PNG))).await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "#kind-error").is_some());

    // One byte over the limit: 413 with the page, nothing stored.
    let mut big = PNG.to_vec();
    big.resize(MAX + 1, 0);
    let res = upload(&app, &owner, id, &[("kind", "foto")], Some(("besar.png", &big))).await;
    assert_eq!(res.status(), 413);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("64 KiB"));

    // Far over the limit (past the route's body limit too): the same.
    let huge = vec![0x89; 4 * MAX];
    let res = upload(&app, &owner, id, &[("kind", "foto")], Some(("besar.png", &huge))).await;
    assert_eq!(res.status(), 413);

    assert_eq!(app.count("innovation_files").await, 0);
    assert!(blob_files(blobs).is_empty(), "{:?}", blob_files(blobs));

    // Exactly at the limit is accepted.
    big.truncate(MAX);
    let res = upload(&app, &owner, id, &[("kind", "foto")], Some(("pas.png", &big))).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("innovation_files").await, 1);
    assert_eq!(blob_files(blobs).len(), 1);
});

files_test!(async fn files_are_served_only_to_those_allowed_to_see_them(app, _blobs) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let other = app.signed_in("inovasi.surabaya").await;
    let curator = app.signed_in("kurator").await;
    let public = app.client();
    let id = draft(&app, &owner).await;

    let res = upload(&app, &owner, id, &[("kind", "laporan"), ("title", "Laporan internal")], Some(("laporan.pdf", &pdf()))).await;
    assert_eq!(res.status(), 303);
    let private_id = newest_file(&app, &owner, id).await;
    let res = upload(&app, &owner, id, &[("kind", "foto"), ("title", "Loket"), ("public", "ya")], Some(("loket.png", &PNG))).await;
    assert_eq!(res.status(), 303);
    let photo_id = newest_file(&app, &owner, id).await;
    let get = |c: &reqwest::Client, f: i64| {
        let req = c.get(app.url(&format!("/inovasi/berkas/{f}")));
        async move { req.send().await.unwrap().status().as_u16() }
    };

    // Before publication: a public photo is not public yet.
    assert_eq!(get(&public, photo_id).await, 404);
    assert_eq!(get(&public, private_id).await, 404);
    assert_eq!(get(&other, photo_id).await, 404);
    assert_eq!(get(&owner, photo_id).await, 200);
    assert_eq!(get(&curator, private_id).await, 200);

    app.publish_innovation( &owner, &curator, id).await;
    assert_eq!(get(&public, photo_id).await, 200);
    assert_eq!(get(&other, photo_id).await, 200);
    assert_eq!(get(&public, private_id).await, 404);
    assert_eq!(get(&other, private_id).await, 404);
    assert_eq!(get(&owner, private_id).await, 200);
    assert_eq!(get(&curator, private_id).await, 200);
    assert_eq!(get(&public, 999_999).await, 404);

    // The public list for the detail page has the photo only.
    let state_files = {
        let mut db = app.conn();
        rumah_store::innovations::files::public_of(&mut db, id).await.unwrap()
    };
    assert_eq!(state_files.iter().map(|f| f.id).collect::<Vec<_>>(), vec![photo_id]);

    // A public file is revalidated by its content hash.
    let res = public.get(app.url(&format!("/inovasi/berkas/{photo_id}"))).send().await.unwrap();
    let etag = res.headers()["etag"].clone();
    assert_eq!(res.headers()["cache-control"], "public, no-cache");
    let res = public
        .get(app.url(&format!("/inovasi/berkas/{photo_id}")))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = owner.get(app.url(&format!("/inovasi/berkas/{private_id}"))).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "private, no-store");
});

files_test!(async fn another_regions_officer_cannot_list_upload_delete_or_read(app, blobs) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let other = app.signed_in("inovasi.surabaya").await;
    let id = draft(&app, &owner).await;
    let res = upload(&app, &owner, id, &[("kind", "sop"), ("title", "SOP")], Some(("sop.pdf", &pdf()))).await;
    assert_eq!(res.status(), 303);
    let file_id = newest_file(&app, &owner, id).await;

    // The page is not there for them.
    let res = other.get(app.url(&format!("/inovasi/kelola/{id}/berkas"))).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Uploading with their own valid token (from their own pages): 404, nothing stored.
    let token = app.csrf_token(&other, "/inovasi/kelola").await;
    let (ct, body) = multipart(&[("kind", "foto")], Some(("x.png", &PNG)));
    let res = other
        .post(app.url(&format!("/inovasi/kelola/{id}/berkas?csrf_token={token}")))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(app.count("innovation_files").await, 1);
    assert_eq!(blob_files(blobs).len(), 1);
    // Deleting: 404, the file stays.
    let res = app
        .post_form(&other, "/inovasi/kelola", &format!("/inovasi/kelola/{id}/berkas/{file_id}/hapus"), &[])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.count("innovation_files").await, 1);
    // Reading: 404.
    let res = other.get(app.url(&format!("/inovasi/berkas/{file_id}"))).send().await.unwrap();
    assert_eq!(res.status(), 404);

    // An upload without the CSRF token is refused before anything is read.
    let (ct, body) = multipart(&[("kind", "foto")], Some(("x.png", &PNG)));
    let res = owner
        .post(app.url(&format!("/inovasi/kelola/{id}/berkas")))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("innovation_files").await, 1);
});

/// The same upload, download and deletion with the blobs in an S3 bucket
/// (moto's server speaking the S3 API on 127.0.0.1), on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_in_an_s3_bucket_are_stored_served_and_deleted() {
    use rumah_store::blobs::BlobStore as _;
    let Some(server) = rumah_store::testkit::S3Server::start().await else {
        return;
    };
    let bucket = server.store();
    for backend in [rumah_store::Backend::Sqlite, rumah_store::Backend::Postgres] {
        let store = bucket.clone();
        let Some(app) = TestApp::spawn_with(backend, |c| {
            c.blob_s3 = Some(store);
            c.upload_max_bytes = MAX;
        })
        .await
        else {
            continue;
        };
        setup(&app).await;
        let owner = app.signed_in("inovasi.sidoarjo").await;
        let id = draft(&app, &owner).await;
        let before = bucket.list().await.unwrap().len();
        let pdf = pdf();
        let res = upload(
            &app,
            &owner,
            id,
            &[("kind", "regulasi"), ("title", "Perbup")],
            Some(("perbup.pdf", &pdf)),
        )
        .await;
        assert_eq!(res.status(), 303);
        let file_id = newest_file(&app, &owner, id).await;
        assert_eq!(
            bucket.list().await.unwrap().len(),
            before + 1,
            "the blob is in the bucket"
        );
        let res = owner
            .get(app.url(&format!("/inovasi/berkas/{file_id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());
        // A refused file leaves nothing in the bucket.
        let res = upload(
            &app,
            &owner,
            id,
            &[("kind", "foto")],
            Some(("palsu.png", b"MZ\x90\x00 not an image")),
        )
        .await;
        assert_eq!(res.status(), 422);
        assert_eq!(bucket.list().await.unwrap().len(), before + 1);
        let page = format!("/inovasi/kelola/{id}/berkas");
        let res = app
            .post_form(&owner, &page, &format!("{page}/{file_id}/hapus"), &[])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            bucket.list().await.unwrap().len(),
            before,
            "the last reference took its blob along"
        );
        assert_eq!(
            owner
                .get(app.url(&format!("/inovasi/berkas/{file_id}")))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
    }
}
