//! Full-text search of published innovations in Bahasa Indonesia.
//!
//! The index is **derived data**: one per node, under `data_dir/search`,
//! rebuilt from the database by [`SearchIndex::rebuild`] (`rumah reindex`)
//! and kept up to date by [`SearchIndex::sync`], which a background task
//! calls every 500 ms and a search calls first whenever the curation trail
//! has moved. The database stays the authority: the web layer loads the
//! cards of a page of hits from it, published only. See `docs/SEARCH.md`.

pub mod analyzer;
mod facets;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rumah_store::innovations::catalogue::{Facets, Filter};
use rumah_store::innovations::search_feed::{self, FeedRow, IndexedCard};
use rumah_store::{Db, StoreError};
use tantivy::collector::TopDocs;
use tantivy::index::SegmentId;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher,
    SegmentReader, TantivyDocument, Term,
};

pub use analyzer::{ANALYZER, analyzer};

/// Bump when the schema or the analyzer changes: an index of another
/// version is wiped and rebuilt on open.
pub const SCHEMA_VERSION: &str =
    "rumah-search 4 (id_stem: sastrawi 0.5; doc store blocks 4 KiB; cards stored)";
/// Rows changed this long before the last sync began are read again, for clock
/// skew between nodes and transactions that commit late.
pub const OVERLAP_MS: i64 = 5_000;
/// How often the background task syncs.
pub const SYNC_EVERY: Duration = Duration::from_millis(500);
/// Query words of at least this many characters also match stems one edit away.
pub const FUZZY_MIN_CHARS: usize = 5;
/// Search results kept per index generation, unless configured otherwise.
pub const DEFAULT_CACHE_ENTRIES: usize = 1024;
/// Bit sets of terms kept per segment (12.5 kB each per 100,000 documents).
pub const TERM_BITS: usize = 2048;
const PAGE: i64 = 500;
const WRITER_HEAP: usize = 20_000_000;
/// Bytes of stored text compressed together. A hit's snippet reads its
/// stored texts, which decompresses the whole block around them: tantivy's
/// 16 KiB default made the 20 hits of a page decompress 320 KiB.
const DOC_STORE_BLOCK: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index task: {0}")]
    Join(String),
}

pub type Result<T> = std::result::Result<T, SearchError>;

/// Sort orders; relevance applies when words are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
    Name,
    Beneficiaries,
}

/// A search: the catalogue filter (its `words` are the query), a sort and a page.
#[derive(Debug, Clone)]
pub struct Query {
    pub filter: Filter,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub score: f32,
    /// HTML: the text escaped, matches in `<mark>`.
    pub snippet: String,
    /// The card as the index holds it.
    pub card: IndexedCard,
}

impl Hit {
    /// The innovation's id.
    pub fn id(&self) -> i64 {
        self.card.id
    }
}

#[derive(Debug, Clone)]
pub struct Hits {
    pub total: i64,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    name: Field,
    all: Field,
    body: Field,
    region: Field,
    bentuk: Field,
    jenis: Field,
    tahapan: Field,
    urusan: Field,
    sdg: Field,
    year: Field,
    published_at: Field,
    beneficiaries: Field,
    name_sort: Field,
    org_id: Field,
    summary: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Term frequencies for BM25; no positions (there are no phrase queries).
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        // The name again, on its own, to rank matches in it first.
        name: b.add_text_field("name", text.clone().set_stored()),
        // Every text of the innovation, name included: what the words must
        // match. One field rather than one per text: a query walks one
        // posting list per word instead of six.
        all: b.add_text_field("all", text),
        // The texts other than the name, stored only, for snippets.
        body: b.add_text_field("body", STORED),
        // The card's fields are stored too: a page of hits takes its cards
        // from the index, and from the database only which of them are
        // still published and the names of their org nodes and urusan
        // (`search_feed::cards_for_hits`).
        region: b.add_text_field("region", STRING | FAST),
        bentuk: b.add_text_field("bentuk", STRING | FAST | STORED),
        jenis: b.add_text_field("jenis", STRING | FAST | STORED),
        tahapan: b.add_text_field("tahapan", STRING | FAST | STORED),
        urusan: b.add_text_field("urusan", STRING | FAST | STORED),
        sdg: b.add_u64_field("sdg", INDEXED | FAST),
        year: b.add_u64_field("year", INDEXED | FAST),
        published_at: b.add_i64_field("published_at", FAST | STORED),
        beneficiaries: b.add_i64_field("beneficiaries", FAST | STORED),
        name_sort: b.add_text_field("name_sort", STRING | FAST),
        org_id: b.add_i64_field("org_id", STORED),
        summary: b.add_text_field("summary", STORED),
    };
    (b.build(), fields)
}

/// Year of a publication instant in Western Indonesia Time.
fn year_of(at: i64) -> u64 {
    let y = rumah_domain::time::Timestamp(at + 7 * 3_600_000)
        .to_utc()
        .year();
    u64::try_from(y).unwrap_or(0)
}

fn row_hash(r: &FeedRow) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &r.name,
        &r.problem,
        &r.design,
        &r.goals,
        &r.benefits,
        &r.results,
    )
        .hash(&mut h);
    (
        &r.region_code,
        &r.bentuk,
        &r.jenis,
        &r.tahapan,
        &r.urusan_code,
        &r.sdgs,
    )
        .hash(&mut h);
    (
        r.published_at,
        r.beneficiaries,
        &r.status,
        r.updated_at,
        r.org_id,
    )
        .hash(&mut h);
    h.finish()
}

struct State {
    /// The largest `updated_at` applied (stored with each commit, so a
    /// restarted node reads again from `watermark - OVERLAP_MS`).
    watermark: Option<i64>,
    /// When (this node's clock) the last sync or rebuild began reading. A
    /// row stamped `t` has committed by `t + OVERLAP_MS`, so every row with
    /// `updated_at <= started - OVERLAP_MS` was visible to that read: the
    /// next sync reads from there. Reading from the watermark instead kept
    /// re-reading the last five seconds of a bulk import (12,000 rows with
    /// their texts) every 500 ms for as long as nothing newer came.
    last_started: Option<i64>,
    /// Curation-trail position at the last sync.
    generation: Option<i64>,
    /// Rows applied inside the overlap window, so a sync with nothing new
    /// commits nothing.
    recent: HashMap<i64, (i64, u64)>,
}

struct Inner {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    /// One sync or rebuild at a time.
    sync_lock: tokio::sync::Mutex<()>,
    state: Mutex<State>,
    /// Facet bit sets per segment (see [`facets::Dense`]).
    dense: Mutex<HashMap<SegmentId, Arc<facets::Dense>>>,
    /// The documents of a term of a text field per segment (see [`SearchIndex::term_bits`]).
    term_bits: Mutex<HashMap<(SegmentId, Field, String), Arc<facets::Bits>>>,
    /// The live documents of each segment with deletes, as a bit set, with
    /// the number of deletes it was built for (deletes only ever grow).
    alive: Mutex<HashMap<SegmentId, (u32, Arc<facets::Bits>)>>,
    /// The terms one edit away from a query term, per segment.
    near: Mutex<HashMap<(SegmentId, String), Neighbours>>,
    cache: Mutex<GenerationCache<Hits>>,
    dir: PathBuf,
    /// A private directory, removed with the index.
    _tmp: Option<tempfile::TempDir>,
}

/// A segment's terms one edit away from a term.
type Neighbours = Arc<Vec<String>>;

/// The search index of this node: cheap to clone.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if missing and wiping it when
    /// it was written by another schema version. A new index is empty until
    /// the first [`sync`](Self::sync), which then reads every published row.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_in(dir, None)
    }

    /// Like [`open`](Self::open), but when another process on this machine
    /// already writes the index in `dir` (two servers started on one data
    /// directory), this one keeps a private index in a temporary directory
    /// beside it instead of failing.
    pub fn open_or_private(dir: &Path) -> Result<Self> {
        match Self::open_in(dir, None) {
            Err(SearchError::Index(tantivy::TantivyError::LockFailure(..))) => {
                let parent = dir.parent().unwrap_or(dir);
                let tmp = tempfile::Builder::new()
                    .prefix("search-private-")
                    .tempdir_in(parent)?;
                tracing::warn!(dir = %dir.display(), private = %tmp.path().display(),
                    "the search index is in use by another process; keeping a private one");
                {
                    let path = tmp.path().to_owned();
                    Self::open_in(&path, Some(tmp))
                }
            }
            other => other,
        }
    }

    /// An index in a fresh temporary directory, removed with the index (tests).
    pub fn open_temporary() -> Result<Self> {
        let tmp = tempfile::tempdir()?;
        {
            let path = tmp.path().to_owned();
            Self::open_in(&path, Some(tmp))
        }
    }

    fn open_in(dir: &Path, tmp: Option<tempfile::TempDir>) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let version_file = dir.join("SCHEMA_VERSION");
        let current = std::fs::read_to_string(&version_file).ok();
        let (schema, fields) = schema();
        let index = if current.as_deref() == Some(SCHEMA_VERSION) && dir.join("meta.json").exists()
        {
            Index::open_in_dir(dir)?
        } else {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    std::fs::remove_dir_all(&path)?;
                } else {
                    std::fs::remove_file(&path)?;
                }
            }
            let index = Index::builder()
                .schema(schema)
                .settings(tantivy::IndexSettings {
                    docstore_blocksize: DOC_STORE_BLOCK,
                    ..Default::default()
                })
                .create_in_dir(dir)?;
            std::fs::write(&version_file, SCHEMA_VERSION)?;
            index
        };
        index.tokenizers().register(ANALYZER, analyzer());
        let watermark = index
            .load_metas()?
            .payload
            .and_then(|p| p.trim().parse::<i64>().ok());
        let writer: IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            inner: Arc::new(Inner {
                reader,
                writer: Mutex::new(writer),
                fields,
                sync_lock: tokio::sync::Mutex::new(()),
                state: Mutex::new(State {
                    watermark,
                    last_started: None,
                    generation: None,
                    recent: HashMap::new(),
                }),
                dense: Mutex::new(HashMap::new()),
                term_bits: Mutex::new(HashMap::new()),
                alive: Mutex::new(HashMap::new()),
                near: Mutex::new(HashMap::new()),
                cache: Mutex::new(GenerationCache::new(DEFAULT_CACHE_ENTRIES)),
                dir: dir.to_owned(),
                _tmp: tmp,
            }),
        })
    }

    /// How many search results to keep per index generation (0: none).
    pub fn set_cache_capacity(&self, entries: usize) {
        lock(&self.inner.cache).set_capacity(entries);
    }

    /// The generation of the searcher that answers now; it changes with
    /// every commit.
    pub fn generation(&self) -> u64 {
        self.inner.reader.searcher().generation().generation_id()
    }

    /// Reloads the reader after a commit and builds the facet bit sets
    /// of new segments, so the first search after a change does not pay
    /// for them.
    fn reload(&self) -> Result<()> {
        self.inner.reader.reload()?;
        self.dense_for(&self.inner.reader.searcher())?;
        Ok(())
    }

    /// How many documents (published innovations) the index holds.
    pub fn len(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rebuilds the index from every published innovation.
    pub async fn rebuild(&self, db: &Db) -> Result<u64> {
        let _guard = self.inner.sync_lock.lock().await;
        self.rebuild_locked(db).await
    }

    async fn rebuild_locked(&self, db: &Db) -> Result<u64> {
        let mut conn = db.clone();
        let started = rumah_domain::time::Timestamp::now().0;
        let generation = search_feed::generation(&mut conn).await?;
        // Everything changed from here on is read again by the next sync.
        let watermark = search_feed::max_updated_at(&mut conn).await?;
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = search_feed::changed_since(&mut conn, i64::MIN, after, PAGE, true).await?;
            let n = page.len();
            if let Some(last) = page.last() {
                after = Some((last.updated_at, last.id));
            }
            rows.extend(page);
            if i64::try_from(n).unwrap_or(0) < PAGE {
                break;
            }
        }
        let count = rows.len() as u64;
        let this = self.clone();
        let wm = watermark.unwrap_or(0);
        let floor = started.min(wm).saturating_sub(OVERLAP_MS);
        let recent: HashMap<i64, (i64, u64)> = rows
            .iter()
            .filter(|r| r.updated_at >= floor)
            .map(|r| (r.id, (r.updated_at, row_hash(r))))
            .collect();
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut writer = lock(&this.inner.writer);
            // No merges of their own choosing while the rebuild merges
            // everything below (a merge policy's merge would race it).
            writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
            writer.delete_all_documents()?;
            for r in &rows {
                writer.add_document(this.document(r))?;
            }
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&wm.to_string());
            prepared.commit()?;
            // One segment: a query then sets up one scorer and walks one
            // term dictionary per word instead of one per segment (a
            // rebuild of 100,000 innovations leaves about ten).
            let segments = writer.index().searchable_segment_ids()?;
            let merged = if segments.len() > 1 {
                writer.merge(&segments).wait().map(|_| ())
            } else {
                Ok(())
            };
            writer.set_merge_policy(Box::<tantivy::indexer::LogMergePolicy>::default());
            merged?;
            this.reload()?;
            Ok(())
        })
        .await
        .map_err(|e| SearchError::Join(e.to_string()))??;
        let mut st = lock(&self.inner.state);
        st.watermark = Some(wm);
        st.last_started = Some(started);
        st.generation = Some(generation);
        // Rows inside the overlap window are read again by the next sync;
        // remembering them keeps it from writing them a second time.
        st.recent = recent;
        Ok(count)
    }

    /// Applies every change since the last sync (rows with `updated_at` at
    /// or after the start of the last sync less [`OVERLAP_MS`]; after a
    /// restart, the stored watermark less the same): published rows are
    /// (re)indexed, the others removed. Idempotent; commits only when
    /// something changed. Returns how many rows were applied.
    pub async fn sync(&self, db: &Db) -> Result<usize> {
        let _guard = self.inner.sync_lock.lock().await;
        let (watermark, last_started) = {
            let st = lock(&self.inner.state);
            (st.watermark, st.last_started)
        };
        let Some(watermark) = watermark else {
            let n = self.rebuild_locked(db).await?;
            return Ok(usize::try_from(n).unwrap_or(usize::MAX));
        };
        let mut conn = db.clone();
        let started = rumah_domain::time::Timestamp::now().0;
        let generation = search_feed::generation(&mut conn).await?;
        let since = last_started.unwrap_or(watermark).saturating_sub(OVERLAP_MS);
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = search_feed::changed_since(&mut conn, since, after, PAGE, false).await?;
            let n = page.len();
            if let Some(last) = page.last() {
                after = Some((last.updated_at, last.id));
            }
            rows.extend(page);
            if i64::try_from(n).unwrap_or(0) < PAGE {
                break;
            }
        }
        let new_watermark = rows
            .iter()
            .map(|r| r.updated_at)
            .max()
            .unwrap_or(watermark)
            .max(watermark);
        let changed: Vec<(FeedRow, u64)> = {
            let st = lock(&self.inner.state);
            rows.into_iter()
                .map(|r| {
                    let h = row_hash(&r);
                    (r, h)
                })
                .filter(|(r, h)| st.recent.get(&r.id) != Some(&(r.updated_at, *h)))
                .collect()
        };
        let applied = changed.len();
        if applied > 0 || new_watermark != watermark {
            let this = self.clone();
            let rows: Vec<FeedRow> = changed.iter().map(|(r, _)| r.clone()).collect();
            tokio::task::spawn_blocking(move || -> Result<()> {
                let mut writer = lock(&this.inner.writer);
                for r in &rows {
                    writer.delete_term(Term::from_field_u64(this.inner.fields.id, id_u64(r.id)));
                    if r.is_published() {
                        writer.add_document(this.document(r))?;
                    }
                }
                let mut prepared = writer.prepare_commit()?;
                prepared.set_payload(&new_watermark.to_string());
                prepared.commit()?;
                this.reload()?;
                Ok(())
            })
            .await
            .map_err(|e| SearchError::Join(e.to_string()))??;
        }
        let mut st = lock(&self.inner.state);
        for (r, h) in changed {
            st.recent.insert(r.id, (r.updated_at, h));
        }
        let floor = started.saturating_sub(OVERLAP_MS);
        st.recent.retain(|_, (at, _)| *at >= floor);
        st.watermark = Some(new_watermark);
        st.last_started = Some(started);
        st.generation = Some(generation);
        Ok(applied)
    }

    /// The position of the curation trail ([`search_feed::generation`])
    /// that the last sync read; `None` before the first sync.
    pub fn curation_generation(&self) -> Option<i64> {
        lock(&self.inner.state).generation
    }

    /// Syncs first when the curation trail has moved since the last sync
    /// (a publication or a withdrawal), so a search right after one sees
    /// it; otherwise one indexed lookup.
    pub async fn ensure_fresh(&self, db: &Db) -> Result<()> {
        let known = lock(&self.inner.state).generation;
        let now = search_feed::generation(&mut db.clone()).await?;
        if known != Some(now) {
            self.sync(db).await?;
        }
        Ok(())
    }

    /// Spawns the task that syncs every `every`; it ends when the last
    /// handle on the index is dropped.
    pub fn spawn_sync(&self, db: Db, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let index = SearchIndex { inner };
                if let Err(e) = index.sync(&db).await {
                    tracing::warn!(error = %e, "search index sync failed");
                }
            }
        })
    }

    fn document(&self, r: &FeedRow) -> TantivyDocument {
        let f = &self.inner.fields;
        let mut d = TantivyDocument::default();
        d.add_u64(f.id, id_u64(r.id));
        d.add_text(f.name, &r.name);
        let body: Vec<&str> = [&r.problem, &r.design, &r.goals, &r.benefits, &r.results]
            .into_iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        let body = body.join("\n");
        d.add_text(f.all, format!("{}\n{body}", r.name));
        d.add_text(f.body, body);
        d.add_text(f.region, &r.region_code);
        d.add_text(f.bentuk, &r.bentuk);
        d.add_text(f.jenis, &r.jenis);
        d.add_text(f.tahapan, &r.tahapan);
        d.add_text(f.urusan, &r.urusan_code);
        for s in &r.sdgs {
            d.add_u64(f.sdg, u64::try_from(*s).unwrap_or(0));
        }
        if let Some(at) = r.published_at {
            d.add_u64(f.year, year_of(at));
        }
        d.add_i64(f.published_at, r.published_at.unwrap_or(i64::MIN));
        d.add_i64(f.beneficiaries, r.beneficiaries.unwrap_or(-1));
        d.add_text(f.name_sort, r.name.to_lowercase());
        d.add_i64(f.org_id, r.org_id);
        d.add_text(f.summary, search_feed::summary_of(&r.problem));
        d
    }

    /// The stemmed terms of the words, each with whether it may match one
    /// edit away.
    fn query_terms(words: &[String]) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = Vec::new();
        for w in words {
            let fuzzy = w.chars().count() >= FUZZY_MIN_CHARS;
            for t in analyzer::terms(w) {
                if !out.iter().any(|(o, _)| *o == t) {
                    out.push((t, fuzzy));
                }
            }
        }
        out
    }

    /// The terms of the index one edit away from `term` (not `term`
    /// itself), over every segment, for typo tolerance. Streaming the term
    /// dictionaries with the Levenshtein automaton costs microseconds; the
    /// query then walks the posting lists of the few neighbours found rather
    /// than a fuzzy query's whole automaton per field.
    fn neighbours(&self, searcher: &Searcher, term: &str) -> Result<Vec<String>> {
        let field = self.inner.fields.all;
        let mut automaton = None;
        let mut out: Vec<String> = Vec::new();
        for segment in searcher.segment_readers() {
            // A segment's neighbours of a term are kept like its bit set
            // ([`TERM_BITS`] at most; dropped with the segment).
            let key = (segment.segment_id(), term.to_owned());
            let kept = lock(&self.inner.near).get(&key).cloned();
            let near = match kept {
                Some(near) => near,
                None => {
                    let automaton = match &automaton {
                        Some(a) => a,
                        None => automaton.insert(
                            FuzzyTermQuery::new(Term::from_field_text(field, term), 1, true)
                                .automaton()?,
                        ),
                    };
                    let inverted = segment.inverted_index(field)?;
                    let mut stream = inverted.terms().search(automaton).into_stream()?;
                    let mut found = Vec::new();
                    while stream.advance() {
                        if let Ok(t) = std::str::from_utf8(stream.key())
                            && t != term
                        {
                            found.push(t.to_owned());
                        }
                    }
                    let found = Arc::new(found);
                    let mut cache = lock(&self.inner.near);
                    if cache.len() >= TERM_BITS {
                        cache.clear();
                    }
                    cache.insert(key, found.clone());
                    found
                }
            };
            for t in near.iter() {
                if !out.contains(t) {
                    out.push(t.clone());
                }
            }
        }
        Ok(out)
    }

    /// The query for the words: every word (or, for a long word, a term
    /// one edit away, scored lower) must match the texts, and matches in
    /// the name rank higher (all documents when there are no words). The
    /// facets are counted from its matches ([`facets::MatchCollector`]);
    /// the filters join it only for the page.
    fn build_query(&self, terms: &[(String, Vec<String>)]) -> BooleanQuery {
        let fl = &self.inner.fields;
        let term_query = |field: Field, t: &str| -> Box<dyn tantivy::query::Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        let mut clauses: Vec<(Occur, Box<dyn tantivy::query::Query>)> = Vec::new();
        for (t, near) in terms {
            let word: Box<dyn tantivy::query::Query> = if near.is_empty() {
                term_query(fl.all, t)
            } else {
                let mut any = vec![(Occur::Should, term_query(fl.all, t))];
                for n in near {
                    any.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(term_query(fl.all, n), 0.3)),
                    ));
                }
                Box::new(BooleanQuery::new(any))
            };
            clauses.push((Occur::Must, word));
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(term_query(fl.name, t), 2.0)),
            ));
        }
        if terms.is_empty() {
            clauses.push((Occur::Must, Box::new(tantivy::query::AllQuery)));
        }
        BooleanQuery::new(clauses)
    }

    /// The facet bit sets of every segment of `searcher`, built for
    /// the segments that do not have them yet; arrays of segments that
    /// have been merged away are dropped.
    fn dense_for(&self, searcher: &Searcher) -> Result<HashMap<SegmentId, Arc<facets::Dense>>> {
        let mut map = lock(&self.inner.dense);
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        map.retain(|id, _| live.contains(id));
        lock(&self.inner.term_bits).retain(|(id, _, _), _| live.contains(id));
        lock(&self.inner.alive).retain(|id, _| live.contains(id));
        lock(&self.inner.near).retain(|(id, _), _| live.contains(id));
        for segment in searcher.segment_readers() {
            if let std::collections::hash_map::Entry::Vacant(e) = map.entry(segment.segment_id()) {
                e.insert(Arc::new(facets::Dense::build(segment)?));
            }
        }
        Ok(map.clone())
    }

    /// The documents of `segment` whose `field` contains `term`, as a bit
    /// set (deleted ones included), kept per segment: the matching pass of a
    /// filtered search ANDs these instead of walking posting lists, and
    /// the words people search for repeat far more than whole searches do
    /// (Lucene keeps bit sets of frequent clauses per segment likewise).
    /// At most [`TERM_BITS`] are kept; full means start over.
    fn term_bits(
        &self,
        segment: &SegmentReader,
        field: Field,
        term: &str,
    ) -> Result<Arc<facets::Bits>> {
        let key = (segment.segment_id(), field, term.to_owned());
        if let Some(b) = lock(&self.inner.term_bits).get(&key) {
            return Ok(b.clone());
        }
        let mut bits = facets::Bits::new(segment.max_doc());
        let t = Term::from_field_text(field, term);
        if let Some(mut postings) = segment
            .inverted_index(field)?
            .read_postings(&t, IndexRecordOption::Basic)?
        {
            let mut doc = postings.doc();
            while doc != tantivy::TERMINATED {
                bits.set(doc);
                doc = postings.advance();
            }
        }
        let bits = Arc::new(bits);
        let mut cache = lock(&self.inner.term_bits);
        if cache.len() >= TERM_BITS {
            cache.clear();
        }
        cache.insert(key, bits.clone());
        Ok(bits)
    }

    /// The live documents of `segment` that match every word (a word: its
    /// term or one of its neighbours).
    fn matches(
        &self,
        segment: &SegmentReader,
        terms: &[(String, Vec<String>)],
    ) -> Result<facets::Bits> {
        let texts = self.inner.fields.all;
        let mut all: Option<facets::Bits> = None;
        for (t, near) in terms {
            let mut word = (*self.term_bits(segment, texts, t)?).clone();
            for n in near {
                word.or(&*self.term_bits(segment, texts, n)?);
            }
            match &mut all {
                Some(a) => a.and(&word),
                None => all = Some(word),
            }
        }
        let mut all = match all {
            Some(a) => a,
            None => facets::Bits::full(segment.max_doc()),
        };
        if let Some(alive) = self.alive_bits(segment) {
            all.and(&alive);
        }
        Ok(all)
    }

    /// The live documents of a segment that has deletes, as a bit set kept
    /// until its next delete (one AND per search instead of a lookup per
    /// matching document).
    fn alive_bits(&self, segment: &SegmentReader) -> Option<Arc<facets::Bits>> {
        let alive = segment.alive_bitset()?;
        let deleted = segment.num_deleted_docs();
        let mut map = lock(&self.inner.alive);
        if let Some((n, bits)) = map.get(&segment.segment_id())
            && *n == deleted
        {
            return Some(bits.clone());
        }
        let mut bits = facets::Bits::new(segment.max_doc());
        for doc in alive.iter_alive() {
            bits.set(doc);
        }
        let bits = Arc::new(bits);
        map.insert(segment.segment_id(), (deleted, bits.clone()));
        Some(bits)
    }

    /// The `n` best of the `passing` documents by relevance, best first
    /// (ties: the earlier document). Each passing document already matches
    /// every word, so only the scores are left: the same sum as
    /// [`build_query`](Self::build_query)'s (the words' terms in the texts,
    /// their neighbours at 0.3, the words in the name at 2), with each term's
    /// postings advanced to the documents scored alone. Run as a boolean
    /// query joined with the passing set, tantivy's unions of a word and
    /// its neighbours scored every document of theirs in blocks of 4,096
    /// to hand over the few that passed.
    ///
    /// Once `n` documents are kept, the terms whose BM25 upper bounds add up
    /// to less than the worst kept score cannot lift a document into the
    /// page on their own (MaxScore, Turtle and Flood 1995): from then on
    /// only the passing documents of the other terms are scored. A word
    /// most documents contain (`pelayanan`) weighs little and stops being
    /// walked; its matches in names, weighted twice and rare, lead.
    fn top_by_score(
        &self,
        searcher: &Searcher,
        terms: &[(String, Vec<String>)],
        passing: &facets::Passing,
        n: usize,
    ) -> Result<Page> {
        let fl = self.inner.fields;
        let scoring = tantivy::query::EnableScoring::enabled_from_searcher(searcher);
        // Each term: its field, its text and its weight.
        let mut texts: Vec<(Field, &str, f32)> = Vec::new();
        for (t, near) in terms {
            texts.push((fl.all, t, 1.0));
            for other in near {
                texts.push((fl.all, other, 0.3));
            }
            texts.push((fl.name, t, 2.0));
        }
        let wanted: Vec<(Term, f32)> = texts
            .iter()
            .map(|(field, text, boost)| (Term::from_field_text(*field, text), *boost))
            .collect();
        let mut weights: Vec<(Box<dyn tantivy::query::Weight>, f32)> = Vec::new();
        let mut bounds: Vec<f32> = Vec::new();
        for (term, boost) in &wanted {
            let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
            weights.push((tantivy::query::Query::weight(&query, scoring)?, *boost));
            let bm25 = tantivy::query::Bm25Weight::for_terms(searcher, std::slice::from_ref(term))?;
            bounds.push(bm25.boost_by(*boost).max_score());
        }
        // Term indexes from the lowest bound up, and the running sums of
        // those bounds (a margin covers the order of float additions).
        let mut by_bound: Vec<usize> = (0..bounds.len()).collect();
        by_bound.sort_by(|a, b| bounds[*a].total_cmp(&bounds[*b]));
        let mut reach = Vec::with_capacity(by_bound.len());
        let mut sum = 0.0f32;
        for i in &by_bound {
            sum += bounds[*i];
            reach.push(sum * 1.0001 + 1e-6);
        }
        // How many of the lowest-bound terms cannot make a page on their own.
        let weak = |best: &TopScores| -> usize {
            best.threshold()
                .map_or(0, |floor| reach.iter().take_while(|r| **r < floor).count())
        };
        let mut best = TopScores::new(n);
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let Some(bits) = passing.get(&segment.segment_id()) else {
                continue;
            };
            // The terms of the segment (a term it lacks scores nothing).
            let mut scorers: Vec<(usize, Box<dyn tantivy::query::Scorer>)> = Vec::new();
            for (i, (w, boost)) in weights.iter().enumerate() {
                let s = w.scorer(segment, *boost)?;
                if s.doc() != tantivy::TERMINATED {
                    scorers.push((i, s));
                }
            }
            let ord = u32::try_from(ord).unwrap_or(u32::MAX);
            // Every passing document, until some terms turn weak.
            let mut from: Option<tantivy::DocId> = None;
            bits.for_each_while(|doc| {
                best.offer(score_at(&mut scorers, doc), DocAddress::new(ord, doc));
                if weak(&best) > 0 {
                    from = Some(doc + 1);
                    false
                } else {
                    true
                }
            });
            let Some(mut doc) = from else {
                continue;
            };
            // Then only the passing documents that contain a strong term:
            // the passing set ANDed with the union of the strong terms' bit
            // sets (kept like the words', see `term_bits`), in order, and
            // narrowed again whenever more terms turn weak. Leapfrogging
            // a strong term's postings and the passing set instead sought
            // the postings once per hop.
            let mut weakest = weak(&best);
            'narrow: loop {
                let mut candidates: Option<facets::Bits> = None;
                for i in &by_bound[weakest..] {
                    if !scorers.iter().any(|(k, _)| k == i) {
                        continue;
                    }
                    let (field, text, _) = texts[*i];
                    let with = self.term_bits(segment, field, text)?;
                    match &mut candidates {
                        Some(c) => c.or(&with),
                        None => candidates = Some((*with).clone()),
                    }
                }
                let Some(mut candidates) = candidates else {
                    break;
                };
                candidates.and(bits);
                while let Some(d) = candidates.next_from(doc) {
                    best.offer(score_at(&mut scorers, d), DocAddress::new(ord, d));
                    doc = d + 1;
                    let w = weak(&best);
                    if w > weakest {
                        weakest = w;
                        continue 'narrow;
                    }
                }
                break;
            }
        }
        Ok(best.into_sorted())
    }

    /// Runs a search on the last committed state of the index. Results are
    /// kept per index generation (see [`GenerationCache`]): a repeated search
    /// on an unchanged index is answered from memory, and any commit makes
    /// every kept result unreachable.
    pub fn search(&self, q: &Query) -> Result<Hits> {
        let searcher = self.inner.reader.searcher();
        let generation = searcher.generation().generation_id();
        let key = format!("{:?}|{:?}|{}|{}", q.filter, q.sort, q.offset, q.limit);
        if let Some(hits) = lock(&self.inner.cache).get(generation, &key) {
            return Ok(hits);
        }
        let hits = self.search_uncached(&searcher, q)?;
        let mut cache = lock(&self.inner.cache);
        if cache.keeps() {
            cache.put(generation, key, hits.clone());
        }
        Ok(hits)
    }

    fn search_uncached(&self, searcher: &Searcher, q: &Query) -> Result<Hits> {
        let fl = self.inner.fields;
        let terms = Self::query_terms(&q.filter.words)
            .into_iter()
            .map(|(t, fuzzy)| {
                let near = if fuzzy && t.chars().count() >= 3 {
                    self.neighbours(searcher, &t)?
                } else {
                    Vec::new()
                };
                Ok((t, near))
            })
            .collect::<Result<Vec<_>>>()?;
        let f = &q.filter;
        let query = self.build_query(&terms);
        let wanted = facets::Wanted {
            strs: [
                f.region.clone().filter(|r| r != "35"),
                f.bentuk.clone(),
                f.jenis.clone(),
                f.tahapan.clone(),
                f.urusan.clone(),
            ],
            sdg: f.sdg.map(|s| u64::try_from(s).unwrap_or(u64::MAX)),
            year: f.year.map(|y| u64::try_from(y).unwrap_or(u64::MAX)),
        };
        let dense = self.dense_for(searcher)?;
        let top = || TopDocs::with_limit(q.limit.max(1)).and_offset(q.offset);
        // The page: by relevance with words, otherwise by a fast field.
        // With `count`, the facets are counted in the same pass.
        let page = |query: &dyn tantivy::query::Query,
                    count: bool|
         -> Result<(Option<facets::Counts>, Page)> {
            macro_rules! run {
                ($top:expr, $unscore:expr) => {
                    if count {
                        let collector = facets::MatchCollector {
                            wanted: wanted.clone(),
                            dense: dense.clone(),
                            inner: $top,
                        };
                        let (c, _, p) = searcher.search(query, &collector)?;
                        (Some(c), $unscore(p))
                    } else {
                        (None, $unscore(searcher.search(query, &$top)?))
                    }
                };
            }
            fn scored(p: Vec<(f32, DocAddress)>) -> Vec<(f32, DocAddress)> {
                p
            }
            fn unscored<T>(p: Vec<(T, DocAddress)>) -> Vec<(f32, DocAddress)> {
                p.into_iter().map(|(_, a)| (0.0, a)).collect()
            }
            Ok(match q.sort {
                Sort::Relevance if !terms.is_empty() => run!(top().order_by_score(), scored),
                Sort::Relevance | Sort::Newest => run!(
                    top().order_by_fast_field::<i64>("published_at", Order::Desc),
                    unscored
                ),
                Sort::Beneficiaries => run!(
                    top().order_by_fast_field::<i64>("beneficiaries", Order::Desc),
                    unscored
                ),
                Sort::Name => run!(
                    top().order_by_string_fast_field("name_sort", Order::Asc),
                    unscored
                ),
            })
        };
        let filtered = wanted.strs.iter().any(Option::is_some)
            || wanted.sdg.is_some()
            || wanted.year.is_some();
        let (counts, addrs) = if !filtered {
            // One pass: every match is counted and goes to the page.
            let (counts, page) = page(&query, true)?;
            (counts.unwrap_or_default(), page)
        } else {
            // Two steps: the matches of the words as bit sets (from the
            // words' bit sets, see `term_bits`), for the counts and the
            // set of matches that pass the filters; then the page
            // over the words joined with that set, which leads the
            // intersection, so only those documents are looked up and
            // scored or sorted. A word such as `pelayanan` matches most of
            // the corpus; two filters leave a few percent of it.
            let mut counts = facets::Counts::default();
            let mut passing = facets::Passing::new();
            for segment in searcher.segment_readers() {
                let matched = self.matches(segment, &terms)?;
                let dense = match dense.get(&segment.segment_id()) {
                    Some(d) => d.clone(),
                    None => Arc::new(facets::Dense::build(segment)?),
                };
                let (c, pass) = dense.count(&matched, &wanted);
                counts.absorb(c);
                passing.insert(segment.segment_id(), pass);
            }
            // Every passing document matches the words already, so the
            // page needs only the passing set and, for relevance, the
            // words' scores of those documents alone (`top_by_score`).
            let page = if q.sort == Sort::Relevance && !terms.is_empty() {
                self.top_by_score(searcher, &terms, &passing, q.offset + q.limit.max(1))?
                    .into_iter()
                    .skip(q.offset)
                    .collect()
            } else {
                page(&facets::Given(Arc::new(passing)), false)?.1
            };
            (counts, page)
        };
        // Matched terms for the snippets: the words' stems, and their
        // neighbours lower.
        let mut marked: std::collections::BTreeMap<String, f32> = std::collections::BTreeMap::new();
        for (t, near) in &terms {
            for n in near {
                marked.entry(n.clone()).or_insert(0.5);
            }
            marked.insert(t.clone(), 1.0);
        }
        let generator = (!terms.is_empty()).then(|| snippet_generator(marked));
        let mut hits = Vec::with_capacity(addrs.len());
        let ids = searcher
            .segment_readers()
            .iter()
            .map(|s| s.fast_fields().u64("id"))
            .collect::<tantivy::Result<Vec<_>>>()?;
        for (score, addr) in addrs {
            let Some(id) = ids
                .get(addr.segment_ord as usize)
                .and_then(|col| col.first(addr.doc_id))
            else {
                continue;
            };
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = |f: Field| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let int = |f: Field| doc.get_first(f).and_then(|v| v.as_i64());
            // A snippet only with words.
            let snippet = match &generator {
                None => String::new(),
                Some(generator) => snippet(generator, &text(fl.body)),
            };
            let id = i64::try_from(id).unwrap_or(i64::MAX);
            hits.push(Hit {
                score,
                snippet,
                card: IndexedCard {
                    id,
                    name: text(fl.name),
                    bentuk: text(fl.bentuk),
                    jenis: text(fl.jenis),
                    tahapan: text(fl.tahapan),
                    urusan_code: text(fl.urusan),
                    org_id: int(fl.org_id).unwrap_or(0),
                    beneficiaries: int(fl.beneficiaries).filter(|b| *b >= 0),
                    published_at: int(fl.published_at).filter(|p| *p != i64::MIN),
                    summary: text(fl.summary),
                },
            });
        }
        Ok(Hits {
            total: i64::try_from(counts.total).unwrap_or(i64::MAX),
            hits,
            facets: to_facets(counts),
        })
    }
}

/// Results of recent searches, valid for one generation of the index's
/// searcher. Catalogue traffic repeats itself (the landing page, popular
/// words, the facet links of a result page), as Solr's query result cache
/// assumes; a commit (every sync that changed something) moves the
/// generation and the first lookup after it empties the cache, so a kept
/// result is never older than what a fresh search would see. The web layer
/// keeps its rendered pages of cards in one too.
#[derive(Debug)]
pub struct GenerationCache<V> {
    generation: u64,
    capacity: usize,
    map: HashMap<String, V>,
}

impl<V: Clone> GenerationCache<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            generation: 0,
            capacity,
            map: HashMap::new(),
        }
    }

    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.map.clear();
    }

    /// Whether results are kept at all (a `put` would not just drop them).
    pub fn keeps(&self) -> bool {
        self.capacity > 0
    }

    pub fn get(&mut self, generation: u64, key: &str) -> Option<V> {
        if generation != self.generation {
            self.map.clear();
            self.generation = generation;
            return None;
        }
        self.map.get(key).cloned()
    }

    pub fn put(&mut self, generation: u64, key: String, value: V) {
        if generation != self.generation || self.capacity == 0 {
            return;
        }
        if self.map.len() >= self.capacity {
            // Crude but bounded: start over rather than track recency.
            self.map.clear();
        }
        self.map.insert(key, value);
    }
}

/// The sum of the scores of `doc` of the scorers that hold it; each is
/// advanced to `doc` at most (documents come in increasing order).
fn score_at(scorers: &mut [(usize, Box<dyn tantivy::query::Scorer>)], doc: tantivy::DocId) -> f32 {
    let mut score = 0.0;
    for (_, s) in scorers {
        if s.doc() < doc {
            s.seek(doc);
        }
        if s.doc() == doc {
            score += s.score();
        }
    }
    score
}

/// A page of hits: score (0 when sorted otherwise) and address.
type Page = Vec<(f32, DocAddress)>;

/// The `n` highest scores offered, ties to the earlier address.
struct TopScores {
    n: usize,
    heap: std::collections::BinaryHeap<Ranked>,
}

/// Ordered worst first in the heap: lower score, then later address.
#[derive(PartialEq)]
struct Ranked(f32, DocAddress);

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Reversed: the heap's top is the worst kept.
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| self.1.cmp(&other.1))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl TopScores {
    fn new(n: usize) -> Self {
        Self {
            n,
            heap: std::collections::BinaryHeap::with_capacity(n + 1),
        }
    }

    fn offer(&mut self, score: f32, addr: DocAddress) {
        let r = Ranked(score, addr);
        if self.heap.len() < self.n {
            self.heap.push(r);
        } else if let Some(worst) = self.heap.peek()
            && r < *worst
        {
            self.heap.pop();
            self.heap.push(r);
        }
    }

    /// The worst kept score once `n` are kept: anything lower (or equal,
    /// being later) cannot enter.
    fn threshold(&self) -> Option<f32> {
        (self.heap.len() >= self.n)
            .then(|| self.heap.peek().map(|r| r.0))
            .flatten()
    }

    fn into_sorted(self) -> Page {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Ranked(s, a)| (s, a))
            .collect()
    }
}

fn id_u64(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

/// The snippet maker for the matched terms (stems of the words, and their
/// neighbours), made once per search.
fn snippet_generator(marked: std::collections::BTreeMap<String, f32>) -> SnippetGenerator {
    // The field is only used by `snippet_from_doc`, which is not called.
    let mut generator = SnippetGenerator::new(marked, analyzer(), Field::from_field_id(0), 200);
    generator.set_max_num_chars(200);
    generator
}

/// The snippet of `text` around the matches, HTML-escaped, with the
/// matched terms in `<mark>`.
/// The best fragment of `text` as HTML: escaped, matches in `<mark>`.
/// Escaped with askama's escaper, which copies the runs between special
/// bytes; `Snippet::to_html` escaped char by char (a quarter of a snippet).
fn snippet(generator: &SnippetGenerator, text: &str) -> String {
    use askama::filters::Escaper;
    let s = generator.snippet(text);
    let fragment = s.fragment();
    let mut html = String::with_capacity(fragment.len() + 32);
    let mut at = 0;
    let escape = |html: &mut String, part: &str| {
        // Writing to a String cannot fail.
        let _ = askama::filters::Html.write_escaped_str(html, part);
    };
    for marked in tantivy::snippet::collapse_overlapped_ranges(s.highlighted()) {
        escape(&mut html, &fragment[at..marked.start]);
        html.push_str("<mark>");
        escape(&mut html, &fragment[marked.clone()]);
        html.push_str("</mark>");
        at = marked.end;
    }
    escape(&mut html, &fragment[at..]);
    html
}

fn to_facets(c: facets::Counts) -> Facets {
    let sorted = |m: HashMap<String, u64>| {
        let mut v: Vec<(String, i64)> = m
            .into_iter()
            .map(|(k, n)| (k, i64::try_from(n).unwrap_or(i64::MAX)))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    let [region, bentuk, jenis, tahapan, urusan] = c.strs;
    let mut sdg: Vec<(u64, u64)> = c.sdg.into_iter().collect();
    sdg.sort_unstable();
    let mut year: Vec<(u64, u64)> = c.year.into_iter().collect();
    year.sort_unstable_by_key(|y| std::cmp::Reverse(y.0));
    let num = |v: Vec<(u64, u64)>| {
        v.into_iter()
            .map(|(k, n)| (k.to_string(), i64::try_from(n).unwrap_or(i64::MAX)))
            .collect()
    };
    Facets {
        region: sorted(region),
        bentuk: sorted(bentuk),
        jenis: sorted(jenis),
        tahapan: sorted(tahapan),
        urusan: sorted(urusan),
        sdg: num(sdg),
        year: num(year),
    }
}

#[cfg(test)]
mod tests;
