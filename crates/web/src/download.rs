//! Files for download: the response headers of an attachment, and CSV
//! written the same way by every export.

use axum::body::Body;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// A file the browser saves as `filename`; never cached (exports hold
/// non-public data).
pub fn attachment(content_type: &'static str, filename: &str, body: impl Into<Body>) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.into(),
    )
        .into_response()
}

/// Appends a CSV field: quoted when it holds a separator, a quote or a line
/// break, and defused (a leading `'`) when a spreadsheet would read it as a
/// formula.
pub fn csv_field(out: &mut String, value: &str) {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky || value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        if risky {
            out.push('\'');
        }
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// A CSV line (CRLF-terminated, as RFC 4180 has it).
pub fn csv_line<S: AsRef<str>>(values: &[S]) -> String {
    let mut s = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        csv_field(&mut s, v.as_ref());
    }
    s.push_str("\r\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let mut s = String::new();
        csv_field(&mut s, "Akta, kelahiran");
        assert_eq!(s, "\"Akta, kelahiran\"");
        s.clear();
        csv_field(&mut s, "=HYPERLINK(\"x\")");
        assert_eq!(s, "\"'=HYPERLINK(\"\"x\"\")\"");
        s.clear();
        csv_field(&mut s, "-1");
        assert_eq!(s, "\"'-1\"", "a leading minus could start a formula");
        assert_eq!(csv_line(&["a", "b\nc", ""]), "a,\"b\nc\",\r\n");
    }

    #[test]
    fn attachments_are_named_and_not_cached() {
        let res = attachment("text/csv; charset=utf-8", "skm-a.csv", "x");
        assert_eq!(
            res.headers()[CONTENT_DISPOSITION],
            "attachment; filename=\"skm-a.csv\""
        );
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
        let res = attachment("text/csv", "bad\nname.csv", "x");
        assert_eq!(res.headers()[CONTENT_DISPOSITION], "attachment");
    }
}
