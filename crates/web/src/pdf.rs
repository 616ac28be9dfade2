//! A small helper for the PDFs the platform draws with `pdf-writer` (the SKM
//! poster and the "Laporan SKM"): page sizes in points, the two standard
//! Type1 fonts Helvetica and Helvetica-Bold (every PDF reader has them, so
//! nothing is embedded), their glyph widths for measuring and centring
//! text, word wrapping, the conversion of text to WinAnsi bytes, and a
//! [`Document`] that writes the catalog, page tree and fonts around the
//! pages' content streams.
//!
//! Coordinates are PDF points (1/72 inch) from the bottom left of a page.
//! Content streams are not compressed: the documents are small, and text
//! stays searchable in the bytes.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

/// Points per millimetre.
pub const MM: f32 = 72.0 / 25.4;

/// ISO A4 portrait, 210 × 297 mm, in points.
pub const A4: (f32, f32) = (595.28, 841.89);

/// The two standard fonts the documents use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The font's name in a page's resources.
    pub fn resource(self) -> Name<'static> {
        match self {
            Self::Regular => Name(b"F1"),
            Self::Bold => Name(b"F2"),
        }
    }

    fn base_font(self) -> Name<'static> {
        match self {
            Self::Regular => Name(b"Helvetica"),
            Self::Bold => Name(b"Helvetica-Bold"),
        }
    }

    /// Width of one WinAnsi byte in thousandths of the font size.
    fn byte_width(self, b: u8) -> u16 {
        let table = match self {
            Self::Regular => &HELVETICA,
            Self::Bold => &HELVETICA_BOLD,
        };
        match b {
            32..=126 => table[usize::from(b - 32)],
            // Accented letters are as wide as their base letter; anything
            // else is given the width of a digit.
            _ => latin1_base(b).map_or(table[usize::from(b'0' - 32)], |base| {
                table[usize::from(base - 32)]
            }),
        }
    }

    /// Width of `text` set in this font at `size` points.
    pub fn width(self, text: &str, size: f32) -> f32 {
        let units: u32 = win_ansi(text)
            .iter()
            .map(|&b| u32::from(self.byte_width(b)))
            .sum();
        units as f32 * size / 1000.0
    }

    /// Lines of `text` no wider than `max_width` when set in this font at
    /// `size`: words are kept whole where they fit, a line break in the
    /// text starts a new line (an empty one for a blank line), and a word
    /// longer than a line is cut where the line is full.
    pub fn wrap(self, text: &str, size: f32, max_width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size) <= max_width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone: cut it while it is too long.
                let mut rest = word;
                while self.width(rest, size) > max_width {
                    let cut = self.fitting_prefix(rest, size, max_width);
                    lines.push(rest[..cut].to_owned());
                    rest = &rest[cut..];
                }
                line = rest.to_owned();
            }
            lines.push(line);
        }
        // Trailing blank lines carry nothing.
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }

    /// Byte length of the longest prefix of `word` (at least one character)
    /// that fits in `max_width`.
    fn fitting_prefix(self, word: &str, size: f32, max_width: f32) -> usize {
        let mut end = word.chars().next().map_or(0, char::len_utf8);
        for (i, c) in word.char_indices().skip(1) {
            if self.width(&word[..i + c.len_utf8()], size) > max_width {
                break;
            }
            end = i + c.len_utf8();
        }
        end
    }
}

/// Width of `text` in Helvetica at `size` points.
pub fn text_width(text: &str, size: f32) -> f32 {
    Font::Regular.width(text, size)
}

/// [`Font::wrap`] in Helvetica.
pub fn wrap(text: &str, size: f32, max_width: f32) -> Vec<String> {
    Font::Regular.wrap(text, size, max_width)
}

/// Helvetica's advance widths (Adobe's AFM) for ASCII 32..=126 under
/// WinAnsiEncoding (39 is `quotesingle`, 96 is `grave`).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 32–47
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 48–63
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
    778, // 64–79
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 80–95
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
    556, // 96–111
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 112–126
];

/// Helvetica-Bold's advance widths for ASCII 32..=126 under WinAnsiEncoding.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 32–47
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 48–63
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 64–79
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 80–95
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611,
    611, // 96–111
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // 112–126
];

/// The unaccented ASCII letter of a Latin-1 letter (`é` → `e`).
fn latin1_base(b: u8) -> Option<u8> {
    Some(match b {
        0xC0..=0xC5 => b'A',
        0xC7 => b'C',
        0xC8..=0xCB => b'E',
        0xCC..=0xCF => b'I',
        0xD1 => b'N',
        0xD2..=0xD6 | 0xD8 => b'O',
        0xD9..=0xDC => b'U',
        0xDD => b'Y',
        0xE0..=0xE5 => b'a',
        0xE7 => b'c',
        0xE8..=0xEB => b'e',
        0xEC..=0xEF => b'i',
        0xF1 => b'n',
        0xF2..=0xF6 | 0xF8 => b'o',
        0xF9..=0xFC => b'u',
        0xFD | 0xFF => b'y',
        _ => return None,
    })
}

/// `text` as WinAnsi bytes for the standard fonts: Latin-1 as it is,
/// typographic punctuation as its ASCII equivalent (`–` → `-`, `“` → `"`,
/// `…` → `...`), line breaks and tabs as spaces, anything else as `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' | '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' => out.push(b' '),
            ' '..='~' => out.push(c as u8),
            '\u{a1}'..='\u{ff}' => out.push(c as u8),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push(b'-'),
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' => out.push(b'\''),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' => out.push(b'"'),
            '\u{2022}' => out.push(0xB7),
            '\u{2026}' => out.extend_from_slice(b"..."),
            '\u{20ac}' => out.extend_from_slice(b"EUR"),
            '\u{2122}' => out.extend_from_slice(b"TM"),
            // Zero-width characters and other controls vanish.
            '\u{200b}'..='\u{200d}' | '\u{feff}' => {}
            c if c.is_control() => {}
            _ => out.push(b'?'),
        }
    }
    out
}

/// One page being drawn: its content stream with a few conveniences.
pub struct Page {
    pub content: Content,
}

impl Page {
    /// `text` in `font` at `size`, its baseline starting at (`x`, `y`).
    pub fn text(&mut self, font: Font, size: f32, x: f32, y: f32, text: &str) {
        let bytes = win_ansi(text);
        self.content
            .begin_text()
            .set_font(font.resource(), size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    /// `text` centred on `cx`.
    pub fn text_centered(&mut self, font: Font, size: f32, cx: f32, y: f32, text: &str) {
        let x = cx - font.width(text, size) / 2.0;
        self.text(font, size, x, y, text);
    }

    /// `text` ending at `right`.
    pub fn text_right(&mut self, font: Font, size: f32, right: f32, y: f32, text: &str) {
        let x = right - font.width(text, size);
        self.text(font, size, x, y, text);
    }

    /// A filled rectangle in a grey (0 black, 1 white).
    pub fn fill_rect(&mut self, gray: f32, x: f32, y: f32, w: f32, h: f32) {
        self.content
            .save_state()
            .set_fill_gray(gray)
            .rect(x, y, w, h)
            .fill_nonzero()
            .restore_state();
    }

    /// A straight line of `width` points in a grey.
    pub fn line(&mut self, gray: f32, width: f32, from: (f32, f32), to: (f32, f32)) {
        self.content
            .save_state()
            .set_stroke_gray(gray)
            .set_line_width(width)
            .move_to(from.0, from.1)
            .line_to(to.0, to.1)
            .stroke()
            .restore_state();
    }
}

/// A document of pages of one size, written with the two standard fonts.
pub struct Document {
    size: (f32, f32),
    title: String,
    pages: Vec<Page>,
}

impl Document {
    pub fn new(size: (f32, f32), title: &str) -> Self {
        Self {
            size,
            title: title.to_owned(),
            pages: Vec::new(),
        }
    }

    /// Starts a new page and returns it.
    pub fn new_page(&mut self) -> &mut Page {
        self.pages.push(Page {
            content: Content::new(),
        });
        self.pages.last_mut().expect("a page was just added")
    }

    pub fn pages_mut(&mut self) -> &mut [Page] {
        &mut self.pages
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The finished PDF file.
    pub fn finish(mut self) -> Vec<u8> {
        if self.pages.is_empty() {
            self.new_page();
        }
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 6;
        let page_refs: Vec<(Ref, Ref)> = (0..self.pages.len())
            .map(|i| {
                let n = first + 2 * i32::try_from(i).unwrap_or(i32::MAX / 4);
                (Ref::new(n), Ref::new(n + 1))
            })
            .collect();
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_refs.iter().map(|(p, _)| *p))
            .count(i32::try_from(page_refs.len()).unwrap_or(i32::MAX));
        for (id, font) in [(regular, Font::Regular), (bold, Font::Bold)] {
            pdf.type1_font(id)
                .base_font(font.base_font())
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("Rumah Inovasi"));
        let (w, h) = self.size;
        for (page, (page_id, content_id)) in self.pages.into_iter().zip(page_refs) {
            {
                let mut p = pdf.page(page_id);
                p.parent(tree)
                    .media_box(Rect::new(0.0, 0.0, w, h))
                    .contents(content_id);
                p.resources()
                    .fonts()
                    .pair(Font::Regular.resource(), regular)
                    .pair(Font::Bold.resource(), bold);
            }
            pdf.stream(content_id, page.content.finish().as_slice());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_helvetica_metrics() {
        // H e l l o = 722 + 556 + 222 + 222 + 556.
        assert!((text_width("Hello", 10.0) - 22.78).abs() < 1e-4);
        assert!(text_width("", 12.0).abs() < f32::EPSILON);
        assert!((Font::Bold.width("IKM", 10.0) - (0.278 + 0.722 + 0.833) * 10.0).abs() < 1e-4);
        // An accented letter is as wide as its base letter; an en dash as a hyphen.
        assert!((text_width("é", 10.0) - text_width("e", 10.0)).abs() < f32::EPSILON);
        assert!((text_width("a–b", 10.0) - text_width("a-b", 10.0)).abs() < f32::EPSILON);
        // Width scales with size.
        assert!((text_width("Survei", 20.0) - 2.0 * text_width("Survei", 10.0)).abs() < 1e-4);
    }

    #[test]
    fn wrap_keeps_words_whole_and_lines_within_the_width() {
        let text = "Pindai kode QR dengan kamera ponsel Anda. Anonim, dua menit.";
        let lines = wrap(text, 12.0, 150.0);
        assert!(lines.len() > 1, "{lines:?}");
        for line in &lines {
            assert!(text_width(line, 12.0) <= 150.0, "{line}");
            assert_eq!(line.trim(), line);
        }
        assert_eq!(lines.join(" "), text);
        // Wide enough: one line.
        assert_eq!(wrap(text, 12.0, 1000.0), vec![text.to_owned()]);
        // Line breaks are kept, blank lines too, trailing ones dropped.
        assert_eq!(
            wrap("satu\n\ndua\n\n", 12.0, 500.0),
            vec!["satu".to_owned(), String::new(), "dua".to_owned()]
        );
        assert!(wrap("", 12.0, 100.0).is_empty());
        assert!(wrap("   ", 12.0, 100.0).is_empty());
    }

    #[test]
    fn wrap_cuts_a_word_longer_than_a_line() {
        let word = "https://inovasi.jatimprov.go.id/skm/puskesmas-sukodono-sidoarjo";
        let lines = wrap(word, 10.0, 80.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(text_width(line, 10.0) <= 80.0, "{line}");
        }
        assert_eq!(lines.concat(), word);
        // Narrower than one character: one character per line, never empty.
        let lines = wrap("WWW", 10.0, 1.0);
        assert_eq!(lines, vec!["W", "W", "W"]);
    }

    #[test]
    fn text_becomes_win_ansi() {
        assert_eq!(win_ansi("IKM 75,17"), b"IKM 75,17");
        assert_eq!(win_ansi("U1–U9 “baik” …"), b"U1-U9 \"baik\" ...");
        assert_eq!(win_ansi("café ×"), b"caf\xe9 \xd7");
        assert_eq!(win_ansi("Σ 漢"), b"? ?");
        assert_eq!(win_ansi("a\tb\nc"), b"a b c");
    }

    #[test]
    fn a_document_is_a_pdf_with_its_pages() {
        let mut doc = Document::new(A4, "Uji");
        doc.new_page()
            .text(Font::Bold, 12.0, 72.0, 700.0, "Halo (dunia)");
        doc.new_page()
            .text_centered(Font::Regular, 12.0, A4.0 / 2.0, 700.0, "Dua");
        assert_eq!(doc.page_count(), 2);
        let bytes = doc.finish();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"));
        assert!(text.trim_end().ends_with("%%EOF"));
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert_eq!(pages, 2, "{text}");
        assert!(text.contains("/BaseFont /Helvetica-Bold"));
        assert!(text.contains("/WinAnsiEncoding"));
        assert!(text.contains("(Halo (dunia)) Tj"));
    }
}
