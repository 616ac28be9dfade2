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

    /// Calls `f` with every document in the set, in order.
    pub fn for_each(&self, mut f: impl FnMut(DocId)) {
        for (w, word) in self.0.iter().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                f((w * 64) as u32 + rest.trailing_zeros());
                rest &= rest - 1;
            }
        }
    }

    /// Like [`for_each`](Self::for_each) until `f` answers `false`.
    pub fn for_each_while(&self, mut f: impl FnMut(DocId) -> bool) {
        for (w, word) in self.0.iter().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                if !f((w * 64) as u32 + rest.trailing_zeros()) {
                    return;
                }
                rest &= rest - 1;
            }
        }
    }

    /// The first document of the set at or after `doc`.
    pub fn next_from(&self, doc: DocId) -> Option<DocId> {
        let d = doc as usize;
        let mut w = d / 64;
        let mut word = *self.0.get(w)? & (u64::MAX << (d % 64));
        loop {
            if word != 0 {
                return Some((w * 64) as u32 + word.trailing_zeros());
            }
            w += 1;
            word = *self.0.get(w)?;
        }
    }

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

    /// How many documents are in both.
    fn count_and(&self, other: &Bits) -> u64 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| u64::from((a & b).count_ones()))
            .sum()
    }

    pub(crate) fn count(&self) -> u64 {
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

/// No value (a document without one, or a dimension with too many values
/// to keep ordinals for).
const NO_ORD: u8 = u8::MAX;

/// How a dimension's values are counted ([`Dense::count_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// The forced ones are for tests that compare both ways.
#[cfg_attr(not(test), allow(dead_code))]
pub enum Walk {
    /// By cost: the documents when they are few next to the values' words.
    Auto,
    /// Always walk the documents (where ordinals are kept).
    Always,
    /// Always AND the bit sets.
    Never,
}

/// The facet values of one segment: per dimension, each value present and
/// the bit set of the documents that have it; and per document, its
/// values' ordinals.
#[derive(Debug)]
pub struct Dense {
    docs: u32,
    /// Per string dimension: (value, documents), sorted by value.
    strs: [Vec<(String, Bits)>; 5],
    /// (goal, documents), sorted by goal.
    sdg: Vec<(u64, Bits)>,
    /// (year, documents), sorted by year.
    year: Vec<(u64, Bits)>,
    /// Per string dimension, each document's value as an index into `strs`
    /// ([`NO_ORD`]: none); empty when the dimension has 255 values or more.
    str_ords: [Vec<u8>; 5],
    /// Each document's year as an index into `year`; empty as above.
    year_ords: Vec<u8>,
    /// Each document's goals, bit `g` for goal `g`.
    sdg_masks: Vec<u64>,
    /// The set of a filter value the segment does not have.
    empty: Bits,
}

impl Dense {
    /// Reads the fast fields of `segment` into a bit set per value.
    pub fn build(segment: &SegmentReader) -> tantivy::Result<Self> {
        let ff = segment.fast_fields();
        let docs = segment.max_doc();
        let mut strs: [Vec<(String, Bits)>; 5] = Default::default();
        let mut str_ords: [Vec<u8>; 5] = Default::default();
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
                let keep_ords = strs[i].len() < usize::from(NO_ORD);
                if keep_ords {
                    str_ords[i] = vec![NO_ORD; docs as usize];
                }
                let ords = col.into_parts().1;
                for doc in 0..docs {
                    if let Some(o) = ords.first(doc).and_then(|o| usize::try_from(o).ok())
                        && let Some((_, bits)) = strs[i].get_mut(o)
                    {
                        bits.set(doc);
                        if keep_ords {
                            str_ords[i][doc as usize] = u8::try_from(o).unwrap_or(NO_ORD);
                        }
                    }
                }
            }
        }
        let sdg_col = ff.u64("sdg")?;
        let year_col = ff.u64("year")?;
        let mut sdg: HashMap<u64, Bits> = HashMap::new();
        let mut year: HashMap<u64, Bits> = HashMap::new();
        let mut sdg_masks = vec![0u64; docs as usize];
        for doc in 0..docs {
            for g in sdg_col.values_for_doc(doc).filter(|g| *g < SDG_LIMIT) {
                sdg.entry(g).or_insert_with(|| Bits::new(docs)).set(doc);
                sdg_masks[doc as usize] |= 1 << g;
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
        let year = sorted(year);
        let mut year_ords = Vec::new();
        if year.len() < usize::from(NO_ORD) {
            year_ords = vec![NO_ORD; docs as usize];
            for (o, (_, bits)) in year.iter().enumerate() {
                bits.for_each(|doc| year_ords[doc as usize] = u8::try_from(o).unwrap_or(NO_ORD));
            }
        }
        Ok(Self {
            docs,
            strs,
            sdg: sorted(sdg),
            year,
            str_ords,
            year_ords,
            sdg_masks,
            empty: Bits::new(docs),
        })
    }

    /// The documents that pass the filter of dimension `dim`, or `None`
    /// when it has no filter. A value absent from the segment gives the
    /// empty set.
    fn filter(&self, wanted: &Wanted, dim: usize) -> Option<&Bits> {
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
        Some(found.unwrap_or(&self.empty))
    }

    /// How many values dimension `dim` has in this segment.
    fn values(&self, dim: usize) -> usize {
        match dim {
            SDG => self.sdg.len(),
            YEAR => self.year.len(),
            i => self.strs[i].len(),
        }
    }

    /// Whether per-document values of `dim` are kept.
    fn walkable(&self, dim: usize) -> bool {
        match dim {
            SDG => true,
            YEAR => !self.year_ords.is_empty(),
            i => !self.str_ords[i].is_empty(),
        }
    }

    /// The counts of a segment whose matching documents are `matched`, and
    /// the matching documents that pass every filter.
    pub fn count(&self, matched: &Bits, wanted: &Wanted) -> (Counts, Bits) {
        self.count_with(matched, wanted, Walk::Auto)
    }

    /// [`count`](Self::count), each dimension counted as `walk` says: by
    /// ANDing the documents to count with each value's set (a popcount per
    /// 64 documents per value), or by walking those documents and reading
    /// each one's value (a step per document). Walking wins when the
    /// documents are few next to values × words: a region (38 values) under
    /// two filters that leave a tenth of the matches.
    pub fn count_with(&self, matched: &Bits, wanted: &Wanted, walk: Walk) -> (Counts, Bits) {
        let filters: [Option<&Bits>; DIMS] = std::array::from_fn(|d| self.filter(wanted, d));
        // What passes every filter: the total, and the base of every
        // dimension without a filter of its own.
        let mut all = matched.clone();
        for f in filters.iter().flatten() {
            all.and(f);
        }
        let total = all.count();
        let mut counts = Counts {
            total,
            ..Counts::default()
        };
        let words = all.0.len() as u64;
        let walks = |dim: usize, docs: u64| {
            self.walkable(dim)
                && match walk {
                    Walk::Always => true,
                    Walk::Never => false,
                    Walk::Auto => docs * 4 < self.values(dim) as u64 * words,
                }
        };
        // Dimensions without a filter of their own share `all`: walked
        // together, in one pass.
        let mut walk_all: Vec<usize> = Vec::new();
        let mut scratch = Bits::new(self.docs);
        for (dim, own) in filters.iter().enumerate() {
            if own.is_none() {
                if walks(dim, total) {
                    walk_all.push(dim);
                } else {
                    self.count_by_bits(&all, dim, &mut counts);
                }
                continue;
            }
            // The documents counted in `dim`: those passing every other filter.
            scratch.0.copy_from_slice(&matched.0);
            for (other, f) in filters.iter().enumerate() {
                if other != dim
                    && let Some(f) = f
                {
                    scratch.and(f);
                }
            }
            if walks(dim, scratch.count()) {
                self.count_by_walking(&scratch, &[dim], &mut counts);
            } else {
                self.count_by_bits(&scratch, dim, &mut counts);
            }
        }
        if !walk_all.is_empty() {
            self.count_by_walking(&all, &walk_all, &mut counts);
        }
        (counts, all)
    }

    /// Counts the values of `dim` among `base` with one AND and popcount
    /// per value.
    fn count_by_bits(&self, base: &Bits, dim: usize, counts: &mut Counts) {
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

    /// Counts the values of each of `dims` among `base` by walking its
    /// documents, one dimension at a time: a pass reads one byte per
    /// document into a table of 256 counts (no bounds to check), which
    /// beat one pass that matched on the dimension for every document.
    fn count_by_walking(&self, base: &Bits, dims: &[usize], counts: &mut Counts) {
        for dim in dims {
            match *dim {
                SDG => {
                    let mut tally = [0u64; SDG_LIMIT as usize];
                    base.for_each(|doc| {
                        let mut goals = self.sdg_masks[doc as usize];
                        while goals != 0 {
                            tally[goals.trailing_zeros() as usize] += 1;
                            goals &= goals - 1;
                        }
                    });
                    for (g, n) in tally.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                        counts.sdg.insert(g as u64, n);
                    }
                }
                YEAR => {
                    for (o, n) in Self::tally(base, &self.year_ords) {
                        counts.year.insert(self.year[o].0, n);
                    }
                }
                i => {
                    for (o, n) in Self::tally(base, &self.str_ords[i]) {
                        counts.strs[i].insert(self.strs[i][o].0.clone(), n);
                    }
                }
            }
        }
    }

    /// How many documents of `base` have each ordinal of `ords` (none:
    /// [`NO_ORD`], not counted), as (ordinal, count) with counts above 0.
    fn tally(base: &Bits, ords: &[u8]) -> impl Iterator<Item = (usize, u64)> {
        let mut tally = [0u64; 256];
        base.for_each(|doc| tally[usize::from(ords[doc as usize])] += 1);
        tally[usize::from(NO_ORD)] = 0;
        tally.into_iter().enumerate().filter(|(_, n)| *n > 0)
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
        bits.for_each(|doc| {
            set.insert(doc);
        });
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
