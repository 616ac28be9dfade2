//! Extractors that turn malformed input into our own 4xx answers, in the
//! user's language, instead of axum's plain-text rejections.

use std::sync::Arc;

use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, Msg};
use crate::middleware::RequestCtx;

/// The request context (language, nonce, session) set by the middleware.
#[derive(Debug, Clone)]
pub struct Ctx(pub Arc<RequestCtx>);

impl std::ops::Deref for Ctx {
    type Target = RequestCtx;
    fn deref(&self) -> &RequestCtx {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx(parts
            .extensions
            .get::<Arc<RequestCtx>>()
            .cloned()
            .expect("the context middleware runs first")))
    }
}

/// A JSON body. Syntax errors are 400 `malformed_json`, a wrong shape or
/// type is 422 `invalid_body`, a missing content type 415, too big 413.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(r: &JsonRejection) -> AppError {
    match r {
        JsonRejection::JsonDataError(e) => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            Msg::new("error.invalid_body").arg("detail", body_detail(&e.body_text())),
        ),
        JsonRejection::JsonSyntaxError(_) => {
            AppError::bad_request("malformed_json", Msg::new("error.malformed_json"))
        }
        JsonRejection::MissingJsonContentType(_) => {
            AppError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::payload_too_large(),
        _ => AppError::bad_request("bad_request", Msg::new("error.bad_request")),
    }
}

/// serde's description of what was wrong (field names and expected types
/// from our own structs), without axum's prefix.
fn body_detail(text: &str) -> String {
    let detail = text.rsplit_once(": ").map_or(text, |(_, d)| d);
    detail.chars().take(200).collect()
}

/// A URL-encoded form body, with the same mapping as [`ApiJson`].
#[derive(Debug)]
pub struct FormData<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormData<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(FormData(v)),
            Err(FormRejection::FailedToDeserializeForm(e)) => Err(invalid_form(&e.body_text())),
            Err(FormRejection::FailedToDeserializeFormBody(e)) => Err(invalid_form(&e.body_text())),
            Err(FormRejection::InvalidFormContentType(_)) => {
                Err(AppError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE))
            }
            Err(other) if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::payload_too_large())
            }
            Err(_) => Err(AppError::bad_request(
                "bad_request",
                Msg::new("error.bad_request"),
            )),
        }
    }
}

fn invalid_form(text: &str) -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        Msg::new("error.invalid_body").arg("detail", body_detail(text)),
    )
}

/// Query-string parameters; a wrong type is 400 `invalid_query`.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryParams(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(AppError::bad_request(
                "invalid_query",
                Msg::new("error.invalid_query").arg("detail", body_detail(&e.body_text())),
            )),
            Err(_) => Err(AppError::bad_request(
                "invalid_query",
                Msg::new("error.invalid_query").arg("detail", ""),
            )),
        }
    }
}

/// A local path to return to after an action: must start with a single `/`
/// (no scheme, no `//host`, no backslash tricks) or it is replaced by `/`.
pub fn safe_return_path(candidate: Option<&str>) -> String {
    match candidate {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.contains(['\r', '\n', '\\'])
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_this_site() {
        assert_eq!(safe_return_path(Some("/akun?tab=token")), "/akun?tab=token");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "",
            "/a\r\nSet-Cookie: x",
            "/a\\b",
        ] {
            assert_eq!(safe_return_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_return_path(None), "/");
    }
}
