//! Brokering: signing in to Satu Akun through an upstream OpenID Connect
//! provider (a regency's or city's IdP, the national ASN SSO of BKN, which
//! is Keycloak).
//!
//! We are the relying party here. The pieces are small and lean on
//! `jsonwebtoken` (already used for our own tokens; RS256/PS256/ES256/
//! EdDSA keys from a JWKS) and `reqwest` (discovery, JWKS, the token
//! exchange) instead of the `openidconnect` crate, whose `oauth2` pulls a
//! second, older reqwest into the build.
//!
//! - [`upstream`]: discovery (`/.well-known/openid-configuration`) and the
//!   JWKS, cached per issuer; the authorization-code exchange.
//! - [`id_token`]: the ID token's checks (signature, `iss`, `aud`, `exp`,
//!   `nonce`, `azp`; asymmetric algorithms only).
//! - [`signin`]: what a verified upstream identity signs in to: a linked
//!   account, an account matched once by NIP or verified e-mail, or a
//!   sign-up waiting for an administrator.
//!
//! This file holds the configuration of a provider as an administrator
//! gives it (admin page and `rumah admin idp add`).

pub mod approval;
pub mod id_token;
pub mod signin;
pub mod upstream;

use std::fmt;

use rumah_store::identity::broker::{self, NewIdp};

use crate::oidc::keys::Kek;

/// Default scopes asked of an upstream.
pub const DEFAULT_SCOPES: &str = "openid profile email";

/// What an administrator typed; [`IdpConfig::check`] turns it into a
/// provider to store.
#[derive(Debug, Clone, Default)]
pub struct IdpConfig {
    pub slug: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: String,
    pub nip_claim: String,
    pub trust_email: bool,
    pub enabled: bool,
}

/// The field a problem concerns (a form field, a command-line flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Slug,
    DisplayName,
    Issuer,
    ClientId,
    ClientSecret,
    Scopes,
    NipClaim,
}

impl Field {
    pub fn code(self) -> &'static str {
        match self {
            Self::Slug => "slug",
            Self::DisplayName => "display_name",
            Self::Issuer => "issuer",
            Self::ClientId => "client_id",
            Self::ClientSecret => "client_secret",
            Self::Scopes => "scopes",
            Self::NipClaim => "nip_claim",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    SlugShape,
    SlugTaken,
    NameLength,
    IssuerNotUrl,
    IssuerNotHttps,
    ClientIdShape,
    SecretMissing,
    ScopesShape,
    NipClaimShape,
}

impl Problem {
    pub fn field(self) -> Field {
        match self {
            Self::SlugShape | Self::SlugTaken => Field::Slug,
            Self::NameLength => Field::DisplayName,
            Self::IssuerNotUrl | Self::IssuerNotHttps => Field::Issuer,
            Self::ClientIdShape => Field::ClientId,
            Self::SecretMissing => Field::ClientSecret,
            Self::ScopesShape => Field::Scopes,
            Self::NipClaimShape => Field::NipClaim,
        }
    }

    /// The message key (locales/broker.yml).
    pub fn key(self) -> &'static str {
        match self {
            Self::SlugShape => "broker.problem_slug_shape",
            Self::SlugTaken => "broker.problem_slug_taken",
            Self::NameLength => "broker.problem_name_length",
            Self::IssuerNotUrl => "broker.problem_issuer_not_url",
            Self::IssuerNotHttps => "broker.problem_issuer_not_https",
            Self::ClientIdShape => "broker.problem_client_id_shape",
            Self::SecretMissing => "broker.problem_secret_missing",
            Self::ScopesShape => "broker.problem_scopes_shape",
            Self::NipClaimShape => "broker.problem_nip_claim_shape",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SlugShape => {
                "must be 2 to 32 characters of a-z, 0-9 and '-', starting with a letter"
            }
            Self::SlugTaken => "is already used by another provider",
            Self::NameLength => "must be 1 to 80 characters",
            Self::IssuerNotUrl => "must be an absolute URL without query or fragment",
            Self::IssuerNotHttps => "must use https (http only for localhost)",
            Self::ClientIdShape => "must be 1 to 200 visible characters",
            Self::SecretMissing => "must be given (1 to 500 characters)",
            Self::ScopesShape => "must be space-separated scope names",
            Self::NipClaimShape => "must be a claim name (letters, digits, '_', '-', '.', ':')",
        })
    }
}

/// Whether `url` may be talked to: https, or http on the loopback
/// interface (development and tests).
pub fn acceptable_url(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => matches!(
            url.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
                | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
        ),
        _ => false,
    }
}

fn visible(s: &str, max: usize) -> bool {
    !s.is_empty() && s.chars().count() <= max && s.chars().all(|c| c.is_ascii_graphic())
}

impl IdpConfig {
    /// The scopes to ask for: as given, `openid` first and always present.
    pub fn scope_list(&self) -> String {
        let given: Vec<&str> = if self.scopes.trim().is_empty() {
            DEFAULT_SCOPES.split(' ').collect()
        } else {
            self.scopes.split_whitespace().collect()
        };
        let mut out = vec!["openid"];
        for s in given {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out.join(" ")
    }

    /// Every problem with the configuration (the slug's uniqueness is
    /// checked when storing).
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let slug = self.slug.trim();
        if !(2..=32).contains(&slug.len())
            || !slug.starts_with(|c: char| c.is_ascii_lowercase())
            || !slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            out.push(Problem::SlugShape);
        }
        if !(1..=80).contains(&self.display_name.trim().chars().count()) {
            out.push(Problem::NameLength);
        }
        match url::Url::parse(self.issuer.trim()) {
            Ok(u) if u.query().is_none() && u.fragment().is_none() && u.has_host() => {
                if !acceptable_url(&u) {
                    out.push(Problem::IssuerNotHttps);
                }
            }
            _ => out.push(Problem::IssuerNotUrl),
        }
        if !visible(self.client_id.trim(), 200) {
            out.push(Problem::ClientIdShape);
        }
        if self.client_secret.is_empty() || self.client_secret.chars().count() > 500 {
            out.push(Problem::SecretMissing);
        }
        if !self
            .scopes
            .split_whitespace()
            .all(|s| visible(s, 100) && !s.contains('"') && !s.contains('\\'))
        {
            out.push(Problem::ScopesShape);
        }
        let nip_claim = self.nip_claim.trim();
        if !nip_claim.is_empty()
            && (nip_claim.len() > 64
                || !nip_claim
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
        {
            out.push(Problem::NipClaimShape);
        }
        out
    }
}

/// The sealing context of a provider's client secret: bound to its slug.
fn sealing_context(slug: &str) -> String {
    format!("broker-client-secret:{slug}")
}

pub fn open_secret(kek: &Kek, idp: &broker::Idp) -> Result<String, crate::AppError> {
    let plain = kek
        .open(&sealing_context(&idp.slug), &idp.client_secret_sealed)
        .map_err(crate::AppError::internal)?;
    String::from_utf8(plain).map_err(crate::AppError::internal)
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("the configuration has problems")]
    Invalid(Vec<Problem>),
    #[error("cannot seal the client secret: {0}")]
    Seal(String),
    #[error(transparent)]
    Store(#[from] rumah_store::StoreError),
}

/// Checks and stores a provider, its client secret sealed with `kek`;
/// returns its id.
pub async fn add(
    ex: &mut impl rumah_store::Exec,
    kek: &Kek,
    config: &IdpConfig,
) -> Result<i64, AddError> {
    let problems = config.problems();
    if !problems.is_empty() {
        return Err(AddError::Invalid(problems));
    }
    let slug = config.slug.trim();
    if broker::by_slug(ex, slug).await?.is_some() {
        return Err(AddError::Invalid(vec![Problem::SlugTaken]));
    }
    let sealed = kek
        .seal(&sealing_context(slug), config.client_secret.as_bytes())
        .map_err(|e| AddError::Seal(e.to_string()))?;
    let nip_claim = config.nip_claim.trim();
    let scopes = config.scope_list();
    let id = broker::create(
        ex,
        &NewIdp {
            slug,
            display_name: config.display_name.trim(),
            issuer: config.issuer.trim(),
            client_id: config.client_id.trim(),
            client_secret_sealed: &sealed,
            scopes: &scopes,
            nip_claim: (!nip_claim.is_empty()).then_some(nip_claim),
            trust_email: config.trust_email,
            enabled: config.enabled,
        },
    )
    .await
    .map_err(|e| {
        if e.is_unique_on("slug") {
            AddError::Invalid(vec![Problem::SlugTaken])
        } else {
            AddError::Store(e)
        }
    })?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> IdpConfig {
        IdpConfig {
            slug: "bkn".into(),
            display_name: "SSO ASN (BKN)".into(),
            issuer: "https://sso-siasn.bkn.go.id/auth/realms/public-siasn".into(),
            client_id: "rumah-inovasi".into(),
            client_secret: "rahasia".into(),
            scopes: "profile email".into(),
            nip_claim: "nip".into(),
            trust_email: false,
            enabled: true,
        }
    }

    #[test]
    fn a_keycloak_realm_is_a_valid_issuer() {
        assert_eq!(good().problems(), vec![]);
        assert_eq!(good().scope_list(), "openid profile email");
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        let mut c = good();
        c.issuer = "http://idp.example.go.id/realms/x".into();
        assert_eq!(c.problems(), vec![Problem::IssuerNotHttps]);
        c.issuer = "http://127.0.0.1:8081".into();
        assert_eq!(c.problems(), vec![]);
        c.issuer = "https://idp.example/?a=b".into();
        assert_eq!(c.problems(), vec![Problem::IssuerNotUrl]);
    }

    #[test]
    fn bad_fields_are_named() {
        let c = IdpConfig {
            slug: "Bad Slug".into(),
            scopes: "openid \"x".into(),
            nip_claim: "nip claim".into(),
            ..IdpConfig::default()
        };
        let fields: Vec<Field> = c.problems().iter().map(|p| p.field()).collect();
        assert_eq!(
            fields,
            vec![
                Field::Slug,
                Field::DisplayName,
                Field::Issuer,
                Field::ClientId,
                Field::ClientSecret,
                Field::Scopes,
                Field::NipClaim
            ]
        );
    }
}
