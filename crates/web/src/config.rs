//! Run-time settings of the web layer. The binary fills them from
//! `rumah.toml`, `RUMAH_*` variables and flags; tests build them directly.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use rumah_domain::identity::PasswordPolicy;
use rumah_domain::surveys::skm::{Rounding, SampleRounding};
use rumah_store::identity::throttle::ThrottlePolicy;
use secrecy::SecretString;
use url::Url;

/// Argon2id cost. The defaults are OWASP's first recommendation
/// (19 MiB, 2 iterations, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where users reach the service; decides absolute links, the trusted
    /// origin and, when `https`, `Secure` cookies and HSTS.
    pub public_url: Url,
    /// `Secure` cookies; on whenever the public URL is `https`.
    pub secure_cookies: bool,
    /// Peers whose `X-Forwarded-For` header is believed (reverse proxies).
    pub trusted_proxies: Vec<IpAddr>,
    pub argon2: Argon2Params,
    pub password_policy: PasswordPolicy,
    /// Absolute lifetime of a browser session.
    pub session_ttl: Duration,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    pub throttle_login: ThrottlePolicy,
    pub throttle_address: ThrottlePolicy,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    /// When set, `/metrics` requires `Authorization: Bearer <token>`;
    /// otherwise only loopback peers may read it.
    pub metrics_token: Option<SecretString>,
    pub demo: bool,
    pub skm: SkmConfig,
    /// Where this node keeps its search index (derived data); `None`: a
    /// fresh temporary directory per application (tests).
    pub search_dir: Option<PathBuf>,
    /// Search results kept per index generation (0: none).
    pub search_cache_entries: usize,
    /// Where uploaded evidence files are kept (content-addressed blobs).
    pub blob_dir: BlobDir,
    /// An S3-compatible bucket instead of `blob_dir`, when configured.
    pub blob_s3: Option<rumah_store::blobs::S3>,
    /// Encrypts the OpenID Connect signing keys in the database.
    pub oidc_kek: crate::oidc::keys::Kek,
    /// How long a back-channel logout token is valid, and so retried.
    pub oidc_logout_window: Duration,
    /// The largest file one upload may carry.
    pub upload_max_bytes: usize,
    /// Holders of these roles must sign in with a second factor (MFA);
    /// those without one are sent to enrol after their password.
    pub require_mfa_roles: Vec<rumah_domain::authz::Role>,
    /// The mail server for password-reset links; `None`: no mail is sent
    /// (the forgot-password form still answers the same, see docs/SSO.md).
    pub smtp: Option<SmtpConfig>,
    /// How long a password-reset link works.
    pub password_reset_ttl: Duration,
    /// Reset requests per account (or, for unknown names, per identifier
    /// as typed) before further requests send no mail.
    pub throttle_reset: ThrottlePolicy,
    /// Reset requests per client address before it gets 429.
    pub throttle_reset_address: ThrottlePolicy,
}

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or in a private network only).
    None,
    /// Plain connection upgraded with STARTTLS (required, not opportunistic).
    StartTls,
    /// TLS from the first byte (implicit TLS, usually port 465).
    Tls,
}

/// An SMTP server to send mail through.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The `From` address, e.g. `Satu Akun <noreply@jatimprov.go.id>`.
    pub from: String,
    pub tls: SmtpTls,
}

/// The directory of the blob store: a configured one (the binary uses
/// `data_dir/blobs`), or a fresh temporary directory made for this
/// configuration on first use and removed with its last copy (tests).
#[derive(Debug, Clone)]
pub enum BlobDir {
    At(PathBuf),
    Temporary(std::sync::Arc<std::sync::Mutex<Option<tempfile::TempDir>>>),
}

impl BlobDir {
    pub fn temporary() -> Self {
        Self::Temporary(std::sync::Arc::default())
    }

    /// The directory, creating the temporary one if needed.
    pub fn path(&self) -> std::io::Result<PathBuf> {
        match self {
            Self::At(p) => Ok(p.clone()),
            Self::Temporary(t) => {
                let mut t = t.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if t.is_none() {
                    *t = Some(tempfile::Builder::new().prefix("rumah-blobs-").tempdir()?);
                }
                Ok(t.as_ref().map(|d| d.path().to_owned()).unwrap_or_default())
            }
        }
    }
}

/// SKM settings: the rounding conventions of the IKM formula and the sample
/// size (regulatory numbers, so configuration rather than code), and the
/// limits on submissions per client address and per device per hour.
#[derive(Debug, Clone, Copy)]
pub struct SkmConfig {
    pub rounding: Rounding,
    pub sample_rounding: SampleRounding,
    /// Generous: a whole office or a village may share one address.
    pub per_address_per_hour: i64,
    /// A counter tablet is one device; raise this for kiosks.
    pub per_device_per_hour: i64,
}

impl Default for SkmConfig {
    fn default() -> Self {
        Self {
            rounding: Rounding::REGULATION,
            sample_rounding: SampleRounding::Up,
            per_address_per_hour: 300,
            per_device_per_hour: 60,
        }
    }
}

impl WebConfig {
    pub fn for_public_url(public_url: Url) -> Self {
        let secure = public_url.scheme() == "https";
        Self {
            public_url,
            secure_cookies: secure,
            trusted_proxies: Vec::new(),
            argon2: Argon2Params::default(),
            password_policy: PasswordPolicy::default(),
            session_ttl: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(2 * 3600),
            throttle_login: ThrottlePolicy {
                threshold: 5,
                window: Duration::from_secs(15 * 60),
                base_lock: Duration::from_secs(60),
                max_lock: Duration::from_secs(3600),
            },
            // Offices sit behind one NAT address; be generous per address.
            throttle_address: ThrottlePolicy {
                threshold: 50,
                window: Duration::from_secs(15 * 60),
                base_lock: Duration::from_secs(60),
                max_lock: Duration::from_secs(3600),
            },
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            metrics_token: None,
            demo: false,
            skm: SkmConfig::default(),
            search_dir: None,
            search_cache_entries: rumah_search::DEFAULT_CACHE_ENTRIES,
            blob_dir: BlobDir::temporary(),
            blob_s3: None,
            oidc_kek: crate::oidc::keys::Kek::new(rumah_store::secret::random_bytes::<32>()),
            oidc_logout_window: Duration::from_secs(300),
            upload_max_bytes: 10 * 1024 * 1024,
            require_mfa_roles: Vec::new(),
            smtp: None,
            password_reset_ttl: Duration::from_secs(30 * 60),
            throttle_reset: ThrottlePolicy {
                threshold: 3,
                window: Duration::from_secs(3600),
                base_lock: Duration::from_secs(15 * 60),
                max_lock: Duration::from_secs(3600),
            },
            throttle_reset_address: ThrottlePolicy {
                threshold: 30,
                window: Duration::from_secs(3600),
                base_lock: Duration::from_secs(15 * 60),
                max_lock: Duration::from_secs(3600),
            },
        }
    }

    /// HSTS is sent only when users reach the service over TLS.
    pub fn hsts(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The origin (`scheme://host[:port]`) of the public URL.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}
