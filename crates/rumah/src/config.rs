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
use rumah_store::identity::throttle::ThrottlePolicy;
use rumah_store::{DatabaseUrl, PoolSettings};
use rumah_web::config::{Argon2Params, WebConfig};
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
        if self.database.max_connections == 0 {
            bail!("invalid configuration: database.max_connections must be at least 1");
        }
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
        Ok(web)
    }
}
