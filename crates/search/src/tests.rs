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
        .map(|h| h.id)
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
        assert_eq!(hits.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [draft]);
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
        assert_eq!(hits.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [a]);
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
            let mut got: Vec<i64> = hits.hits.iter().map(|h| h.id).collect();
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
