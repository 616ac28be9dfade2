//! Evidence files and photos of an innovation (regulations, SOPs, reports,
//! photos): the officers' list and upload form
//! (`/inovasi/kelola/{id}/berkas`), deletion, and serving a file
//! (`/inovasi/berkas/{file_id}`).
//!
//! An upload is checked before anything is stored: the file's type is read
//! from its first bytes (never from its name or the browser's claim) and
//! must be on [`ALLOWED`]; its size must not pass `upload_max_bytes`,
//! counted while the body is read. The bytes then go to the blob store
//! (content-addressed, so the same content is stored once) and the row is
//! inserted in a transaction. See docs/FILES.md.
//!
//! The multipart form carries its CSRF token in the query string: the CSRF
//! middleware reads form bodies only when they are URL-encoded, and reads
//! the `csrf_token` query parameter for every other unsafe request.

use axum::Router;
use axum::body::Body;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rumah_domain::authz::Permission;
use rumah_store::blobs::{BlobKey, BlobStore, LocalDir};
use rumah_store::innovations::files::{self, Kind, NewFile, StoredFile};
use rumah_store::innovations::profiles::{self, Innovation};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::auth::session::{MaybeUser, SessionUser};
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, QueryParams};
use crate::i18n::Lang;
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render_with};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/inovasi/kelola/{id}/berkas",
            // The upload's size is enforced by `upload` itself (the per-file
            // limit from the configuration, plus a little for the other
            // fields), instead of the general body limit.
            get(list).post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/inovasi/kelola/{id}/berkas/{file_id}/hapus", post(delete))
        .route("/inovasi/berkas/{file_id}", get(serve))
}

/// The types an evidence file may have, as detected from its content:
/// (MIME type, label).
pub const ALLOWED: [(&str, &str); 8] = [
    ("application/pdf", "PDF"),
    ("image/png", "PNG"),
    ("image/jpeg", "JPEG"),
    ("image/webp", "WebP"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "DOCX",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
    ),
    ("application/vnd.oasis.opendocument.text", "ODT"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ODS"),
];

/// Room for the form's other fields and the multipart framing.
const FORM_OVERHEAD: usize = 64 * 1024;
const TITLE_MAX: usize = 200;

/// The blob store: the configured bucket, or the local directory.
pub fn blob_store(state: &AppState) -> AppResult<Arc<dyn BlobStore>> {
    if let Some(s3) = &state.config().blob_s3 {
        return Ok(Arc::new(s3.clone()));
    }
    let dir = state.config().blob_dir.path().map_err(AppError::internal)?;
    Ok(Arc::new(LocalDir::new(dir)))
}

/// The detected type of `bytes` if it is allowed: (MIME type, extension).
/// Otherwise the error names what was detected.
pub fn check_type(bytes: &[u8]) -> Result<(&'static str, &'static str), Option<&'static str>> {
    match infer::get(bytes) {
        Some(t) if ALLOWED.iter().any(|(m, _)| *m == t.mime_type()) => {
            Ok((t.mime_type(), t.extension()))
        }
        Some(t) => Err(Some(t.mime_type())),
        None => Err(None),
    }
}

/// A file name reduced to letters, digits, `.`, `-`, `_` and spaces, with
/// the extension of its detected type.
pub fn sanitise_name(raw: &str, ext: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let clean = clean.trim().trim_start_matches('.');
    let stem = if clean.is_empty() { "berkas" } else { clean };
    format!("{stem}.{ext}")
}

/// A size as people read it: `12,5 KB`, `3.1 MB`.
pub fn human_size(bytes: i64, lang: Lang) -> String {
    let (value, unit) = if bytes >= 1024 * 1024 {
        (bytes as f64 / (1024.0 * 1024.0), "MB")
    } else if bytes >= 1024 {
        (bytes as f64 / 1024.0, "KB")
    } else {
        return format!("{bytes} B");
    };
    let s = format!("{value:.1}");
    let s = match lang {
        Lang::Id => s.replace('.', ","),
        _ => s,
    };
    format!("{s} {unit}")
}

/// A limit as configured: `10 MiB`, `512 KiB` or bytes.
pub fn plain_size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

/// The public files of a published innovation, photos first; none when it
/// is not published. For the public detail page.
pub async fn public_files(state: &AppState, innovation_id: i64) -> AppResult<Vec<StoredFile>> {
    Ok(files::public_of(&mut state.db(), innovation_id).await?)
}

async fn managed(state: &AppState, user: &SessionUser, id: i64) -> AppResult<Innovation> {
    let scope = user.require(Permission::ManageInnovations)?;
    profiles::in_scope(&mut state.db(), &scope, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Whether `user` manages or curates innovation `id`.
async fn may_see(state: &AppState, user: &SessionUser, id: i64) -> AppResult<bool> {
    for perm in [Permission::ManageInnovations, Permission::CurateInnovations] {
        if let Some(scope) = user.principal.scope(perm)
            && profiles::in_scope(&mut state.db(), &scope, id)
                .await?
                .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What the upload form holds, to show it again.
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    pub kind: String,
    pub title: String,
    pub public: bool,
}

#[derive(askama::Template)]
#[template(path = "innovations/files.html")]
struct FilesPage<'a> {
    ctx: &'a RequestCtx,
    inn: Innovation,
    files: Vec<StoredFile>,
    form: UploadForm,
    kinds: Vec<(&'static str, &'static str)>,
    max_size: String,
    allowed: String,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &RequestCtx,
    inn: Innovation,
    status: StatusCode,
    form: UploadForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> AppResult<Response> {
    let list = files::list(&mut state.db(), inn.id).await?;
    render_with(
        status,
        &FilesPage {
            ctx,
            inn,
            files: list,
            form,
            kinds: Kind::ALL
                .iter()
                .map(|k| (k.code(), k.label_key()))
                .collect(),
            max_size: human_size(
                i64::try_from(state.config().upload_max_bytes).unwrap_or(i64::MAX),
                ctx.lang,
            ),
            allowed: ALLOWED
                .iter()
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join(", "),
            errors,
            notice,
        },
    )
}

#[derive(Deserialize)]
pub struct Notice {
    ok: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    QueryParams(n): QueryParams<Notice>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let notice = match n.ok.as_deref() {
        Some("hapus") => Some(ctx.t("files.deleted").into_owned()),
        Some(_) => Some(ctx.t("files.uploaded").into_owned()),
        None => None,
    };
    page(
        &state,
        &ctx,
        inn,
        StatusCode::OK,
        UploadForm::default(),
        FieldErrors::default(),
        notice,
    )
    .await
}

fn too_large(state: &AppState) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        Msg::new("files.err.too_large").arg("max", plain_size(state.config().upload_max_bytes)),
    )
}

fn multipart_error(state: &AppState, e: &axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(state)
    } else {
        AppError::bad_request("invalid_multipart", Msg::new("files.err.form"))
    }
}

/// A text field of the form, at most 4 KiB.
async fn text_field(
    state: &AppState,
    mut field: axum::extract::multipart::Field<'_>,
) -> AppResult<String> {
    let mut out = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| multipart_error(state, &e))?
    {
        out.extend_from_slice(&chunk);
        if out.len() > 4096 {
            return Err(AppError::bad_request(
                "invalid_multipart",
                Msg::new("files.err.form"),
            ));
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `POST /inovasi/kelola/{id}/berkas` (multipart: `kind`, `title`,
/// `public`, `file`).
pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> AppResult<Response> {
    // Authorisation first: nothing of the body is read for a stranger.
    let inn = managed(&state, &user, id).await?;
    let max = state.config().upload_max_bytes;
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, max + FORM_OVERHEAD)));
    let mut multipart = Multipart::from_request(req, &state)
        .await
        .map_err(|_| AppError::bad_request("invalid_multipart", Msg::new("files.err.form")))?;

    let mut form = UploadForm::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut oversize = false;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&state, &e))?
    {
        match field.name().unwrap_or("") {
            "kind" => form.kind = text_field(&state, field).await?,
            "title" => form.title = text_field(&state, field).await?,
            "public" => form.public = text_field(&state, field).await? == "ya",
            "file" if file.is_none() => {
                let name = field.file_name().unwrap_or("").to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(&state, &e))?
                {
                    if oversize {
                        continue; // drain, so the client gets the answer
                    }
                    if bytes.len() + chunk.len() > max {
                        oversize = true;
                        bytes = Vec::new();
                        continue;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            _ => {
                // Unknown fields are read and dropped (bounded by the body limit).
                while field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(&state, &e))?
                    .is_some()
                {}
            }
        }
    }
    if oversize {
        return Err(too_large(&state));
    }

    let mut errors = FieldErrors::default();
    let kind = Kind::from_code(form.kind.trim());
    if kind.is_none() {
        errors.add("kind", ctx.t("files.err.kind").into_owned());
    }
    let title: String = form.title.trim().chars().take(TITLE_MAX).collect();
    let mut checked = None;
    match &file {
        None => errors.add("file", ctx.t("files.err.missing").into_owned()),
        Some((_, b)) if b.is_empty() => errors.add("file", ctx.t("files.err.missing").into_owned()),
        Some((name, bytes)) => match check_type(bytes) {
            Ok((mime, ext)) => {
                if kind == Some(Kind::Foto) && !mime.starts_with("image/") {
                    errors.add("file", ctx.t("files.err.photo").into_owned());
                } else {
                    checked = Some((mime, sanitise_name(name, ext)));
                }
            }
            Err(detected) => {
                let detected = detected
                    .map_or_else(|| ctx.t("files.unknown_type").into_owned(), str::to_owned);
                errors.add(
                    "file",
                    ctx.tf(
                        "files.err.type",
                        &[
                            ("type", detected.as_str()),
                            ("allowed", &ALLOWED.map(|(_, l)| l).join(", ")),
                        ],
                    ),
                );
            }
        },
    }
    let (Some(kind), Some((mime, original_name)), Some((_, bytes))) = (kind, checked, &file) else {
        return page(
            &state,
            &ctx,
            inn,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
            None,
        )
        .await;
    };
    if !errors.is_empty() {
        return page(
            &state,
            &ctx,
            inn,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
            None,
        )
        .await;
    }
    let title = if title.is_empty() {
        original_name.clone()
    } else {
        title
    };

    // Bytes first (idempotent), then the row: a failure in between leaves
    // only an unreferenced blob, which `blobs::sweep` removes.
    let store = blob_store(&state)?;
    let key = store.put(bytes).await?;
    let mut tx = state.db().begin().await?;
    files::insert(
        &mut tx,
        inn.id,
        &NewFile {
            kind,
            title: &title,
            blob_key: key.as_str(),
            content_type: mime,
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            original_name: &original_name,
            uploaded_by: &user.info.username,
            public: form.public,
        },
    )
    .await?;
    tx.commit().await?;
    // A deletion of the same content may have removed the blob between our
    // write and our commit; write it again then.
    if !store.exists(&key).await? {
        store.put(bytes).await?;
    }
    tracing::info!(innovation = inn.id, blob = %key, size = bytes.len(), content_type = mime, "stored an evidence file");
    Ok(Redirect::to(&format!("/inovasi/kelola/{id}/berkas?ok=1")).into_response())
}

/// `POST /inovasi/kelola/{id}/berkas/{file_id}/hapus`. The blob goes too
/// when no other row uses the same content.
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, file_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let inn = managed(&state, &user, id).await?;
    let Some((file, _)) = files::by_id(&mut state.db(), file_id).await? else {
        return Err(AppError::not_found());
    };
    let mut tx = state.db().begin().await?;
    if !files::delete(&mut tx, inn.id, file_id).await? {
        return Err(AppError::not_found());
    }
    tx.commit().await?;
    if files::references(&mut state.db(), &file.blob_key).await? == 0
        && let Some(key) = BlobKey::parse(&file.blob_key)
    {
        blob_store(&state)?.delete(&key).await?;
    }
    tracing::info!(innovation = inn.id, file = file_id, by = %user.info.username, "deleted an evidence file");
    Ok(Redirect::to(&format!("/inovasi/kelola/{id}/berkas?ok=hapus")).into_response())
}

/// `GET /inovasi/berkas/{file_id}`: public files of published innovations
/// for everyone; any other file only for those who manage or curate its
/// innovation; 404 for everyone else, as if it did not exist.
pub async fn serve(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(file_id): Path<i64>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some((file, open)) = files::by_id(&mut state.db(), file_id).await? else {
        return Err(AppError::not_found());
    };
    let allowed = open
        || match &user {
            Some(u) => may_see(&state, u, file.innovation_id).await?,
            None => false,
        };
    if !allowed {
        return Err(AppError::not_found());
    }
    let key = BlobKey::parse(&file.blob_key)
        .ok_or_else(|| AppError::internal(format!("file {file_id}: malformed blob key")))?;
    let etag = format!("\"{key}\"");
    let cache = if open {
        // Revalidated every time, so unpublishing takes effect at once.
        "public, no-cache"
    } else {
        "private, no-store"
    };
    if open
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        let h = res.headers_mut();
        h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        return Ok(res);
    }
    let bytes = blob_store(&state)?
        .get(&key)
        .await?
        .ok_or_else(|| AppError::internal(format!("file {file_id}: blob {key} is missing")))?;
    let inline = file.content_type.starts_with("image/") || file.content_type == "application/pdf";
    let name = file
        .original_name
        .replace(|c: char| !c.is_ascii_graphic() && c != ' ', "_");
    let name = name.replace(['"', '\\'], "_");
    let encoded: String = url::form_urlencoded::byte_serialize(file.original_name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!(
        "{}; filename=\"{name}\"; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" }
    );
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(res)
}
