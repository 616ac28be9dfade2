//! The "Laporan SKM" of a unit for a period, for those who manage it:
//! `GET /skm/kelola/{id}/laporan.xlsx?periode=` (a workbook: summary, per
//! element, per service, monthly trend, the unit's analysis and follow-up
//! plan) and `GET /skm/kelola/{id}/laporan.pdf?periode=` (the usual report
//! layout: introduction, method, results per element, IKM, analysis,
//! follow-up plan).
//!
//! Both are computed exactly as the results page is: from the monthly
//! tallies, with the configured rounding conventions. The analysis and the
//! follow-up plan are the unit's own texts for the period's year (edited on
//! `/skm/kelola/{id}`); an empty analysis is replaced by one generated from
//! the weakest elements. Both documents are small and built in memory.

use axum::extract::{Path, State};
use axum::response::Response;
use rumah_domain::surveys::period::{Period, month_key};
use rumah_domain::surveys::skm::{
    self, ELEMENT_COUNT, IkmResult, Rounding, SampleRounding, Tally, WeightRule, krejcie_morgan,
};
use rumah_store::surveys::tallies;
use rumah_store::surveys::units::{self, Unit};
use rust_xlsxwriter::{
    Color, DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::download::attachment;
use crate::error::{AppError, AppResult};
use crate::extract::{Ctx, QueryParams};
use crate::i18n::Lang;
use crate::pdf::{A4, Document, Font, MM};
use crate::state::AppState;

use super::manage::managed_unit;
use super::view::{self, fmt_dec, fmt_int, kinerja_key, period_label};

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize)]
pub struct ReportQuery {
    periode: Option<String>,
}

/// One questionnaire element's line.
struct ElementLine {
    code: String,
    name: String,
    sum: i64,
}

struct ServiceLine {
    name: String,
    tally: Tally,
    result: Option<IkmResult>,
}

struct MonthLine {
    label: String,
    tally: Tally,
    result: Option<IkmResult>,
}

/// What the report says about the sample size.
enum Sample {
    /// A yearly period whose population is known.
    Target { population: i64, target: u64 },
    /// A yearly period, but the unit recorded no volumes.
    Unknown,
    /// The target is a yearly figure; the period is shorter.
    NotYearly,
}

/// Everything a report shows.
struct Report {
    unit: Unit,
    period: Period,
    lang: Lang,
    rounding: Rounding,
    sample_rounding: SampleRounding,
    total: Tally,
    result: Option<IkmResult>,
    elements: Vec<ElementLine>,
    services: Vec<ServiceLine>,
    months: Vec<MonthLine>,
    sample: Sample,
    /// The unit's analysis, or one generated from the results.
    analysis: String,
    /// The unit's follow-up plan, or a note that it has none.
    follow_up: String,
    public_url: String,
}

impl Report {
    fn t(&self, key: &str) -> String {
        self.lang.t(key).into_owned()
    }

    fn period_label(&self) -> String {
        period_label(&self.period, self.lang)
    }

    fn ikm_text(&self, r: Option<&IkmResult>) -> String {
        r.map_or_else(
            || "-".to_owned(),
            |r| fmt_dec(r.ikm, usize::from(self.rounding.ikm_decimals), self.lang),
        )
    }

    /// The element weight as used: `0,11` for two decimals, `1/9` when exact.
    fn weight_label(&self) -> String {
        match self.rounding.weight {
            WeightRule::Exact => "1/9".to_owned(),
            rule @ WeightRule::Decimals(d) => fmt_dec(rule.weight(), usize::from(d), self.lang),
        }
    }

    /// The rounding conventions in one line.
    fn rounding_line(&self) -> String {
        let nrr = match self.rounding.nrr_decimals {
            None => self.t("skm_docs.nrr_unrounded"),
            Some(d) => self
                .lang
                .tf("skm_docs.nrr_decimals", &[("n", &d.to_string())]),
        };
        let sample = match self.sample_rounding {
            SampleRounding::Up => self.t("skm_docs.sample_up"),
            SampleRounding::Nearest => self.t("skm_docs.sample_nearest"),
        };
        self.lang.tf(
            "skm_docs.rounding_line",
            &[
                ("weight", &self.weight_label()),
                ("nrr", &nrr),
                ("ikm", &self.rounding.ikm_decimals.to_string()),
                ("sample", &sample),
            ],
        )
    }

    fn file_name(&self, ext: &str) -> String {
        format!("laporan-skm-{}-{}.{ext}", self.unit.slug, self.period.key())
    }
}

async fn gather(state: &AppState, unit: Unit, period: Period, lang: Lang) -> AppResult<Report> {
    let config = state.config().skm;
    let rounding = config.rounding;
    let mut db = state.db();
    let (from, to) = period.month_range();
    let per_service = tallies::by_service(&mut db, unit.id, i64::from(from), i64::from(to)).await?;
    let total = skm::roll_up(per_service.iter().map(|(_, t)| *t));
    let result = skm::compute(&total, &rounding);
    let elements: Vec<ElementLine> = units::elements(&mut db, &unit.element_version)
        .await?
        .iter()
        .take(ELEMENT_COUNT)
        .zip(total.sums)
        .map(|(e, sum)| ElementLine {
            code: format!("U{}", e.position),
            name: e.name(lang == Lang::En).to_owned(),
            sum,
        })
        .collect();
    let services = units::services(&mut db, unit.id)
        .await?
        .into_iter()
        .map(|s| {
            let tally = per_service
                .iter()
                .find(|(id, _)| *id == s.id)
                .map(|(_, t)| *t)
                .unwrap_or_default();
            ServiceLine {
                name: s.name,
                result: skm::compute(&tally, &rounding),
                tally,
            }
        })
        .collect();
    let by_month =
        tallies::by_month(&mut db, unit.id, None, i64::from(from), i64::from(to)).await?;
    let year = period.year();
    let months = (from % 100..=to % 100)
        .filter_map(|m| u8::try_from(m).ok())
        .filter_map(|m| Period::new_month(year, m).ok().map(|p| (m, p)))
        .map(|(m, p)| {
            let key = i64::from(month_key(year, m));
            let tally = by_month
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, t)| *t)
                .unwrap_or_default();
            MonthLine {
                label: period_label(&p, lang),
                result: skm::compute(&tally, &rounding),
                tally,
            }
        })
        .collect();
    let sample = match period {
        Period::Year { year } => {
            match units::population(&mut db, unit.id, i64::from(year)).await? {
                Some(population) => Sample::Target {
                    population,
                    target: krejcie_morgan(
                        u64::try_from(population).unwrap_or(0),
                        config.sample_rounding,
                    ),
                },
                None => Sample::Unknown,
            }
        }
        _ => Sample::NotYearly,
    };
    let text = units::report_text(&mut db, unit.id, i64::from(year)).await?;
    let analysis = if text.analysis.trim().is_empty() {
        default_analysis(&elements, result.as_ref(), lang)
    } else {
        text.analysis
    };
    let follow_up = if text.follow_up.trim().is_empty() {
        lang.t("skm_docs.follow_up_empty").into_owned()
    } else {
        text.follow_up
    };
    let public_url = state
        .config()
        .public_url
        .join(&format!("skm/{}", unit.slug))
        .map_or_else(|_| format!("/skm/{}", unit.slug), String::from);
    Ok(Report {
        unit,
        period,
        lang,
        rounding,
        sample_rounding: config.sample_rounding,
        total,
        result,
        elements,
        services,
        months,
        sample,
        analysis,
        follow_up,
        public_url,
    })
}

/// The analysis a unit that wrote none gets: its weakest elements.
fn default_analysis(elements: &[ElementLine], result: Option<&IkmResult>, lang: Lang) -> String {
    let Some(r) = result else {
        return lang.t("skm_docs.analysis_default_empty").into_owned();
    };
    let weakest: Vec<String> = r
        .weakest_elements()
        .into_iter()
        .filter_map(|i| {
            elements
                .get(i)
                .map(|e| format!("{} {} (NRR {})", e.code, e.name, fmt_dec(r.nrr[i], 3, lang)))
        })
        .collect();
    lang.tf(
        "skm_docs.analysis_default",
        &[("elements", &weakest.join(", "))],
    )
}

async fn report(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    periode: Option<&str>,
) -> AppResult<Report> {
    let unit = managed_unit(state, user, id).await?;
    let period = view::period_param(periode)?;
    gather(state, unit, period, lang).await
}

pub async fn xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(q): QueryParams<ReportQuery>,
) -> AppResult<Response> {
    let report = report(&state, &user, ctx.lang, id, q.periode.as_deref()).await?;
    let bytes = workbook(&report).map_err(AppError::internal)?;
    Ok(attachment(XLSX_TYPE, &report.file_name("xlsx"), bytes))
}

pub async fn pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(q): QueryParams<ReportQuery>,
) -> AppResult<Response> {
    let report = report(&state, &user, ctx.lang, id, q.periode.as_deref()).await?;
    let bytes = pdf_report(&report);
    Ok(attachment(
        "application/pdf",
        &report.file_name("pdf"),
        bytes,
    ))
}

// ---------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------

/// Excel's limit on the characters of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// An Excel number format with `decimals` decimals.
fn decimals_format(decimals: u8) -> String {
    if decimals == 0 {
        "0".to_owned()
    } else {
        format!("0.{}", "0".repeat(usize::from(decimals)))
    }
}

fn workbook(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "{} - {} - {}",
                r.t("skm_docs.doc_title"),
                r.unit.name,
                r.period_label()
            ))
            .set_author("Rumah Inovasi")
            .set_company(r.unit.org_name.as_str()),
    );
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00D9_E1F2))
        .set_border_bottom(FormatBorder::Thin);
    let int = Format::new().set_num_format("#,##0");
    let ikm = Format::new().set_num_format(decimals_format(r.rounding.ikm_decimals));
    let dec2 = Format::new().set_num_format("0.00");
    let dec3 = Format::new().set_num_format("0.000");
    let dec4 = Format::new().set_num_format("0.0000");
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let weight = Format::new().set_num_format(match r.rounding.weight {
        WeightRule::Exact => "?/?".to_owned(),
        WeightRule::Decimals(d) => decimals_format(d),
    });

    // Ringkasan: the figures of the period.
    let ws = wb.add_worksheet();
    ws.set_name(r.t("skm_docs.sheet_summary"))?;
    ws.write_string_with_format(0, 0, r.t("skm_docs.doc_title"), &title)?;
    let mut row = 2;
    let mut label = |ws: &mut Worksheet, key: &str| -> Result<u32, XlsxError> {
        ws.write_string_with_format(row, 0, r.t(key), &bold)?;
        row += 1;
        Ok(row - 1)
    };
    let n = label(ws, "skm_docs.unit")?;
    ws.write_string(n, 1, &r.unit.name)?;
    let n = label(ws, "skm_docs.org")?;
    ws.write_string(n, 1, format!("{} ({})", r.unit.org_name, r.unit.org_code))?;
    let n = label(ws, "skm_docs.period")?;
    ws.write_string(n, 1, r.period_label())?;
    let n = label(ws, "skm_docs.respondents")?;
    ws.write_number_with_format(n, 1, r.total.respondents as f64, &int)?;
    let n = label(ws, "skm_docs.ikm")?;
    if let Some(res) = &r.result {
        ws.write_number_with_format(n, 1, res.ikm, &ikm)?;
    }
    let n = label(ws, "skm_docs.mutu")?;
    if let Some(res) = &r.result {
        ws.write_string(n, 1, res.mutu.code())?;
    }
    let n = label(ws, "skm_docs.kinerja")?;
    if let Some(res) = &r.result {
        ws.write_string(n, 1, r.t(kinerja_key(res.mutu)))?;
    }
    let n = label(ws, "skm_docs.population")?;
    if let Sample::Target { population, .. } = r.sample {
        ws.write_number_with_format(n, 1, population as f64, &int)?;
    }
    let n = label(ws, "skm_docs.sample_target")?;
    if let Sample::Target { target, .. } = r.sample {
        ws.write_number_with_format(n, 1, target as f64, &int)?;
    }
    let n = label(ws, "skm_docs.sample_achieved")?;
    ws.write_number_with_format(n, 1, r.total.respondents as f64, &int)?;
    let n = label(ws, "skm_docs.weight")?;
    ws.write_number_with_format(n, 1, r.rounding.weight.weight(), &weight)?;
    let n = label(ws, "skm_docs.rounding")?;
    ws.write_string(n, 1, r.rounding_line())?;
    ws.set_column_width(0, 40)?;
    ws.set_column_width(1, 70)?;

    // Per Unsur: sums, NRR, weighted NRR and converted value of U1–U9.
    let ws = wb.add_worksheet();
    ws.set_name(r.t("skm_docs.sheet_elements"))?;
    for (col, key) in [
        "skm_docs.col_code",
        "skm_docs.col_element",
        "skm_docs.col_sum",
        "skm_docs.col_nrr",
        "skm_docs.col_weighted",
        "skm_docs.col_converted",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(0, col_num(col), r.t(key), &header)?;
    }
    let w = r.rounding.weight.weight();
    for (i, e) in r.elements.iter().enumerate() {
        let row = row_num(i + 1);
        ws.write_string(row, 0, &e.code)?;
        ws.write_string(row, 1, &e.name)?;
        ws.write_number_with_format(row, 2, e.sum as f64, &int)?;
        if let Some(res) = &r.result {
            let nrr = res.nrr[i];
            ws.write_number_with_format(row, 3, nrr, &dec3)?;
            ws.write_number_with_format(row, 4, nrr * w, &dec4)?;
            ws.write_number_with_format(row, 5, nrr * 25.0, &dec2)?;
        }
    }
    let after = row_num(r.elements.len() + 2);
    ws.write_string_with_format(after, 1, r.t("skm_docs.weighted_total"), &bold)?;
    ws.write_string_with_format(after + 1, 1, r.t("skm_docs.col_ikm"), &bold)?;
    if let Some(res) = &r.result {
        ws.write_number_with_format(after, 4, res.weighted, &dec4)?;
        ws.write_number_with_format(after + 1, 5, res.ikm, &ikm)?;
    }
    for (col, width) in [(0, 8), (1, 40), (2, 14), (3, 10), (4, 16), (5, 26)] {
        ws.set_column_width(col, width)?;
    }
    ws.set_freeze_panes(1, 0)?;

    // Per Layanan.
    let ws = wb.add_worksheet();
    ws.set_name(r.t("skm_docs.sheet_services"))?;
    for (col, key) in [
        "skm_docs.col_service",
        "skm_docs.col_respondents",
        "skm_docs.col_ikm",
        "skm_docs.col_mutu",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(0, col_num(col), r.t(key), &header)?;
    }
    for (i, s) in r.services.iter().enumerate() {
        let row = row_num(i + 1);
        ws.write_string(row, 0, &s.name)?;
        ws.write_number_with_format(row, 1, s.tally.respondents as f64, &int)?;
        if let Some(res) = &s.result {
            ws.write_number_with_format(row, 2, res.ikm, &ikm)?;
            ws.write_string(row, 3, res.mutu.code())?;
        }
    }
    for (col, width) in [(0, 40), (1, 14), (2, 10), (3, 8)] {
        ws.set_column_width(col, width)?;
    }
    ws.set_freeze_panes(1, 0)?;

    // Tren: the months of the period.
    let ws = wb.add_worksheet();
    ws.set_name(r.t("skm_docs.sheet_trend"))?;
    for (col, key) in [
        "skm_docs.col_month",
        "skm_docs.col_respondents",
        "skm_docs.col_ikm",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(0, col_num(col), r.t(key), &header)?;
    }
    for (i, m) in r.months.iter().enumerate() {
        let row = row_num(i + 1);
        ws.write_string(row, 0, &m.label)?;
        ws.write_number_with_format(row, 1, m.tally.respondents as f64, &int)?;
        if let Some(res) = &m.result {
            ws.write_number_with_format(row, 2, res.ikm, &ikm)?;
        }
    }
    for (col, width) in [(0, 20), (1, 14), (2, 10)] {
        ws.set_column_width(col, width)?;
    }

    // Analisis dan RTL: the unit's texts.
    let ws = wb.add_worksheet();
    ws.set_name(r.t("skm_docs.sheet_text"))?;
    ws.write_string_with_format(0, 0, r.t("skm_docs.analysis"), &header)?;
    ws.write_string_with_format(1, 0, cell_text(&r.analysis), &wrap)?;
    ws.write_string_with_format(3, 0, r.t("skm_docs.follow_up"), &header)?;
    ws.write_string_with_format(4, 0, cell_text(&r.follow_up), &wrap)?;
    ws.set_column_width(0, 110)?;

    wb.save_to_buffer()
}

fn col_num(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn row_num(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Text cut to what a cell holds, with Windows line breaks as Excel writes them.
fn cell_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .take(MAX_CELL_CHARS)
        .collect()
}

// ---------------------------------------------------------------------------
// PDF
// ---------------------------------------------------------------------------

const MARGIN_X: f32 = 25.0 * MM;
const MARGIN_TOP: f32 = 25.0 * MM;
const MARGIN_BOTTOM: f32 = 22.0 * MM;
const BODY: f32 = 10.5;
const LEADING: f32 = 14.5;
const TABLE_SIZE: f32 = 9.5;
const TABLE_LEADING: f32 = 12.5;
const TABLE_PAD: f32 = 4.0;
/// Room a heading takes.
const HEADING: f32 = 30.0;

/// A column of a PDF table.
struct Col {
    title: String,
    width: f32,
    right: bool,
}

/// Lays text out from the top of a page down, starting a new page when the
/// next block does not fit.
struct Writer {
    doc: Document,
    y: f32,
}

impl Writer {
    fn new(title: &str) -> Self {
        let mut doc = Document::new(A4, title);
        doc.new_page();
        Self {
            doc,
            y: A4.1 - MARGIN_TOP,
        }
    }

    fn width() -> f32 {
        A4.0 - 2.0 * MARGIN_X
    }

    fn page(&mut self) -> &mut crate::pdf::Page {
        let pages = self.doc.pages_mut();
        let last = pages.len() - 1;
        &mut pages[last]
    }

    fn new_page(&mut self) {
        self.doc.new_page();
        self.y = A4.1 - MARGIN_TOP;
    }

    /// Makes room for `height` points, on a new page if need be.
    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN_BOTTOM {
            self.new_page();
        }
    }

    fn centered(&mut self, font: Font, size: f32, text: &str) {
        for line in font.wrap(text, size, Self::width()) {
            self.ensure(size * 1.3);
            let y = self.y - size;
            self.page().text_centered(font, size, A4.0 / 2.0, y, &line);
            self.y -= size * 1.3;
        }
    }

    fn heading(&mut self, text: &str) {
        self.heading_before(text, 3.0 * LEADING);
    }

    /// A heading kept on the page of the next `after` points (never the
    /// last line of a page).
    fn heading_before(&mut self, text: &str, after: f32) {
        let after = if Self::fits_a_page(HEADING + after) {
            after
        } else {
            3.0 * LEADING
        };
        self.ensure(HEADING + after);
        self.y -= 10.0;
        let y = self.y - 12.5;
        self.page().text(Font::Bold, 12.5, MARGIN_X, y, text);
        self.y -= 20.0;
    }

    fn subheading(&mut self, text: &str) {
        self.ensure(4.0 * LEADING);
        let y = self.y - BODY;
        self.page().text(Font::Bold, BODY, MARGIN_X, y, text);
        self.y -= LEADING + 3.0;
    }

    fn paragraph(&mut self, text: &str) {
        for line in Font::Regular.wrap(text, BODY, Self::width()) {
            self.ensure(LEADING);
            let y = self.y - BODY;
            self.page().text(Font::Regular, BODY, MARGIN_X, y, &line);
            self.y -= LEADING;
        }
        self.y -= 5.0;
    }

    /// `label: value` pairs in two columns.
    fn facts(&mut self, rows: &[(String, String)]) {
        let label_width = 62.0 * MM;
        for (label, value) in rows {
            let labels = Font::Bold.wrap(label, BODY, label_width - 4.0);
            let values = Font::Regular.wrap(value, BODY, Self::width() - label_width);
            let lines = labels.len().max(values.len()).max(1);
            self.ensure(lines as f32 * LEADING);
            let top = self.y - BODY;
            for (i, l) in labels.iter().enumerate() {
                let y = top - i as f32 * LEADING;
                self.page().text(Font::Bold, BODY, MARGIN_X, y, l);
            }
            for (i, v) in values.iter().enumerate() {
                let y = top - i as f32 * LEADING;
                self.page()
                    .text(Font::Regular, BODY, MARGIN_X + label_width, y, v);
            }
            self.y -= lines as f32 * LEADING;
        }
        self.y -= 5.0;
    }

    /// The wrapped cells of a row and its height.
    fn table_row(cols: &[Col], font: Font, texts: &[String]) -> (Vec<Vec<String>>, f32) {
        let cells: Vec<Vec<String>> = cols
            .iter()
            .zip(texts)
            .map(|(c, t)| {
                let lines = font.wrap(t, TABLE_SIZE, c.width - 2.0 * TABLE_PAD);
                if lines.is_empty() {
                    vec![String::new()]
                } else {
                    lines
                }
            })
            .collect();
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = lines as f32 * TABLE_LEADING + 2.0 * TABLE_PAD;
        (cells, height)
    }

    /// The height of a whole table.
    fn table_height(cols: &[Col], rows: &[Vec<String>]) -> f32 {
        let titles: Vec<String> = cols.iter().map(|c| c.title.clone()).collect();
        Self::table_row(cols, Font::Bold, &titles).1
            + rows
                .iter()
                .map(|r| Self::table_row(cols, Font::Regular, r).1)
                .sum::<f32>()
    }

    /// Whether a block of `height` fits on an empty page.
    fn fits_a_page(height: f32) -> bool {
        height <= A4.1 - MARGIN_TOP - MARGIN_BOTTOM
    }

    fn draw_row(&mut self, cols: &[Col], font: Font, cells: &[Vec<String>], h: f32, shade: bool) {
        let total: f32 = cols.iter().map(|c| c.width).sum();
        let top = self.y;
        let page = self.page();
        if shade {
            page.fill_rect(0.88, MARGIN_X, top - h, total, h);
        }
        let mut x = MARGIN_X;
        for (c, lines) in cols.iter().zip(cells) {
            for (i, line) in lines.iter().enumerate() {
                let y = top - TABLE_PAD - TABLE_SIZE - i as f32 * TABLE_LEADING;
                if c.right {
                    page.text_right(font, TABLE_SIZE, x + c.width - TABLE_PAD, y, line);
                } else {
                    page.text(font, TABLE_SIZE, x + TABLE_PAD, y, line);
                }
            }
            x += c.width;
        }
        page.line(0.6, 0.5, (MARGIN_X, top - h), (MARGIN_X + total, top - h));
        self.y -= h;
    }

    /// A table with a shaded header row, repeated on every page it spans.
    /// A table that fits on one page is kept together.
    fn table(&mut self, cols: &[Col], rows: &[Vec<String>]) {
        let titles: Vec<String> = cols.iter().map(|c| c.title.clone()).collect();
        let (head, head_height) = Self::table_row(cols, Font::Bold, &titles);
        let body: Vec<(Vec<Vec<String>>, f32)> = rows
            .iter()
            .map(|r| Self::table_row(cols, Font::Regular, r))
            .collect();
        let whole = head_height + body.iter().map(|(_, h)| h).sum::<f32>();
        if Self::fits_a_page(whole) {
            self.ensure(whole);
        } else {
            self.ensure(head_height + body.first().map_or(0.0, |(_, h)| *h));
        }
        self.draw_row(cols, Font::Bold, &head, head_height, true);
        for (cells, h) in &body {
            if self.y - h < MARGIN_BOTTOM {
                self.new_page();
                self.draw_row(cols, Font::Bold, &head, head_height, true);
            }
            self.draw_row(cols, Font::Regular, cells, *h, false);
        }
        self.y -= 8.0;
    }

    /// Adds the running footer with page numbers and returns the file.
    fn finish(mut self, footer: &str, lang: Lang) -> Vec<u8> {
        let total = self.doc.page_count().to_string();
        for (i, page) in self.doc.pages_mut().iter_mut().enumerate() {
            let y = 12.0 * MM;
            page.line(0.6, 0.5, (MARGIN_X, y + 10.0), (A4.0 - MARGIN_X, y + 10.0));
            let number = lang.tf(
                "skm_docs.page",
                &[("n", &(i + 1).to_string()), ("total", &total)],
            );
            let room = A4.0 - 2.0 * MARGIN_X - Font::Regular.width(&number, 8.0) - 12.0;
            let footer = Font::Regular
                .wrap(footer, 8.0, room)
                .into_iter()
                .next()
                .unwrap_or_default();
            page.text(Font::Regular, 8.0, MARGIN_X, y, &footer);
            page.text_right(Font::Regular, 8.0, A4.0 - MARGIN_X, y, &number);
        }
        self.doc.finish()
    }
}

fn pdf_report(r: &Report) -> Vec<u8> {
    let lang = r.lang;
    let period = r.period_label();
    let mut w = Writer::new(&format!(
        "{} - {} - {period}",
        r.t("skm_docs.doc_title"),
        r.unit.name
    ));

    // Title block.
    w.centered(Font::Bold, 15.0, &r.t("skm_docs.report_title"));
    w.y -= 6.0;
    w.centered(Font::Bold, 13.0, &r.unit.name);
    w.centered(Font::Regular, 11.0, &r.unit.org_name);
    w.centered(
        Font::Regular,
        11.0,
        &format!("{} {period}", r.t("skm_docs.period")),
    );
    w.y -= 6.0;
    let y = w.y;
    w.page().line(0.2, 1.0, (MARGIN_X, y), (A4.0 - MARGIN_X, y));
    w.y -= 8.0;

    // 1. Pendahuluan.
    w.heading(&r.t("skm_docs.s_intro"));
    w.paragraph(&lang.tf(
        "skm_docs.intro_text",
        &[
            ("unit", &r.unit.name),
            ("org", &r.unit.org_name),
            ("period", &period),
        ],
    ));

    // 2. Metode.
    w.heading(&r.t("skm_docs.s_method"));
    let names: Vec<String> = r
        .elements
        .iter()
        .map(|e| format!("{} {}", e.code, e.name))
        .collect();
    w.paragraph(&lang.tf(
        "skm_docs.method_text",
        &[
            ("elements", &names.join(", ")),
            ("url", &r.public_url),
            ("weight", &r.weight_label()),
        ],
    ));
    w.paragraph(&r.t("skm_docs.method_grades"));
    let achieved = fmt_int(r.total.respondents, lang);
    w.paragraph(&match r.sample {
        Sample::Target { population, target } => lang.tf(
            "skm_docs.method_sample",
            &[
                ("population", &fmt_int(population, lang)),
                (
                    "target",
                    &fmt_int(i64::try_from(target).unwrap_or(i64::MAX), lang),
                ),
                ("achieved", &achieved),
            ],
        ),
        Sample::Unknown => lang.tf("skm_docs.method_sample_unknown", &[("achieved", &achieved)]),
        Sample::NotYearly => lang.tf("skm_docs.method_sample_yearly", &[("achieved", &achieved)]),
    });
    w.facts(&[(r.t("skm_docs.rounding"), r.rounding_line())]);

    // 3. Hasil per Unsur.
    let width = Writer::width();
    let cols = [
        Col {
            title: r.t("skm_docs.col_code"),
            width: 14.0 * MM,
            right: false,
        },
        Col {
            title: r.t("skm_docs.col_element"),
            width: width - 14.0 * MM - 22.0 * MM - 48.0 * MM,
            right: false,
        },
        Col {
            title: r.t("skm_docs.col_nrr"),
            width: 22.0 * MM,
            right: true,
        },
        Col {
            title: r.t("skm_docs.col_converted"),
            width: 48.0 * MM,
            right: true,
        },
    ];
    let rows: Vec<Vec<String>> = r
        .elements
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (nrr, converted) = r.result.as_ref().map_or_else(
                || ("-".to_owned(), "-".to_owned()),
                |res| {
                    (
                        fmt_dec(res.nrr[i], 3, lang),
                        fmt_dec(res.nrr[i] * 25.0, 2, lang),
                    )
                },
            );
            vec![e.code.clone(), e.name.clone(), nrr, converted]
        })
        .collect();
    w.heading_before(
        &r.t("skm_docs.s_elements"),
        Writer::table_height(&cols, &rows),
    );
    w.table(&cols, &rows);

    // 4. IKM.
    w.heading(&r.t("skm_docs.s_ikm"));
    let result = r.result.as_ref();
    w.facts(&[
        (r.t("skm_docs.ikm"), r.ikm_text(result)),
        (
            r.t("skm_docs.mutu"),
            result.map_or_else(|| "-".to_owned(), |res| res.mutu.code().to_owned()),
        ),
        (
            r.t("skm_docs.kinerja"),
            result.map_or_else(|| "-".to_owned(), |res| r.t(kinerja_key(res.mutu))),
        ),
        (r.t("skm_docs.respondents"), achieved.clone()),
    ]);
    if result.is_none() {
        w.paragraph(&r.t("skm_docs.no_responses"));
    }
    if !r.services.is_empty() {
        let cols = [
            Col {
                title: r.t("skm_docs.col_service"),
                width: width - 28.0 * MM - 22.0 * MM - 18.0 * MM,
                right: false,
            },
            Col {
                title: r.t("skm_docs.col_respondents"),
                width: 28.0 * MM,
                right: true,
            },
            Col {
                title: r.t("skm_docs.col_ikm"),
                width: 22.0 * MM,
                right: true,
            },
            Col {
                title: r.t("skm_docs.col_mutu"),
                width: 18.0 * MM,
                right: true,
            },
        ];
        let rows: Vec<Vec<String>> = r
            .services
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    fmt_int(s.tally.respondents, lang),
                    r.ikm_text(s.result.as_ref()),
                    s.result
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |res| res.mutu.code().to_owned()),
                ]
            })
            .collect();
        w.subheading(&r.t("skm_docs.per_service"));
        w.table(&cols, &rows);
    }

    // 5. Analisis, 6. Rencana Tindak Lanjut.
    w.heading(&r.t("skm_docs.s_analysis"));
    w.paragraph(&r.analysis);
    w.heading(&r.t("skm_docs.s_follow_up"));
    w.paragraph(&r.follow_up);

    let footer = format!("{} - {} - {period}", r.t("skm_docs.report"), r.unit.name);
    w.finish(&footer, lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumah_domain::surveys::skm::Score;

    fn report(lang: Lang, tally: Tally, analysis: &str) -> Report {
        let rounding = Rounding::REGULATION;
        let names = [
            "Persyaratan",
            "Sistem, mekanisme, dan prosedur",
            "Waktu penyelesaian",
            "Biaya/tarif",
            "Produk spesifikasi jenis pelayanan",
            "Kompetensi pelaksana",
            "Perilaku pelaksana",
            "Penanganan pengaduan, saran dan masukan",
            "Sarana dan prasarana",
        ];
        let elements: Vec<ElementLine> = names
            .iter()
            .zip(tally.sums)
            .enumerate()
            .map(|(i, (n, sum))| ElementLine {
                code: format!("U{}", i + 1),
                name: (*n).to_owned(),
                sum,
            })
            .collect();
        let result = skm::compute(&tally, &rounding);
        Report {
            unit: Unit {
                id: 1,
                slug: "pkm-sukodono".into(),
                name: "Puskesmas Sukodono".into(),
                element_version: "2017".into(),
                open: true,
                org_code: "35.15.DINKES.PKM-SUKODONO".into(),
                org_name: "Dinas Kesehatan".into(),
                region_code: "35.15".into(),
            },
            period: Period::new_year(2026).unwrap(),
            lang,
            rounding,
            sample_rounding: SampleRounding::Up,
            total: tally,
            services: vec![ServiceLine {
                name: "Pemeriksaan umum".into(),
                tally,
                result: result.clone(),
            }],
            months: Vec::new(),
            sample: Sample::Target {
                population: 300,
                target: 169,
            },
            analysis: if analysis.is_empty() {
                default_analysis(&elements, result.as_ref(), lang)
            } else {
                analysis.to_owned()
            },
            follow_up: lang.t("skm_docs.follow_up_empty").into_owned(),
            elements,
            result,
            public_url: "https://inovasi.jatimprov.go.id/skm/pkm-sukodono".into(),
        }
    }

    fn three_respondents() -> Tally {
        let mut t = Tally::default();
        for scores in [
            [4, 4, 4, 4, 4, 4, 4, 4, 4],
            [3, 3, 3, 4, 3, 3, 3, 2, 3],
            [2, 2, 2, 4, 2, 2, 2, 1, 2],
        ] {
            t.add(&scores.map(|s| Score::new(s).unwrap()));
        }
        t
    }

    #[test]
    fn the_default_analysis_names_the_weakest_elements() {
        let r = report(Lang::Id, three_respondents(), "");
        assert!(
            r.analysis.contains("U8 Penanganan pengaduan"),
            "{}",
            r.analysis
        );
        assert!(r.analysis.contains("2,333"), "{}", r.analysis);
        assert!(!r.analysis.contains("U1 "));
        let empty = report(Lang::Id, Tally::default(), "");
        assert_eq!(
            empty.analysis,
            Lang::Id.t("skm_docs.analysis_default_empty")
        );
    }

    #[test]
    fn the_pdf_report_has_every_section_and_the_index() {
        let r = report(Lang::Id, three_respondents(), "");
        let bytes = pdf_report(&r);
        let text = String::from_utf8_lossy(&bytes);
        for needle in [
            "(LAPORAN SURVEI KEPUASAN MASYARAKAT)",
            "(1. Pendahuluan)",
            "(2. Metode)",
            "(3. Hasil per Unsur)",
            "(4. Indeks Kepuasan Masyarakat)",
            "(5. Analisis)",
            "(6. Rencana Tindak Lanjut)",
            "(75,17)",
            "(Belum diisi oleh unit.)",
            "(Halaman 1 dari ",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
    }

    #[test]
    fn a_long_text_continues_on_further_pages() {
        let long = "Antrean di loket pendaftaran perlu dipercepat. ".repeat(400);
        let r = report(Lang::En, three_respondents(), &long);
        let text = String::from_utf8_lossy(&pdf_report(&r)).into_owned();
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert!(pages >= 3, "{pages} pages");
        assert!(text.contains(&format!("(Page {pages} of {pages})")));
    }

    #[test]
    fn a_period_without_responses_still_makes_both_documents() {
        let r = report(Lang::Id, Tally::default(), "");
        let text = String::from_utf8_lossy(&pdf_report(&r)).into_owned();
        assert!(text.contains("(Belum ada responden pada periode ini.)"));
        let xlsx = workbook(&r).unwrap();
        assert!(xlsx.starts_with(b"PK\x03\x04"));
    }

    #[test]
    fn number_formats_follow_the_decimals() {
        assert_eq!(decimals_format(0), "0");
        assert_eq!(decimals_format(2), "0.00");
        assert_eq!(decimals_format(3), "0.000");
    }
}
