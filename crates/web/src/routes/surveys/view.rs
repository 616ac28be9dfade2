//! What SKM pages share: the current month in WIB, number formatting in the
//! reader's language, and results turned into rows a template can show.

use rumah_domain::surveys::period::{Period, PeriodKind};
use rumah_domain::surveys::skm::{self, IkmResult, Mutu, Rounding, Tally};
use rumah_store::surveys::units::Element;

use crate::error::{AppError, Msg};
use crate::i18n::Lang;

/// Year and month now in WIB (UTC+7), where every unit of the province is.
pub fn now_wib() -> (i32, u8) {
    let wib = time::UtcOffset::from_hms(7, 0, 0).expect("a valid offset");
    let now = time::OffsetDateTime::now_utc().to_offset(wib);
    (now.year(), u8::from(now.month()))
}

/// Today's date in WIB.
pub fn today_wib() -> time::Date {
    let wib = time::UtcOffset::from_hms(7, 0, 0).expect("a valid offset");
    time::OffsetDateTime::now_utc().to_offset(wib).date()
}

/// The `periode` query parameter, or the current year.
pub fn period_param(raw: Option<&str>) -> Result<Period, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Period::containing(
            PeriodKind::Year,
            now_wib().0,
            now_wib().1,
        )),
        Some(s) => Period::parse(s).map_err(|_| {
            AppError::bad_request("invalid_period", Msg::new("skm.period_invalid"))
                .with_field("periode")
        }),
    }
}

/// A decimal number as the reader writes it: `88,31` in Indonesian,
/// `88.31` in English.
pub fn fmt_dec(x: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{x:.decimals$}");
    match lang {
        Lang::Id => s.replace('.', ","),
        Lang::En => s,
    }
}

/// A whole number with thousands separators (`1.234` / `1,234`).
pub fn fmt_int(n: i64, lang: Lang) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = match lang {
        Lang::Id => '.',
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub fn period_label(p: &Period, lang: Lang) -> String {
    match lang {
        Lang::Id => p.label_id(),
        Lang::En => p.label_en(),
    }
}

pub fn kinerja_key(m: Mutu) -> &'static str {
    match m {
        Mutu::A => "skm.kinerja_sangat_baik",
        Mutu::B => "skm.kinerja_baik",
        Mutu::C => "skm.kinerja_kurang_baik",
        Mutu::D => "skm.kinerja_tidak_baik",
    }
}

/// An IKM ready to show: the index, its grade and the number of respondents.
#[derive(Debug, Clone)]
pub struct Score {
    pub respondents: String,
    pub ikm: Option<String>,
    /// For sorting and bars: the index, 0 when there is none.
    pub ikm_value: f64,
    pub mutu: Option<&'static str>,
    pub kinerja: Option<String>,
}

impl Score {
    pub fn of(tally: &Tally, rounding: &Rounding, lang: Lang) -> Self {
        let result = skm::compute(tally, rounding);
        Self::from_result(tally.respondents, result.as_ref(), rounding, lang)
    }

    pub fn from_result(
        respondents: i64,
        r: Option<&IkmResult>,
        rounding: &Rounding,
        lang: Lang,
    ) -> Self {
        Self {
            respondents: fmt_int(respondents, lang),
            ikm: r.map(|r| fmt_dec(r.ikm, usize::from(rounding.ikm_decimals), lang)),
            ikm_value: r.map_or(0.0, |r| r.ikm),
            mutu: r.map(|r| r.mutu.code()),
            kinerja: r.map(|r| lang.t(kinerja_key(r.mutu)).into_owned()),
        }
    }
}

/// One element's row in a results table and chart.
#[derive(Debug, Clone)]
pub struct ElementRow {
    pub code: String,
    pub name: String,
    pub nrr: String,
    pub nrr_value: f64,
    pub converted: String,
    pub weakest: bool,
}

pub fn element_rows(elements: &[Element], r: &IkmResult, lang: Lang) -> Vec<ElementRow> {
    let weakest = r.weakest_elements();
    elements
        .iter()
        .enumerate()
        .take(skm::ELEMENT_COUNT)
        .map(|(i, e)| ElementRow {
            code: format!("U{}", e.position),
            name: e.name(lang == Lang::En).to_owned(),
            nrr: fmt_dec(r.nrr[i], 3, lang),
            nrr_value: r.nrr[i],
            converted: fmt_dec(r.nrr[i] * 25.0, 2, lang),
            weakest: weakest.contains(&i),
        })
        .collect()
}

/// One bar of the trend chart (an SVG drawn by the template; heights in
/// SVG units of a 0–100 scale).
#[derive(Debug, Clone)]
pub struct TrendBar {
    pub label: String,
    pub ikm: Option<String>,
    pub height: f64,
    pub x: usize,
    pub respondents: String,
}

/// Buckets monthly tallies into `periods` (oldest first).
pub fn trend(
    periods: &[Period],
    months: &[(i64, Tally)],
    rounding: &Rounding,
    lang: Lang,
) -> Vec<TrendBar> {
    periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (from, to) = p.month_range();
            let mut t = Tally::default();
            for (m, tally) in months {
                if (i64::from(from)..=i64::from(to)).contains(m) {
                    t.merge(tally);
                }
            }
            let r = skm::compute(&t, rounding);
            TrendBar {
                label: period_label(p, lang),
                ikm: r
                    .as_ref()
                    .map(|r| fmt_dec(r.ikm, usize::from(rounding.ikm_decimals), lang)),
                height: r.as_ref().map_or(0.0, |r| r.ikm),
                x: i * 60,
                respondents: fmt_int(t.respondents, lang),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_readers_way() {
        assert_eq!(fmt_dec(88.31, 2, Lang::En), "88.31");
        assert_eq!(fmt_dec(3.5, 2, Lang::Id), "3,50");
        assert_eq!(fmt_int(1_234_567, Lang::Id), "1.234.567");
        assert_eq!(fmt_int(1_234_567, Lang::En), "1,234,567");
        assert_eq!(fmt_int(999, Lang::En), "999");
        assert_eq!(fmt_int(0, Lang::Id), "0");
    }
}
