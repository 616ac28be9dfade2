//! Satu Akun's OpenID Connect endpoints: discovery, JWKS, authorization
//! (code flow with PKCE, consent), token (authorization_code with PKCE,
//! refresh_token with rotation and reuse detection, client_credentials)
//! and UserInfo. See `docs/SSO.md`.
//!
//! These routes sit outside the browser router's CSRF layer: the token and
//! UserInfo endpoints are called server to server and authenticate the
//! client or the bearer themselves; the consent form carries its own CSRF
//! token, checked here.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rumah_domain::oidc::{self, AuthorizeParams, ClientRules, Scopes};
use rumah_domain::time::Timestamp;
use rumah_store::identity::accounts;
use rumah_store::oidc::clients::{self, Client};
use rumah_store::oidc::grants::{self, NewCode, NewRefresh};
use rumah_store::secret::random_bytes;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::session::MaybeUser;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::Ctx;
use crate::oidc::keys;
use crate::state::AppState;

/// Authorization codes live this long (RFC 6749 recommends at most 10 min).
const CODE_TTL_MS: i64 = 60_000;
/// Access and ID tokens.
const TOKEN_TTL_S: i64 = 600;
/// Refresh tokens (each rotation starts the period again).
const REFRESH_TTL_MS: i64 = 30 * 24 * 3_600_000;

/// The protocol endpoints; outside the browser router's CSRF layer.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(authorize))
        .route("/oidc/token", axum::routing::post(token))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/oidc/introspect", axum::routing::post(introspect))
        .route("/oidc/revoke", axum::routing::post(revoke))
        .merge(crate::oidc::logout::routes())
}

/// The consent form's target, a browser route (CSRF-checked like every form).
pub fn browser_routes() -> Router<AppState> {
    Router::new()
        .route(CONSENT_ACTION, axum::routing::post(consent))
        .merge(crate::oidc::logout::browser_routes())
}

pub const CONSENT_ACTION: &str = "/oidc/authorize/izin";

fn issuer(state: &AppState) -> String {
    state.config().public_origin()
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

/// `GET /.well-known/openid-configuration`
async fn discovery(State(state): State<AppState>) -> Response {
    let iss = issuer(&state);
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oidc/authorize"),
        "token_endpoint": format!("{iss}/oidc/token"),
        "userinfo_endpoint": format!("{iss}/oidc/userinfo"),
        "introspection_endpoint": format!("{iss}/oidc/introspect"),
        "revocation_endpoint": format!("{iss}/oidc/revoke"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "jwks_uri": format!("{iss}/oidc/jwks"),
        "scopes_supported": oidc::SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": keys::ALGORITHMS,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": crate::oidc::client_auth::ALGORITHMS,
        "introspection_endpoint_auth_signing_alg_values_supported": crate::oidc::client_auth::ALGORITHMS,
        "revocation_endpoint_auth_signing_alg_values_supported": crate::oidc::client_auth::ALGORITHMS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash",
            "name", "preferred_username", "email", "email_verified", "nip", "org", "region", "roles", "sid"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "ui_locales_supported": ["id", "en"],
        "acr_values_supported": [crate::auth::mfa::ACR_PWD, crate::auth::mfa::ACR_MFA],
        "end_session_endpoint": format!("{iss}{}", crate::oidc::logout::END_SESSION_PATH),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    }))
    .into_response()
}

/// `GET /oidc/jwks`
async fn jwks(State(state): State<AppState>) -> AppResult<Response> {
    let mut db = state.db();
    // Make sure a key exists, so the JWKS is never empty.
    state
        .oidc_keys()
        .signer(&mut db, state.kek(), keys::DEFAULT_ALG)
        .await
        .map_err(AppError::internal)?;
    let doc = keys::jwks(&mut db).await.map_err(AppError::internal)?;
    let mut res = Json(doc).into_response();
    res.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(res)
}

/// Sends an authorization error back to the client (RFC 6749 §4.1.2.1,
/// with `iss` per RFC 9207).
fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    error: &str,
    description: &str,
    st: Option<&str>,
) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(e) => return AppError::internal(e).into_response(),
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", error);
        q.append_pair("error_description", description);
        if let Some(s) = st {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &issuer(state));
    }
    Redirect::to(url.as_str()).into_response()
}

/// An error page for requests that cannot be sent back (unknown client,
/// bad redirect URI): never redirect to an unverified address.
fn untrusted(e: &oidc::UntrustedRequest) -> AppError {
    let key = match e {
        oidc::UntrustedRequest::MissingClient => "oidc.error.missing_client",
        oidc::UntrustedRequest::UnknownClient => "oidc.error.unknown_client",
        oidc::UntrustedRequest::BadRedirectUri => "oidc.error.bad_redirect_uri",
    };
    AppError::bad_request("oidc_untrusted_request", Msg::new(key))
}

async fn client_for(state: &AppState, p: &AuthorizeParams) -> AppResult<(Client, String)> {
    let client_id = p
        .client_id
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| untrusted(&oidc::UntrustedRequest::MissingClient))?;
    let client = clients::by_client_id(&mut state.db(), client_id)
        .await?
        .ok_or_else(|| untrusted(&oidc::UntrustedRequest::UnknownClient))?;
    let redirect = oidc::redirect_uri(p.redirect_uri.as_deref(), &client.redirect_uris())
        .map_err(|e| untrusted(&e))?;
    Ok((client, redirect))
}

/// `GET /oidc/authorize`
async fn authorize(
    State(state): State<AppState>,
    ctx: Ctx,
    MaybeUser(user): MaybeUser,
    Query(p): Query<AuthorizeParams>,
) -> AppResult<Response> {
    let (client, redirect) = client_for(&state, &p).await?;
    let allowed = Scopes::parse(&client.allowed_scopes);
    let rules = ClientRules {
        redirect_uris: &[],
        public: client.is_public(),
        allowed_scopes: &allowed,
    };
    let req = match oidc::validate_authorize(&p, &client.client_id, redirect.clone(), &rules) {
        Ok(r) => r,
        Err(e) => {
            return Ok(error_redirect(
                &state,
                &redirect,
                e.code(),
                &e.to_string(),
                p.state.as_deref(),
            ));
        }
    };
    let now = Timestamp::now().0;
    // Signed in recently enough? `login_after` marks a request that sent the
    // user to sign in again (prompt=login, max_age).
    let login_after: Option<i64> = ctx
        .path
        .split_once('?')
        .and_then(|(_, q)| {
            url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "login_after")
        })
        .and_then(|(_, v)| v.parse().ok());
    let needs_login = match &user {
        None => true,
        Some(u) => {
            let at = u.info.auth_time.0;
            match login_after {
                Some(after) => at < after,
                None => req.prompt.login || !oidc::fresh_enough(at, req.max_age, now),
            }
        }
    };
    if needs_login {
        if req.prompt.none {
            return Ok(error_redirect(
                &state,
                &redirect,
                "login_required",
                "the user must sign in",
                req.state.as_deref(),
            ));
        }
        // Back here after signing in, without prompt=login (which would loop).
        let mut back = url::form_urlencoded::Serializer::new(String::new());
        let query = ctx.path.split_once('?').map_or("", |(_, q)| q);
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if k != "prompt" && k != "login_after" {
                back.append_pair(&k, &v);
            }
        }
        back.append_pair("login_after", &now.to_string());
        let next = format!("/oidc/authorize?{}", back.finish());
        let hint = req.login_hint.as_deref().unwrap_or("");
        return Ok(Redirect::to(&format!(
            "/masuk?reauth=1&login={}&next={}",
            url::form_urlencoded::byte_serialize(hint.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ))
        .into_response());
    }
    let user = user.ok_or_else(|| AppError::internal("a signed-in user is expected here"))?;
    // A second factor, when the request (`acr_values`) or the client asks
    // for one and the session has not used it: step up, then come back.
    let wants_mfa = req
        .acr_values
        .iter()
        .any(|a| a == crate::auth::mfa::ACR_MFA)
        || client.require_mfa;
    if wants_mfa && !crate::auth::mfa::has_second_factor(&user.info.amr) {
        if req.prompt.none {
            return Ok(error_redirect(
                &state,
                &redirect,
                "interaction_required",
                "a second factor is required",
                req.state.as_deref(),
            ));
        }
        return Ok(Redirect::to(&format!(
            "{}?next={}",
            crate::routes::auth::mfa::STEP_PATH,
            url::form_urlencoded::byte_serialize(ctx.path.as_bytes()).collect::<String>()
        ))
        .into_response());
    }
    let account = user.account().0;
    // Consent: first-party clients skip it; others need one that covers
    // the scopes (or a fresh one when prompt=consent).
    let granted = grants::consent(&mut state.db(), account, &client.client_id).await?;
    let covered = granted
        .as_deref()
        .is_some_and(|g| req.scopes.is_subset(&Scopes::parse(g)));
    if !client.first_party && (!covered || req.prompt.consent) {
        if req.prompt.none {
            return Ok(error_redirect(
                &state,
                &redirect,
                "consent_required",
                "the user must consent",
                req.state.as_deref(),
            ));
        }
        let intro = ctx.tf("oidc.consent.intro", &[("client", &client.name)]);
        return crate::pages::render(&ConsentPage {
            ctx: &ctx,
            intro,
            scopes: req
                .scopes
                .iter()
                .map(|s| (s, ctx.t(scope_label(s)).into_owned()))
                .collect(),
            params: ctx.path.split_once('?').map_or("", |(_, q)| q).to_owned(),
            action: CONSENT_ACTION,
        });
    }
    issue_code(&state, &user, &client, &req).await
}

#[derive(askama::Template)]
#[template(path = "oidc/consent.html")]
struct ConsentPage<'a> {
    ctx: &'a crate::middleware::RequestCtx,
    intro: String,
    /// (scope, what it releases, in the user's language)
    scopes: Vec<(&'static str, String)>,
    /// The original query, posted back unchanged.
    params: String,
    action: &'static str,
}

fn scope_label(scope: &str) -> &'static str {
    match scope {
        "openid" => "oidc.scope.openid",
        "profile" => "oidc.scope.profile",
        "email" => "oidc.scope.email",
        "phone" => "oidc.scope.phone",
        "offline_access" => "oidc.scope.offline_access",
        "nip" => "oidc.scope.nip",
        "org" => "oidc.scope.org",
        "region" => "oidc.scope.region",
        "roles" => "oidc.scope.roles",
        _ => "oidc.scope.api",
    }
}

#[derive(Deserialize)]
struct ConsentForm {
    #[serde(default)]
    params: String,
    #[serde(default)]
    decision: String,
}

/// `POST /oidc/authorize/izin`: the consent decision.
async fn consent(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    crate::extract::FormData(form): crate::extract::FormData<ConsentForm>,
) -> AppResult<Response> {
    let user = user.ok_or_else(AppError::unauthorized)?;
    let p: AuthorizeParams = serde_urlencoded::from_str(&form.params)
        .map_err(|_| AppError::bad_request("invalid_form", Msg::new("oidc.error.bad_consent")))?;
    let (client, redirect) = client_for(&state, &p).await?;
    let allowed = Scopes::parse(&client.allowed_scopes);
    let rules = ClientRules {
        redirect_uris: &[],
        public: client.is_public(),
        allowed_scopes: &allowed,
    };
    let req = match oidc::validate_authorize(&p, &client.client_id, redirect.clone(), &rules) {
        Ok(r) => r,
        Err(e) => {
            return Ok(error_redirect(
                &state,
                &redirect,
                e.code(),
                &e.to_string(),
                p.state.as_deref(),
            ));
        }
    };
    if form.decision != "allow" {
        return Ok(error_redirect(
            &state,
            &redirect,
            "access_denied",
            "the user declined",
            req.state.as_deref(),
        ));
    }
    grants::save_consent(
        &mut state.db(),
        user.account().0,
        &client.client_id,
        &req.scopes.to_string_list(),
        Timestamp::now().0,
    )
    .await?;
    issue_code(&state, &user, &client, &req).await
}

async fn issue_code(
    state: &AppState,
    user: &crate::auth::session::SessionUser,
    client: &Client,
    req: &oidc::Authorize,
) -> AppResult<Response> {
    let code = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let now = Timestamp::now().0;
    grants::insert_code(
        &mut state.db(),
        &NewCode {
            code_hash: &rumah_store::oidc::hash(&code),
            client_id: &client.client_id,
            account_id: user.account().0,
            session_id: Some(user.info.session_id),
            redirect_uri: &req.redirect_uri,
            scope: &req.scopes.to_string_list(),
            nonce: req.nonce.as_deref(),
            code_challenge: req.code_challenge.as_deref(),
            auth_time: user.info.auth_time.0,
            amr: &user.info.amr,
            acr: Some(crate::auth::mfa::acr_for(&user.info.amr)),
            now,
            expires_at: now + CODE_TTL_MS,
        },
    )
    .await?;
    let mut url = url::Url::parse(&req.redirect_uri).map_err(AppError::internal)?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(s) = &req.state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &issuer(state));
    }
    Ok(Redirect::to(url.as_str()).into_response())
}

/// An error of the token endpoint (RFC 6749 §5.2).
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut res = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"satu-akun\""),
        );
    }
    no_store(res)
}

#[derive(Deserialize, Default)]
struct TokenForm {
    token: Option<String>,
    token_type_hint: Option<String>,
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// The client, authenticated by HTTP Basic, by form fields or by a
/// `private_key_jwt` assertion (`oidc::client_auth`); public clients by
/// their id alone.
async fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    form: &TokenForm,
) -> Result<Client, Response> {
    let invalid = || {
        token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )
    };
    if let Some(assertion) = form.client_assertion.as_deref() {
        return crate::oidc::client_auth::from_request(
            state,
            headers,
            form.client_id.as_deref(),
            form.client_assertion_type.as_deref(),
            assertion,
            form.client_secret.is_some(),
        )
        .await
        .map_err(|refused| {
            refused.map_or_else(invalid, |(code, why)| {
                token_error(StatusCode::BAD_REQUEST, code, why)
            })
        });
    }
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|b64| -> Option<(String, String)> {
            let raw = STANDARD.decode(b64.trim()).ok()?;
            let raw = String::from_utf8(raw).ok()?;
            let (id, secret) = raw.split_once(':')?;
            let dec = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((dec(id)?, dec(secret)?))
        });
    let (client_id, secret, method) = match (basic, &form.client_secret) {
        (Some(None), _) => return Err(invalid()),
        (Some(Some(_)), Some(_)) => {
            return Err(token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "use one client authentication method",
            ));
        }
        (Some(Some((id, secret))), None) => (id, Some(secret), "client_secret_basic"),
        (None, Some(secret)) => (
            form.client_id.clone().unwrap_or_default(),
            Some(secret.clone()),
            "client_secret_post",
        ),
        (None, None) => (form.client_id.clone().unwrap_or_default(), None, "none"),
    };
    let client = match state.oidc_clients().get(&mut state.db(), &client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(invalid()),
        Err(e) => return Err(AppError::from(e).into_response()),
    };
    match (&client.secret_hash, secret) {
        (None, None) if method == "none" && client.token_endpoint_auth_method == "none" => {
            Ok(client)
        }
        (Some(hash), Some(secret)) if client.token_endpoint_auth_method == method => {
            let given = hex::encode(Sha256::digest(secret.as_bytes()));
            if bool::from(given.as_bytes().ct_eq(hash.as_bytes())) {
                Ok(client)
            } else {
                Err(invalid())
            }
        }
        _ => Err(invalid()),
    }
}

/// `POST /oidc/token`
async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::extract::FormData(form): crate::extract::FormData<TokenForm>,
) -> Response {
    let client = match authenticate_client(&state, &headers, &form).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let result = match form.grant_type.as_deref() {
        Some("authorization_code") if client.allows_grant("authorization_code") => {
            code_grant(&state, &client, &form).await
        }
        Some("refresh_token") if client.allows_grant("refresh_token") => {
            refresh_grant(&state, &client, &form).await
        }
        Some("client_credentials")
            if client.allows_grant("client_credentials") && !client.is_public() =>
        {
            client_credentials(&state, &client, &form).await
        }
        Some("authorization_code" | "refresh_token" | "client_credentials") => Ok(token_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "this client may not use this grant",
        )),
        Some(_) => Ok(token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "unsupported grant_type",
        )),
        None => Ok(token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is missing",
        )),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn invalid_grant(description: &str) -> Response {
    token_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// What a token is issued for.
struct Subject<'a> {
    account_id: i64,
    scope: &'a Scopes,
    auth_time: i64,
    amr: &'a str,
    acr: Option<&'a str>,
    nonce: Option<&'a str>,
}

async fn code_grant(state: &AppState, client: &Client, form: &TokenForm) -> AppResult<Response> {
    let Some(code) = form.code.as_deref().filter(|c| !c.is_empty()) else {
        return Ok(token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code is missing",
        ));
    };
    let now = Timestamp::now().0;
    let mut tx = state.db().begin().await?;
    let Some(grant) = grants::take_code(&mut tx, &rumah_store::oidc::hash(code), now).await? else {
        return Ok(invalid_grant("unknown code"));
    };
    if grant.used_at.is_some() {
        // A replayed code: refuse, and revoke what the first use issued
        // (RFC 6749 §4.1.2). Its refresh tokens carry the code's family.
        grants::revoke_family(&mut tx, &family_of_code(grant.id), now).await?;
        rumah_store::audit::record(
            &mut tx,
            &rumah_store::audit::Entry {
                event: rumah_store::audit::event::OIDC_CODE_REPLAYED,
                subject: Some((grant.account_id, "")),
                client_id: Some(&client.client_id),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(invalid_grant("the code was already used"));
    }
    tx.commit().await?;
    if grant.client_id != client.client_id {
        return Ok(invalid_grant("the code was issued to another client"));
    }
    if grant.expires_at <= now {
        return Ok(invalid_grant("the code has expired"));
    }
    if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return Ok(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.code_challenge, form.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if oidc::is_pkce_value(verifier) => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                return Ok(invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), _) => return Ok(invalid_grant("code_verifier is missing or malformed")),
        (None, Some(_)) => return Ok(invalid_grant("no code_challenge was sent for this code")),
        (None, None) => {}
    }
    let scope = Scopes::parse(&grant.scope);
    let subject = Subject {
        account_id: grant.account_id,
        scope: &scope,
        auth_time: grant.auth_time,
        amr: &grant.amr,
        acr: grant.acr.as_deref(),
        nonce: grant.nonce.as_deref(),
    };
    issue_tokens(
        state,
        client,
        &subject,
        Source::Code {
            family: &family_of_code(grant.id),
        },
        true,
    )
    .await
}

fn family_of_code(code_id: i64) -> String {
    format!("code-{code_id}")
}

async fn refresh_grant(state: &AppState, client: &Client, form: &TokenForm) -> AppResult<Response> {
    let Some(token) = form.refresh_token.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is missing",
        ));
    };
    let now = Timestamp::now().0;
    let (rt, scope, successor) = match rotate_refresh(state, client, token, form, now).await? {
        Ok(rotated) => rotated,
        Err(refused) => return Ok(refused),
    };
    let subject = Subject {
        account_id: rt.account_id,
        scope: &scope,
        auth_time: rt.auth_time,
        amr: &rt.amr,
        acr: rt.acr.as_deref(),
        nonce: None,
    };
    issue_tokens(
        state,
        client,
        &subject,
        Source::Refresh {
            family: &rt.family,
            successor,
            sid: rt.sid.as_deref(),
        },
        scope.contains("openid"),
    )
    .await
}

/// Rotates the refresh token `token` of `client`: the grant it belongs to,
/// the scope of the new tokens and the successor refresh token; or the
/// error answer.
async fn rotate_refresh(
    state: &AppState,
    client: &Client,
    token: &str,
    form: &TokenForm,
    now: i64,
) -> AppResult<Result<(grants::RefreshToken, Scopes, Option<String>), Response>> {
    let hash = rumah_store::oidc::hash(token);
    let reused = || invalid_grant("the refresh token was already used; its grant is revoked");
    // The usual case, in one statement (`grants::rotate`): the token is
    // marked and its successor stored together, or nothing happens.
    if form.scope.is_none() {
        let successor = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
        if let Some(next) = grants::rotate(
            &mut state.db(),
            &hash,
            &client.client_id,
            &rumah_store::oidc::hash(&successor),
            now,
            refresh_expiry(client, now),
        )
        .await?
        {
            let scope = Scopes::parse(&next.scope);
            return Ok(Ok((next, scope, Some(successor))));
        }
    }
    // Otherwise tell why not, or narrow the scope first (a bad request does
    // not use the token up), in one transaction.
    let mut tx = state.db().begin().await?;
    let Some(rt) = grants::refresh_by_hash(&mut tx, &hash).await? else {
        return Ok(Err(invalid_grant("unknown refresh token")));
    };
    if rt.client_id != client.client_id {
        return Ok(Err(invalid_grant(
            "the refresh token was issued to another client",
        )));
    }
    if rt.revoked_at.is_some() || rt.expires_at <= now {
        return Ok(Err(invalid_grant("the refresh token is no longer valid")));
    }
    // A locked account gets no new tokens (its refresh tokens stay, for
    // when it is unlocked).
    let active = accounts::get(&mut tx, rumah_domain::identity::AccountId(rt.account_id))
        .await?
        .is_some_and(|a| a.status == rumah_domain::identity::AccountStatus::Active);
    if !active && rt.rotated_at.is_none() {
        return Ok(Err(invalid_grant("the account is locked")));
    }
    let mut scope = Scopes::parse(&rt.scope);
    if let Some(asked) = form.scope.as_deref() {
        let asked = Scopes::parse(asked);
        if !asked.is_subset(&scope) {
            return Ok(Err(token_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "a refresh cannot widen the scope",
            )));
        }
        scope = asked;
    }
    if rt.rotated_at.is_some() || !grants::rotate_by_hash(&mut tx, &hash, now).await? {
        // Reuse of a rotated token: someone holds a copy. Revoke the family.
        refresh_reused(&mut tx, client, rt.account_id, &rt.family, now).await?;
        tx.commit().await?;
        return Ok(Err(reused()));
    }
    let subject = Subject {
        account_id: rt.account_id,
        scope: &scope,
        auth_time: rt.auth_time,
        amr: &rt.amr,
        acr: rt.acr.as_deref(),
        nonce: None,
    };
    let successor = store_refresh(
        &mut tx,
        client,
        &subject,
        &rt.family,
        rt.sid.as_deref(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok((rt, scope, successor)))
}

/// A rotated refresh token came back: revokes its family and audits it.
async fn refresh_reused(
    tx: &mut rumah_store::Tx,
    client: &Client,
    account_id: i64,
    family: &str,
    now: i64,
) -> AppResult<()> {
    let revoked = grants::revoke_family(tx, family, now).await?;
    rumah_store::audit::record(
        tx,
        &rumah_store::audit::Entry {
            event: rumah_store::audit::event::OIDC_REFRESH_REUSED,
            subject: Some((account_id, "")),
            client_id: Some(&client.client_id),
            details: Some(json!({ "family_revoked": revoked })),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// When a refresh token issued to `client` now expires.
fn refresh_expiry(client: &Client, now_ms: i64) -> i64 {
    now_ms
        + client
            .refresh_token_lifetime_s
            .map_or(REFRESH_TTL_MS, |s| s.saturating_mul(1000))
}

/// The key for `client`'s tokens, in its algorithm (ID and access tokens
/// alike: a client that verifies one verifies the other).
async fn client_signer(state: &AppState, client: &Client) -> AppResult<Arc<keys::Signer>> {
    state
        .oidc_keys()
        .signer(
            &mut state.db(),
            state.kek(),
            &client.id_token_signed_response_alg,
        )
        .await
        .map_err(AppError::internal)
}

/// How long `client`'s access and ID tokens live, in seconds.
fn access_ttl_s(client: &Client) -> i64 {
    client.access_token_lifetime_s.unwrap_or(TOKEN_TTL_S)
}

async fn client_credentials(
    state: &AppState,
    client: &Client,
    form: &TokenForm,
) -> AppResult<Response> {
    let allowed = Scopes::parse(&client.allowed_scopes);
    let scope = Scopes::parse(form.scope.as_deref().unwrap_or("")).within(&allowed);
    let signer = client_signer(state, client).await?;
    let ttl = access_ttl_s(client);
    let now = Timestamp::now().0 / 1000;
    let iss = issuer(state);
    let at = signer
        .sign(
            "at+jwt",
            &json!({
                "iss": iss, "sub": format!("client:{}", client.client_id), "aud": format!("{iss}/api"),
                "client_id": client.client_id, "iat": now, "exp": now + ttl,
                "jti": URL_SAFE_NO_PAD.encode(random_bytes::<16>()), "scope": scope.to_string_list(),
            }),
        )
        .map_err(AppError::internal)?;
    Ok(no_store(
        Json(json!({ "access_token": at, "token_type": "Bearer", "expires_in": ttl, "scope": scope.to_string_list() }))
            .into_response(),
    ))
}

/// The scopes that release claims read from the account.
const ACCOUNT_CLAIM_SCOPES: [&str; 6] = ["profile", "email", "nip", "org", "region", "roles"];

/// The claims of `account` that `scope` releases.
async fn user_claims(
    state: &AppState,
    account_id: i64,
    scope: &Scopes,
) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    let mut c = serde_json::Map::new();
    c.insert("sub".into(), json!(account_id.to_string()));
    // `sub` alone needs no lookup (an ID token of `openid` only, as most
    // refreshes of machine-to-machine relying parties are).
    if !ACCOUNT_CLAIM_SCOPES.iter().any(|s| scope.contains(s)) {
        return Ok(c);
    }
    let mut db = state.db();
    let account = accounts::get(&mut db, rumah_domain::identity::AccountId(account_id))
        .await?
        .ok_or_else(AppError::not_found)?;
    if scope.contains("profile") {
        c.insert("name".into(), json!(account.display_name));
        c.insert("preferred_username".into(), json!(account.username));
    }
    if scope.contains("email")
        && let Some(e) = &account.email
    {
        c.insert("email".into(), json!(e));
        c.insert("email_verified".into(), json!(account.email_verified));
    }
    if scope.contains("nip")
        && let Some(n) = &account.nip
    {
        c.insert("nip".into(), json!(n));
    }
    let org = account
        .org_code
        .as_deref()
        .and_then(|o| rumah_domain::orgs::OrgCode::parse(o).ok());
    if scope.contains("org")
        && let Some(o) = &org
    {
        c.insert(
            "org".into(),
            json!({ "code": o.as_str(), "name": account.org_name }),
        );
    }
    if scope.contains("region")
        && let Some(o) = &org
        && o.as_str() != "35"
    {
        c.insert("region".into(), json!(o.region().as_str()));
    }
    if scope.contains("roles") {
        let roles: Vec<serde_json::Value> = accounts::grants(&mut db, account.id)
            .await?
            .iter()
            .map(|g| json!({ "role": g.role.code(), "org": g.org_code.as_str() }))
            .collect();
        c.insert("roles".into(), json!(roles));
    }
    Ok(c)
}

/// Where a token answer comes from.
enum Source<'a> {
    /// A code exchange; its refresh token, if any, is stored with the answer.
    Code { family: &'a str },
    /// A rotation; the successor was stored with it ([`store_refresh`]).
    Refresh {
        family: &'a str,
        successor: Option<String>,
        /// The session's `sid` kept on the token, if any.
        sid: Option<&'a str>,
    },
}

/// Makes and stores a refresh token of `family` for `s`, when the scope
/// and the client allow one.
async fn store_refresh(
    ex: &mut impl rumah_store::Exec,
    client: &Client,
    s: &Subject<'_>,
    family: &str,
    sid: Option<&str>,
    now_ms: i64,
) -> AppResult<Option<String>> {
    if !(s.scope.contains("offline_access") && client.allows_grant("refresh_token")) {
        return Ok(None);
    }
    let refresh = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    grants::insert_refresh(
        ex,
        &NewRefresh {
            token_hash: &rumah_store::oidc::hash(&refresh),
            family,
            client_id: &client.client_id,
            account_id: s.account_id,
            scope: &s.scope.to_string_list(),
            auth_time: s.auth_time,
            amr: s.amr,
            acr: s.acr,
            now: now_ms,
            expires_at: refresh_expiry(client, now_ms),
            sid,
        },
    )
    .await?;
    Ok(Some(refresh))
}

async fn issue_tokens(
    state: &AppState,
    client: &Client,
    s: &Subject<'_>,
    source: Source<'_>,
    with_id_token: bool,
) -> AppResult<Response> {
    // The browser session's sid (back-channel logout), for ID tokens: a
    // code exchange records the client in the session; a refresh reads the
    // sid kept on its token (or, for tokens older than that, looks it up).
    let sid = match &source {
        _ if !with_id_token => None,
        Source::Code { family } => {
            crate::oidc::logout::sid_for_tokens(state, Some(family), &client.client_id, false)
                .await?
        }
        Source::Refresh { sid: Some(sid), .. } => Some((*sid).to_owned()),
        Source::Refresh { family, .. } => {
            crate::oidc::logout::sid_for_tokens(state, Some(family), &client.client_id, true)
                .await?
        }
    };
    let signer = client_signer(state, client).await?;
    let ttl = access_ttl_s(client);
    let now_ms = Timestamp::now().0;
    let now = now_ms / 1000;
    let iss = issuer(state);
    let sub = s.account_id.to_string();
    let access_token = signer
        .sign(
            "at+jwt",
            &json!({
                "iss": iss, "sub": sub, "aud": format!("{iss}/api"), "client_id": client.client_id,
                "iat": now, "exp": now + ttl, "auth_time": s.auth_time / 1000,
                "jti": URL_SAFE_NO_PAD.encode(random_bytes::<16>()), "scope": s.scope.to_string_list(),
            }),
        )
        .map_err(AppError::internal)?;
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": s.scope.to_string_list(),
    });
    if with_id_token {
        // at_hash: the left half of the access token's hash, with the hash
        // of the ID token's algorithm (SHA-512 for Ed25519).
        let digest = if signer.alg == jsonwebtoken::Algorithm::EdDSA {
            sha2::Sha512::digest(access_token.as_bytes()).to_vec()
        } else {
            Sha256::digest(access_token.as_bytes()).to_vec()
        };
        let half = digest.len() / 2;
        let mut claims = user_claims(state, s.account_id, s.scope).await?;
        for (k, v) in [
            ("iss", json!(iss)),
            ("aud", json!(client.client_id)),
            ("azp", json!(client.client_id)),
            ("iat", json!(now)),
            ("exp", json!(now + ttl)),
            ("auth_time", json!(s.auth_time / 1000)),
            (
                "amr",
                json!(
                    s.amr
                        .split(' ')
                        .filter(|a| !a.is_empty())
                        .collect::<Vec<_>>()
                ),
            ),
            ("at_hash", json!(URL_SAFE_NO_PAD.encode(&digest[..half]))),
        ] {
            claims.insert(k.into(), v);
        }
        if let Some(n) = s.nonce {
            claims.insert("nonce".into(), json!(n));
        }
        if let Some(acr) = s.acr {
            claims.insert("acr".into(), json!(acr));
        }
        // The browser session (back-channel logout); records the client in it.
        if let Some(sid) = &sid {
            claims.insert("sid".into(), json!(sid));
        }
        body["id_token"] = json!(
            signer
                .sign("JWT", &serde_json::Value::Object(claims))
                .map_err(AppError::internal)?
        );
    }
    let refresh = match source {
        Source::Code { family } => {
            store_refresh(&mut state.db(), client, s, family, sid.as_deref(), now_ms).await?
        }
        Source::Refresh { successor, .. } => successor,
    };
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    Ok(no_store(Json(body).into_response()))
}

#[derive(Deserialize, Default)]
struct UserinfoForm {
    access_token: Option<String>,
}

/// `GET|POST /oidc/userinfo`: bearer in the header (or, for POST, the
/// form field `access_token`, RFC 6750 §2.2).
async fn userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let unauthorized = |error: &str| {
        let mut res = (StatusCode::UNAUTHORIZED, Json(json!({ "error": error }))).into_response();
        let v = format!("Bearer error=\"{error}\"");
        if let Ok(v) = HeaderValue::from_str(&v) {
            res.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        no_store(res)
    };
    let from_header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let from_form = serde_urlencoded::from_bytes::<UserinfoForm>(&body)
        .ok()
        .and_then(|f| f.access_token);
    let token = match (from_header, from_form) {
        (Some(t), None) | (None, Some(t)) => t,
        (Some(_), Some(_)) => return unauthorized("invalid_request"),
        (None, None) => return unauthorized("invalid_token"),
    };
    let claims = match crate::oidc::verify_access_token(&state, &token).await {
        Ok(c) => c,
        Err(_) => return unauthorized("invalid_token"),
    };
    let Some(account_id) = claims.sub.parse::<i64>().ok() else {
        return unauthorized("invalid_token");
    };
    let scope = Scopes::parse(&claims.scope);
    if !scope.contains("openid") {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "insufficient_scope" })),
        )
            .into_response();
    }
    match user_claims(&state, account_id, &scope).await {
        Ok(c) => no_store(Json(serde_json::Value::Object(c)).into_response()),
        Err(_) => unauthorized("invalid_token"),
    }
}

/// `POST /oidc/introspect` (RFC 7662), for resource servers that cannot
/// verify the JWTs themselves. Confidential clients only; anything that is
/// not a live token of this provider is `{"active": false}`. A refresh
/// token is described only to the client it was issued to.
async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::extract::FormData(form): crate::extract::FormData<TokenForm>,
) -> Response {
    let client = match authenticate_client(&state, &headers, &form).await {
        Ok(c) if !c.is_public() => c,
        Ok(_) => {
            return token_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "a public client cannot introspect",
            );
        }
        Err(res) => return res,
    };
    let inactive = || no_store(Json(json!({ "active": false })).into_response());
    let Some(token) = form.token.as_deref().filter(|t| !t.is_empty()) else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is missing",
        );
    };
    if let Ok(c) = crate::oidc::verify_access_token(&state, token).await {
        return no_store(
            Json(json!({
                "active": true, "token_type": "Bearer", "scope": c.scope, "client_id": c.client_id,
                "sub": c.sub, "exp": c.exp, "iat": c.iat, "iss": issuer(&state), "jti": c.jti,
            }))
            .into_response(),
        );
    }
    let now = Timestamp::now().0;
    match grants::refresh_by_hash(&mut state.db(), &rumah_store::oidc::hash(token)).await {
        Ok(Some(rt))
            if rt.client_id == client.client_id
                && rt.revoked_at.is_none()
                && rt.rotated_at.is_none()
                && rt.expires_at > now =>
        {
            no_store(
                Json(json!({
                    "active": true, "token_type": "refresh_token", "scope": rt.scope,
                    "client_id": rt.client_id, "sub": rt.account_id.to_string(), "exp": rt.expires_at / 1000,
                    "iss": issuer(&state),
                }))
                .into_response(),
            )
        }
        Ok(_) => inactive(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `POST /oidc/revoke` (RFC 7009). A refresh token takes its whole grant
/// (the family) with it; an access token is refused from then on by
/// UserInfo and introspection. Unknown or foreign tokens also answer 200,
/// as the RFC asks, so the endpoint tells nothing about other tokens.
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::extract::FormData(form): crate::extract::FormData<TokenForm>,
) -> Response {
    let client = match authenticate_client(&state, &headers, &form).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let Some(token) = form.token.as_deref().filter(|t| !t.is_empty()) else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is missing",
        );
    };
    if form
        .token_type_hint
        .as_deref()
        .is_some_and(|h| !matches!(h, "access_token" | "refresh_token"))
    {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "unknown token_type_hint",
        );
    }
    let now = Timestamp::now().0;
    let mut db = state.db();
    let done = async {
        if let Some(rt) = grants::refresh_by_hash(&mut db, &rumah_store::oidc::hash(token)).await?
            && rt.client_id == client.client_id
        {
            grants::revoke_family(&mut db, &rt.family, now).await?;
            return Ok::<(), rumah_store::StoreError>(());
        }
        if let Ok(c) = crate::oidc::verify_access_token(&state, token).await
            && c.client_id == client.client_id
        {
            grants::revoke_jti(&mut db, &c.jti, c.exp).await?;
        }
        Ok(())
    }
    .await;
    match done {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => AppError::from(e).into_response(),
    }
}
