//! Outgoing mail (password-reset links) over SMTP with `lettre`.
//!
//! Requests never wait for the mail server: a message is queued to one
//! background task that sends queued messages in order, so the answer to
//! "forgot password" takes the same time whether or not a mail goes out,
//! and a slow or unreachable server delays no one. A failed delivery is
//! logged and audited (`password.reset_failed`, reason `mail_failed`); the
//! link is not retried (the user can ask again).

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rumah_store::Db;
use rumah_store::audit::{self, event};
use secrecy::ExposeSecret;
use tokio::sync::mpsc;

use crate::config::{SmtpConfig, SmtpTls};

/// Messages waiting beyond this are refused (and audited) rather than
/// queued without bound.
const QUEUE: usize = 256;
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp.from {0:?} is not a mailbox like `Satu Akun <noreply@example.go.id>`")]
    From(String),
    #[error("smtp: {0}")]
    Transport(#[from] lettre::transport::smtp::Error),
}

/// One plain-text message to one recipient, on behalf of an account.
#[derive(Debug)]
pub struct Outgoing {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
    /// The account it concerns (for the audit trail of a failure).
    pub account: (i64, String),
}

/// Why a message was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotQueued {
    /// No `[smtp]` configured.
    NoServer,
    /// The recipient address does not parse as a mailbox.
    BadAddress,
    /// The queue is full (the mail server is down or slow).
    Full,
}

impl NotQueued {
    pub fn code(self) -> &'static str {
        match self {
            Self::NoServer => "no_mail_server",
            Self::BadAddress => "bad_address",
            Self::Full => "mail_queue_full",
        }
    }
}

struct Job {
    message: Message,
    account: (i64, String),
}

/// The sending side of the mail queue; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    inner: Option<(Mailbox, mpsc::Sender<Job>)>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("configured", &self.inner.is_some())
            .finish()
    }
}

fn transport(c: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.host.as_str())
        .port(c.port)
        .timeout(Some(SEND_TIMEOUT));
    b = match c.tls {
        SmtpTls::None => b.tls(Tls::None),
        SmtpTls::StartTls => b.tls(Tls::Required(TlsParameters::new(c.host.clone())?)),
        SmtpTls::Tls => b.tls(Tls::Wrapper(TlsParameters::new(c.host.clone())?)),
    };
    if let Some(user) = &c.username {
        let password = c
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default();
        b = b.credentials(Credentials::new(user.clone(), password));
    }
    Ok(b.build())
}

/// Whether `s` is a mailbox (`name <addr>` or `addr`), as `smtp.from` must be.
pub fn is_mailbox(s: &str) -> bool {
    s.parse::<Mailbox>().is_ok()
}

impl Mailer {
    /// No mail server: every message is `NotQueued::NoServer`.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// Starts the sending task for `config` (must run inside Tokio).
    pub fn start(config: Option<&SmtpConfig>, db: Db) -> Result<Self, MailError> {
        let Some(c) = config else {
            return Ok(Self::disabled());
        };
        // rustls needs a process-wide crypto provider: ring's.
        rumah_store::blobs::install_tls_provider();
        let from: Mailbox = c
            .from
            .parse()
            .map_err(|_| MailError::From(c.from.clone()))?;
        let transport = transport(c)?;
        let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                if let Err(e) = transport.send(job.message).await {
                    tracing::warn!(error = %e, account = job.account.0, "sending mail failed");
                    let recorded = audit::record(
                        &mut db.clone(),
                        &audit::Entry {
                            event: event::PASSWORD_RESET_FAILED,
                            subject: Some((job.account.0, &job.account.1)),
                            details: Some(serde_json::json!({
                                "reason": "mail_failed",
                                "error": e.to_string(),
                            })),
                            ..Default::default()
                        },
                    )
                    .await;
                    if let Err(e) = recorded {
                        tracing::error!(error = %e, "cannot audit a failed mail");
                    }
                }
            }
        });
        Ok(Self {
            inner: Some((from, tx)),
        })
    }

    pub fn is_configured(&self) -> bool {
        self.inner.is_some()
    }

    /// Queues `mail` for sending; returns at once.
    pub fn queue(&self, mail: Outgoing) -> Result<(), NotQueued> {
        let Some((from, tx)) = &self.inner else {
            return Err(NotQueued::NoServer);
        };
        let to = mail
            .to
            .parse()
            .map(|addr| Mailbox::new(Some(mail.to_name.clone()), addr))
            .map_err(|_| NotQueued::BadAddress)?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|_| NotQueued::BadAddress)?;
        tx.try_send(Job {
            message,
            account: mail.account,
        })
        .map_err(|_| NotQueued::Full)
    }
}
