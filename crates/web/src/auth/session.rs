//! The session cookie and the extractors that give handlers their caller.
//!
//! Pages use [`CurrentUser`] (cookie session; anonymous callers are sent to
//! the login page). The API uses [`ApiCaller`]: a bearer token when the
//! request carries one (and then only the token counts), otherwise the
//! cookie session (whose unsafe requests passed the CSRF check). A bearer
//! token is either a personal access token (`rumah_pat_…`) or a Satu Akun
//! access token (`at+jwt`) with the `api` scope.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use rumah_domain::authz::{Permission, Principal, Scope};
use rumah_domain::identity::AccountId;
use rumah_domain::time::Timestamp;
use rumah_store::identity::{accounts, sessions::SessionInfo, tokens};

use crate::error::AppError;
use crate::middleware::RequestCtx;
use crate::state::AppState;

/// Cookie names; `__Host-` prefixed when served over TLS, which pins the
/// cookie to this host and path `/` and forces `Secure`.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-rumah_session"
    } else {
        "rumah_session"
    }
}

pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-rumah_csrf"
    } else {
        "rumah_csrf"
    }
}

pub const LANG_COOKIE: &str = "rumah_lang";

/// `Set-Cookie` for a cookie only the server reads.
pub fn set_cookie(
    name: &str,
    value: &str,
    secure: bool,
    max_age: Option<std::time::Duration>,
) -> HeaderValue {
    let mut c = Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure);
    if let Some(age) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(
            i64::try_from(age.as_secs()).unwrap_or(i64::MAX),
        ));
    }
    HeaderValue::from_str(&c.build().to_string()).expect("cookie values are ASCII")
}

pub fn clear_cookie(name: &str, secure: bool) -> HeaderValue {
    let c = Cookie::build((name, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO);
    HeaderValue::from_str(&c.build().to_string()).expect("cookie values are ASCII")
}

/// A signed-in browser session and what its owner may do.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub info: SessionInfo,
    pub principal: Principal,
}

impl SessionUser {
    pub fn account(&self) -> AccountId {
        self.info.account
    }

    /// Where the user may use `perm`; 403 if nowhere.
    pub fn require(&self, perm: Permission) -> Result<Scope, AppError> {
        self.principal.scope(perm).ok_or_else(AppError::forbidden)
    }

    pub fn can(&self, perm: Permission) -> bool {
        self.principal.scope(perm).is_some()
    }
}

/// Looks up the session a cookie names and loads its principal; records
/// activity at most once a minute.
pub async fn resolve(state: &AppState, token: &str) -> Result<Option<SessionUser>, AppError> {
    let mut db = state.db();
    let now = Timestamp::now();
    let Some(info) =
        rumah_store::identity::sessions::lookup(&mut db, token, now, state.config().session_idle)
            .await?
    else {
        return Ok(None);
    };
    if now.millis() - info.last_seen_at.millis() > 60_000 {
        rumah_store::identity::sessions::touch(&mut db, info.session_id, now).await?;
    }
    let principal = accounts::principal(&mut db, info.account, info.kind).await?;
    Ok(Some(SessionUser { info, principal }))
}

/// A page handler's signed-in user. Anonymous visitors are redirected to
/// the login page, which brings them back afterwards.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub SessionUser);

impl std::ops::Deref for CurrentUser {
    type Target = SessionUser;
    fn deref(&self) -> &SessionUser {
        &self.0
    }
}

pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&format!(
            "/masuk?next={}",
            url::form_urlencoded::byte_serialize(self.0.as_bytes()).collect::<String>()
        ))
        .into_response()
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = LoginRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = parts
            .extensions
            .get::<Arc<RequestCtx>>()
            .expect("the context middleware runs first");
        match &ctx.session {
            Some(user) => Ok(CurrentUser(user.clone())),
            None => Err(LoginRedirect(ctx.path.clone())),
        }
    }
}

/// The signed-in user if there is one.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = parts
            .extensions
            .get::<Arc<RequestCtx>>()
            .expect("the context middleware runs first");
        Ok(MaybeUser(ctx.session.clone()))
    }
}

/// How an API caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    PersonalAccessToken(i64),
    /// A Satu Akun (OpenID Connect) access token with the `api` scope.
    OidcAccessToken,
}

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub principal: Principal,
    pub username: String,
    pub via: Via,
}

impl ApiCaller {
    pub fn require(&self, perm: Permission) -> Result<Scope, AppError> {
        self.principal.scope(perm).ok_or_else(AppError::forbidden)
    }
}

/// `Authorization: Bearer <token>`, if present. A malformed header is an
/// authentication failure, not an absent one.
pub fn bearer(parts: &Parts) -> Option<Result<String, ()>> {
    let value = parts.headers.get(AUTHORIZATION)?;
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Some(Err(()));
    }
    let token = token.trim();
    Some(if token.is_empty() {
        Err(())
    } else {
        Ok(token.to_owned())
    })
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(presented) = bearer(parts) {
            let token = presented.map_err(|()| AppError::unauthorized())?;
            if !token.starts_with(tokens::PREFIX) {
                return oidc_caller(state, &token).await;
            }
            let mut db = state.db();
            let now = Timestamp::now();
            let owner = tokens::authenticate(&mut db, &token, now)
                .await?
                .ok_or_else(AppError::unauthorized)?;
            if owner
                .last_used_at
                .is_none_or(|t| now.millis() - t.millis() > 60_000)
            {
                tokens::touch(&mut db, owner.token_id, now).await?;
            }
            let principal = accounts::principal(&mut db, owner.account, owner.kind)
                .await?
                .with_token_scopes(owner.scopes);
            return Ok(ApiCaller {
                principal,
                username: owner.username,
                via: Via::PersonalAccessToken(owner.token_id),
            });
        }
        let ctx = parts
            .extensions
            .get::<Arc<RequestCtx>>()
            .expect("the context middleware runs first");
        match &ctx.session {
            Some(user) => Ok(ApiCaller {
                principal: user.principal.clone(),
                username: user.info.username.clone(),
                via: Via::Session,
            }),
            None => Err(AppError::unauthorized()),
        }
    }
}

/// The caller behind a Satu Akun access token. The token must verify
/// (signature, issuer, `aud` = the API, expiry, not revoked), act for an
/// account that is still active, and carry the `api` scope; it then has the
/// account's roles with every API scope, like the account's own session.
/// A client-credentials token (`sub` = `client:…`) acts for no account and
/// is refused wherever a caller is needed (the public endpoints take no
/// token at all).
async fn oidc_caller(state: &AppState, token: &str) -> Result<ApiCaller, AppError> {
    let claims = match crate::oidc::verify_access_token(state, token).await {
        Ok(c) => c,
        Err(crate::oidc::TokenError::Invalid) => return Err(AppError::invalid_token()),
        Err(crate::oidc::TokenError::Keys(e)) => return Err(AppError::internal(e)),
    };
    if claims.sub.starts_with("client:") {
        return Err(AppError::insufficient_scope());
    }
    let id = claims
        .sub
        .parse::<i64>()
        .map_err(|_| AppError::invalid_token())?;
    let mut db = state.db();
    let account = accounts::get(&mut db, AccountId(id))
        .await?
        .filter(|a| a.status == rumah_domain::identity::AccountStatus::Active)
        .ok_or_else(AppError::invalid_token)?;
    if !rumah_domain::oidc::Scopes::parse(&claims.scope).contains("api") {
        return Err(AppError::insufficient_scope());
    }
    let principal = accounts::principal(&mut db, account.id, account.kind)
        .await?
        .with_token_scopes(rumah_domain::authz::ApiScope::ALL.to_vec());
    Ok(ApiCaller {
        principal,
        username: account.username,
        via: Via::OidcAccessToken,
    })
}

/// Response headers that start a session after sign-in.
pub fn start_session_headers(
    token: &str,
    state: &AppState,
) -> [(axum::http::HeaderName, HeaderValue); 1] {
    let secure = state.config().secure_cookies;
    [(
        SET_COOKIE,
        set_cookie(
            session_cookie_name(secure),
            token,
            secure,
            Some(state.config().session_ttl),
        ),
    )]
}
