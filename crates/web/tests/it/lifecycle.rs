//! What keeps an innovation alive: institutionalisation and monitoring feed
//! a sustainability assessment shown on the innovation and in the at-risk
//! list; replication links show as lineage on both sides and in the
//! per-region counts and suggestions. Bad input is named per field and
//! changes nothing; another region's officer cannot touch any of it.

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

app_test!(async fn institutionalising_and_monitoring_take_an_innovation_off_the_at_risk_list(app) {
    setup(&app).await;
    let owner = app.signed_in("inovasi.sidoarjo").await;
    let curator = app.signed_in("kurator").await;
    let id = app.published_innovation( &owner, &curator, "35.15.DINKES", "Antrean Daring").await;
    let public = format!("/inovasi/{id}");
    let html = app.client().get(app.url(&public)).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#sustainability .level").unwrap(), "Berisiko");
    assert!(text_of(&html, "#sustainability").unwrap().contains("Belum ada dasar hukum"));
    let list = curator.get(app.url("/inovasi/berisiko")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&list, "#at-risk tbody tr"), 1);

    let page = format!("/inovasi/kelola/{id}/keberlanjutan");
    // Bad input, named per field; nothing stored.
    for (fields, field) in [
        (vec![("legal_kind", "perkada"), ("legal_number", ""), ("legal_date", "2025-01-02")], "legal_number"),
        (vec![("legal_kind", "perkada"), ("legal_number", "Perbup 1/2025"), ("legal_date", "2999-01-01")], "legal_date"),
        (vec![("legal_kind", "perpres")], "legal_kind"),
        (vec![("budget_year", "duaribu")], "budget_year"),
    ] {
        let res = app.post_form(&owner, &page, &page, &fields).await;
        assert_eq!(res.status(), 422, "{field}");
        assert!(text_of(&res.text().await.unwrap(), &format!("#{field}-error")).is_some(), "{field}");
    }
    assert_eq!(app.count("innovation_institution").await, 0);
    let res = app.post_form(&owner, &page, &format!("/inovasi/kelola/{id}/monitoring"), &[("period_end", "kemarin")]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.count("monitoring_reports").await, 0);

    let year = rumah_web::routes::surveys::view::now_wib().0.to_string();
    let res = app.post_form(&owner, &page, &page, &[
        ("legal_kind", "perkada"), ("legal_number", "Peraturan Bupati Sidoarjo 41/2025"), ("legal_date", "2025-05-12"),
        ("budget_year", &year), ("budget_line", "Layanan kesehatan digital"),
        ("has_sop", "ya"), ("in_rkpd", "ya"), ("dedicated_staff", "ya"),
    ]).await;
    assert_eq!(res.status(), 303);
    let today = rumah_web::routes::surveys::view::today_wib().to_string();
    let res = app.post_form(&owner, &page, &format!("/inovasi/kelola/{id}/monitoring"), &[
        ("period_end", &today), ("beneficiaries", "12.500"), ("notes", "Semester berjalan."),
        ("ind0_name", "Waktu tunggu"), ("ind0_unit", "menit"), ("ind0_baseline", "95"), ("ind0_target", "30"), ("ind0_actual", "28,5"),
    ]).await;
    assert_eq!(res.status(), 303);

    let html = app.client().get(app.url(&public)).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#sustainability .level").unwrap(), "Terjaga");
    assert_eq!(count_of(&html, "#reports tbody tr"), 1);
    assert!(text_of(&html, "#reports").unwrap().contains("28.5"));
    assert_eq!(count_of(&html, "#monitoring svg rect"), 1);
    let list = curator.get(app.url("/inovasi/berisiko")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&list, "#at-risk tbody tr"), 0);

    // Another region's officer cannot read or change any of it; the at-risk list needs a role.
    let other = app.signed_in("inovasi.surabaya").await;
    assert_eq!(other.get(app.url(&page)).send().await.unwrap().status(), 404);
    let res = app.post_form(&other, "/inovasi/kelola/baru", &page, &[("legal_kind", "")]).await;
    assert_eq!(res.status(), 404);
    let res = app.post_form(&other, "/inovasi/kelola/baru", &format!("/inovasi/kelola/{id}/monitoring"), &[("period_end", &today)]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.count("monitoring_reports").await, 1);
    let asn = app.signed_in("asn").await;
    assert_eq!(asn.get(app.url("/inovasi/berisiko")).send().await.unwrap().status(), 403);
});

app_test!(async fn replication_links_show_as_lineage_counts_and_suggestions(app) {
    setup(&app).await;
    let sidoarjo = app.signed_in("inovasi.sidoarjo").await;
    let surabaya = app.signed_in("inovasi.surabaya").await;
    let curator = app.signed_in("kurator").await;
    let origin = app.published_innovation( &surabaya, &curator, "35.78.DINKES", "Kader Ibu Hamil").await;
    let same_region = app.published_innovation( &sidoarjo, &curator, "35.15.DINKES", "Antrean Daring").await;
    let adopter = app.published_innovation( &sidoarjo, &curator, "35.15.DINKES", "Pendamping Ibu Hamil Sidoarjo").await;
    let page = format!("/inovasi/kelola/{adopter}/keberlanjutan");
    let link = format!("/inovasi/kelola/{adopter}/replikasi");
    // Suggestions for Sidoarjo before the link: Surabaya's innovation.
    let html = app.client().get(app.url("/inovasi/replikasi?wilayah=35.15")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "#suggestions li"), 1);
    assert!(text_of(&html, "#suggestions").unwrap().contains("Kader Ibu Hamil"));
    // Refused: itself, its own region, an unknown one, a bad status.
    for (origin_field, status) in [(adopter.to_string(), "mengadopsi"), (same_region.to_string(), "mengadopsi"), ("99999".to_owned(), "mengadopsi"), (origin.to_string(), "meniru")] {
        let res = app.post_form(&sidoarjo, &page, &link, &[("origin", &origin_field), ("status", status), ("notes", "")]).await;
        assert_eq!(res.status(), 422, "{origin_field} {status}");
    }
    assert_eq!(app.count("replications").await, 0);
    let res = app.post_form(&sidoarjo, &page, &link, &[("origin", &format!("http://x/inovasi/{origin}")), ("status", "diterapkan"), ("notes", "Diadaptasi untuk bidan desa.")]).await;
    assert_eq!(res.status(), 303);
    // The cycle back is refused.
    let res = app.post_form(&surabaya, &format!("/inovasi/kelola/{origin}/keberlanjutan"), &format!("/inovasi/kelola/{origin}/replikasi"), &[("origin", &adopter.to_string()), ("status", "menjajaki"), ("notes", "")]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.count("replications").await, 1);

    let html = app.client().get(app.url(&format!("/inovasi/{origin}"))).send().await.unwrap().text().await.unwrap();
    assert!(text_of(&html, "#lineage .lineage-down").unwrap().contains("Pendamping Ibu Hamil Sidoarjo"));
    let html = app.client().get(app.url(&format!("/inovasi/{adopter}"))).send().await.unwrap().text().await.unwrap();
    assert!(text_of(&html, "#lineage .lineage-up").unwrap().contains("Kader Ibu Hamil"));
    assert!(html.contains("Diadaptasi untuk bidan desa."));
    let html = app.client().get(app.url("/inovasi/replikasi")).send().await.unwrap().text().await.unwrap();
    let row = |name: &str| {
        scraper::Html::parse_document(&html)
            .select(&scraper::Selector::parse("#replication-counts tbody tr").unwrap())
            .map(|r| r.text().collect::<Vec<_>>().join("|"))
            .find(|t| t.contains(name))
            .unwrap()
    };
    assert!(row("Kota Surabaya").ends_with("|0|1"), "{}", row("Kota Surabaya"));
    assert!(row("Kabupaten Sidoarjo").ends_with("|1|0"), "{}", row("Kabupaten Sidoarjo"));
    // Sidoarjo replicates it now: no longer suggested.
    let html = app.client().get(app.url("/inovasi/replikasi?wilayah=35.15")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "#suggestions li"), 0);
    assert_eq!(app.client().get(app.url("/inovasi/replikasi?wilayah=99")).send().await.unwrap().status(), 400);
});
