//! Facet counts and the page of hits in one pass over the documents that
//! match the words: for each document, which filters it passes; a value of
//! a dimension is counted when the document passes every filter but that
//! dimension's own (the semantics of
//! `rumah_store::innovations::catalogue::facets`), and a document that
//! passes every filter goes on to the inner collector (the top-k).
//!
//! The facet values are read from [`Dense`] arrays, one per segment, built
//! once from the fast fields (segments never change) and kept by the index
//! until the segment is merged away: reading a `u32` from a vector is
//! several times cheaper than decoding a fast-field column per document,
//! and a query that matches most of a hundred thousand documents visits
//! every one of them.

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
/// No value in this dimension.
const NONE: u32 = u32::MAX;
/// SDGs are 1–17; a `u32` bit set holds them.
const SDG_BITS: u64 = 32;
const YEAR_BASE: u16 = 1970;
const YEARS: usize = 256;

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

/// The facet values of one segment, per document.
#[derive(Debug)]
pub struct Dense {
    /// Per string dimension and document: an index into `names`, or [`NONE`].
    strs: [Vec<u32>; 5],
    names: [Vec<String>; 5],
    /// Per document: bit `g` set when the document has SDG `g`.
    sdg: Vec<u32>,
    /// Per document: the publication year, 0 when unpublished.
    year: Vec<u16>,
}

impl Dense {
    /// Reads the fast fields of `segment` into flat arrays.
    pub fn build(segment: &SegmentReader) -> tantivy::Result<Self> {
        let ff = segment.fast_fields();
        let docs = segment.max_doc();
        let mut strs: [Vec<u32>; 5] = Default::default();
        let mut names: [Vec<String>; 5] = Default::default();
        for (i, dim) in STR_DIMS.iter().enumerate() {
            let mut values = vec![NONE; docs as usize];
            if let Some(col) = ff.str(dim)? {
                let dict = col.dictionary();
                let mut terms = dict.stream()?;
                while terms.advance() {
                    names[i].push(String::from_utf8_lossy(terms.key()).into_owned());
                }
                let ords = col.into_parts().1;
                for (doc, v) in values.iter_mut().enumerate() {
                    if let Some(o) = ords.first(doc as DocId) {
                        *v = u32::try_from(o).unwrap_or(NONE);
                    }
                }
            }
            strs[i] = values;
        }
        let sdg_col = ff.u64("sdg")?;
        let year_col = ff.u64("year")?;
        let mut sdg = vec![0u32; docs as usize];
        let mut year = vec![0u16; docs as usize];
        for doc in 0..docs {
            for g in sdg_col.values_for_doc(doc).filter(|g| *g < SDG_BITS) {
                sdg[doc as usize] |= 1 << g;
            }
            if let Some(y) = year_col.first(doc) {
                year[doc as usize] = u16::try_from(y).unwrap_or(0);
            }
        }
        Ok(Self {
            strs,
            names,
            sdg,
            year,
        })
    }
}

/// Counts facets and hands the documents that pass every filter to `inner`.
pub struct FacetCollector<C> {
    pub wanted: Wanted,
    /// The dense arrays of every segment of the searcher.
    pub dense: HashMap<SegmentId, Arc<Dense>>,
    pub inner: C,
}

pub struct SegmentCounts<C> {
    dense: Arc<Dense>,
    /// The wanted index per string dimension: `Some(NONE)` when the wanted
    /// value is absent from this segment (nothing passes).
    wanted_strs: [Option<u32>; 5],
    wanted_sdg: Option<u32>,
    wanted_year: Option<u16>,
    str_counts: [Vec<u64>; 5],
    sdg_counts: [u64; SDG_BITS as usize],
    /// Indexed by year from [`YEAR_BASE`]; other years in `other_years`.
    year_counts: Vec<u64>,
    other_years: HashMap<u16, u64>,
    total: u64,
    inner: C,
}

impl<C: Collector> Collector for FacetCollector<C> {
    type Fruit = (Counts, C::Fruit);
    type Child = SegmentCounts<C::Child>;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let dense = match self.dense.get(&segment.segment_id()) {
            Some(d) => d.clone(),
            None => Arc::new(Dense::build(segment)?),
        };
        let mut wanted_strs = [None; 5];
        for (i, w) in self.wanted.strs.iter().enumerate() {
            if let Some(w) = w {
                let at = dense.names[i].binary_search(w).ok();
                wanted_strs[i] = Some(at.and_then(|a| u32::try_from(a).ok()).unwrap_or(NONE));
            }
        }
        let str_counts = std::array::from_fn(|i| vec![0; dense.names[i].len()]);
        Ok(SegmentCounts {
            wanted_strs,
            // An SDG or year that cannot occur matches nothing.
            wanted_sdg: self
                .wanted
                .sdg
                .map(|g| if g < SDG_BITS { 1 << g } else { 0 }),
            wanted_year: self
                .wanted
                .year
                .map(|y| u16::try_from(y).ok().filter(|y| *y > 0).unwrap_or(u16::MAX)),
            str_counts,
            sdg_counts: [0; SDG_BITS as usize],
            year_counts: vec![0; YEARS],
            other_years: HashMap::new(),
            total: 0,
            inner: self.inner.for_segment(ord, segment)?,
            dense,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(Counts, <C::Child as SegmentCollector>::Fruit)>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut all = Counts::default();
        let mut inner = Vec::with_capacity(fruits.len());
        for (f, i) in fruits {
            inner.push(i);
            all.total += f.total;
            for (d, m) in f.strs.into_iter().enumerate() {
                for (k, n) in m {
                    *all.strs[d].entry(k).or_default() += n;
                }
            }
            for (k, n) in f.sdg {
                *all.sdg.entry(k).or_default() += n;
            }
            for (k, n) in f.year {
                *all.year.entry(k).or_default() += n;
            }
        }
        Ok((all, self.inner.merge_fruits(inner)?))
    }
}

impl<C: SegmentCollector> SegmentCollector for SegmentCounts<C> {
    type Fruit = (Counts, C::Fruit);

    fn collect(&mut self, doc: DocId, score: Score) {
        let d = doc as usize;
        let dense = &*self.dense;
        let strs: [u32; 5] = std::array::from_fn(|i| dense.strs[i][d]);
        let sdg = dense.sdg[d];
        let year = dense.year[d];
        // Which filters the document passes, one entry per dimension.
        let mut pass = [true; DIMS];
        for i in 0..5 {
            if let Some(w) = self.wanted_strs[i] {
                pass[i] = w != NONE && strs[i] == w;
            }
        }
        if let Some(w) = self.wanted_sdg {
            pass[SDG] = sdg & w != 0;
        }
        if let Some(w) = self.wanted_year {
            pass[YEAR] = year == w;
        }
        let failed = pass.iter().filter(|p| !**p).count();
        if failed == 0 {
            self.total += 1;
            self.inner.collect(doc, score);
        }
        if failed > 1 {
            return;
        }
        // Counted in dimension i when every other filter passes.
        let counts_in = |i: usize| failed == 0 || !pass[i];
        for (i, v) in strs.into_iter().enumerate() {
            if counts_in(i)
                && let Some(n) = self.str_counts[i].get_mut(v as usize)
            {
                *n += 1;
            }
        }
        if counts_in(SDG) {
            let mut bits = sdg;
            while bits != 0 {
                let g = bits.trailing_zeros() as usize;
                self.sdg_counts[g] += 1;
                bits &= bits - 1;
            }
        }
        if counts_in(YEAR) && year > 0 {
            match year
                .checked_sub(YEAR_BASE)
                .and_then(|i| self.year_counts.get_mut(usize::from(i)))
            {
                Some(n) => *n += 1,
                None => *self.other_years.entry(year).or_default() += 1,
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut strs: [HashMap<String, u64>; 5] = Default::default();
        for (i, counts) in self.str_counts.into_iter().enumerate() {
            for (at, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                strs[i].insert(self.dense.names[i][at].clone(), n);
            }
        }
        let counts = Counts {
            strs,
            sdg: self
                .sdg_counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(g, n)| (g as u64, n))
                .collect(),
            year: self
                .year_counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(i, n)| (u64::from(YEAR_BASE) + i as u64, n))
                .chain(self.other_years.into_iter().map(|(y, n)| (u64::from(y), n)))
                .collect(),
            total: self.total,
        };
        (counts, self.inner.harvest())
    }
}
