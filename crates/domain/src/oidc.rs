//! Satu Akun as an OpenID Connect provider: the rules of an authorization
//! request (OpenID Connect Core 1.0 §3.1.2, RFC 6749 §4.1, RFC 7636) and
//! of scopes and claims, without I/O. The web layer parses the query into
//! [`AuthorizeParams`], looks the client up, and asks
//! [`validate_authorize`] whether to go on; the answer says where an
//! error may be sent (back to the client, or shown to the user because the
//! client or its redirect URI cannot be trusted).

use std::collections::BTreeSet;

/// Scopes this provider knows. Others are ignored (OIDC Core §3.1.2.1:
/// unknown scope values SHOULD be ignored).
pub const SCOPES: [&str; 10] = [
    "openid",
    "profile",
    "email",
    "phone",
    "offline_access",
    "nip",
    "org",
    "region",
    "roles",
    "api",
];

/// The claims a scope releases (besides `sub`).
pub fn claims_of(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &["name", "preferred_username", "updated_at", "locale"],
        "email" => &["email", "email_verified"],
        "phone" => &["phone_number"],
        "nip" => &["nip"],
        "org" => &["org"],
        "region" => &["region"],
        "roles" => &["roles"],
        _ => &[],
    }
}

/// A set of known scopes, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(BTreeSet<&'static str>);

impl Scopes {
    /// The known scopes among the space-separated `s`.
    pub fn parse(s: &str) -> Self {
        Self(
            s.split(' ')
                .filter_map(|w| SCOPES.iter().find(|k| **k == w).copied())
                .collect(),
        )
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// The scopes of `self` that `allowed` also holds.
    pub fn within(&self, allowed: &Scopes) -> Scopes {
        Self(self.0.intersection(&allowed.0).copied().collect())
    }

    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().copied()
    }

    /// Space-separated, as in a token response.
    pub fn to_string_list(&self) -> String {
        self.0.iter().copied().collect::<Vec<_>>().join(" ")
    }
}

/// `prompt` values (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

impl Prompt {
    pub fn parse(s: &str) -> Result<Self, AuthorizeError> {
        let mut p = Prompt::default();
        for w in s.split(' ').filter(|w| !w.is_empty()) {
            match w {
                "none" => p.none = true,
                "login" => p.login = true,
                "consent" => p.consent = true,
                "select_account" => p.select_account = true,
                _ => return Err(AuthorizeError::InvalidRequest("prompt")),
            }
        }
        // `none` must not be combined with any other value.
        if p.none && (p.login || p.consent || p.select_account) {
            return Err(AuthorizeError::InvalidRequest("prompt"));
        }
        Ok(p)
    }
}

/// The query of an authorization request, as received.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub acr_values: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub response_mode: Option<String>,
    /// Request objects are not supported (OIDC Core §6).
    pub request: Option<String>,
    pub request_uri: Option<String>,
}

/// What the provider knows of the client making the request.
#[derive(Debug, Clone)]
pub struct ClientRules<'a> {
    pub redirect_uris: &'a [String],
    /// Public clients (no secret) must use PKCE.
    pub public: bool,
    pub allowed_scopes: &'a Scopes,
}

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorize {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    /// Seconds.
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub acr_values: Vec<String>,
    pub code_challenge: Option<String>,
}

/// Why an authorization request fails, with the `error` code of RFC 6749
/// §4.1.2.1 and OIDC Core §3.1.2.6.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    #[error("invalid or missing parameter {0}")]
    InvalidRequest(&'static str),
    #[error("only response_type=code is supported")]
    UnsupportedResponseType,
    #[error("the scope must include openid")]
    InvalidScope,
    #[error("request objects are not supported")]
    RequestNotSupported,
    #[error("request_uri is not supported")]
    RequestUriNotSupported,
    #[error("the user is not signed in")]
    LoginRequired,
    #[error("the user has not consented")]
    ConsentRequired,
    #[error("the user denied the request")]
    AccessDenied,
}

impl AuthorizeError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::AccessDenied => "access_denied",
        }
    }
}

/// Errors that must be shown to the user rather than sent to the
/// redirect URI (RFC 6749 §4.1.2.1: unknown client, bad redirect URI).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UntrustedRequest {
    #[error("client_id is missing")]
    MissingClient,
    #[error("the client is unknown")]
    UnknownClient,
    #[error("redirect_uri is missing or not registered for this client")]
    BadRedirectUri,
}

/// The redirect URI to use: the one given, which must be registered
/// exactly (no prefix or wildcard matching), or the only registered one
/// when none is given.
pub fn redirect_uri(
    given: Option<&str>,
    registered: &[String],
) -> Result<String, UntrustedRequest> {
    match given {
        Some(u) if registered.iter().any(|r| r == u) => Ok(u.to_owned()),
        Some(_) => Err(UntrustedRequest::BadRedirectUri),
        // OIDC requires redirect_uri; RFC 6749 allows leaving it out when
        // exactly one is registered. Require it, as OIDC does.
        None => Err(UntrustedRequest::BadRedirectUri),
    }
}

/// Is `s` a PKCE code verifier or challenge in form (RFC 7636 §4.1: 43–128
/// characters of `[A-Za-z0-9-._~]`)?
pub fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Checks an authorization request once the client and the redirect URI
/// are known to be good; errors go back to the client.
pub fn validate_authorize(
    p: &AuthorizeParams,
    client_id: &str,
    redirect_uri: String,
    client: &ClientRules<'_>,
) -> Result<Authorize, AuthorizeError> {
    if p.request.is_some() {
        return Err(AuthorizeError::RequestNotSupported);
    }
    if p.request_uri.is_some() {
        return Err(AuthorizeError::RequestUriNotSupported);
    }
    match p.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => return Err(AuthorizeError::InvalidRequest("response_type")),
        Some(_) => return Err(AuthorizeError::UnsupportedResponseType),
    }
    if p.response_mode.as_deref().is_some_and(|m| m != "query") {
        return Err(AuthorizeError::InvalidRequest("response_mode"));
    }
    let requested = Scopes::parse(p.scope.as_deref().unwrap_or(""));
    if !requested.contains("openid") {
        return Err(AuthorizeError::InvalidScope);
    }
    let scopes = requested.within(client.allowed_scopes);
    let prompt = Prompt::parse(p.prompt.as_deref().unwrap_or(""))?;
    let max_age = match p.max_age.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(AuthorizeError::InvalidRequest("max_age"))?,
        ),
    };
    let code_challenge = match (
        p.code_challenge.as_deref(),
        p.code_challenge_method.as_deref(),
    ) {
        (None, None) if client.public => {
            return Err(AuthorizeError::InvalidRequest("code_challenge"));
        }
        (None, None) => None,
        (None, Some(_)) => return Err(AuthorizeError::InvalidRequest("code_challenge")),
        // S256 only (plain offers no protection once the request leaks).
        (Some(c), Some("S256")) if is_pkce_value(c) => Some(c.to_owned()),
        (Some(_), _) => return Err(AuthorizeError::InvalidRequest("code_challenge_method")),
    };
    let too_long = |v: &Option<String>| v.as_ref().is_some_and(|s| s.len() > 512);
    if too_long(&p.state) {
        return Err(AuthorizeError::InvalidRequest("state"));
    }
    if too_long(&p.nonce) {
        return Err(AuthorizeError::InvalidRequest("nonce"));
    }
    Ok(Authorize {
        client_id: client_id.to_owned(),
        redirect_uri,
        scopes,
        state: p.state.clone(),
        nonce: p.nonce.clone(),
        prompt,
        max_age,
        login_hint: p
            .login_hint
            .clone()
            .filter(|h| !h.is_empty() && h.len() <= 254),
        acr_values: p
            .acr_values
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect(),
        code_challenge,
    })
}

/// Whether a session that authenticated at `auth_time` (ms) is recent
/// enough for `max_age` (s) at `now` (ms).
pub fn fresh_enough(auth_time: i64, max_age: Option<i64>, now: i64) -> bool {
    match max_age {
        None => true,
        Some(age) => now.saturating_sub(auth_time) <= age.saturating_mul(1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> AuthorizeParams {
        AuthorizeParams {
            response_type: Some("code".into()),
            client_id: Some("app".into()),
            redirect_uri: Some("https://app.example/cb".into()),
            scope: Some("openid profile unknown".into()),
            state: Some("s".into()),
            nonce: Some("n".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            code_challenge_method: Some("S256".into()),
            ..AuthorizeParams::default()
        }
    }

    fn rules(public: bool, allowed: &Scopes) -> ClientRules<'_> {
        ClientRules {
            redirect_uris: &[],
            public,
            allowed_scopes: allowed,
        }
    }

    #[test]
    fn a_good_request_passes_and_unknown_scopes_are_dropped() {
        let allowed = Scopes::parse("openid profile email");
        let a = validate_authorize(
            &params(),
            "app",
            "https://app.example/cb".into(),
            &rules(true, &allowed),
        )
        .unwrap();
        assert_eq!(a.scopes.to_string_list(), "openid profile");
        assert_eq!(a.state.as_deref(), Some("s"));
        assert!(a.code_challenge.is_some());
    }

    #[test]
    fn bad_requests_name_their_error() {
        let allowed = Scopes::parse("openid profile");
        let check = |f: &dyn Fn(&mut AuthorizeParams), public: bool| {
            let mut p = params();
            f(&mut p);
            validate_authorize(
                &p,
                "app",
                "https://app.example/cb".into(),
                &rules(public, &allowed),
            )
            .unwrap_err()
            .code()
        };
        assert_eq!(
            check(&|p| p.response_type = Some("token".into()), false),
            "unsupported_response_type"
        );
        assert_eq!(check(&|p| p.response_type = None, false), "invalid_request");
        assert_eq!(
            check(&|p| p.scope = Some("profile".into()), false),
            "invalid_scope"
        );
        assert_eq!(
            check(&|p| p.prompt = Some("none login".into()), false),
            "invalid_request"
        );
        assert_eq!(
            check(&|p| p.prompt = Some("sometimes".into()), false),
            "invalid_request"
        );
        assert_eq!(
            check(&|p| p.max_age = Some("-1".into()), false),
            "invalid_request"
        );
        assert_eq!(
            check(&|p| p.code_challenge_method = Some("plain".into()), false),
            "invalid_request"
        );
        assert_eq!(
            check(&|p| p.code_challenge = Some("short".into()), false),
            "invalid_request"
        );
        assert_eq!(
            check(&|p| p.request = Some("x".into()), false),
            "request_not_supported"
        );
        assert_eq!(
            check(&|p| p.response_mode = Some("fragment".into()), false),
            "invalid_request"
        );
        // A public client must use PKCE; a confidential one may leave it out.
        let no_pkce = |p: &mut AuthorizeParams| {
            p.code_challenge = None;
            p.code_challenge_method = None;
        };
        assert_eq!(check(&no_pkce, true), "invalid_request");
        let mut p = params();
        no_pkce(&mut p);
        assert!(validate_authorize(&p, "app", "x".into(), &rules(false, &allowed)).is_ok());
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let registered = vec!["https://app.example/cb".to_owned()];
        assert!(redirect_uri(Some("https://app.example/cb"), &registered).is_ok());
        for bad in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "https://APP.example/cb",
            "https://evil.example/cb",
        ] {
            assert_eq!(
                redirect_uri(Some(bad), &registered),
                Err(UntrustedRequest::BadRedirectUri),
                "{bad}"
            );
        }
        assert_eq!(
            redirect_uri(None, &registered),
            Err(UntrustedRequest::BadRedirectUri)
        );
    }

    #[test]
    fn max_age_compares_in_seconds() {
        assert!(fresh_enough(1_000, Some(10), 11_000));
        assert!(!fresh_enough(1_000, Some(10), 11_001));
        assert!(fresh_enough(0, None, i64::MAX));
    }

    #[test]
    fn pkce_values_have_the_rfc_alphabet_and_length() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
    }
}
