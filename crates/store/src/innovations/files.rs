//! Evidence files and photos of innovations: the rows that refer to blobs
//! (see [`crate::blobs`] for the bytes and the write order).
//!
//! Callers check who may see or change the files of an innovation (the
//! innovation `in_scope` of the caller, or published for public files);
//! these functions always name the innovation, so a file id of another
//! innovation is not found.

use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::{Exec, StoreError, Tx, q};

/// What a file is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    Regulasi,
    Sop,
    Laporan,
    Foto,
    Lainnya,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Regulasi,
        Kind::Sop,
        Kind::Laporan,
        Kind::Foto,
        Kind::Lainnya,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Regulasi => "regulasi",
            Kind::Sop => "sop",
            Kind::Laporan => "laporan",
            Kind::Foto => "foto",
            Kind::Lainnya => "lainnya",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The translation key of its label.
    pub fn label_key(self) -> &'static str {
        match self {
            Kind::Regulasi => "files.kind.regulasi",
            Kind::Sop => "files.kind.sop",
            Kind::Laporan => "files.kind.laporan",
            Kind::Foto => "files.kind.foto",
            Kind::Lainnya => "files.kind.lainnya",
        }
    }
}

/// A stored file of an innovation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredFile {
    pub id: i64,
    pub innovation_id: i64,
    pub kind: String,
    pub title: String,
    pub blob_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub original_name: String,
    pub uploaded_by: String,
    pub uploaded_at: i64,
    pub public: bool,
}

impl StoredFile {
    pub fn kind(&self) -> Kind {
        Kind::from_code(&self.kind).unwrap_or(Kind::Lainnya)
    }

    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }
}

macro_rules! columns {
    () => {
        "f.id, f.innovation_id, f.kind, f.title, f.blob_key, f.content_type, f.size_bytes,
         f.original_name, f.uploaded_by, f.uploaded_at, f.public"
    };
}

/// A file to record; its bytes are already in the blob store under `blob_key`.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    pub kind: Kind,
    pub title: &'a str,
    pub blob_key: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub original_name: &'a str,
    pub uploaded_by: &'a str,
    pub public: bool,
}

pub async fn insert(tx: &mut Tx, innovation_id: i64, f: &NewFile<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = tx
        .fetch_one(q!(
            "INSERT INTO innovation_files (innovation_id, kind, title, blob_key, content_type, size_bytes,
                 original_name, uploaded_by, uploaded_at, public)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            innovation_id,
            f.kind.code(),
            f.title,
            f.blob_key,
            f.content_type,
            f.size_bytes,
            f.original_name,
            f.uploaded_by,
            Timestamp::now(),
            f.public
        ))
        .await?;
    Ok(id)
}

/// Every file of an innovation, newest first (for those who manage or
/// curate it).
pub async fn list(ex: &mut impl Exec, innovation_id: i64) -> Result<Vec<StoredFile>, StoreError> {
    ex.fetch_all(q!(
        concat!(
            "SELECT ",
            columns!(),
            " FROM innovation_files f WHERE f.innovation_id = $1
             ORDER BY f.uploaded_at DESC, f.id DESC"
        ),
        innovation_id
    ))
    .await
}

/// The public files of an innovation while it is published; none otherwise.
pub async fn public_of(
    ex: &mut impl Exec,
    innovation_id: i64,
) -> Result<Vec<StoredFile>, StoreError> {
    ex.fetch_all(q!(
        concat!(
            "SELECT ",
            columns!(),
            " FROM innovation_files f JOIN innovations i ON i.id = f.innovation_id
             WHERE f.innovation_id = $1 AND f.public = TRUE AND i.status = 'terverifikasi'
             ORDER BY f.kind = 'foto' DESC, f.uploaded_at DESC, f.id DESC"
        ),
        innovation_id
    ))
    .await
}

/// A file by id with whether everyone may read it (public, and its
/// innovation published). Callers decide for everyone else.
pub async fn by_id(
    ex: &mut impl Exec,
    file_id: i64,
) -> Result<Option<(StoredFile, bool)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Found {
        #[sqlx(flatten)]
        file: StoredFile,
        published: bool,
    }
    let row: Option<Found> = ex
        .fetch_optional(q!(
            concat!(
                "SELECT ",
                columns!(),
                ", (i.status = 'terverifikasi') AS published
                 FROM innovation_files f JOIN innovations i ON i.id = f.innovation_id
                 WHERE f.id = $1"
            ),
            file_id
        ))
        .await?;
    Ok(row.map(|r| {
        let open = r.file.public && r.published;
        (r.file, open)
    }))
}

/// Removes a file of `innovation_id`; false if there is none. Its blob stays
/// until [`crate::blobs::sweep`] finds it unreferenced.
pub async fn delete(tx: &mut Tx, innovation_id: i64, file_id: i64) -> Result<bool, StoreError> {
    let n = tx
        .execute(q!(
            "DELETE FROM innovation_files WHERE id = $1 AND innovation_id = $2",
            file_id,
            innovation_id
        ))
        .await?;
    Ok(n > 0)
}

/// How many rows refer to a blob.
pub async fn references(ex: &mut impl Exec, blob_key: &str) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .fetch_one(q!(
            "SELECT COUNT(*) FROM innovation_files WHERE blob_key = $1",
            blob_key
        ))
        .await?;
    Ok(n)
}
