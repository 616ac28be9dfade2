//! `GET /skm/{slug}/poster.pdf`: an A4 poster for the unit's counter with a
//! big QR code of the public form. Public, as the link it carries is.
//!
//! The QR code is drawn as one filled square per dark module (vector, so it
//! stays sharp at any print size) with the standard four-module quiet zone;
//! the text uses the standard Helvetica fonts (see [`crate::pdf`]).

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use pdf_writer::Content;
use qrcode::{Color, EcLevel, QrCode};
use rumah_store::surveys::units::{self, Unit};

use crate::error::{AppError, AppResult};
use crate::extract::Ctx;
use crate::i18n::Lang;
use crate::pdf::{A4, Document, Font, MM};
use crate::state::AppState;

/// Light modules around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// The QR code of `url`. Medium error correction (15 %) survives a scuffed
/// or partly covered poster while keeping the modules large.
pub fn qr(url: &str) -> Result<QrCode, qrcode::types::QrError> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
}

/// Draws `code` as black squares in a `size`-point square whose bottom left
/// corner is (`x`, `y`), quiet zone included. One rectangle per dark module;
/// returns how many were drawn.
pub fn draw_qr(content: &mut Content, code: &QrCode, x: f32, y: f32, size: f32) -> usize {
    let width = code.width();
    let module = size / (width + 2 * QUIET_ZONE) as f32;
    let top = y + size;
    let mut drawn = 0;
    content.save_state().set_fill_gray(0.0);
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color != Color::Dark {
            continue;
        }
        let (col, row) = (i % width, i / width);
        content.rect(
            x + (QUIET_ZONE + col) as f32 * module,
            top - (QUIET_ZONE + row + 1) as f32 * module,
            module,
            module,
        );
        drawn += 1;
    }
    content.fill_nonzero().restore_state();
    drawn
}

/// The poster of `unit`, whose public form is at `url`.
pub fn render(unit: &Unit, url: &str, results_url: &str, lang: Lang) -> AppResult<Vec<u8>> {
    let code = qr(url).map_err(|e| AppError::internal(format!("QR code of {url}: {e}")))?;
    let (w, h) = A4;
    let margin = 20.0 * MM;
    let text_width = w - 2.0 * margin;
    let cx = w / 2.0;
    let title = lang.t("skm_docs.poster_title");
    let mut doc = Document::new(A4, &format!("{title} - {}", unit.name));
    let page = doc.new_page();

    // A dark band with the title.
    let band = 40.0 * MM;
    page.fill_rect(0.15, 0.0, h - band, w, band);
    page.content.save_state().set_fill_gray(1.0);
    let title_size = (text_width / Font::Bold.width(&title, 1.0)).min(30.0);
    page.text_centered(Font::Bold, title_size, cx, h - 22.0 * MM, &title);
    page.text_centered(
        Font::Regular,
        15.0,
        cx,
        h - band + 9.0 * MM,
        &lang.t("skm_docs.poster_tagline"),
    );
    page.content.restore_state();

    // The unit and its organisation.
    let mut y = h - band - 18.0 * MM;
    for line in Font::Bold.wrap(&unit.name, 24.0, text_width) {
        page.text_centered(Font::Bold, 24.0, cx, y, &line);
        y -= 29.0;
    }
    for line in Font::Regular.wrap(&unit.org_name, 15.0, text_width) {
        page.text_centered(Font::Regular, 15.0, cx, y, &line);
        y -= 19.0;
    }

    // The QR code, as big as the room left allows (at most 125 mm, quiet
    // zone included).
    let below = 66.0 * MM;
    let qr_size = (y - 6.0 * MM - below).clamp(50.0 * MM, 125.0 * MM);
    let qr_y = y - 6.0 * MM - qr_size;
    draw_qr(&mut page.content, &code, cx - qr_size / 2.0, qr_y, qr_size);

    // The address under it, shrunk to fit one line when it can.
    y = qr_y - 2.0 * MM;
    page.text_centered(
        Font::Regular,
        11.0,
        cx,
        y,
        &lang.t("skm_docs.poster_or_open"),
    );
    y -= 20.0;
    let url_size = (text_width / Font::Bold.width(url, 1.0)).clamp(8.0, 16.0);
    for line in Font::Bold.wrap(url, url_size, text_width) {
        page.text_centered(Font::Bold, url_size, cx, y, &line);
        y -= url_size * 1.25;
    }

    // What to do, large, a sentence per line.
    y -= 10.0;
    let scan = lang.t("skm_docs.poster_scan");
    for sentence in scan.split_inclusive(". ") {
        for line in Font::Bold.wrap(sentence.trim(), 17.0, text_width) {
            page.text_centered(Font::Bold, 17.0, cx, y, &line);
            y -= 22.0;
        }
    }

    // Where the results are, small at the foot.
    let footer = lang.tf("skm_docs.poster_results", &[("url", results_url)]);
    let mut fy = 14.0 * MM;
    for line in Font::Regular.wrap(&footer, 10.0, text_width).iter().rev() {
        page.text_centered(Font::Regular, 10.0, cx, fy, line);
        fy += 13.0;
    }
    page.line(0.6, 0.5, (margin, fy + 2.0), (w - margin, fy + 2.0));
    Ok(doc.finish())
}

pub async fn pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let unit = units::by_slug(&mut state.db(), &slug)
        .await?
        .ok_or_else(AppError::not_found)?;
    let public_url = &state.config().public_url;
    let absolute = |path: String| {
        public_url
            .join(&path)
            .map(String::from)
            .map_err(|e| AppError::internal(format!("public URL for {path}: {e}")))
    };
    let url = absolute(format!("skm/{}", unit.slug))?;
    let results_url = absolute(format!("skm/{}/hasil", unit.slug))?;
    let bytes = render(&unit, &url, &results_url, ctx.lang)?;
    let disposition = format!("inline; filename=\"poster-skm-{}.pdf\"", unit.slug);
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("inline")),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://inovasi.jatimprov.go.id/skm/pkm-sukodono";

    #[test]
    fn the_qr_matrix_has_the_size_of_its_version() {
        let code = qr(URL).unwrap();
        let qrcode::Version::Normal(v) = code.version() else {
            panic!("a normal QR code, not a micro one");
        };
        // 49 bytes at level M need version 4 (up to 62 bytes).
        assert_eq!(v, 4);
        assert_eq!(code.width(), 17 + 4 * usize::try_from(v).unwrap());
        assert_eq!(code.to_colors().len(), code.width() * code.width());
        // A longer address needs a larger version.
        let long = format!("{URL}/{}", "x".repeat(100));
        let bigger = qr(&long).unwrap();
        assert!(bigger.width() > code.width());
    }

    #[test]
    fn drawing_makes_one_square_per_dark_module_inside_the_quiet_zone() {
        let code = qr(URL).unwrap();
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == Color::Dark)
            .count();
        let mut content = Content::new();
        let drawn = draw_qr(&mut content, &code, 100.0, 200.0, 330.0);
        assert_eq!(drawn, dark);
        let ops = String::from_utf8(content.finish().into_vec()).unwrap();
        assert_eq!(ops.lines().filter(|l| l.ends_with(" re")).count(), dark);
        assert_eq!(ops.lines().filter(|l| *l == "f").count(), 1, "one fill");
        // The top left finder pattern starts four modules in from the corner.
        let module = 330.0 / (code.width() + 8) as f32;
        let first = ops.lines().find(|l| l.ends_with(" re")).unwrap();
        let nums: Vec<f32> = first
            .split_whitespace()
            .take(4)
            .map(|n| n.parse().unwrap())
            .collect();
        assert!((nums[0] - (100.0 + 4.0 * module)).abs() < 0.01, "{first}");
        assert!((nums[1] - (530.0 - 5.0 * module)).abs() < 0.01, "{first}");
        assert!((nums[2] - module).abs() < 0.01, "{first}");
    }

    #[test]
    fn the_poster_carries_the_link_and_the_instructions() {
        let unit = Unit {
            id: 1,
            slug: "pkm-sukodono".into(),
            name: "Puskesmas Sukodono".into(),
            element_version: "2017".into(),
            open: true,
            org_code: "35.15.DINKES.PKM-SUKODONO".into(),
            org_name: "Dinas Kesehatan Kabupaten Sidoarjo".into(),
            region_code: "35.15".into(),
        };
        let bytes = render(&unit, URL, &format!("{URL}/hasil"), Lang::Id).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"));
        for needle in [
            "(Survei Kepuasan Masyarakat)",
            "(Puskesmas Sukodono)",
            "(Dinas Kesehatan Kabupaten Sidoarjo)",
            URL,
            "(Pindai kode QR dengan kamera ponsel Anda.)",
            "(Anonim, dua menit.)",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
        let en = render(&unit, URL, URL, Lang::En).unwrap();
        assert!(String::from_utf8_lossy(&en).contains("(Citizen Satisfaction Survey)"));
    }
}
