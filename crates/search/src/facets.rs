//! Facet counts by bit sets. A search first marks the documents that match
//! its words in a bit set per segment ([`MatchCollector`]); the counts are
//! then popcounts of that set ANDed with the bit set of each facet value
//! and of the filters. A value of a dimension is counted when the document
//! passes every filter but that dimension's own (the semantics of
//! `rumah_store::innovations::catalogue::facets`: a facet ignores its own
//! filter, so a user sees what choosing another value would give).
//!
//! The bit sets of the values ([`Dense`]) are built once per segment from
//! the fast fields (segments never change) and kept by the index until the
//! segment is merged away. A word such as `pelayanan` matches most of a
//! hundred thousand documents: marking a bit per document and counting a
//! hundred values with 64 documents per machine word costs a fraction of
//! looking up seven values for each document.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// String dimensions, in this order: region, bentuk, jenis, tahapan, urusan.
pub const STR_DIMS: [&str; 5] = ["region", "bentuk", "jenis", "tahapan", "urusan"];
const SDG: usize = 5;
const YEAR: usize = 6;
const DIMS: usize = 7;
/// SDGs are 1–17; anything at or above this is not a goal.
const SDG_LIMIT: u64 = 64;

/// A fixed-size bit set over the documents of a segment.
#[derive(Debug, Clone)]
pub struct Bits(Vec<u64>);

impl Bits {
    pub fn new(docs: u32) -> Self {
        Self(vec![0; (docs as usize).div_ceil(64)])
    }

    pub fn set(&mut self, doc: DocId) {
        let d = doc as usize;
        if let Some(w) = self.0.get_mut(d / 64) {
            *w |= 1 << (d % 64);
        }
    }

    /// Every document of a segment of `docs`.
    pub fn full(docs: u32) -> Self {
        let mut b = Self(vec![u64::MAX; (docs as usize).div_ceil(64)]);
        let tail = docs as usize % 64;
        if tail != 0
            && let Some(last) = b.0.last_mut()
        {
            *last = (1u64 << tail) - 1;
        }
        b
    }

    /// Clears the documents for which `keep` is false.
    pub fn retain(&mut self, keep: impl Fn(DocId) -> bool) {
        for (w, word) in self.0.iter_mut().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                let bit = rest.trailing_zeros();
                if !keep((w * 64) as u32 + bit) {
                    *word &= !(1u64 << bit);
                }
                rest &= rest - 1;
            }
        }
    }

    /// `self |= other`.
    pub fn or(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= *b;
        }
    }

    /// `self &= other`.
    pub fn and(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= *b;
        }
    }

    fn clear(&mut self) {
        self.0.fill(0);
    }

    /// How many documents are in both.
    fn count_and(&self, other: &Bits) -> u64 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| u64::from((a & b).count_ones()))
            .sum()
    }

    fn count(&self) -> u64 {
        self.0.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

/// The wanted value of every dimension (`None`: no filter).
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    pub strs: [Option<String>; 5],
    pub sdg: Option<u64>,
    pub year: Option<u64>,
}

/// Counts per dimension (strings for the five string dimensions, numbers
/// for SDG and year), and how many documents pass every filter.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub strs: [HashMap<String, u64>; 5],
    pub sdg: HashMap<u64, u64>,
    pub year: HashMap<u64, u64>,
    pub total: u64,
}

impl Counts {
    /// Adds the counts of another segment.
    pub fn absorb(&mut self, f: Counts) {
        self.total += f.total;
        for (d, m) in f.strs.into_iter().enumerate() {
            for (k, n) in m {
                *self.strs[d].entry(k).or_default() += n;
            }
        }
        for (k, n) in f.sdg {
            *self.sdg.entry(k).or_default() += n;
        }
        for (k, n) in f.year {
            *self.year.entry(k).or_default() += n;
        }
    }
}

/// The facet values of one segment: per dimension, each value present and
/// the bit set of the documents that have it.
#[derive(Debug)]
pub struct Dense {
    docs: u32,
    /// Per string dimension: (value, documents), sorted by value.
    strs: [Vec<(String, Bits)>; 5],
    /// (goal, documents), sorted by goal.
    sdg: Vec<(u64, Bits)>,
    /// (year, documents), sorted by year.
    year: Vec<(u64, Bits)>,
}

impl Dense {
    /// Reads the fast fields of `segment` into a bit set per value.
    pub fn build(segment: &SegmentReader) -> tantivy::Result<Self> {
        let ff = segment.fast_fields();
        let docs = segment.max_doc();
        let mut strs: [Vec<(String, Bits)>; 5] = Default::default();
        for (i, dim) in STR_DIMS.iter().enumerate() {
            if let Some(col) = ff.str(dim)? {
                let dict = col.dictionary();
                let mut terms = dict.stream()?;
                while terms.advance() {
                    strs[i].push((
                        String::from_utf8_lossy(terms.key()).into_owned(),
                        Bits::new(docs),
                    ));
                }
                let ords = col.into_parts().1;
                for doc in 0..docs {
                    if let Some(o) = ords.first(doc)
                        && let Some((_, bits)) =
                            usize::try_from(o).ok().and_then(|o| strs[i].get_mut(o))
                    {
                        bits.set(doc);
                    }
                }
            }
        }
        let sdg_col = ff.u64("sdg")?;
        let year_col = ff.u64("year")?;
        let mut sdg: HashMap<u64, Bits> = HashMap::new();
        let mut year: HashMap<u64, Bits> = HashMap::new();
        for doc in 0..docs {
            for g in sdg_col.values_for_doc(doc).filter(|g| *g < SDG_LIMIT) {
                sdg.entry(g).or_insert_with(|| Bits::new(docs)).set(doc);
            }
            if let Some(y) = year_col.first(doc).filter(|y| *y > 0) {
                year.entry(y).or_insert_with(|| Bits::new(docs)).set(doc);
            }
        }
        let sorted = |m: HashMap<u64, Bits>| {
            let mut v: Vec<(u64, Bits)> = m.into_iter().collect();
            v.sort_unstable_by_key(|(k, _)| *k);
            v
        };
        Ok(Self {
            docs,
            strs,
            sdg: sorted(sdg),
            year: sorted(year),
        })
    }

    /// The documents that pass the filter of dimension `dim`, or `None`
    /// when it has no filter. A value absent from the segment gives the
    /// empty set.
    fn filter(&self, wanted: &Wanted, dim: usize) -> Option<Bits> {
        let found = match dim {
            SDG => {
                let g = wanted.sdg?;
                self.sdg.iter().find(|(k, _)| *k == g).map(|(_, b)| b)
            }
            YEAR => {
                let y = wanted.year?;
                self.year.iter().find(|(k, _)| *k == y).map(|(_, b)| b)
            }
            i => {
                let w = wanted.strs[i].as_deref()?;
                self.strs[i]
                    .binary_search_by(|(k, _)| k.as_str().cmp(w))
                    .ok()
                    .map(|at| &self.strs[i][at].1)
            }
        };
        Some(found.cloned().unwrap_or_else(|| Bits::new(self.docs)))
    }

    /// The counts of a segment whose matching documents are `matched`, and
    /// the matching documents that pass every filter.
    pub fn count(&self, matched: &Bits, wanted: &Wanted) -> (Counts, Bits) {
        let filters: Vec<Option<Bits>> = (0..DIMS).map(|d| self.filter(wanted, d)).collect();
        // What passes every filter: the total, and the base of every
        // dimension without a filter of its own.
        let mut all = matched.clone();
        for f in filters.iter().flatten() {
            all.and(f);
        }
        let mut scratch = Bits::new(self.docs);
        let mut counts = Counts {
            total: all.count(),
            ..Counts::default()
        };
        for (dim, own) in filters.iter().enumerate() {
            // The documents counted in `dim`: those passing every other filter.
            let base: &Bits = if own.is_none() {
                &all
            } else {
                scratch.clear();
                scratch.0.copy_from_slice(&matched.0);
                for (other, f) in filters.iter().enumerate() {
                    if other != dim
                        && let Some(f) = f
                    {
                        scratch.and(f);
                    }
                }
                &scratch
            };
            match dim {
                SDG => {
                    for (g, bits) in &self.sdg {
                        let n = base.count_and(bits);
                        if n > 0 {
                            counts.sdg.insert(*g, n);
                        }
                    }
                }
                YEAR => {
                    for (y, bits) in &self.year {
                        let n = base.count_and(bits);
                        if n > 0 {
                            counts.year.insert(*y, n);
                        }
                    }
                }
                i => {
                    for (v, bits) in &self.strs[i] {
                        let n = base.count_and(bits);
                        if n > 0 {
                            counts.strs[i].insert(v.clone(), n);
                        }
                    }
                }
            }
        }
        (counts, all)
    }
}

/// Marks every matching document in a bit set per segment, counts the
/// facets from them, and hands every document to `inner` (a top-k, when
/// there are no filters; with filters the page comes from another query).
pub struct MatchCollector<C> {
    pub wanted: Wanted,
    /// The bit sets of every segment of the searcher.
    pub dense: HashMap<SegmentId, Arc<Dense>>,
    pub inner: C,
}

pub struct SegmentMatches<C> {
    segment: SegmentId,
    dense: Arc<Dense>,
    matched: Bits,
    inner: C,
}

/// The matching documents that pass every filter, per segment.
pub type Passing = HashMap<SegmentId, Bits>;

impl<C: Collector> Collector for MatchCollector<C> {
    type Fruit = (Counts, Passing, C::Fruit);
    type Child = SegmentMatches<C::Child>;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let dense = match self.dense.get(&segment.segment_id()) {
            Some(d) => d.clone(),
            None => Arc::new(Dense::build(segment)?),
        };
        Ok(SegmentMatches {
            segment: segment.segment_id(),
            matched: Bits::new(segment.max_doc()),
            dense,
            inner: self.inner.for_segment(ord, segment)?,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(SegmentFruit, <C::Child as SegmentCollector>::Fruit)>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut all = Counts::default();
        let mut passing = Passing::new();
        let mut inner = Vec::with_capacity(fruits.len());
        for ((segment, dense, matched), i) in fruits {
            inner.push(i);
            let (f, pass) = dense.count(&matched, &self.wanted);
            passing.insert(segment, pass);
            all.absorb(f);
        }
        Ok((all, passing, self.inner.merge_fruits(inner)?))
    }
}

/// A segment, its bit sets and the documents that matched in it.
pub type SegmentFruit = (SegmentId, Arc<Dense>, Bits);

impl<C: SegmentCollector> SegmentCollector for SegmentMatches<C> {
    type Fruit = (SegmentFruit, C::Fruit);

    fn collect(&mut self, doc: DocId, score: Score) {
        self.matched.set(doc);
        self.inner.collect(doc, score);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for d in docs {
            self.matched.set(*d);
        }
        self.inner.collect_block(docs);
    }

    fn harvest(self) -> Self::Fruit {
        (
            (self.segment, self.dense, self.matched),
            self.inner.harvest(),
        )
    }
}

/// A query matching given documents per segment (the matches that pass
/// the filters, from a [`MatchCollector`] pass), scoring nothing: joined
/// to the words' query it leads the intersection, so only those documents
/// are looked up in the posting lists and scored.
#[derive(Clone, Debug)]
pub struct Given(pub Arc<Passing>);

impl tantivy::query::Query for Given {
    fn weight(
        &self,
        _: tantivy::query::EnableScoring<'_>,
    ) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl tantivy::query::Weight for Given {
    fn scorer(
        &self,
        reader: &SegmentReader,
        _boost: Score,
    ) -> tantivy::Result<Box<dyn tantivy::query::Scorer>> {
        let Some(bits) = self.0.get(&reader.segment_id()) else {
            return Ok(Box::new(tantivy::query::EmptyScorer));
        };
        let mut set = tantivy::BitSet::with_max_value(reader.max_doc());
        for (w, word) in bits.0.iter().enumerate() {
            let mut word = *word;
            while word != 0 {
                let doc = (w * 64) as u32 + word.trailing_zeros();
                set.insert(doc);
                word &= word - 1;
            }
        }
        Ok(Box::new(tantivy::query::ConstScorer::new(
            tantivy::query::BitSetDocSet::from(set),
            0.0,
        )))
    }

    fn explain(
        &self,
        _reader: &SegmentReader,
        _doc: DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        Ok(tantivy::query::Explanation::new("passes the filters", 0.0))
    }
}
