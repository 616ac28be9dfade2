//! Bulk import of innovations from the spreadsheets regions already keep
//! (CSV or XLSX): read the table, map its columns, validate every row with
//! the same rules as the profile form, and create drafts. A file with
//! errors imports nothing unless the user asks for the valid rows only; a
//! row whose innovation already exists in its org node (same name) is
//! skipped, so importing the same file twice creates nothing new.
//!
//! Used by the upload page (`/inovasi/kelola/impor`) and by
//! `rumah import innovations` (with a progress bar for long files).

use std::collections::HashMap;

use rumah_domain::authz::Scope;
use rumah_domain::innovations::{InnovationDraft, ProfileForm};
use rumah_domain::orgs::OrgCode;
use rumah_store::innovations::profiles::{self, Author, SaveError};
use rumah_store::{Db, Exec, StoreError, q};

use crate::i18n::Lang;

/// Columns of the import template, in order. Headers are matched without
/// regard to case, spaces or punctuation.
pub const COLUMNS: [&str; 21] = [
    "kode_organisasi",
    "nama",
    "bentuk",
    "jenis",
    "inisiator",
    "urusan",
    "tahapan",
    "tgl_inisiatif",
    "tgl_uji_coba",
    "tgl_penerapan",
    "permasalahan",
    "rancang_bangun",
    "tujuan",
    "manfaat",
    "hasil",
    "penerima_manfaat",
    "sdg",
    "kontak_nama",
    "kontak_email",
    "kontak_telepon",
    "video",
];

/// Most rows in one file.
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    #[error("the file is neither CSV nor XLSX")]
    Format,
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    #[error("the file has no rows")]
    Empty,
    #[error("missing columns: {0}")]
    MissingColumns(String),
    #[error("more than {MAX_ROWS} rows")]
    TooManyRows,
}

impl TableError {
    pub fn key(&self) -> &'static str {
        match self {
            Self::Format => "import.err_format",
            Self::Unreadable(_) => "import.err_unreadable",
            Self::Empty => "import.err_empty",
            Self::MissingColumns(_) => "import.err_columns",
            Self::TooManyRows => "import.err_too_many",
        }
    }
}

fn normalise(h: &str) -> String {
    h.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The cells of a CSV or XLSX file, header row first. XLSX dates become
/// `YYYY-MM-DD`; whole numbers lose their `.0`.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let rows = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else if std::str::from_utf8(bytes).is_ok() {
        read_csv(bytes)?
    } else {
        return Err(TableError::Format);
    };
    if rows.len() < 2 {
        return Err(TableError::Empty);
    }
    if rows.len() > MAX_ROWS + 1 {
        return Err(TableError::TooManyRows);
    }
    Ok(rows)
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let text = std::str::from_utf8(bytes).map_err(|_| TableError::Format)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Spreadsheets in Indonesia often export with ';' (a comma is the decimal mark).
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Unreadable(e.to_string()))?;
        out.push(record.iter().map(str::to_owned).collect());
        if out.len() > MAX_ROWS + 1 {
            return Err(TableError::TooManyRows);
        }
    }
    Ok(out)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| TableError::Unreadable(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(TableError::Empty)?
        .map_err(|e| TableError::Unreadable(e.to_string()))?;
    let cell = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(dt) => {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                format!("{y:04}-{m:02}-{d:02}")
            }
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
            Data::Error(e) => format!("#{e:?}"),
        }
    };
    Ok(range.rows().map(|r| r.iter().map(cell).collect()).collect())
}

/// One data row, mapped to the profile form.
#[derive(Debug, Clone)]
pub struct Row {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub org: String,
    pub form: ProfileForm,
}

/// Where each of `columns` is in the header row (headers normalised);
/// an error names the `required` columns that are missing.
pub fn column_index<'c>(
    header: &[String],
    columns: &[&'c str],
    required: &[&str],
) -> Result<HashMap<&'c str, usize>, TableError> {
    let header: Vec<String> = header.iter().map(|h| normalise(h)).collect();
    let index: HashMap<&str, usize> = columns
        .iter()
        .filter_map(|c| header.iter().position(|h| h == c).map(|i| (*c, i)))
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(TableError::MissingColumns(missing.join(", ")));
    }
    Ok(index)
}

/// Maps the header to the template's columns; every column but `video`,
/// the texts after `rancang_bangun`, contacts and SDGs is required.
pub fn rows(table: &[Vec<String>]) -> Result<Vec<Row>, TableError> {
    let required = [
        "kode_organisasi",
        "nama",
        "bentuk",
        "jenis",
        "inisiator",
        "urusan",
        "tahapan",
    ];
    let index = column_index(&table[0], &COLUMNS, &required)?;
    let mut out = Vec::new();
    for (n, cells) in table.iter().enumerate().skip(1) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |c: &str| {
            index
                .get(c)
                .and_then(|i| cells.get(*i))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let sdgs = get("sdg")
            .split([';', ',', ' ', '/'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        out.push(Row {
            line: n + 1,
            org: get("kode_organisasi"),
            form: ProfileForm {
                name: get("nama"),
                bentuk: code_of(&get("bentuk")),
                jenis: code_of(&get("jenis")),
                inisiator: code_of(&get("inisiator")),
                urusan: get("urusan"),
                tahapan: code_of(&get("tahapan")),
                date_inisiatif: date_of(&get("tgl_inisiatif")),
                date_uji_coba: date_of(&get("tgl_uji_coba")),
                date_penerapan: date_of(&get("tgl_penerapan")),
                problem: get("permasalahan"),
                design: get("rancang_bangun"),
                goals: get("tujuan"),
                benefits: get("manfaat"),
                results: get("hasil"),
                beneficiaries: get("penerima_manfaat"),
                sdgs,
                contact_name: get("kontak_nama"),
                contact_email: get("kontak_email"),
                contact_phone: get("kontak_telepon"),
                video_url: get("video"),
            },
        });
    }
    Ok(out)
}

/// A choice as typed in a spreadsheet ("Pelayanan publik", "Non-Digital",
/// "Uji Coba") as its code; labels of the national form are recognised.
fn code_of(s: &str) -> String {
    let n = normalise(s);
    match n.as_str() {
        "tata_kelola_pemerintahan_daerah" | "tata_kelola_pemerintahan" => "tata_kelola".into(),
        s if s.starts_with("inovasi_daerah_lainnya") => "lainnya".into(),
        "nondigital" | "non_digital" | "luring" => "non_digital".into(),
        "daring" => "digital".into(),
        "ujicoba" => "uji_coba".into(),
        "dprd" => "anggota_dprd".into(),
        "opd" => "perangkat_daerah".into(),
        _ => n,
    }
}

/// `DD/MM/YYYY` or `DD-MM-YYYY` (as Indonesian spreadsheets write dates) as
/// `YYYY-MM-DD`; anything else unchanged (the form check names it).
fn date_of(s: &str) -> String {
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    match parts.as_slice() {
        [d, m, y] if y.len() == 4 && d.len() <= 2 && m.len() <= 2 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => s.to_owned(),
    }
}

/// What became of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Valid (and imported, unless the file was refused).
    Valid,
    /// (field, message) per problem.
    Invalid(Vec<(String, String)>),
    /// An innovation of that name exists in that org node already.
    Exists,
    Imported(i64),
}

#[derive(Debug, Clone)]
pub struct RowReport {
    pub line: usize,
    pub name: String,
    pub outcome: Outcome,
}

/// Validates every row: the profile rules, the org code inside `scope`,
/// urusan by code or by name, duplicates by name within an org node.
pub async fn validate(
    db: &Db,
    scope: &Scope,
    rows: &[Row],
    today: time::Date,
    lang: Lang,
) -> Result<Vec<(RowReport, Option<(OrgCode, InnovationDraft)>)>, StoreError> {
    let mut conn = db.clone();
    let urusan = rumah_store::innovations::urusan(&mut conn).await?;
    let by_name: HashMap<String, String> = urusan
        .iter()
        .flat_map(|u| {
            [
                (normalise(&u.name), u.code.clone()),
                (u.code.clone(), u.code.clone()),
            ]
        })
        .collect();
    let mut orgs: HashMap<String, bool> = HashMap::new();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut form = row.form.clone();
        if let Some(code) = by_name.get(&normalise(&form.urusan)) {
            form.urusan = code.clone();
        }
        let mut problems: Vec<(String, String)> = Vec::new();
        let org = OrgCode::parse(&row.org).ok().filter(|o| scope.contains(o));
        let org = match org {
            Some(o) => {
                let known = match orgs.get(o.as_str()) {
                    Some(k) => *k,
                    None => {
                        let k = rumah_store::orgs::by_code(&mut conn, &o).await?.is_some();
                        orgs.insert(o.as_str().to_owned(), k);
                        k
                    }
                };
                known.then_some(o)
            }
            None => None,
        };
        if org.is_none() {
            problems.push((
                "kode_organisasi".into(),
                lang.t("skm.org_not_found").into_owned(),
            ));
        }
        if !urusan.iter().any(|u| u.code == form.urusan) {
            problems.push((
                "urusan".into(),
                lang.t("innovation.urusan_unknown").into_owned(),
            ));
        }
        let draft = match InnovationDraft::from_form(&form, today) {
            Ok(d) => Some(d),
            Err(errs) => {
                for e in errs {
                    problems.push((
                        e.field().to_owned(),
                        lang.t(&format!("innovation.err.{}", e.code())).into_owned(),
                    ));
                }
                None
            }
        };
        let report = |outcome| RowReport {
            line: row.line,
            name: row.form.name.clone(),
            outcome,
        };
        match (org, draft) {
            (Some(org), Some(draft)) if problems.is_empty() => {
                let key = (org.as_str().to_owned(), draft.name.trim().to_lowercase());
                let exists =
                    !seen.insert(key.clone()) || exists_in(&mut conn, &org, &draft.name).await?;
                if exists {
                    out.push((report(Outcome::Exists), None));
                } else {
                    out.push((report(Outcome::Valid), Some((org, draft))));
                }
            }
            _ => out.push((report(Outcome::Invalid(problems)), None)),
        }
    }
    Ok(out)
}

async fn exists_in(ex: &mut impl Exec, org: &OrgCode, name: &str) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = ex
        .fetch_optional(q!(
            "SELECT i.id FROM innovations i JOIN org_nodes o ON o.id = i.org_id
             WHERE o.code = $1 AND lower(i.name) = $2",
            org.as_str(),
            name.trim().to_lowercase()
        ))
        .await?;
    Ok(row.is_some())
}

/// Creates the valid rows as drafts, a thousand per transaction, calling
/// `progress(done, total)` after each transaction. Rows are marked
/// `Imported` with their new id.
pub async fn import(
    db: &Db,
    scope: &Scope,
    validated: &mut [(RowReport, Option<(OrgCode, InnovationDraft)>)],
    author: Author<'_>,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, StoreError> {
    let total = validated.iter().filter(|(_, d)| d.is_some()).count();
    let mut done = 0;
    for chunk in validated.chunks_mut(1000) {
        let mut tx = db.begin().await?;
        for (report, draft) in chunk.iter_mut() {
            if let Some((org, draft)) = draft.take() {
                let id = profiles::create(&mut tx, scope, &org, &draft, author)
                    .await
                    .map_err(|e| match e {
                        SaveError::Store(e) => e,
                        other => StoreError::Constraint(other.to_string()),
                    })?;
                report.outcome = Outcome::Imported(id);
                done += 1;
            }
        }
        tx.commit().await?;
        progress(done, total);
    }
    Ok(done)
}

/// The template as CSV: the header and one example row.
pub fn template_csv() -> String {
    let example = [
        "35.15.DINKES",
        "Antrean Puskesmas Daring",
        "pelayanan_publik",
        "digital",
        "perangkat_daerah",
        "kesehatan",
        "uji_coba",
        "10/01/2024",
        "01/06/2024",
        "",
        "Antrean panjang sejak subuh.",
        "Nomor antrean lewat WhatsApp.",
        "",
        "",
        "",
        "1200",
        "3; 10",
        "",
        "",
        "",
        "",
    ];
    crate::download::csv_line(&COLUMNS) + &crate::download::csv_line(&example)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_labels_and_dates_are_read_the_way_spreadsheets_write_them() {
        assert_eq!(normalise(" Kode Organisasi "), "kode_organisasi");
        assert_eq!(normalise("Tgl. Uji-Coba"), "tgl_uji_coba");
        assert_eq!(code_of("Pelayanan Publik"), "pelayanan_publik");
        assert_eq!(code_of("Non-Digital"), "non_digital");
        assert_eq!(code_of("Uji Coba"), "uji_coba");
        assert_eq!(code_of("Tata Kelola Pemerintahan Daerah"), "tata_kelola");
        assert_eq!(date_of("1/6/2024"), "2024-06-01");
        assert_eq!(date_of("2024-06-01"), "2024-06-01");
        assert_eq!(date_of("besok"), "besok");
    }

    #[test]
    fn a_semicolon_csv_with_a_bom_maps_its_columns() {
        let csv = "\u{feff}Kode Organisasi;Nama;Bentuk;Jenis;Inisiator;Urusan;Tahapan;SDG\n35.15.DINKES;\"Antrean; Daring\";Pelayanan publik;Digital;ASN;Kesehatan;Inisiatif;3, 10\n;;;;;;;\n";
        let table = read_table(csv.as_bytes()).unwrap();
        let parsed = rows(&table).unwrap();
        assert_eq!(parsed.len(), 1, "blank lines are skipped");
        assert_eq!(parsed[0].line, 2);
        assert_eq!(parsed[0].form.name, "Antrean; Daring");
        assert_eq!(parsed[0].form.bentuk, "pelayanan_publik");
        assert_eq!(parsed[0].form.sdgs, ["3", "10"]);
        let missing = read_table(b"nama,bentuk\nA,b\n").and_then(|t| rows(&t).map(|_| ()));
        assert!(
            matches!(missing, Err(TableError::MissingColumns(c)) if c.contains("kode_organisasi"))
        );
        assert_eq!(read_table(b"nama\n"), Err(TableError::Empty));
        assert_eq!(read_table(&[0xff, 0xfe, 0x00]), Err(TableError::Format));
    }

    #[test]
    fn the_template_reads_back() {
        let t = template_csv();
        let table = read_table(t.as_bytes()).unwrap();
        let r = rows(&table).unwrap();
        assert_eq!(r[0].form.date_uji_coba, "2024-06-01");
        assert_eq!(r[0].org, "35.15.DINKES");
    }
}
