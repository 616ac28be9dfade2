//! One error type for every handler, rendered two ways.
//!
//! A handler returns `Err(AppError)`; [`IntoResponse`] turns it into an empty
//! response carrying an [`ErrorInfo`] extension. The context middleware,
//! which knows the caller's language, CSP nonce and whether the request went
//! to the API, then writes the body: the HTML error page, or the JSON
//! envelope `{"error": {"code", "message"}}`. Server errors are logged once
//! with their detail and answered without it.

use std::fmt;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rumah_store::StoreError;

use crate::i18n::Lang;

/// A message to show the user: a translation key and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Msg {
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        lang.tf(self.key, &args)
    }
}

/// The error every handler returns.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    /// Stable, documented code for API clients (`not_found`, `csrf_failed`…).
    pub code: &'static str,
    pub msg: Msg,
    /// The form or JSON field the message is about, if any.
    pub field: Option<&'static str>,
    pub retry_after_secs: Option<u64>,
    /// Logged, never sent.
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What the middleware needs to render an error body.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub msg: Msg,
    pub field: Option<&'static str>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, msg: Msg) -> Self {
        Self {
            status,
            code,
            msg,
            field: None,
            retry_after_secs: None,
            source: None,
        }
    }

    /// 401 for a bearer token that is not (or no longer) valid.
    pub fn invalid_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            Msg::new("error.unauthorized"),
        )
    }

    /// 403 for a valid bearer token that does not carry the `api` scope.
    pub fn insufficient_scope() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            Msg::new("error.forbidden"),
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            Msg::new("error.not_found"),
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            Msg::new("error.unauthorized"),
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Msg::new("error.forbidden"),
        )
    }

    pub fn csrf() -> Self {
        Self::new(StatusCode::FORBIDDEN, "csrf_failed", Msg::new("error.csrf"))
    }

    pub fn bad_request(code: &'static str, msg: Msg) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, msg)
    }

    /// A value that parsed but is not acceptable: 422, naming the field.
    pub fn invalid(field: &'static str, code: &'static str, msg: Msg) -> Self {
        Self {
            field: Some(field),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
        }
    }

    pub fn conflict(code: &'static str, msg: Msg) -> Self {
        Self::new(StatusCode::CONFLICT, code, msg)
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let minutes = retry_after_secs.div_ceil(60).max(1);
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                Msg::new("error.rate_limited").arg("minutes", minutes),
            )
        }
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            Msg::new("error.payload_too_large"),
        )
    }

    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                Msg::new("error.internal"),
            )
        }
    }

    /// The standard error for a status produced outside our handlers (the
    /// router's 404/405, the body limit's 413, the timeout's 408…).
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::UNAUTHORIZED => Self::unauthorized(),
            StatusCode::FORBIDDEN => Self::forbidden(),
            StatusCode::METHOD_NOT_ALLOWED => Self::new(
                status,
                "method_not_allowed",
                Msg::new("error.method_not_allowed"),
            ),
            StatusCode::PAYLOAD_TOO_LARGE => Self::payload_too_large(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::new(
                status,
                "unsupported_media_type",
                Msg::new("error.unsupported_media_type"),
            ),
            StatusCode::REQUEST_TIMEOUT => Self::new(status, "timeout", Msg::new("error.timeout")),
            StatusCode::TOO_MANY_REQUESTS => Self::new(
                status,
                "rate_limited",
                Msg::new("error.rate_limited").arg("minutes", 1),
            ),
            s if s.is_client_error() => Self::new(s, "bad_request", Msg::new("error.bad_request")),
            s => Self::new(s, "internal", Msg::new("error.internal")),
        }
    }

    #[must_use]
    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.code)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            match &self.source {
                Some(source) => {
                    tracing::error!(error.code = self.code, error.detail = %source, "request failed")
                }
                None => tracing::error!(error.code = self.code, "request failed"),
            }
        }
        let mut res = self.status.into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        // The bearer-token errors carry their challenge (RFC 6750 §3).
        let challenge = match self.code {
            "invalid_token" => Some(r#"Bearer error="invalid_token""#),
            "insufficient_scope" => Some(r#"Bearer error="insufficient_scope", scope="api""#),
            _ => None,
        };
        if let Some(challenge) = challenge {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        res.extensions_mut().insert(ErrorInfo {
            code: self.code,
            msg: self.msg,
            field: self.field,
        });
        res
    }
}

/// The JSON error envelope of the API.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    /// Human-readable message in the caller's language.
    pub message: String,
    /// The request field the message is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;
