//! Facet counts in one pass over the documents that match the words: for
//! each document, which filters it passes; a value of a dimension is
//! counted when the document passes every filter but that dimension's own
//! (the semantics of `rumah_store::innovations::catalogue::facets`).

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// String dimensions, in this order: region, bentuk, jenis, tahapan, urusan.
pub const STR_DIMS: [&str; 5] = ["region", "bentuk", "jenis", "tahapan", "urusan"];
const SDG: usize = 5;
const YEAR: usize = 6;
const DIMS: usize = 7;
const YEAR_BASE: u64 = 1970;
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
#[derive(Debug, Default)]
pub struct Counts {
    pub strs: [HashMap<String, u64>; 5],
    pub sdg: HashMap<u64, u64>,
    pub year: HashMap<u64, u64>,
    pub total: u64,
}

pub struct FacetCollector {
    pub wanted: Wanted,
}

pub struct SegmentCounts {
    strs: Vec<Option<StrColumn>>,
    /// The term ordinal columns of `strs` (each document has one value).
    ords: Vec<Option<Column<u64>>>,
    /// The wanted ordinal per string dimension: `Some(None)` when the
    /// wanted value is absent from this segment (nothing passes).
    wanted_ords: [Option<Option<u64>>; 5],
    sdg: Column<u64>,
    year: Column<u64>,
    wanted: Wanted,
    /// Counts indexed by term ordinal (dictionaries are small: regions,
    /// codes), by SDG, and by year from [`YEAR_BASE`].
    ord_counts: [Vec<u64>; 5],
    sdg_counts: Vec<u64>,
    year_counts: Vec<u64>,
    other_years: HashMap<u64, u64>,
    total: u64,
}

impl Collector for FacetCollector {
    type Fruit = Counts;
    type Child = SegmentCounts;

    fn for_segment(
        &self,
        _ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentCounts> {
        let ff = segment.fast_fields();
        let mut strs = Vec::with_capacity(5);
        let mut ord_counts: [Vec<u64>; 5] = Default::default();
        let mut wanted_ords: [Option<Option<u64>>; 5] = Default::default();
        for (i, dim) in STR_DIMS.iter().enumerate() {
            let col = ff.str(dim)?;
            if let Some(w) = &self.wanted.strs[i] {
                let ord = match &col {
                    Some(c) => c.dictionary().term_ord(w.as_bytes())?,
                    None => None,
                };
                wanted_ords[i] = Some(ord);
            }
            ord_counts[i] = vec![0; col.as_ref().map_or(0, |c| c.dictionary().num_terms())];
            strs.push(col);
        }
        let ords = strs
            .iter()
            .map(|c| c.as_ref().map(|c| c.clone().into_parts().1))
            .collect();
        Ok(SegmentCounts {
            ords,
            strs,
            wanted_ords,
            sdg: ff.u64("sdg")?,
            year: ff.u64("year")?,
            wanted: self.wanted.clone(),
            ord_counts,
            sdg_counts: vec![0; 18],
            year_counts: vec![0; YEARS],
            other_years: HashMap::new(),
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut all = Counts::default();
        for f in fruits {
            all.total += f.total;
            for (i, m) in f.strs.into_iter().enumerate() {
                for (k, n) in m {
                    *all.strs[i].entry(k).or_default() += n;
                }
            }
            for (k, n) in f.sdg {
                *all.sdg.entry(k).or_default() += n;
            }
            for (k, n) in f.year {
                *all.year.entry(k).or_default() += n;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentCounts {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        // Which filters the document passes, one bit per dimension.
        let mut pass = [true; DIMS];
        let mut ords = [None; 5];
        for (i, ord) in ords.iter_mut().enumerate() {
            *ord = self.ords[i].as_ref().and_then(|c| c.first(doc));
        }
        for (i, passed) in pass.iter_mut().enumerate().take(5) {
            if let Some(want) = self.wanted_ords[i] {
                *passed = want.is_some() && ords[i] == want;
            }
        }
        if let Some(w) = self.wanted.sdg {
            pass[SDG] = self.sdg.values_for_doc(doc).any(|v| v == w);
        }
        if let Some(w) = self.wanted.year {
            pass[YEAR] = self.year.values_for_doc(doc).any(|v| v == w);
        }
        let failed = pass.iter().filter(|p| !**p).count();
        if failed == 0 {
            self.total += 1;
        }
        if failed > 1 {
            return;
        }
        // Counted in dimension d when every other filter passes.
        let counts_in = |d: usize| failed == 0 || !pass[d];
        for (i, ord) in ords.into_iter().enumerate() {
            if counts_in(i)
                && let Some(n) = ord
                    .and_then(|o| usize::try_from(o).ok())
                    .and_then(|o| self.ord_counts[i].get_mut(o))
            {
                *n += 1;
            }
        }
        if counts_in(SDG) {
            for v in self.sdg.values_for_doc(doc) {
                if let Some(n) = usize::try_from(v)
                    .ok()
                    .and_then(|v| self.sdg_counts.get_mut(v))
                {
                    *n += 1;
                }
            }
        }
        if counts_in(YEAR) {
            for v in self.year.values_for_doc(doc) {
                match v
                    .checked_sub(YEAR_BASE)
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| self.year_counts.get_mut(i))
                {
                    Some(n) => *n += 1,
                    None => *self.other_years.entry(v).or_default() += 1,
                }
            }
        }
    }

    fn harvest(self) -> Counts {
        let mut strs: [HashMap<String, u64>; 5] = Default::default();
        for (i, m) in self.ord_counts.into_iter().enumerate() {
            if let Some(col) = &self.strs[i] {
                for (ord, n) in m.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                    let ord = ord as u64;
                    let mut s = String::new();
                    if col.ord_to_str(ord, &mut s).unwrap_or(false) {
                        *strs[i].entry(s).or_default() += n;
                    }
                }
            }
        }
        let mut year = self.other_years;
        for (i, n) in self
            .year_counts
            .into_iter()
            .enumerate()
            .filter(|(_, n)| *n > 0)
        {
            *year.entry(YEAR_BASE + i as u64).or_default() += n;
        }
        Counts {
            strs,
            sdg: self
                .sdg_counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(g, n)| (g as u64, n))
                .collect(),
            year,
            total: self.total,
        }
    }
}
