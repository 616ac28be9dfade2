//! The audit-log view: filters by event, user and client in the query
//! string, keyset pages, CSV of the filtered list, and a region's
//! administrator limited to the entries of its region (client
//! administration belongs to the province and is not shown to it).

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;

use crate::support::{TestApp, app_test};

async fn world(app: &TestApp) -> (reqwest::Client, reqwest::Client) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")])
        .await;
    app.account(
        "admin.sidoarjo",
        Some("35.15.DINKES"),
        &[(Role::Administrator, "35.15")],
    )
    .await;
    (
        app.signed_in("admin.prov").await,
        app.signed_in("admin.sidoarjo").await,
    )
}

fn rows(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("tbody tr").unwrap();
    doc.select(&sel)
        .map(|r| r.text().collect::<String>())
        .collect()
}

async fn register(app: &TestApp, prov: &reqwest::Client, id: &str) {
    let fields = [
        ("name", id),
        ("client_id", id),
        ("auth_method", "none"),
        ("redirect_uris", "https://a.example/cb"),
        ("grant", "authorization_code"),
    ];
    assert_eq!(
        app.post_form(prov, "/admin/klien/baru", "/admin/klien/baru", &fields)
            .await
            .status(),
        200
    );
}

app_test!(async fn the_audit_log_is_filtered_by_client_and_event_paged_and_exported(app) {
    let (prov, region) = world(&app).await;
    register(&app, &prov, "satu").await;
    register(&app, &prov, "dua").await;
    let html = prov.get(app.url("/admin/audit?client=satu")).send().await.unwrap().text().await.unwrap();
    let found = rows(&html);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("oidc.client_created") && found[0].contains("admin.prov"));
    let html = prov.get(app.url("/admin/audit?event=oidc.client_created")).send().await.unwrap().text().await.unwrap();
    assert_eq!(rows(&html).len(), 2);
    let html = prov.get(app.url("/admin/audit?event=oidc.client_created&client=dua&user=admin.prov")).send().await.unwrap().text().await.unwrap();
    assert_eq!(rows(&html).len(), 1);
    let html = prov.get(app.url("/admin/audit?event=oidc.client_deleted&client=dua")).send().await.unwrap().text().await.unwrap();
    assert!(rows(&html).is_empty());

    // CSV of the same filter.
    let res = prov.get(app.url("/admin/audit.csv?event=oidc.client_created&user=&client=")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("log-audit.csv"));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert!(lines[0].starts_with("id,at_utc,event,actor"));
    assert_eq!(lines.len(), 3, "{body}");
    assert!(lines[1].contains(",dua,") && lines[2].contains(",satu,"), "newest first: {body}");

    // Keyset pages of 100: the second page starts below the first's last id.
    for i in 0..105 {
        rumah_store::audit::record(
            &mut app.conn(),
            &rumah_store::audit::Entry { event: rumah_store::audit::event::OIDC_KEYS_ROTATED, details: Some(serde_json::json!({ "n": i })), ..Default::default() },
        )
        .await
        .unwrap();
    }
    let html = prov.get(app.url("/admin/audit?event=oidc.keys_rotated")).send().await.unwrap().text().await.unwrap();
    assert_eq!(rows(&html).len(), 100);
    let doc = scraper::Html::parse_document(&html);
    let next = doc.select(&scraper::Selector::parse("a[href*=sebelum]").unwrap()).next().expect("a next link").value().attr("href").unwrap().to_owned();
    assert!(next.contains("event=oidc.keys_rotated"), "the filter stays in the link: {next}");
    let html = prov.get(app.url(&next)).send().await.unwrap().text().await.unwrap();
    assert_eq!(rows(&html).len(), 5);
    let csv = prov.get(app.url("/admin/audit.csv?event=oidc.keys_rotated")).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 106, "every page in the export");

    // A region's administrator sees its region only: not the province's clients.
    let html = region.get(app.url("/admin/audit?client=satu")).send().await.unwrap().text().await.unwrap();
    assert!(rows(&html).is_empty());
    let csv = region.get(app.url("/admin/audit.csv?client=satu")).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 1, "the header only");
    // Someone without an admin role gets nothing.
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    let siti = app.signed_in("siti").await;
    assert_eq!(siti.get(app.url("/admin/audit.csv")).send().await.unwrap().status(), 403);
});
