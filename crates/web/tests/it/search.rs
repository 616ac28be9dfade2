//! Full-text search of the catalogue (`/katalog?q=` and
//! `GET /api/v1/innovations?q=`): Indonesian stemming, typo tolerance for
//! long words, highlighted snippets, facet counts under a query, nothing
//! unpublished, and an index that follows the database within seconds, on
//! this node and on another one sharing the database.

use std::time::{Duration, Instant};

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;
use rumah_store::{Exec, q};

use crate::support::{TestApp, app_test, count_of, text_of};

async fn setup(app: &TestApp) -> (reqwest::Client, reqwest::Client) {
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
    (
        app.signed_in("inovasi.sidoarjo").await,
        app.signed_in("kurator").await,
    )
}

async fn create(
    app: &TestApp,
    client: &reqwest::Client,
    org: &str,
    name: &str,
    problem: &str,
    jenis: &str,
) -> i64 {
    let fields = vec![
        ("org", org),
        ("name", name),
        ("bentuk", "pelayanan_publik"),
        ("jenis", jenis),
        ("inisiator", "perangkat_daerah"),
        ("urusan", "kesehatan"),
        ("tahapan", "uji_coba"),
        ("date_inisiatif", "2024-01-10"),
        ("date_uji_coba", "2024-06-01"),
        ("problem", problem),
        ("design", "Nomor antrean diambil lewat WhatsApp."),
        ("beneficiaries", "1.200"),
        ("sdgs", "3"),
    ];
    app.create_innovation(client, &fields).await
}

async fn act(app: &TestApp, client: &reqwest::Client, page: &str, action: &str, note: &str) {
    let res = app
        .post_form(
            client,
            page,
            &format!("{page}/aksi"),
            &[("action", action), ("note", note)],
        )
        .await;
    assert_eq!(res.status(), 303, "{action} on {page}");
}

async fn api(app: &TestApp, query: &str) -> serde_json::Value {
    let res = app
        .client()
        .get(app.url(&format!("/api/v1/innovations?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

fn ids(v: &serde_json::Value) -> Vec<i64> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// Polls `query` every 100 ms until `pred` holds or 5 s pass.
async fn eventually(app: &TestApp, query: &str, pred: impl Fn(&[i64]) -> bool) -> Vec<i64> {
    let start = Instant::now();
    loop {
        let found = ids(&api(app, query).await);
        if pred(&found) || start.elapsed() > Duration::from_secs(5) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

app_test!(async fn forms_of_one_word_typos_of_long_words_and_snippets(app) {
    let (owner, curator) = setup(&app).await;
    let a = create(&app, &owner, "35.15.DINKES", "Pelayanan Puskesmas Keliling",
        "Warga desa jauh dari puskesmas & tidak punya <kendaraan>.", "digital").await;
    let b = create(&app, &owner, "35.15.DINKES", "Kader Ibu Hamil",
        "Ibu hamil jarang memeriksakan kandungan.", "non_digital").await;
    let draft = create(&app, &owner, "35.15.DINKES", "Layanan Rahasia",
        "Melayani yang belum terbit.", "digital").await;
    app.publish_innovation( &owner, &curator, a).await;
    app.publish_innovation( &owner, &curator, b).await;
    act(&app, &owner, &format!("/inovasi/kelola/{draft}"), "submit", "").await;

    // Stemming: three forms of one root find the same innovation, and the
    // submitted one never shows.
    for word in ["pelayanan", "melayani", "layanan", "Layanan"] {
        assert_eq!(ids(&api(&app, &format!("q={word}")).await), [a], "{word}");
    }
    // A typo in a long word is forgiven; in a short word it is not.
    assert_eq!(ids(&api(&app, "q=puskesmass").await), [a]);
    assert_eq!(ids(&api(&app, "q=pukesmas").await), [a]);
    assert!(ids(&api(&app, "q=kadr").await).is_empty(), "short words match exactly");
    assert_eq!(ids(&api(&app, "q=kader").await), [b]);
    // Every word must match.
    assert!(ids(&api(&app, "q=kader%20puskesmas").await).is_empty());

    // Snippets: escaped text, matches in <mark>.
    let v = api(&app, "q=kendaraan").await;
    let snippet = v["items"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>kendaraan</mark>"), "{snippet}");
    assert!(snippet.contains("&#38;") && snippet.contains("&#60;<mark>kendaraan</mark>&#62;"), "{snippet}");
    let html = app.client().get(app.url("/katalog?q=kendaraan")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "li.innovation-card"), 1);
    assert_eq!(count_of(&html, "li.innovation-card .snippet mark"), 1);
    assert!(html.contains("/inovasi/"), "cards link to the stable page");

    // Facets under a query: counted among matches, each ignoring its own filter.
    let v = api(&app, "q=antrean&jenis=digital").await;
    assert_eq!(v["total"], 1);
    assert_eq!(ids(&v), [a]);
    assert_eq!(v["facets"]["jenis"], serde_json::json!([["digital", 1], ["non_digital", 1]]));
    assert_eq!(v["facets"]["region"], serde_json::json!([["35.15", 1]]));
    assert_eq!(v["facets"]["sdg"], serde_json::json!([["3", 1]]));
    let html = app.client().get(app.url("/katalog?q=antrean&jenis=digital")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "#result-count").unwrap(), "1 inovasi");
    assert!(!text_of(&html, "#facet-jenis").unwrap().contains('2'));
    // Sorting by name among the matches.
    let v = api(&app, "q=antrean&sort=nama").await;
    assert_eq!(ids(&v), [b, a]);
    // Nothing unpublished through any query.
    for q in ["q=rahasia", "q=melayani", "q=terbit"] {
        assert!(!ids(&api(&app, q).await).contains(&draft), "{q}");
    }
});

app_test!(async fn the_index_follows_publication_withdrawal_and_edits_on_every_node(app) {
    let (owner, curator) = setup(&app).await;
    let id = create(&app, &owner, "35.15.DINKES", "Posyandu Digital",
        "Pencatatan balita masih di kertas.", "digital").await;
    assert!(ids(&api(&app, "q=posyandu").await).is_empty());
    // Another node's index on the same database, kept by its own sync task.
    let other = rumah_search::SearchIndex::open_temporary().unwrap();
    other.spawn_sync(app.db.clone(), rumah_search::SYNC_EVERY);
    let search_other = |w: &str| {
        let q = rumah_search::Query {
            filter: rumah_store::innovations::catalogue::Filter {
                words: vec![w.to_owned()],
                ..Default::default()
            },
            sort: rumah_search::Sort::Relevance,
            offset: 0,
            limit: 10,
        };
        other.search(&q).unwrap().hits.into_iter().map(|h| h.id()).collect::<Vec<_>>()
    };
    async fn wait_for(f: impl Fn() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if f() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        f()
    }

    app.publish_innovation( &owner, &curator, id).await;
    assert_eq!(eventually(&app, "q=posyandu", |f| f == [id]).await, [id]);
    assert!(wait_for(|| search_other("posyandu") == [id]).await, "the other node sees the publication");

    // An edit written straight to the database (as by another node, with no
    // curation event) reaches both indexes by their background sync.
    let now = rumah_domain::time::Timestamp::now().0;
    app.conn()
        .execute(q!("UPDATE innovations SET name = 'Posyandu Timbangan Pintar', updated_at = $1 WHERE id = $2", now, id))
        .await
        .unwrap();
    assert_eq!(eventually(&app, "q=timbangan", |f| f == [id]).await, [id]);
    assert!(wait_for(|| search_other("timbangan") == [id]).await);

    // A curator takes it back into review: gone from every search.
    act(&app, &curator, &format!("/inovasi/kurasi/{id}"), "take_back", "Data balita perlu diperiksa.").await;
    assert!(eventually(&app, "q=posyandu", <[i64]>::is_empty).await.is_empty());
    let html = app.client().get(app.url("/katalog?q=posyandu")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "li.innovation-card"), 0);
    assert!(wait_for(|| search_other("posyandu").is_empty()).await, "the other node drops it");
});

app_test!(async fn a_publication_and_a_take_back_show_in_the_very_next_search_on_another_node(app) {
    let (owner, curator) = setup(&app).await;
    let id = create(&app, &owner, "35.15.DINKES", "Posyandu Digital",
        "Pencatatan balita masih di kertas.", "digital").await;
    // Another node with its own index, on the same database.
    let node = app.another_node().await;
    let client = app.client();
    let on_node = |query: &'static str| {
        let (client, url) = (client.clone(), node.url(&format!("/api/v1/innovations?{query}")));
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let v: serde_json::Value = res.json().await.unwrap();
            (ids(&v), v["total"].as_i64().unwrap())
        }
    };
    // Asked twice, so the second answer is the node's kept page.
    for _ in 0..2 {
        assert_eq!(on_node("q=posyandu&jenis=digital").await, (vec![], 0));
    }
    app.publish_innovation(&owner, &curator, id).await;
    // No waiting: the kept page is checked against the curation trail.
    assert_eq!(on_node("q=posyandu&jenis=digital").await, (vec![id], 1), "the very next search");
    assert_eq!(on_node("q=posyandu&jenis=digital").await, (vec![id], 1));
    act(&app, &curator, &format!("/inovasi/kurasi/{id}"), "take_back", "Data balita perlu diperiksa.").await;
    // A search not asked before runs on the index first; the trail read with
    // its cards has moved, so it syncs and runs again: not even the total
    // counts the withdrawn entry.
    assert_eq!(on_node("q=balita&jenis=digital").await, (vec![], 0), "gone at once");
    assert_eq!(on_node("q=posyandu&jenis=digital").await, (vec![], 0));
});

app_test!(async fn a_card_comes_from_the_index_but_publication_and_names_from_the_database(app) {
    let (owner, curator) = setup(&app).await;
    let problem = "Antrean panjang di loket puskesmas. ".repeat(12);
    let id = create(&app, &owner, "35.15.DINKES", "Antrean Puskesmas Daring", &problem, "digital").await;
    app.publish_innovation(&owner, &curator, id).await;
    assert_eq!(eventually(&app, "q=antrean", |f| f == [id]).await, [id]);

    // Every field of the card as the database has it.
    let own: (String, String, String, String, String, String) = app
        .conn()
        .fetch_one(q!(
            "SELECT name, bentuk, jenis, tahapan, urusan_code, SUBSTR(problem, 1, 300)
             FROM innovations WHERE id = $1",
            id
        ))
        .await
        .unwrap();
    let names: (String, String, String, String, String) = app
        .conn()
        .fetch_one(q!(
            "SELECT o.code, o.name, o.region_code, r.name, u.name
             FROM innovations i JOIN org_nodes o ON o.id = i.org_id
             JOIN org_nodes r ON r.code = o.region_code JOIN urusan u ON u.code = i.urusan_code
             WHERE i.id = $1",
            id
        ))
        .await
        .unwrap();
    let (beneficiaries, published_at): (Option<i64>, Option<i64>) = app
        .conn()
        .fetch_one(q!("SELECT beneficiaries, published_at FROM innovations WHERE id = $1", id))
        .await
        .unwrap();
    let card = api(&app, "q=antrean&jenis=digital").await["items"][0].clone();
    let shown = |k: &str| card[k].as_str().unwrap_or_default().to_owned();
    assert_eq!(card["id"].as_i64(), Some(id));
    assert_eq!(
        (shown("name"), shown("bentuk"), shown("jenis"), shown("tahapan"), shown("urusan"), shown("summary")),
        own.clone()
    );
    assert_eq!(
        (shown("org"), shown("org_name"), shown("region"), shown("region_name")),
        (names.0, names.1, names.2, names.3)
    );
    assert_eq!(names.4, "Kesehatan");
    assert_eq!(card["beneficiaries"].as_i64(), beneficiaries);
    assert_eq!(beneficiaries, Some(1200));
    assert_eq!(card["published_at"].as_i64(), published_at);
    assert_eq!(own.5.chars().count(), 300, "the summary is cut at 300 characters");

    // A renamed unit shows in a search not asked before (a kept page keeps
    // its cards): names are read with the cards, not kept in the index (the
    // innovation itself is unchanged, so the index is not touched).
    app.conn()
        .execute(q!("UPDATE org_nodes SET name = 'Dinas Kesehatan Terpadu' WHERE code = '35.15.DINKES'"))
        .await
        .unwrap();
    let card = api(&app, "q=antrean&bentuk=pelayanan_publik").await["items"][0].clone();
    assert_eq!(card["org_name"], "Dinas Kesehatan Terpadu");

    // An entry the database no longer publishes is left out by the very
    // next search, even when nothing tells the index (no curation event,
    // and `updated_at` moved back beyond the syncs' overlap, so no sync
    // reads the row again): the database has the last word on what is
    // published.
    app.conn()
        .execute(q!(
            "UPDATE innovations SET status = 'ditinjau', updated_at = updated_at - 3600000 WHERE id = $1",
            id
        ))
        .await
        .unwrap();
    assert!(ids(&api(&app, "q=loket").await).is_empty());
    let html = app.client().get(app.url("/katalog?q=loket")).send().await.unwrap().text().await.unwrap();
    assert_eq!(count_of(&html, "li.innovation-card"), 0);
    app.conn()
        .execute(q!("UPDATE innovations SET status = 'terverifikasi' WHERE id = $1", id))
        .await
        .unwrap();
    assert_eq!(ids(&api(&app, "q=loket&tahapan=uji_coba").await), [id]);
});
