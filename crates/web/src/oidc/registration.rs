//! Registering a relying party and rotating its secret: the checks and the
//! writes shared by `rumah admin client create` and the admin pages
//! (`/admin/klien`). Each problem names the field it concerns, so the
//! command line can name its flag and a page its input.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rumah_domain::oidc::{SCOPES, Scopes};
use rumah_store::oidc::clients::{self, NewClient};
use rumah_store::secret::random_bytes;
use rumah_store::{Exec, StoreError};

use crate::oidc::keys::{ALGORITHMS, DEFAULT_ALG};

pub const DEFAULT_SCOPES: &str = "openid profile email phone offline_access nip org region roles";
pub const GRANTS: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];
pub const DEFAULT_GRANTS: [&str; 2] = ["authorization_code", "refresh_token"];

/// What a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    ClientId,
    RedirectUris,
    PostLogoutRedirectUris,
    BackchannelLogoutUri,
    Grants,
    Scopes,
    SigningAlg,
    AccessTokenLifetime,
    RefreshTokenLifetime,
    Jwks,
}

impl Field {
    /// The form field (and locale key suffix) of this field.
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::ClientId => "client_id",
            Self::RedirectUris => "redirect_uris",
            Self::PostLogoutRedirectUris => "post_logout_redirect_uris",
            Self::BackchannelLogoutUri => "backchannel_logout_uri",
            Self::Grants => "grants",
            Self::Scopes => "scopes",
            Self::SigningAlg => "signing_alg",
            Self::AccessTokenLifetime => "access_token_lifetime",
            Self::RefreshTokenLifetime => "refresh_token_lifetime",
            Self::Jwks => "jwks",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    NameLength,
    ClientIdShape,
    ClientIdTaken,
    NotAbsolute,
    Fragment,
    PlainHttp,
    NotHttp,
    UnknownGrant,
    PublicClientCredentials,
    RedirectRequired,
    UnknownScope,
    UnknownAlg,
    LifetimeRange,
    JwksRequired,
    JwksInvalid,
}

impl ProblemKind {
    /// A stable code (also the locale key suffix).
    pub fn code(self) -> &'static str {
        match self {
            Self::NameLength => "name_length",
            Self::ClientIdShape => "client_id_shape",
            Self::ClientIdTaken => "client_id_taken",
            Self::NotAbsolute => "uri_not_absolute",
            Self::Fragment => "uri_fragment",
            Self::PlainHttp => "uri_plain_http",
            Self::NotHttp => "uri_not_http",
            Self::UnknownGrant => "grant_unknown",
            Self::PublicClientCredentials => "public_client_credentials",
            Self::RedirectRequired => "redirect_required",
            Self::UnknownScope => "scope_unknown",
            Self::UnknownAlg => "alg_unknown",
            Self::LifetimeRange => "lifetime_range",
            Self::JwksRequired => "jwks_required",
            Self::JwksInvalid => "jwks_invalid",
        }
    }
}

/// One thing wrong with a registration; `value` is the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub kind: ProblemKind,
    pub value: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.value;
        match self.kind {
            ProblemKind::NameLength => write!(f, "must have 1 to 100 characters"),
            ProblemKind::ClientIdShape => {
                write!(f, "must be 1 to 64 characters of a-z, 0-9, '-', '_', '.'")
            }
            ProblemKind::ClientIdTaken => write!(f, "a client {v:?} already exists"),
            ProblemKind::NotAbsolute => write!(f, "{v:?} is not an absolute URL"),
            ProblemKind::Fragment => write!(f, "{v:?} must not have a fragment"),
            ProblemKind::PlainHttp => {
                write!(
                    f,
                    "{v:?}: plain http is allowed for loopback addresses only"
                )
            }
            ProblemKind::NotHttp => write!(f, "{v:?} must be an http(s) URL"),
            ProblemKind::UnknownGrant => {
                write!(f, "{v:?} is not one of {}", GRANTS.join(", "))
            }
            ProblemKind::PublicClientCredentials => write!(
                f,
                "a public client cannot use client_credentials (it has no secret)"
            ),
            ProblemKind::RedirectRequired => {
                write!(f, "is required for the authorization_code grant")
            }
            ProblemKind::UnknownScope => write!(f, "{v:?} is not one of {}", SCOPES.join(", ")),
            ProblemKind::UnknownAlg => write!(f, "{v:?} is not one of {}", ALGORITHMS.join(", ")),
            ProblemKind::LifetimeRange => write!(f, "{v:?} is outside the allowed range"),
            ProblemKind::JwksRequired => {
                write!(f, "private_key_jwt needs the client's public keys (a JWKS)")
            }
            ProblemKind::JwksInvalid => write!(f, "{v}"),
        }
    }
}

/// A client to register, as typed.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub name: String,
    /// Derived from the name when absent.
    pub client_id: Option<String>,
    pub public: bool,
    pub secret_post: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Empty: [`DEFAULT_GRANTS`].
    pub grants: Vec<String>,
    /// Empty: [`DEFAULT_SCOPES`].
    pub scopes: Vec<String>,
    pub first_party: bool,
    pub require_mfa: bool,
    /// A JWKS (checked by `client_auth::check_jwks`): the client
    /// authenticates with `private_key_jwt` and gets no secret.
    pub jwks: Option<String>,
    /// The algorithm of its tokens; `None`: ES256.
    pub signing_alg: Option<String>,
    /// Seconds; `None`: the provider's defaults.
    pub access_token_lifetime_s: Option<i64>,
    pub refresh_token_lifetime_s: Option<i64>,
}

/// Access (and ID) token lifetimes a client may have, in seconds: at most a
/// day, well inside the time a rotated key stays published.
pub const ACCESS_LIFETIME_S: std::ops::RangeInclusive<i64> = 60..=86_400;
/// Refresh-token lifetimes, in seconds (an hour to 90 days).
pub const REFRESH_LIFETIME_S: std::ops::RangeInclusive<i64> = 3_600..=7_776_000;

/// A client_id from a name: lowercase letters, digits and '-'.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect()
}

/// An absolute URI without a fragment, https unless it is the loopback
/// address.
fn check_uri(field: Field, u: &str) -> Result<(), Problem> {
    let problem = |kind| Problem {
        field,
        kind,
        value: u.to_owned(),
    };
    let url = url::Url::parse(u).map_err(|_| problem(ProblemKind::NotAbsolute))?;
    if url.fragment().is_some() {
        return Err(problem(ProblemKind::Fragment));
    }
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() == "http" && !loopback {
        return Err(problem(ProblemKind::PlainHttp));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(problem(ProblemKind::NotHttp));
    }
    Ok(())
}

impl Registration {
    pub fn name(&self) -> &str {
        self.name.trim()
    }

    pub fn client_id(&self) -> String {
        self.client_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or_else(|| slug(self.name()), str::to_owned)
    }

    pub fn grants(&self) -> Vec<String> {
        if self.grants.is_empty() {
            DEFAULT_GRANTS.iter().map(|g| (*g).to_owned()).collect()
        } else {
            self.grants.clone()
        }
    }

    pub fn scopes(&self) -> Scopes {
        if self.scopes.is_empty() {
            Scopes::parse(DEFAULT_SCOPES)
        } else {
            Scopes::parse(&self.scopes.join(" "))
        }
    }

    /// Every problem, in the order of the fields; empty when it may be
    /// registered (a taken client_id is found only by [`register`]).
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut add = |field, kind, value: &str| {
            out.push(Problem {
                field,
                kind,
                value: value.to_owned(),
            })
        };
        let name = self.name();
        if name.is_empty() || name.chars().count() > 100 {
            add(Field::Name, ProblemKind::NameLength, name);
        }
        let client_id = self.client_id();
        if client_id.is_empty()
            || client_id.len() > 64
            || !client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            add(Field::ClientId, ProblemKind::ClientIdShape, &client_id);
        }
        let grants = self.grants();
        for g in &grants {
            if !GRANTS.contains(&g.as_str()) {
                add(Field::Grants, ProblemKind::UnknownGrant, g);
            }
        }
        if self.public && grants.iter().any(|g| g == "client_credentials") {
            add(Field::Grants, ProblemKind::PublicClientCredentials, "");
        }
        if grants.iter().any(|g| g == "authorization_code") && self.redirect_uris.is_empty() {
            add(Field::RedirectUris, ProblemKind::RedirectRequired, "");
        }
        let uris = self
            .redirect_uris
            .iter()
            .map(|u| (Field::RedirectUris, u))
            .chain(
                self.post_logout_redirect_uris
                    .iter()
                    .map(|u| (Field::PostLogoutRedirectUris, u)),
            )
            .chain(
                self.backchannel_logout_uri
                    .iter()
                    .map(|u| (Field::BackchannelLogoutUri, u)),
            );
        for (field, u) in uris {
            if let Err(p) = check_uri(field, u) {
                out.push(p);
            }
        }
        for s in &self.scopes {
            if !SCOPES.contains(&s.as_str()) {
                out.push(Problem {
                    field: Field::Scopes,
                    kind: ProblemKind::UnknownScope,
                    value: s.clone(),
                });
            }
        }
        let mut add = |field, kind, value: &str| {
            out.push(Problem {
                field,
                kind,
                value: value.to_owned(),
            })
        };
        if !ALGORITHMS.contains(&self.signing_alg()) {
            add(
                Field::SigningAlg,
                ProblemKind::UnknownAlg,
                self.signing_alg(),
            );
        }
        for (field, value, range) in [
            (
                Field::AccessTokenLifetime,
                self.access_token_lifetime_s,
                ACCESS_LIFETIME_S,
            ),
            (
                Field::RefreshTokenLifetime,
                self.refresh_token_lifetime_s,
                REFRESH_LIFETIME_S,
            ),
        ] {
            if let Some(v) = value.filter(|v| !range.contains(v)) {
                add(field, ProblemKind::LifetimeRange, &v.to_string());
            }
        }
        match self.jwks.as_deref().map(str::trim) {
            Some("") => add(Field::Jwks, ProblemKind::JwksRequired, ""),
            Some(j) => {
                if let Err(e) = crate::oidc::client_auth::check_jwks(j) {
                    add(Field::Jwks, ProblemKind::JwksInvalid, &e);
                }
            }
            None => {}
        }
        out
    }

    pub fn signing_alg(&self) -> &str {
        self.signing_alg.as_deref().unwrap_or(DEFAULT_ALG)
    }

    /// The stored `token_endpoint_auth_method` (a client with keys reads
    /// as `private_key_jwt` whatever this says, see migration 0421).
    fn auth_method(&self) -> &'static str {
        match (self.public, self.secret_post) {
            (true, _) => "none",
            (false, true) => "client_secret_post",
            (false, false) => "client_secret_basic",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("invalid client")]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A registered client; the secret is shown once and stored hashed.
#[derive(Debug, Clone)]
pub struct Registered {
    pub client_id: String,
    pub secret: Option<String>,
}

/// A new random client secret and its stored form.
pub fn new_secret() -> (String, String) {
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let hash = rumah_store::oidc::hash(&secret);
    (secret, hash)
}

/// Checks and stores a client with all its settings. Run it in a
/// transaction: on an error the caller rolls back and nothing is stored.
pub async fn register(ex: &mut impl Exec, r: &Registration) -> Result<Registered, RegisterError> {
    let problems = r.problems();
    if !problems.is_empty() {
        return Err(RegisterError::Invalid(problems));
    }
    let client_id = r.client_id();
    let secret = (!r.public && r.jwks.is_none()).then(new_secret);
    let method = r.auth_method();
    let created = clients::create(
        ex,
        &NewClient {
            client_id: &client_id,
            name: r.name(),
            secret_hash: secret.as_ref().map(|(_, h)| h.as_str()),
            redirect_uris: &r.redirect_uris,
            allowed_scopes: &r.scopes().to_string_list(),
            grant_types: &r.grants().join(" "),
            token_endpoint_auth_method: method,
            first_party: r.first_party,
        },
    )
    .await;
    match created {
        Ok(_) => {}
        // `client_id` is the table's only unique column besides `id`
        // (`is_unique_on` cannot name a column with an underscore).
        Err(StoreError::Unique(_)) => {
            return Err(RegisterError::Invalid(vec![Problem {
                field: Field::ClientId,
                kind: ProblemKind::ClientIdTaken,
                value: client_id,
            }]));
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(j) = &r.jwks {
        rumah_store::oidc::assertions::set_jwks(ex, &client_id, Some(j)).await?;
    }
    rumah_store::oidc::logout::set_settings(
        ex,
        &client_id,
        &r.post_logout_redirect_uris,
        r.backchannel_logout_uri.as_deref(),
        r.backchannel_logout_session_required,
    )
    .await?;
    if r.require_mfa {
        clients::set_require_mfa(ex, &client_id, true).await?;
    }
    clients::set_token_settings(
        ex,
        &client_id,
        r.signing_alg(),
        r.access_token_lifetime_s,
        r.refresh_token_lifetime_s,
    )
    .await?;
    Ok(Registered {
        client_id,
        secret: secret.map(|(s, _)| s),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("invalid client")]
    Invalid(Vec<Problem>),
    #[error("no such client")]
    NotFound,
    /// Someone else saved the client since `version` was read.
    #[error("the client was changed since it was read")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an edit did.
#[derive(Debug, Clone)]
pub struct Updated {
    /// A new secret, shown once: the client had none and now needs one.
    pub secret: Option<String>,
    pub version: i64,
}

/// Replaces every setting of `client_id` (its id stays) with `r`, checked
/// as a registration is, if it is still at `version`. A client that
/// becomes public or authenticates with keys loses its secret; one that
/// needs a secret and had none gets a new one; otherwise the secret stays.
pub async fn update(
    ex: &mut impl Exec,
    client_id: &str,
    version: i64,
    r: &Registration,
) -> Result<Updated, UpdateError> {
    let r = Registration {
        client_id: Some(client_id.to_owned()),
        ..r.clone()
    };
    let problems = r.problems();
    if !problems.is_empty() {
        return Err(UpdateError::Invalid(problems));
    }
    let current = clients::any_by_client_id(ex, client_id)
        .await?
        .ok_or(UpdateError::NotFound)?;
    if current.version != version {
        return Err(UpdateError::Stale);
    }
    let needs_secret = !r.public && r.jwks.is_none();
    let kept = current
        .secret_hash
        .clone()
        .filter(|_| current.token_endpoint_auth_method != "private_key_jwt");
    let (secret, secret_hash) = match (needs_secret, kept) {
        (false, _) => (None, None),
        (true, Some(h)) => (None, Some(h)),
        (true, None) => {
            let (s, h) = new_secret();
            (Some(s), Some(h))
        }
    };
    let saved = clients::update(
        ex,
        &clients::ClientUpdate {
            client_id,
            version,
            name: r.name(),
            secret_hash: secret_hash.as_deref(),
            redirect_uris: &r.redirect_uris,
            post_logout_redirect_uris: &r.post_logout_redirect_uris,
            backchannel_logout_uri: r.backchannel_logout_uri.as_deref(),
            backchannel_logout_session_required: r.backchannel_logout_session_required,
            allowed_scopes: &r.scopes().to_string_list(),
            grant_types: &r.grants().join(" "),
            token_endpoint_auth_method: r.auth_method(),
            jwks: r.jwks.as_deref(),
            first_party: r.first_party,
            require_mfa: r.require_mfa,
            signing_alg: r.signing_alg(),
            access_token_lifetime_s: r.access_token_lifetime_s,
            refresh_token_lifetime_s: r.refresh_token_lifetime_s,
        },
    )
    .await?;
    if !saved {
        return Err(UpdateError::Stale);
    }
    Ok(Updated {
        secret,
        version: version + 1,
    })
}

/// Gives a confidential client a new secret; the old one stops working at
/// once. `None` if there is no such client or it has no secret (public, or
/// authenticating with its keys).
pub async fn rotate_secret(
    ex: &mut impl Exec,
    client_id: &str,
) -> Result<Option<String>, StoreError> {
    let (secret, hash) = new_secret();
    Ok(clients::replace_secret(ex, client_id, &hash)
        .await?
        .then_some(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_from_names() {
        assert_eq!(slug("SIMASTER Jatim (BKD)"), "simaster-jatim-bkd");
        assert_eq!(slug("  --  "), "");
    }

    #[test]
    fn problems_name_their_fields() {
        let r = Registration {
            name: " ".into(),
            public: true,
            redirect_uris: vec![
                "http://app.example/cb".into(),
                "https://app.example/cb#x".into(),
                "/relative".into(),
            ],
            post_logout_redirect_uris: vec!["ftp://x.example/".into()],
            grants: vec!["client_credentials".into(), "password".into()],
            scopes: vec!["openid".into(), "everything".into()],
            ..Registration::default()
        };
        let got: Vec<(Field, ProblemKind)> = r
            .problems()
            .into_iter()
            .map(|p| (p.field, p.kind))
            .collect();
        assert_eq!(
            got,
            [
                (Field::Name, ProblemKind::NameLength),
                (Field::ClientId, ProblemKind::ClientIdShape),
                (Field::Grants, ProblemKind::UnknownGrant),
                (Field::Grants, ProblemKind::PublicClientCredentials),
                (Field::RedirectUris, ProblemKind::PlainHttp),
                (Field::RedirectUris, ProblemKind::Fragment),
                (Field::RedirectUris, ProblemKind::NotAbsolute),
                (Field::PostLogoutRedirectUris, ProblemKind::NotHttp),
                (Field::Scopes, ProblemKind::UnknownScope),
            ]
        );
        let ok = Registration {
            name: "Portal".into(),
            redirect_uris: vec!["http://127.0.0.1:8080/cb".into()],
            ..Registration::default()
        };
        assert!(ok.problems().is_empty());
        assert_eq!(ok.client_id(), "portal");
    }
}
