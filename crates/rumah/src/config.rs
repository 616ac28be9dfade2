//! Configuration: defaults, then `rumah.toml`, then `RUMAH_*` environment
//! variables (nested keys with `__`, e.g. `RUMAH_SECURITY__ARGON2_MEMORY_KIB`),
//! then command-line flags. Loaded and checked once at start-up; an invalid
//! value stops the program with a message naming it. Secrets are
//! `SecretString`s: redacted in `Debug` and never logged.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use rumah_domain::identity::PasswordPolicy;
use rumah_domain::surveys::skm::{Rounding, SampleRounding};
use rumah_store::identity::throttle::ThrottlePolicy;
use rumah_store::{DatabaseUrl, PoolSettings};
use rumah_web::config::{Argon2Params, SkmConfig, WebConfig};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

use crate::cli::{DbArgs, LogFormat};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<SecretString>,
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    /// `tracing` filter, e.g. `info` or `rumah=debug,sqlx=warn`.
    pub log_level: String,
    pub demo: bool,
    /// Overrides the `Secure` cookie decision made from the public URL.
    pub secure_cookies: Option<bool>,
    pub trusted_proxies: Vec<IpAddr>,
    pub metrics_token: Option<SecretString>,
    pub security: Security,
    pub session: Session,
    pub login: Login,
    pub limits: Limits,
    pub database: Database,
    pub skm: Skm,
    pub files: Files,
    pub search: Search,
    #[serde(default)]
    pub oidc: Oidc,
    #[serde(default)]
    pub auth: Auth,
    /// Mail server for password-reset links; absent: no mail is sent.
    #[serde(default)]
    pub smtp: Option<Smtp>,
}

/// `[smtp]`: where password-reset mail goes out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    /// Default: 25 for `tls = "none"`, 587 for `"starttls"`, 465 for `"tls"`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    /// The sender, e.g. `Satu Akun <noreply@jatimprov.go.id>`.
    pub from: String,
    /// `none`, `starttls` (default) or `tls`.
    #[serde(default)]
    pub tls: Option<String>,
}

/// Sign-in policies.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Role codes (e.g. `administrator`) whose holders must use a second
    /// factor (MFA); those without one enrol right after their password.
    #[serde(default)]
    pub require_mfa_roles: Vec<String>,
    /// How long a password-reset link works, e.g. `30m` (the default).
    #[serde(default)]
    pub password_reset_ttl: Option<String>,
}

/// Satu Akun (OpenID Connect provider).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oidc {
    /// Base64 of 32 bytes that encrypt the signing keys in the database.
    /// Absent: a key in `data_dir/oidc.kek`, made on first use. Nodes that
    /// share a PostgreSQL database must share this value.
    #[serde(default)]
    pub key_encryption_key: Option<SecretString>,
    /// How long a back-channel logout token is valid and its delivery
    /// retried (a duration from 2m to 10m) [default: 5m].
    #[serde(default)]
    pub backchannel_logout_window: Option<String>,
}

/// The search index of published innovations.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// Results kept per index generation (a commit empties them); 0 turns
    /// the cache off.
    pub cache_entries: usize,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Security {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub password_min_chars: usize,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    #[serde(deserialize_with = "duration", serialize_with = "ser_duration")]
    pub ttl: Duration,
    #[serde(deserialize_with = "duration", serialize_with = "ser_duration")]
    pub idle: Duration,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub max_failures: i64,
    pub address_max_failures: i64,
    #[serde(deserialize_with = "duration", serialize_with = "ser_duration")]
    pub window: Duration,
    #[serde(deserialize_with = "duration", serialize_with = "ser_duration")]
    pub lock: Duration,
    #[serde(deserialize_with = "duration", serialize_with = "ser_duration")]
    pub max_lock: Duration,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub body_bytes: usize,
    #[serde(deserialize_with = "duration", serialize_with = "ser_duration")]
    pub request_timeout: Duration,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub max_connections: u32,
    #[serde(deserialize_with = "duration", serialize_with = "ser_duration")]
    pub busy_timeout: Duration,
}

/// Evidence files of innovations: where their blobs are kept and how large
/// one upload may be.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    /// The blob directory; absent means `data_dir/blobs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    pub max_bytes: usize,
    /// `local` (the directory above) or `s3` (the bucket below).
    pub backend: String,
    #[serde(default, skip_serializing)]
    pub s3: Option<FilesS3>,
}

/// An S3-compatible bucket for the blobs (`files.backend = "s3"`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesS3 {
    /// Absent: AWS for `region`; otherwise the service's URL (MinIO, Ceph…).
    #[serde(default)]
    pub endpoint: Option<String>,
    pub bucket: String,
    #[serde(default = "default_s3_region")]
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Key prefix inside the bucket.
    #[serde(default)]
    pub prefix: String,
    /// Allow a plain-HTTP endpoint (a service on a private network).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_s3_region() -> String {
    "us-east-1".to_owned()
}

/// SKM: rounding conventions of the IKM formula and the sample size (the
/// regulation's defaults; sources differ, so they are settings), and the
/// hourly submission limits per client address and per device.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Skm {
    /// The element weight 1/9: `"2"` (0.11, the regulation's annex), `"3"`
    /// (0.111) or `"exact"`.
    pub weight: String,
    /// Decimals the mean per element is rounded to before weighting; absent
    /// means not rounded.
    #[serde(default)]
    pub nrr_decimals: Option<u8>,
    /// Decimals of the published IKM (grades are read off the rounded value).
    pub ikm_decimals: u8,
    /// Krejcie–Morgan sample size: `"up"` or `"nearest"`.
    pub sample_rounding: String,
    pub per_address_per_hour: i64,
    pub per_device_per_hour: i64,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(&s).map_err(|e| {
        serde::de::Error::custom(format!("{s:?} is not a duration like 30s, 15m or 12h: {e}"))
    })
}

fn ser_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_duration(*d).to_string())
}

/// The defaults, as a TOML-shaped value figment can merge over.
fn defaults() -> serde_json::Value {
    serde_json::json!({
        "listen": "127.0.0.1:8080",
        "data_dir": "./data",
        "log_format": "human",
        "log_level": "info",
        "demo": false,
        "trusted_proxies": [],
        "security": Security { argon2_memory_kib: 19 * 1024, argon2_iterations: 2, argon2_parallelism: 1, password_min_chars: 10 },
        "session": Session { ttl: Duration::from_secs(12 * 3600), idle: Duration::from_secs(2 * 3600) },
        "login": Login {
            max_failures: 5,
            address_max_failures: 50,
            window: Duration::from_secs(15 * 60),
            lock: Duration::from_secs(60),
            max_lock: Duration::from_secs(3600),
        },
        "limits": Limits { body_bytes: 1024 * 1024, request_timeout: Duration::from_secs(30) },
        "database": Database { max_connections: 16, busy_timeout: Duration::from_secs(5) },
        "files": Files { dir: None, max_bytes: 10 * 1024 * 1024, backend: "local".into(), s3: None },
        "search": Search { cache_entries: rumah_search::DEFAULT_CACHE_ENTRIES },
        "skm": {
            "weight": "2",
            "ikm_decimals": 2,
            "sample_rounding": "up",
            "per_address_per_hour": 300,
            "per_device_per_hour": 60,
        },
    })
}

/// Flags that override the file and the environment.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub demo: bool,
}

impl Overrides {
    pub fn db(db: &DbArgs) -> Self {
        Self {
            data_dir: db.data_dir.clone(),
            database_url: db.database_url.clone(),
            ..Self::default()
        }
    }
}

impl Settings {
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(defaults()));
        match config_file {
            Some(path) => {
                if !path.is_file() {
                    bail!("the configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None if Path::new("rumah.toml").is_file() => {
                figment = figment.merge(Toml::file("rumah.toml"))
            }
            None => {}
        }
        let env = Env::prefixed("RUMAH_")
            .split("__")
            // Variables of the test harness and the log filter are not settings.
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                !key.starts_with("test_") && key != "log" && key != "config"
            });
        let settings: Settings = figment
            .merge(env)
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.security.password_min_chars < 8 {
            bail!("invalid configuration: security.password_min_chars must be at least 8");
        }
        if self.session.idle.is_zero() || self.session.ttl.is_zero() {
            bail!("invalid configuration: session.ttl and session.idle must be longer than zero");
        }
        if self.login.max_failures < 1 || self.login.address_max_failures < 1 {
            bail!(
                "invalid configuration: login.max_failures and login.address_max_failures must be at least 1"
            );
        }
        if self.limits.body_bytes < 1024 {
            bail!("invalid configuration: limits.body_bytes must be at least 1024");
        }
        if self.search.cache_entries > 1_000_000 {
            bail!("invalid configuration: search.cache_entries must be at most 1000000");
        }
        if !(1024..=1024 * 1024 * 1024).contains(&self.files.max_bytes) {
            bail!("invalid configuration: files.max_bytes must be between 1024 and 1073741824");
        }
        if self
            .files
            .dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            bail!(
                "invalid configuration: files.dir must not be empty (leave it out for data_dir/blobs)"
            );
        }
        self.blob_s3()?;
        if self.database.max_connections == 0 {
            bail!("invalid configuration: database.max_connections must be at least 1");
        }
        self.skm()?;
        self.mfa_roles()?;
        self.password_reset_ttl()?;
        self.smtp()?;
        self.database_url()?;
        self.public_url()?;
        rumah_web::auth::password::PasswordHasher::new(self.argon2())
            .map_err(|e| anyhow::anyhow!("invalid configuration: security.argon2_*: {e}"))?;
        Ok(())
    }

    pub fn database_url(&self) -> anyhow::Result<DatabaseUrl> {
        match &self.database_url {
            Some(url) => DatabaseUrl::parse(url.expose_secret())
                .map_err(|e| anyhow::anyhow!("invalid configuration: database_url: {e}")),
            None => Ok(DatabaseUrl::sqlite_in(&self.data_dir)),
        }
    }

    pub fn public_url(&self) -> anyhow::Result<url::Url> {
        let raw = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        let url = url::Url::parse(&raw)
            .with_context(|| format!("invalid configuration: public_url {raw:?} is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            bail!(
                "invalid configuration: public_url must be an http:// or https:// URL with a host"
            );
        }
        Ok(url)
    }

    pub fn skm(&self) -> anyhow::Result<SkmConfig> {
        let weight = Rounding::parse_weight(&self.skm.weight).map_err(|_| {
            anyhow::anyhow!(
                "invalid configuration: skm.weight must be \"exact\", \"2\" or \"3\" (decimals of 1/9), not {:?}",
                self.skm.weight
            )
        })?;
        let sample_rounding = SampleRounding::parse(&self.skm.sample_rounding).map_err(|_| {
            anyhow::anyhow!(
                "invalid configuration: skm.sample_rounding must be \"up\" or \"nearest\", not {:?}",
                self.skm.sample_rounding
            )
        })?;
        if self.skm.ikm_decimals > 4 || self.skm.nrr_decimals.is_some_and(|d| d > 6) {
            bail!(
                "invalid configuration: skm.ikm_decimals must be at most 4 and skm.nrr_decimals at most 6"
            );
        }
        if self.skm.per_address_per_hour < 1 || self.skm.per_device_per_hour < 1 {
            bail!(
                "invalid configuration: skm.per_address_per_hour and skm.per_device_per_hour must be at least 1"
            );
        }
        Ok(SkmConfig {
            rounding: Rounding {
                weight,
                nrr_decimals: self.skm.nrr_decimals,
                ikm_decimals: self.skm.ikm_decimals,
            },
            sample_rounding,
            per_address_per_hour: self.skm.per_address_per_hour,
            per_device_per_hour: self.skm.per_device_per_hour,
        })
    }

    /// Where evidence files are kept.
    /// The S3 bucket when `files.backend = "s3"`, checked.
    pub fn blob_s3(&self) -> anyhow::Result<Option<rumah_store::blobs::S3>> {
        match (self.files.backend.as_str(), &self.files.s3) {
            ("local", _) => Ok(None),
            ("s3", None) => bail!(
                "invalid configuration: files.backend = \"s3\" needs a [files.s3] section with bucket, access_key_id and secret_access_key"
            ),
            ("s3", Some(c)) => {
                if c.bucket.trim().is_empty() || c.access_key_id.trim().is_empty() {
                    bail!(
                        "invalid configuration: files.s3.bucket and files.s3.access_key_id must not be empty"
                    );
                }
                if let Some(e) = &c.endpoint {
                    let url = url::Url::parse(e).map_err(|err| {
                        anyhow::anyhow!(
                            "invalid configuration: files.s3.endpoint {e:?} is not a URL: {err}"
                        )
                    })?;
                    if url.scheme() == "http" && !c.allow_http {
                        bail!(
                            "invalid configuration: files.s3.endpoint is plain http; set files.s3.allow_http = true if that is intended"
                        );
                    }
                    if !matches!(url.scheme(), "http" | "https") {
                        bail!("invalid configuration: files.s3.endpoint must be an http(s) URL");
                    }
                }
                let store = rumah_store::blobs::S3::new(&rumah_store::blobs::S3Settings {
                    endpoint: c.endpoint.clone(),
                    bucket: c.bucket.clone(),
                    region: c.region.clone(),
                    access_key_id: c.access_key_id.clone(),
                    secret_access_key: c.secret_access_key.clone(),
                    prefix: c.prefix.clone(),
                    allow_http: c.allow_http,
                })
                .map_err(|e| anyhow::anyhow!("invalid configuration: files.s3: {e}"))?;
                Ok(Some(store))
            }
            (other, _) => bail!(
                "invalid configuration: files.backend must be \"local\" or \"s3\", not {other:?}"
            ),
        }
    }

    /// The configured blob store.
    pub fn blob_store(&self) -> anyhow::Result<std::sync::Arc<dyn rumah_store::blobs::BlobStore>> {
        Ok(match self.blob_s3()? {
            Some(s3) => std::sync::Arc::new(s3),
            None => std::sync::Arc::new(rumah_store::blobs::LocalDir::new(self.blob_dir())),
        })
    }

    /// The key that encrypts the signing keys: configured, or kept in
    /// `data_dir/oidc.kek` (created with mode 0600 on first use).
    pub fn oidc_kek(&self) -> anyhow::Result<rumah_web::oidc::keys::Kek> {
        use base64::Engine as _;
        use secrecy::ExposeSecret as _;
        let decode = |s: &str, what: &str| -> anyhow::Result<[u8; 32]> {
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                .ok_or_else(|| {
                    anyhow::anyhow!("invalid configuration: {what} must be the base64 of 32 bytes")
                })
        };
        if let Some(k) = &self.oidc.key_encryption_key {
            return Ok(rumah_web::oidc::keys::Kek::new(decode(
                k.expose_secret(),
                "oidc.key_encryption_key",
            )?));
        }
        let path = self.data_dir.join("oidc.kek");
        match std::fs::read_to_string(&path) {
            Ok(s) => Ok(rumah_web::oidc::keys::Kek::new(decode(
                &s,
                &path.display().to_string(),
            )?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.data_dir)?;
                let key = rumah_store::secret::random_bytes::<32>();
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                use std::io::Write as _;
                match opts.open(&path) {
                    Ok(mut f) => {
                        f.write_all(
                            base64::engine::general_purpose::STANDARD
                                .encode(key)
                                .as_bytes(),
                        )?;
                        f.sync_all()?;
                        Ok(rumah_web::oidc::keys::Kek::new(key))
                    }
                    // Another process made it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self.oidc_kek(),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.files
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs"))
    }

    pub fn pool(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.database.max_connections,
            busy_timeout: self.database.busy_timeout,
            ..PoolSettings::default()
        }
    }

    pub fn argon2(&self) -> Argon2Params {
        Argon2Params {
            memory_kib: self.security.argon2_memory_kib,
            iterations: self.security.argon2_iterations,
            parallelism: self.security.argon2_parallelism,
        }
    }

    pub fn web(&self) -> anyhow::Result<WebConfig> {
        let mut web = WebConfig::for_public_url(self.public_url()?);
        if let Some(secure) = self.secure_cookies {
            web.secure_cookies = secure;
        }
        web.trusted_proxies.clone_from(&self.trusted_proxies);
        web.argon2 = self.argon2();
        web.password_policy = PasswordPolicy {
            min_chars: self.security.password_min_chars,
            ..PasswordPolicy::default()
        };
        web.session_ttl = self.session.ttl;
        web.session_idle = self.session.idle;
        web.throttle_login = ThrottlePolicy {
            threshold: self.login.max_failures,
            window: self.login.window,
            base_lock: self.login.lock,
            max_lock: self.login.max_lock,
        };
        web.throttle_address = ThrottlePolicy {
            threshold: self.login.address_max_failures,
            ..web.throttle_login
        };
        web.body_limit_bytes = self.limits.body_bytes;
        web.request_timeout = self.limits.request_timeout;
        web.metrics_token.clone_from(&self.metrics_token);
        web.demo = self.demo;
        web.skm = self.skm()?;
        web.search_dir = Some(self.data_dir.join("search"));
        web.search_cache_entries = self.search.cache_entries;
        web.blob_dir = rumah_web::config::BlobDir::At(self.blob_dir());
        web.blob_s3 = self.blob_s3()?;
        web.oidc_kek = self.oidc_kek()?;
        if let Some(w) = &self.oidc.backchannel_logout_window {
            let window = humantime::parse_duration(w).with_context(|| {
                format!("oidc.backchannel_logout_window {w:?} is not a duration like 5m")
            })?;
            if !(Duration::from_secs(120)..=Duration::from_secs(600)).contains(&window) {
                anyhow::bail!("oidc.backchannel_logout_window must be from 2m to 10m");
            }
            web.oidc_logout_window = window;
        }
        web.upload_max_bytes = self.files.max_bytes;
        web.require_mfa_roles = self.mfa_roles()?;
        if let Some(ttl) = self.password_reset_ttl()? {
            web.password_reset_ttl = ttl;
        }
        web.smtp = self.smtp()?;
        Ok(web)
    }

    /// `auth.password_reset_ttl`, from 5 minutes to a day.
    pub fn password_reset_ttl(&self) -> anyhow::Result<Option<Duration>> {
        let Some(t) = &self.auth.password_reset_ttl else {
            return Ok(None);
        };
        let ttl = humantime::parse_duration(t).with_context(|| {
            format!(
                "invalid configuration: auth.password_reset_ttl {t:?} is not a duration like 30m"
            )
        })?;
        if !(Duration::from_secs(5 * 60)..=Duration::from_secs(24 * 3600)).contains(&ttl) {
            bail!("invalid configuration: auth.password_reset_ttl must be from 5m to 24h");
        }
        Ok(Some(ttl))
    }

    /// `[smtp]` checked: a known `tls` mode and a host.
    pub fn smtp(&self) -> anyhow::Result<Option<rumah_web::config::SmtpConfig>> {
        use rumah_web::config::{SmtpConfig, SmtpTls};
        let Some(s) = &self.smtp else {
            return Ok(None);
        };
        if s.host.trim().is_empty() {
            bail!("invalid configuration: smtp.host is empty");
        }
        let (tls, port) = match s.tls.as_deref().unwrap_or("starttls") {
            "none" => (SmtpTls::None, 25),
            "starttls" => (SmtpTls::StartTls, 587),
            "tls" => (SmtpTls::Tls, 465),
            other => bail!(
                "invalid configuration: smtp.tls {other:?} must be \"none\", \"starttls\" or \"tls\""
            ),
        };
        if s.password.is_some() && s.username.is_none() {
            bail!("invalid configuration: smtp.password without smtp.username");
        }
        if !rumah_web::mail::is_mailbox(&s.from) {
            bail!(
                "invalid configuration: smtp.from {:?} is not a mailbox like \"Satu Akun <noreply@example.go.id>\"",
                s.from
            );
        }
        Ok(Some(SmtpConfig {
            host: s.host.trim().to_owned(),
            port: s.port.unwrap_or(port),
            username: s.username.clone(),
            password: s.password.clone(),
            from: s.from.clone(),
            tls,
        }))
    }

    /// `auth.require_mfa_roles` as roles; an unknown code is an error.
    pub fn mfa_roles(&self) -> anyhow::Result<Vec<rumah_domain::authz::Role>> {
        self.auth
            .require_mfa_roles
            .iter()
            .map(|code| {
                rumah_domain::authz::Role::from_code(code).with_context(|| {
                    format!(
                        "invalid configuration: auth.require_mfa_roles: {code:?} is not a role ({})",
                        rumah_domain::authz::Role::ALL.map(|r| r.code()).join(", ")
                    )
                })
            })
            .collect()
    }
}
