//! Per-request context and the response finishing touches.
//!
//! [`context`] runs around every request. Before the handler it works out
//! the language, a CSP nonce, the client address (believing
//! `X-Forwarded-For` only from configured proxies), the browser session and
//! the CSRF cookie, and stores them as an [`Arc<RequestCtx>`] extension.
//! After the handler it renders error bodies (HTML or JSON), sets cookies
//! and adds the security headers.
//!
//! [`verify_csrf`] guards unsafe methods on the browser and API routers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, REFERRER_POLICY,
    SET_COOKIE, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rumah_store::secret::random_bytes;

use crate::auth::session::{
    self, SessionUser, clear_cookie, csrf_cookie_name, session_cookie_name, set_cookie,
};
use crate::csrf;
use crate::error::{AppError, ErrorBody, ErrorEnvelope, ErrorInfo};
use crate::i18n::Lang;
use crate::state::AppState;

/// What every handler and template may know about the request.
#[derive(Debug)]
pub struct RequestCtx {
    pub lang: Lang,
    /// Nonce allowed by this response's `Content-Security-Policy`.
    pub nonce: String,
    pub client_ip: IpAddr,
    /// Path and query, for "come back here" links.
    pub path: String,
    pub is_api: bool,
    pub session: Option<SessionUser>,
    session_token: Option<String>,
    /// The browser's CSRF cookie; minted only when a page needs a token.
    csrf_cookie: OnceLock<String>,
    csrf_cookie_is_new: bool,
    csrf_key: Arc<[u8]>,
}

impl RequestCtx {
    /// The CSRF token for forms on this page. Using it makes sure the
    /// browser gets the cookie it is bound to.
    pub fn csrf_token(&self) -> String {
        csrf::token(
            &self.csrf_key,
            self.csrf_cookie
                .get_or_init(|| URL_SAFE_NO_PAD.encode(random_bytes::<32>())),
            self.session_token.as_deref().unwrap_or(""),
        )
    }

    pub fn t(&self, key: &str) -> std::borrow::Cow<'static, str> {
        self.lang.t(key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.tf(key, args)
    }

    pub fn asset(&self, name: &str) -> String {
        crate::assets::url(name)
    }

    /// The link that switches to the other language and comes back here.
    pub fn lang_switch_url(&self) -> String {
        let back: String = url::form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        format!("/bahasa/{}?kembali={back}", self.lang.other().code())
    }

    pub fn user_name(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.info.display_name.as_str())
    }

    pub fn is_admin(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            use rumah_domain::authz::Permission::*;
            [ManageAccounts, ManageOrgs, ViewAudit]
                .into_iter()
                .any(|p| s.can(p))
        })
    }

    /// Whether the current page is `prefix` or below it (for navigation).
    pub fn at(&self, prefix: &str) -> bool {
        let path = self.path.split('?').next().unwrap_or("");
        if prefix == "/" {
            path == "/"
        } else {
            path == prefix || path.starts_with(&format!("{prefix}/"))
        }
    }

    #[cfg(test)]
    pub fn for_tests(lang: Lang) -> Self {
        Self {
            lang,
            nonce: "test-nonce".into(),
            client_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            path: "/".into(),
            is_api: false,
            session: None,
            session_token: None,
            csrf_cookie: OnceLock::from("c".to_owned()),
            csrf_cookie_is_new: false,
            csrf_key: Arc::from(&b"k"[..]),
        }
    }
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = cookie::Cookie<'_>> {
    headers
        .get_all(COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
}

/// The client address: the TCP peer, or, when the peer is a trusted proxy,
/// the right-most address in `X-Forwarded-For` that is not a trusted proxy.
fn client_ip(req: &Request, trusted: &[IpAddr]) -> IpAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// Paths that never need a session or CSRF cookie.
fn is_plumbing(path: &str) -> bool {
    path.starts_with("/static/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/favicon.ico")
}

pub async fn context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let config = state.config();
    let secure = config.secure_cookies;
    let path = req.uri().path().to_owned();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let is_api = path.starts_with("/api/");

    let mut lang_cookie = None;
    let mut session_token = None;
    let mut csrf_cookie = None;
    for c in cookies(req.headers()) {
        match c.name() {
            session::LANG_COOKIE => lang_cookie = Lang::from_code(c.value()),
            n if n == session_cookie_name(secure) => session_token = Some(c.value().to_owned()),
            n if n == csrf_cookie_name(secure) && c.value().len() >= 32 => {
                csrf_cookie = Some(c.value().to_owned())
            }
            _ => {}
        }
    }
    let lang = lang_cookie
        .or_else(|| {
            req.headers()
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default();

    let plumbing = is_plumbing(&path);
    let mut clear_session = false;
    let session = match session_token.as_deref() {
        Some(token) if !plumbing => match session::resolve(&state, token).await {
            Ok(Some(user)) => Some(user),
            Ok(None) => {
                clear_session = true;
                None
            }
            Err(e) => return finish_error(&state, e, lang, &new_nonce(), is_api),
        },
        _ => None,
    };
    if session.is_none() {
        session_token = None;
    }
    let csrf_cookie_is_new = csrf_cookie.is_none();
    let csrf_cookie = csrf_cookie.map_or_else(OnceLock::new, OnceLock::from);
    let ctx = Arc::new(RequestCtx {
        lang,
        nonce: new_nonce(),
        client_ip: client_ip(&req, &config.trusted_proxies),
        path: path_and_query,
        is_api,
        session,
        session_token,
        csrf_cookie,
        csrf_cookie_is_new,
        csrf_key: state.csrf_key_shared(),
    });
    req.extensions_mut().insert(ctx.clone());

    let mut res = next.run(req).await;

    if let Some(info) = res.extensions_mut().remove::<ErrorInfo>() {
        res = render_error(&ctx, res, info);
    } else if (res.status().is_client_error() || res.status().is_server_error())
        && !is_rendered(&res)
    {
        let status = res.status();
        let rendered = AppError::for_status(status).into_response();
        let info = rendered
            .extensions()
            .get::<ErrorInfo>()
            .cloned()
            .expect("AppError responses carry ErrorInfo");
        res = render_error(&ctx, res, info);
    }
    let headers = res.headers_mut();
    if ctx.csrf_cookie_is_new
        && let Some(value) = ctx.csrf_cookie.get()
    {
        headers.append(
            SET_COOKIE,
            set_cookie(csrf_cookie_name(secure), value, secure, None),
        );
    }
    if clear_session {
        headers.append(
            SET_COOKIE,
            clear_cookie(session_cookie_name(secure), secure),
        );
    }
    security_headers(headers, &ctx.nonce, config.hsts(), ctx.session.is_some());
    res
}

fn new_nonce() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// Whether a handler wrote the body itself (our pages and JSON), as opposed
/// to a bare status from the router or a layer.
fn is_rendered(res: &Response) -> bool {
    res.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("text/html")
                || ct.starts_with("application/json")
                || ct.starts_with("application/problem+json")
        })
}

fn render_error(ctx: &RequestCtx, res: Response, info: ErrorInfo) -> Response {
    let (mut parts, _) = res.into_parts();
    let message = info.msg.render(ctx.lang);
    let body = if ctx.is_api {
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let envelope = ErrorEnvelope {
            error: ErrorBody {
                code: info.code.to_owned(),
                message,
                field: info.field.map(str::to_owned),
            },
        };
        Body::from(serde_json::to_vec(&envelope).expect("the envelope serialises"))
    } else {
        parts.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Body::from(crate::pages::error_page(ctx, parts.status, &message))
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

/// An error raised before a context exists (the session lookup failed).
fn finish_error(state: &AppState, e: AppError, lang: Lang, nonce: &str, is_api: bool) -> Response {
    let ctx = RequestCtx {
        lang,
        nonce: nonce.to_owned(),
        client_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        path: "/".into(),
        is_api,
        session: None,
        session_token: None,
        csrf_cookie: OnceLock::new(),
        csrf_cookie_is_new: false,
        csrf_key: state.csrf_key_shared(),
    };
    let mut res = e.into_response();
    let info = res
        .extensions_mut()
        .remove::<ErrorInfo>()
        .expect("AppError responses carry ErrorInfo");
    let mut res = render_error(&ctx, res, info);
    security_headers(res.headers_mut(), nonce, state.config().hsts(), false);
    res
}

fn security_headers(h: &mut HeaderMap, nonce: &str, hsts: bool, private: bool) {
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    // A handler that set a stricter policy keeps it (served files carry
    // `sandbox; default-src 'none'`).
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).expect("the policy is ASCII"),
        );
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
        ),
    );
    if hsts {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // Pages of a signed-in user must not be stored by shared caches or the
    // browser's back-forward cache on a shared computer.
    if private && !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Rejects unsafe requests that do not carry a valid CSRF token, in the
/// `X-CSRF-Token` header or the `csrf_token` form field (for multipart
/// forms: in the query string). API requests authenticated by a bearer
/// token carry no ambient credentials and are exempt.
pub async fn verify_csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let ctx = req
        .extensions()
        .get::<Arc<RequestCtx>>()
        .cloned()
        .expect("the context middleware runs first");
    if ctx.is_api
        && req
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION)
    {
        return next.run(req).await;
    }
    let header_token = req
        .headers()
        .get(csrf::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query_token = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == csrf::FORM_FIELD)
            .map(|(_, v)| v.into_owned())
    });
    let is_urlencoded = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));

    let (req, form_token) = if header_token.is_none() && is_urlencoded {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, state.config().body_limit_bytes).await else {
            return AppError::payload_too_large().into_response();
        };
        let token = url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == csrf::FORM_FIELD)
            .map(|(_, v)| v.into_owned());
        (Request::from_parts(parts, Body::from(bytes)), token)
    } else {
        (req, None)
    };
    let presented = header_token
        .or(form_token)
        .or(query_token)
        .unwrap_or_default();
    let session = ctx.session_token.as_deref().unwrap_or("");
    let cookie = ctx.csrf_cookie.get().map_or("", String::as_str);
    if ctx.csrf_cookie_is_new || !csrf::verify(state.csrf_key(), cookie, session, &presented) {
        tracing::warn!(client.ip = %ctx.client_ip, "rejected a request without a valid CSRF token");
        return AppError::csrf().into_response();
    }
    next.run(req).await
}

/// For the JSON 404 of unknown API paths and the HTML one elsewhere.
pub async fn fallback() -> AppError {
    AppError::not_found()
}
