//! Talking to an upstream provider: its discovery document and JWKS,
//! cached per issuer for [`TTL`], and the authorization-code exchange.
//!
//! The cache is process-wide (a provider's documents are the same for every
//! request); the JWKS is fetched again at most once per sign-in when an ID
//! token names a key it lacks (key rotation upstream).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;

/// How long discovery documents and key sets are kept.
pub const TTL: Duration = Duration::from_secs(15 * 60);
/// Documents larger than this are refused.
const MAX_BYTES: usize = 512 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No answer, or not a 2xx (the provider is down or misconfigured).
    #[error("the upstream provider could not be reached: {0}")]
    Unreachable(String),
    /// An answer that is not what OpenID Connect says it must be.
    #[error("the upstream provider answered with something unusable: {0}")]
    Invalid(String),
    /// The token endpoint refused the code (`error` of RFC 6749 §5.2).
    #[error("the upstream token endpoint refused the code: {0}")]
    Refused(String),
}

/// The parts of a discovery document we use.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

struct Cached {
    metadata: Arc<Metadata>,
    jwks: Option<(Arc<JwkSet>, Instant)>,
    fetched: Instant,
}

static CACHE: LazyLock<Mutex<HashMap<String, Cached>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

static HTTP: LazyLock<reqwest::Client> = LazyLock::new(|| {
    rumah_store::blobs::install_tls_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Satu Akun broker")
        .build()
        .unwrap_or_default()
});

fn lock() -> std::sync::MutexGuard<'static, HashMap<String, Cached>> {
    CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn checked_url(raw: &str, what: &str) -> Result<url::Url, UpstreamError> {
    let url =
        url::Url::parse(raw).map_err(|_| UpstreamError::Invalid(format!("{what} is not a URL")))?;
    if super::acceptable_url(&url) {
        Ok(url)
    } else {
        Err(UpstreamError::Invalid(format!("{what} is not https")))
    }
}

async fn read_body(
    res: reqwest::Response,
) -> Result<(reqwest::StatusCode, Vec<u8>), UpstreamError> {
    let status = res.status();
    if res.content_length().is_some_and(|l| l > MAX_BYTES as u64) {
        return Err(UpstreamError::Invalid("the answer is too large".into()));
    }
    let body = res
        .bytes()
        .await
        .map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
    if body.len() > MAX_BYTES {
        return Err(UpstreamError::Invalid("the answer is too large".into()));
    }
    Ok((status, body.to_vec()))
}

async fn get_json<T: serde::de::DeserializeOwned>(url: url::Url) -> Result<T, UpstreamError> {
    let res = HTTP
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
    let (status, body) = read_body(res).await?;
    if !status.is_success() {
        return Err(UpstreamError::Unreachable(format!("HTTP {status}")));
    }
    serde_json::from_slice(&body).map_err(|e| UpstreamError::Invalid(e.to_string()))
}

/// The discovery document of `issuer`, from the cache while fresh. Its
/// `issuer` must be exactly the configured one (OpenID Connect Discovery
/// §4.3) and its endpoints https.
pub async fn metadata(issuer: &str) -> Result<Arc<Metadata>, UpstreamError> {
    if let Some(c) = lock().get(issuer)
        && c.fetched.elapsed() < TTL
    {
        return Ok(c.metadata.clone());
    }
    let url = checked_url(
        &format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
        "the issuer",
    )?;
    let meta: Metadata = get_json(url).await?;
    if meta.issuer != issuer {
        return Err(UpstreamError::Invalid(format!(
            "the discovery document names issuer {:?}",
            meta.issuer
        )));
    }
    checked_url(&meta.authorization_endpoint, "authorization_endpoint")?;
    checked_url(&meta.token_endpoint, "token_endpoint")?;
    checked_url(&meta.jwks_uri, "jwks_uri")?;
    let meta = Arc::new(meta);
    lock().insert(
        issuer.to_owned(),
        Cached {
            metadata: meta.clone(),
            jwks: None,
            fetched: Instant::now(),
        },
    );
    Ok(meta)
}

/// The provider's keys; `refresh` fetches them again even when cached.
pub async fn jwks(
    issuer: &str,
    meta: &Metadata,
    refresh: bool,
) -> Result<Arc<JwkSet>, UpstreamError> {
    if !refresh
        && let Some((set, at)) = lock().get(issuer).and_then(|c| c.jwks.clone())
        && at.elapsed() < TTL
    {
        return Ok(set);
    }
    let raw: serde_json::Value = get_json(checked_url(&meta.jwks_uri, "jwks_uri")?).await?;
    // Keys of kinds `jsonwebtoken` does not know (or with unknown
    // parameters) are skipped rather than spoiling the whole set.
    let keys = raw["keys"]
        .as_array()
        .ok_or_else(|| UpstreamError::Invalid("the JWKS has no keys array".into()))?
        .iter()
        .filter_map(|k| serde_json::from_value(k.clone()).ok())
        .collect();
    let set = Arc::new(JwkSet { keys });
    if let Some(c) = lock().get_mut(issuer) {
        c.jwks = Some((set.clone(), Instant::now()));
    }
    Ok(set)
}

/// What the token endpoint answered.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub id_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
}

/// Exchanges `code` at the token endpoint with HTTP Basic client
/// authentication (`client_secret_basic`; both parts form-encoded first,
/// RFC 6749 §2.3.1) and the PKCE verifier.
pub async fn exchange_code(
    meta: &Metadata,
    client_id: &str,
    client_secret: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Tokens, UpstreamError> {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let res = HTTP
        .post(checked_url(&meta.token_endpoint, "token_endpoint")?)
        .basic_auth(enc(client_id), Some(enc(client_secret)))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
    let (status, body) = read_body(res).await?;
    if status.is_client_error() {
        let error = serde_json::from_slice::<TokenError>(&body)
            .map(|e| e.error)
            .unwrap_or_else(|_| format!("HTTP {status}"));
        return Err(UpstreamError::Refused(error.chars().take(100).collect()));
    }
    if !status.is_success() {
        return Err(UpstreamError::Unreachable(format!("HTTP {status}")));
    }
    serde_json::from_slice(&body).map_err(|e| UpstreamError::Invalid(e.to_string()))
}

/// Forgets what is cached about `issuer` (after its configuration changed).
pub fn forget(issuer: &str) {
    lock().remove(issuer);
}
