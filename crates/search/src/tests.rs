//! The index over a real test database (SQLite; PostgreSQL too when
//! `RUMAH_TEST_DATABASE_URL` is set).

use rumah_store::testkit::TestDb;
use rumah_store::{Backend, Db, Exec, q};

use super::*;

async fn insert(db: &Db, name: &str, problem: &str, status: &str, at: i64) -> i64 {
    let mut conn = db.clone();
    let (org,): (i64,) = conn
        .fetch_one(q!("SELECT id FROM org_nodes WHERE code = '35.15'"))
        .await
        .unwrap();
    let (id,): (i64,) = conn
        .fetch_one(q!(
            "INSERT INTO innovations (org_id, name, bentuk, jenis, inisiator, urusan_code, tahapan,
                problem, status, created_at, updated_at, published_at, beneficiaries)
             VALUES ($1, $2, 'pelayanan_publik', 'digital', 'asn', 'kesehatan', 'uji_coba',
                $3, $4, $5, $5, $6, 10) RETURNING id",
            org,
            name,
            problem,
            status,
            at,
            (status == "terverifikasi").then_some(at)
        ))
        .await
        .unwrap();
    conn.execute(q!(
        "INSERT INTO innovation_sdgs (innovation_id, sdg) VALUES ($1, 3)",
        id
    ))
    .await
    .unwrap();
    id
}

async fn set_status(db: &Db, id: i64, status: &str, at: i64) {
    db.clone()
        .execute(q!(
            "UPDATE innovations SET status = $1, updated_at = $2 WHERE id = $3",
            status,
            at,
            id
        ))
        .await
        .unwrap();
}

fn words(q: &str) -> Query {
    Query {
        filter: Filter {
            words: q.split_whitespace().map(str::to_owned).collect(),
            ..Filter::default()
        },
        sort: Sort::Relevance,
        offset: 0,
        limit: 20,
    }
}

fn ids(index: &SearchIndex, q: &str) -> Vec<i64> {
    index
        .search(&words(q))
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id())
        .collect()
}

async fn backends() -> Vec<TestDb> {
    let mut v = Vec::new();
    for b in [Backend::Sqlite, Backend::Postgres] {
        if let Some(t) = TestDb::migrated(b).await {
            v.push(t);
        }
    }
    v
}

#[tokio::test]
async fn rebuild_sync_and_search() {
    for t in backends().await {
        let dir = tempfile::tempdir().unwrap();
        let now = rumah_domain::time::Timestamp::now().0;
        let a = insert(
            &t.db,
            "Layanan Antrean Puskesmas",
            "Pelayanan kesehatan lambat di puskesmas.",
            "terverifikasi",
            now,
        )
        .await;
        let draft = insert(
            &t.db,
            "Pelayanan Rahasia",
            "Melayani diam-diam.",
            "draft",
            now,
        )
        .await;
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.rebuild(&t.db).await.unwrap(), 1);
        for w in ["pelayanan", "melayani", "layanan", "PUSKESMASS", "antrian"] {
            assert_eq!(ids(&index, w), [a], "{w}");
        }
        assert!(ids(&index, "ibx").is_empty());
        let hits = index.search(&words("kesehatan")).unwrap();
        assert!(
            hits.hits[0].snippet.contains("<mark>kesehatan</mark>"),
            "{:?}",
            hits.hits[0].snippet
        );
        assert_eq!(hits.facets.urusan, [("kesehatan".to_owned(), 1)]);
        assert_eq!(hits.facets.sdg, [("3".to_owned(), 1)]);

        // Publishing the draft and withdrawing the other reach the index by sync.
        set_status(&t.db, draft, "terverifikasi", now + 1).await;
        set_status(&t.db, a, "ditinjau", now + 1).await;
        assert_eq!(index.sync(&t.db).await.unwrap(), 2);
        assert_eq!(ids(&index, "layan"), [draft]);
        // With a filter too (the matches then come from bit sets, which
        // must leave the withdrawn, deleted document out).
        let mut filtered = words("layan");
        filtered.filter.jenis = Some("digital".into());
        let hits = index.search(&filtered).unwrap();
        assert_eq!(
            hits.hits.iter().map(|h| h.id()).collect::<Vec<_>>(),
            [draft]
        );
        assert_eq!(hits.total, 1);
        assert_eq!(hits.facets.jenis, [("digital".to_owned(), 1)]);
        assert_eq!(index.sync(&t.db).await.unwrap(), 0, "idempotent");

        // A reopened index keeps its watermark; a new one rebuilds on first sync.
        drop(index);
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.len(), 1);
        let other = tempfile::tempdir().unwrap();
        let fresh = SearchIndex::open(other.path()).unwrap();
        fresh.sync(&t.db).await.unwrap();
        assert_eq!(ids(&fresh, "layan"), [draft]);
    }
}

#[tokio::test]
async fn facets_exclude_their_own_filter() {
    let Some(t) = TestDb::migrated(Backend::Sqlite).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let now = rumah_domain::time::Timestamp::now().0;
    insert(&t.db, "Antrean daring", "antrean", "terverifikasi", now).await;
    let b = insert(&t.db, "Antrean luring", "antrean", "terverifikasi", now).await;
    t.db.clone()
        .execute(q!(
            "UPDATE innovations SET jenis = 'non_digital' WHERE id = $1",
            b
        ))
        .await
        .unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index.rebuild(&t.db).await.unwrap();
    let mut q = words("antrean");
    q.filter.jenis = Some("digital".into());
    let hits = index.search(&q).unwrap();
    assert_eq!(hits.total, 1);
    assert_eq!(
        hits.facets.jenis,
        [("digital".to_owned(), 1), ("non_digital".to_owned(), 1)]
    );
    assert_eq!(hits.facets.bentuk, [("pelayanan_publik".to_owned(), 1)]);
}

#[tokio::test]
async fn typos_match_neighbouring_terms_and_are_marked() {
    for t in backends().await {
        let now = rumah_domain::time::Timestamp::now().0;
        let a = insert(
            &t.db,
            "Antrean Puskesmas",
            "Warga menunggu lama di puskemas dan loket.",
            "terverifikasi",
            now,
        )
        .await;
        let index = SearchIndex::open_temporary().unwrap();
        index.rebuild(&t.db).await.unwrap();
        let searcher = index.inner.reader.searcher();
        assert_eq!(
            index.neighbours(&searcher, "puskesmass").unwrap(),
            ["puskesmas"],
            "one edit away, not two (puskemas)"
        );
        assert!(
            index.neighbours(&searcher, "antre").unwrap().is_empty(),
            "the term itself is not its own neighbour"
        );
        assert!(index.neighbours(&searcher, "lapor").unwrap().is_empty());
        // A swap of neighbouring letters is one edit.
        assert_eq!(
            index.neighbours(&searcher, "pusekmas").unwrap(),
            ["puskemas"]
        );
        let hits = index.search(&words("pusekmas")).unwrap();
        assert_eq!(hits.hits.iter().map(|h| h.id()).collect::<Vec<_>>(), [a]);
        assert!(
            hits.hits[0].snippet.contains("<mark>puskemas</mark>"),
            "{:?}",
            hits.hits[0].snippet
        );
        // A short word must match exactly.
        assert!(ids(&index, "lokt").is_empty());
        assert_eq!(ids(&index, "lokett"), [a], "but a long one need not");
    }
}

/// Inserts a published innovation with the given facet values.
async fn insert_with(db: &Db, n: usize, published_at: i64) -> i64 {
    const REGIONS: [&str; 3] = ["35.15", "35.78", "35.07"];
    const BENTUK: [&str; 3] = ["pelayanan_publik", "tata_kelola", "lainnya"];
    const TAHAPAN: [&str; 3] = ["inisiatif", "uji_coba", "penerapan"];
    const URUSAN: [&str; 2] = ["kesehatan", "pendidikan"];
    let mut conn = db.clone();
    let (org,): (i64,) = conn
        .fetch_one(q!(
            "SELECT id FROM org_nodes WHERE code = $1",
            REGIONS[n % 3]
        ))
        .await
        .unwrap();
    let jenis = if n.is_multiple_of(2) {
        "digital"
    } else {
        "non_digital"
    };
    let (id,): (i64,) = conn
        .fetch_one(q!(
            "INSERT INTO innovations (org_id, name, bentuk, jenis, inisiator, urusan_code, tahapan,
                problem, status, created_at, updated_at, published_at, beneficiaries)
             VALUES ($1, $2, $3, $4, 'asn', $5, $6, 'Antrean panjang.', 'terverifikasi',
                $7, $8, $7, 10) RETURNING id",
            org,
            format!("Layanan {n}"),
            BENTUK[(n / 2) % 3],
            jenis,
            URUSAN[(n / 3) % 2],
            TAHAPAN[(n / 5) % 3],
            published_at,
            rumah_domain::time::Timestamp::now().0
        ))
        .await
        .unwrap();
    for sdg in [3, 4 + (n % 3) as i64].iter().take(1 + n % 2) {
        conn.execute(q!(
            "INSERT INTO innovation_sdgs (innovation_id, sdg) VALUES ($1, $2)",
            id,
            *sdg
        ))
        .await
        .unwrap();
    }
    id
}

#[tokio::test]
async fn facets_and_totals_match_the_database_across_segments() {
    for t in backends().await {
        let dir = tempfile::tempdir().unwrap();
        let now = rumah_domain::time::Timestamp::now().0;
        let year_ms = 366 * 24 * 3_600_000;
        for n in 0..30 {
            insert_with(&t.db, n, now - (n % 3) as i64 * year_ms).await;
        }
        // Written a minute ago: the sync below does not read them again.
        t.db.clone()
            .execute(q!("UPDATE innovations SET updated_at = updated_at - 60000"))
            .await
            .unwrap();
        let index = SearchIndex::open(dir.path()).unwrap();
        index.rebuild(&t.db).await.unwrap();
        // A second segment, written by a sync.
        for n in 30..50 {
            insert_with(&t.db, n, now - (n % 3) as i64 * year_ms).await;
        }
        let segs1 = index.inner.reader.searcher().segment_readers().len();
        let applied = index.sync(&t.db).await.unwrap();
        let segs2 = index.inner.reader.searcher().segment_readers().len();
        assert!(segs2 >= 2, "{segs1} {applied} {segs2}");

        let this_year = i64::from(
            rumah_domain::time::Timestamp(now + 7 * 3_600_000)
                .to_utc()
                .year(),
        );
        let filters = [
            Filter::default(),
            Filter {
                jenis: Some("digital".into()),
                ..Filter::default()
            },
            Filter {
                bentuk: Some("tata_kelola".into()),
                tahapan: Some("uji_coba".into()),
                ..Filter::default()
            },
            Filter {
                region: Some("35.78".into()),
                sdg: Some(4),
                ..Filter::default()
            },
            Filter {
                year: Some(this_year),
                urusan: Some("pendidikan".into()),
                ..Filter::default()
            },
            Filter {
                region: Some("35".into()),
                jenis: Some("tidak_ada".into()),
                ..Filter::default()
            },
        ];
        // Every innovation's problem says "Antrean": with that word, by
        // relevance (the matching pass, then the page over the matches
        // that pass the filters), the answer must be the same.
        let worded = |f: &Filter| Filter {
            words: vec!["antrean".to_owned()],
            ..f.clone()
        };
        let cases = filters
            .iter()
            .map(|f| (f.clone(), f.clone(), Sort::Newest))
            .chain(
                filters
                    .iter()
                    .map(|f| (f.clone(), worded(f), Sort::Relevance)),
            )
            .chain(filters.iter().map(|f| (f.clone(), worded(f), Sort::Name)));
        for (f, searched, sort) in cases {
            let q = Query {
                filter: searched,
                sort,
                offset: 0,
                limit: 100,
            };
            let hits = index.search(&q).unwrap();
            let mut conn = t.db.clone();
            let expected = rumah_store::innovations::catalogue::facets(&mut conn, &f)
                .await
                .unwrap();
            let (cards, total) = rumah_store::innovations::catalogue::search(
                &mut conn,
                &f,
                rumah_store::innovations::catalogue::Sort::Newest,
                0,
                100,
            )
            .await
            .unwrap();
            assert_eq!(hits.facets, expected, "{f:?}");
            assert_eq!(hits.total, total, "{f:?}");
            let mut got: Vec<i64> = hits.hits.iter().map(|h| h.id()).collect();
            let mut want: Vec<i64> = cards.iter().map(|c| c.id).collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{f:?}");
        }
    }
}

#[tokio::test]
async fn a_kept_result_never_outlives_a_change() {
    let Some(t) = TestDb::migrated(Backend::Sqlite).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let now = rumah_domain::time::Timestamp::now().0;
    let a = insert(&t.db, "Antrean daring", "antrean", "terverifikasi", now).await;
    let index = SearchIndex::open(dir.path()).unwrap();
    index.rebuild(&t.db).await.unwrap();
    assert_eq!(ids(&index, "antrean"), [a]);
    assert_eq!(ids(&index, "antrean"), [a], "the kept result");
    let b = insert(&t.db, "Antrean luring", "antrean", "terverifikasi", now + 1).await;
    index.sync(&t.db).await.unwrap();
    let mut after = ids(&index, "antrean");
    after.sort_unstable();
    assert_eq!(after, [a, b], "a commit makes the kept result unreachable");
    set_status(&t.db, a, "ditinjau", now + 2).await;
    index.sync(&t.db).await.unwrap();
    assert_eq!(ids(&index, "antrean"), [b]);
    // Without the cache the answers are the same.
    index.set_cache_capacity(0);
    assert_eq!(ids(&index, "antrean"), [b]);
    assert_eq!(ids(&index, "antrean"), [b]);
}

/// With filters, the page by relevance is scored on the documents that pass
/// them alone (`top_by_score`); it must be the unfiltered ranking (tantivy's
/// boolean query over every match) narrowed to those documents: the same
/// order, the same scores, on every page.
#[tokio::test]
async fn a_filtered_ranking_is_the_full_ranking_narrowed() {
    let Some(t) = TestDb::migrated(Backend::Sqlite).await else {
        return;
    };
    let now = rumah_domain::time::Timestamp::now().0;
    let mut conn = t.db.clone();
    for n in 0..60usize {
        let id = insert_with(&t.db, n, now).await;
        // Different frequencies and lengths, so scores differ; the name
        // mentions the word for some; a neighbour of it ("antrian") for others.
        let problem = format!(
            "{}{}{}{}",
            "Antrean panjang. ".repeat(1 + n % 7),
            "Loket penuh. ".repeat(n % 5),
            "Warga menunggu lama di kantor. ".repeat(n % 11),
            if n % 6 == 0 { "Antrian pagi." } else { "" }
        );
        let name = if n % 4 == 0 {
            format!("Antrean Loket {n}")
        } else {
            format!("Layanan {n}")
        };
        conn.execute(q!(
            "UPDATE innovations SET problem = $1, name = $2 WHERE id = $3",
            problem,
            name,
            id
        ))
        .await
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index.set_cache_capacity(0);
    index.rebuild(&t.db).await.unwrap();
    let filters = [
        Filter {
            bentuk: Some("tata_kelola".into()),
            ..Filter::default()
        },
        Filter {
            region: Some("35.78".into()),
            jenis: Some("digital".into()),
            ..Filter::default()
        },
        Filter {
            urusan: Some("pendidikan".into()),
            tahapan: Some("inisiatif".into()),
            ..Filter::default()
        },
    ];
    for words in [
        &["antrean"][..],
        &["antrean", "loket"],
        &["antrian"],
        &["warga", "kantor"],
    ] {
        let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        let everything = index
            .search(&Query {
                filter: Filter {
                    words: words.clone(),
                    ..Filter::default()
                },
                sort: Sort::Relevance,
                offset: 0,
                limit: 1000,
            })
            .unwrap()
            .hits;
        assert!(everything.len() > 10, "{words:?}: {}", everything.len());
        for f in &filters {
            let filter = Filter {
                words: words.clone(),
                ..f.clone()
            };
            let passing: std::collections::HashSet<i64> = index
                .search(&Query {
                    filter: filter.clone(),
                    sort: Sort::Newest,
                    offset: 0,
                    limit: 1000,
                })
                .unwrap()
                .hits
                .iter()
                .map(|h| h.id())
                .collect();
            assert!(!passing.is_empty(), "{filter:?}");
            let narrowed: Vec<&Hit> = everything
                .iter()
                .filter(|h| passing.contains(&h.id()))
                .collect();
            assert_eq!(narrowed.len(), passing.len(), "{filter:?}");
            for (offset, limit) in [(0, 3), (2, 4), (0, 100)] {
                let page = index
                    .search(&Query {
                        filter: filter.clone(),
                        sort: Sort::Relevance,
                        offset,
                        limit,
                    })
                    .unwrap()
                    .hits;
                let want: Vec<&Hit> = narrowed.iter().skip(offset).take(limit).copied().collect();
                assert_eq!(
                    page.iter().map(|h| h.id()).collect::<Vec<_>>(),
                    want.iter().map(|h| h.id()).collect::<Vec<_>>(),
                    "{filter:?} offset {offset} limit {limit}"
                );
                for (got, want) in page.iter().zip(&want) {
                    assert!((got.score - want.score).abs() < 1e-4, "{got:?} {want:?}");
                    assert!(got.score > 0.0, "{got:?}");
                    assert_eq!(got.snippet, want.snippet);
                }
            }
        }
    }
}

/// With filters the matches come from bit sets, the deleted documents taken
/// out by a bit set of the live ones kept per segment until its next
/// delete: each withdrawal must show in the very next filtered search.
#[tokio::test]
async fn each_withdrawal_leaves_the_filtered_matches_at_once() {
    let Some(t) = TestDb::migrated(Backend::Sqlite).await else {
        return;
    };
    let now = rumah_domain::time::Timestamp::now().0;
    let mut published = Vec::new();
    for n in 0..4 {
        published.push(
            insert(
                &t.db,
                &format!("Antrean {n}"),
                "Antrean panjang.",
                "terverifikasi",
                now,
            )
            .await,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index.set_cache_capacity(0);
    index.rebuild(&t.db).await.unwrap();
    let mut q = words("antrean");
    q.filter.jenis = Some("digital".into());
    let found = |index: &SearchIndex| {
        let hits = index.search(&q).unwrap();
        let mut ids: Vec<i64> = hits.hits.iter().map(|h| h.id()).collect();
        ids.sort_unstable();
        assert_eq!(hits.total, ids.len() as i64);
        ids
    };
    assert_eq!(found(&index), published);
    for (n, gone) in published.clone().into_iter().enumerate().take(3) {
        set_status(&t.db, gone, "ditinjau", now + 1 + n as i64).await;
        index.sync(&t.db).await.unwrap();
        assert_eq!(
            index.inner.reader.searcher().segment_readers().len(),
            1,
            "deletes only: one segment"
        );
        assert_eq!(
            found(&index),
            published[n + 1..],
            "after withdrawing {gone}"
        );
    }
}

/// Facet counts come from ANDing bit sets or from walking the documents and
/// reading their values, whichever costs less: both must count the same,
/// under every combination of filters, for full and partial matches.
#[tokio::test]
async fn counting_by_bits_and_by_walking_agree() {
    let Some(t) = TestDb::migrated(Backend::Sqlite).await else {
        return;
    };
    let now = rumah_domain::time::Timestamp::now().0;
    let year_ms = 366 * 24 * 3_600_000;
    for n in 0..90 {
        insert_with(&t.db, n, now - (n % 4) as i64 * year_ms).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index.rebuild(&t.db).await.unwrap();
    let searcher = index.inner.reader.searcher();
    let segment = &searcher.segment_readers()[0];
    let dense = facets::Dense::build(segment).unwrap();
    let docs = segment.max_doc();
    let mut every_third = facets::Bits::new(docs);
    for d in (0..docs).step_by(3) {
        every_third.set(d);
    }
    let this_year = u64::try_from(
        rumah_domain::time::Timestamp(now + 7 * 3_600_000)
            .to_utc()
            .year(),
    )
    .unwrap();
    let some = |s: &str| Some(s.to_owned());
    let wanted = [
        facets::Wanted::default(),
        facets::Wanted {
            strs: [some("35.78"), None, some("digital"), None, None],
            ..Default::default()
        },
        facets::Wanted {
            strs: [
                None,
                some("tata_kelola"),
                None,
                some("uji_coba"),
                some("pendidikan"),
            ],
            sdg: Some(4),
            year: Some(this_year),
        },
        facets::Wanted {
            strs: [some("35.99"), None, None, None, None],
            year: Some(1990),
            ..Default::default()
        },
    ];
    let mut nonempty = 0;
    for matched in [facets::Bits::full(docs), every_third] {
        for w in &wanted {
            let (auto, a) = dense.count_with(&matched, w, facets::Walk::Auto);
            let (bits, b) = dense.count_with(&matched, w, facets::Walk::Never);
            let (walked, c) = dense.count_with(&matched, w, facets::Walk::Always);
            assert_eq!(to_facets(bits.clone()), to_facets(walked.clone()), "{w:?}");
            assert_eq!(to_facets(bits.clone()), to_facets(auto), "{w:?}");
            assert_eq!((bits.total, a.count()), (walked.total, b.count()), "{w:?}");
            assert_eq!(b.count(), c.count(), "{w:?}");
            let f = to_facets(bits);
            nonempty +=
                usize::from(!(f.region.is_empty() && f.urusan.is_empty() && f.year.is_empty()));
        }
    }
    assert!(nonempty >= 6, "the cases must count something: {nonempty}");
}

#[test]
fn a_snippet_is_escaped_html_with_its_matches_marked() {
    let marked = [("layan".to_owned(), 1.0), ("antre".to_owned(), 1.0)].into();
    let generator = snippet_generator(marked);
    let html = snippet(
        &generator,
        "Pelayanan \"cepat\" & <ramah> di loket; warga tak lagi mengantre.",
    );
    assert_eq!(
        html,
        "<mark>Pelayanan</mark> &#34;cepat&#34; &#38; &#60;ramah&#62; di loket; \
         warga tak lagi <mark>mengantre</mark>"
    );
    // A text without a match has no snippet.
    assert_eq!(snippet(&generator, "A & B"), "");
}
