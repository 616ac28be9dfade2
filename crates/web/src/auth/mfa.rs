//! The second factor: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second
//! steps, one step of drift either way) and single-use recovery codes.
//!
//! TOTP is a dozen lines over HMAC-SHA-1, which `ring` (already linked for
//! the OpenID Connect keys) provides, so no TOTP crate is needed. The secret
//! is sealed with the key-encryption key of the OIDC signing keys
//! ([`Kek`]), bound to the account id, so a database dump alone yields no
//! usable secret. A code is accepted at most once: the last accepted time
//! step is stored and only later steps pass (the store's compare-and-set).
//!
//! Wrong codes count against the sign-in throttle (per account and per
//! address) and are audited.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::HeaderValue;
use qrcode::{Color, EcLevel, QrCode};
use ring::hmac;
use rumah_domain::identity::AccountId;
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::{accounts, mfa, sessions, throttle};
use rumah_store::secret::random_bytes;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::session::{clear_cookie, set_cookie};
use crate::error::AppError;
use crate::oidc::keys::Kek;
use crate::state::AppState;

/// `acr` of a sign-in with a password and a second factor.
pub const ACR_MFA: &str = "urn:rumah:acr:mfa";
/// `acr` of a sign-in with a password only.
pub const ACR_PWD: &str = "urn:rumah:acr:pwd";
/// The `amr` (RFC 8176) of a session that used both factors.
pub const AMR_MFA: &str = "pwd otp";

/// Seconds per TOTP time step.
pub const STEP_SECS: i64 = 30;
/// Steps of clock drift accepted either way.
const DRIFT: i64 = 1;
/// Recovery codes made at once.
pub const RECOVERY_CODES: usize = 10;
/// How long the second step of a sign-in may take.
pub const PENDING_TTL: Duration = Duration::from_secs(5 * 60);
/// The issuer shown in authenticator apps.
const ISSUER: &str = "Satu Akun Jatim";

/// True if the session's methods include a second factor (`otp`: TOTP or
/// a recovery code; `hwk`: a WebAuthn key).
pub fn has_second_factor(amr: &str) -> bool {
    amr.split(' ').any(|m| m == "otp" || m == "hwk")
}

/// The `acr` value a session's methods reach.
pub fn acr_for(amr: &str) -> &'static str {
    if has_second_factor(amr) {
        ACR_MFA
    } else {
        ACR_PWD
    }
}

/// The 6-digit code of `secret` at time step `step` (RFC 4226 dynamic
/// truncation over HMAC-SHA-1).
pub fn code_at(secret: &[u8], step: u64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let bin = (u32::from(mac[offset]) & 0x7f) << 24
        | u32::from(mac[offset + 1]) << 16
        | u32::from(mac[offset + 2]) << 8
        | u32::from(mac[offset + 3]);
    bin % 1_000_000
}

/// The time step of Unix time `secs`.
pub fn step_of(secs: i64) -> i64 {
    secs.div_euclid(STEP_SECS)
}

/// The step within the drift window whose code is `code`, latest first.
pub fn matching_step(secret: &[u8], code: &str, now_secs: i64) -> Option<i64> {
    let now = step_of(now_secs);
    let mut found = None;
    for step in (now - DRIFT..=now + DRIFT).rev() {
        let Ok(s) = u64::try_from(step) else { continue };
        let expected = format!("{:06}", code_at(secret, s));
        // Compare every candidate, in constant time.
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (how authenticator apps take secrets).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// A new 160-bit secret (the size RFC 4226 recommends for HMAC-SHA-1).
pub fn new_secret() -> [u8; 20] {
    random_bytes::<20>()
}

fn sealing_context(account: AccountId) -> String {
    format!("mfa-totp:{}", account.0)
}

pub fn seal_secret(kek: &Kek, account: AccountId, secret: &[u8]) -> Result<Vec<u8>, AppError> {
    kek.seal(&sealing_context(account), secret)
        .map_err(AppError::internal)
}

pub fn open_secret(kek: &Kek, account: AccountId, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
    kek.open(&sealing_context(account), sealed)
        .map_err(AppError::internal)
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn otpauth_uri(username: &str, secret_b32: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(ISSUER),
        enc(username),
        enc(ISSUER)
    )
}

/// `text` as an inline SVG QR code (one path; no script, no external file).
pub fn qr_svg(text: &str) -> Result<String, AppError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::internal(format!("QR code: {e}")))?;
    let width = code.width();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="220" height="220" role="img" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

/// Ten new recovery codes, `xxxxx-xxxxx` (50 random bits each), and their
/// stored hashes.
pub fn new_recovery_codes(account: AccountId) -> (Vec<String>, Vec<String>) {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw = base32(&random_bytes::<7>()).to_ascii_lowercase();
        codes.push(format!("{}-{}", &raw[..5], &raw[5..10]));
    }
    let hashes = codes.iter().map(|c| recovery_hash(account, c)).collect();
    (codes, hashes)
}

/// The stored form of a recovery code (normalised: lowercase, no dash),
/// keyed by the account so equal codes of two accounts differ.
pub fn recovery_hash(account: AccountId, code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(
        format!("rumah-mfa-recovery:{}:{norm}", account.0).as_bytes(),
    ))
}

/// What the user typed into the code field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeInput {
    /// Six digits.
    Totp(String),
    /// Ten base32 characters (a dash or spaces allowed).
    Recovery(String),
}

/// Why a code was not even checked; each is a message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    Missing,
    TooLong,
    Malformed,
}

impl CodeProblem {
    pub fn key(self) -> &'static str {
        match self {
            Self::Missing => "mfa.code_missing",
            Self::TooLong => "mfa.code_too_long",
            Self::Malformed => "mfa.code_malformed",
        }
    }
}

/// Parses the code field: spaces and dashes are ignored.
pub fn parse_code(raw: &str, allow_recovery: bool) -> Result<CodeInput, CodeProblem> {
    if raw.len() > 64 {
        return Err(CodeProblem::TooLong);
    }
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if s.is_empty() {
        return Err(CodeProblem::Missing);
    }
    if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(CodeInput::Totp(s));
    }
    if allow_recovery
        && s.len() == 10
        && s.bytes()
            .all(|b| BASE32.contains(&b.to_ascii_uppercase()) && b.is_ascii_alphanumeric())
    {
        return Ok(CodeInput::Recovery(s.to_ascii_lowercase()));
    }
    if s.len() > 10 {
        return Err(CodeProblem::TooLong);
    }
    Err(CodeProblem::Malformed)
}

/// Does a role of the account require MFA (`auth.require_mfa_roles`)?
pub async fn required_by_role(state: &AppState, account: AccountId) -> Result<bool, AppError> {
    let roles = &state.config().require_mfa_roles;
    if roles.is_empty() {
        return Ok(false);
    }
    Ok(accounts::grants(&mut state.db(), account)
        .await?
        .iter()
        .any(|g| roles.contains(&g.role)))
}

/// The outcome of checking a second-factor code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted; `"totp"` or `"recovery"`.
    Accepted(&'static str),
    /// Wrong, replayed or used up.
    Wrong,
    Throttled {
        retry_after_secs: u64,
    },
}

fn throttle_key(account: AccountId) -> String {
    format!("mfa:{}", account.0)
}

/// Checks a code of `account`'s confirmed authenticator (or a recovery
/// code), with back-off and audit.
pub async fn verify(
    state: &AppState,
    account: AccountId,
    username: &str,
    input: &CodeInput,
    ip: IpAddr,
) -> Result<Verdict, AppError> {
    let mut db = state.db();
    let now = Timestamp::now();
    let key = throttle_key(account);
    let ip_key = crate::auth::login::address_key(ip);
    let ip_text = ip.to_string();
    if let Some(until) = throttle::locked_until(&mut db, &[&key, &ip_key], now).await? {
        let secs = u64::try_from((until.millis() - now.millis()).max(1000) / 1000).unwrap_or(1);
        return Ok(Verdict::Throttled {
            retry_after_secs: secs,
        });
    }
    let totp = mfa::totp(&mut db, account)
        .await?
        .filter(mfa::Totp::is_confirmed);
    let accepted = match (input, &totp) {
        (CodeInput::Totp(code), Some(t)) => {
            let secret = open_secret(state.kek(), account, &t.secret)?;
            match matching_step(&secret, code, now.millis() / 1000) {
                Some(step) if mfa::accept_step(&mut db, account, step).await? => Some("totp"),
                _ => None,
            }
        }
        (CodeInput::Recovery(code), Some(_)) => {
            mfa::use_recovery_code(&mut db, account, &recovery_hash(account, code), now)
                .await?
                .then_some("recovery")
        }
        (_, None) => None,
    };
    if let Some(method) = accepted {
        throttle::clear(&mut db, &key).await?;
        if method == "recovery" {
            let left = mfa::recovery_codes_left(&mut db, account).await?;
            audit::record(
                &mut db,
                &audit::Entry {
                    event: event::MFA_RECOVERY_USED,
                    actor: Some((account, username)),
                    subject: Some((account.0, username)),
                    ip: Some(&ip_text),
                    details: Some(serde_json::json!({ "left": left })),
                    ..Default::default()
                },
            )
            .await?;
        }
        return Ok(Verdict::Accepted(method));
    }
    let lock = throttle::record_failure(&mut db, &key, now, &state.config().throttle_login).await?;
    let ip_lock =
        throttle::record_failure(&mut db, &ip_key, now, &state.config().throttle_address).await?;
    audit::record(
        &mut db,
        &audit::Entry {
            event: event::MFA_FAILED,
            subject: Some((account.0, username)),
            ip: Some(&ip_text),
            details: Some(serde_json::json!({
                "kind": match input { CodeInput::Totp(_) => "totp", CodeInput::Recovery(_) => "recovery" },
                "locked": lock.is_some() || ip_lock.is_some(),
            })),
            ..Default::default()
        },
    )
    .await?;
    Ok(Verdict::Wrong)
}

/// Starts a session that used both factors; `amr` is [`AMR_MFA`] or
/// [`crate::auth::webauthn::AMR_WEBAUTHN`].
pub async fn start_session(
    state: &AppState,
    account: AccountId,
    amr: &str,
    ip: IpAddr,
    user_agent: Option<&str>,
) -> Result<String, AppError> {
    let now = Timestamp::now();
    Ok(sessions::create(
        &mut state.db(),
        &sessions::NewSession {
            account,
            expires_at: now.plus(state.config().session_ttl),
            auth_time: now,
            amr,
            acr: Some(ACR_MFA),
            ip: Some(&ip.to_string()),
            user_agent,
        },
    )
    .await?)
}

/// The cookie that carries a pending sign-in between its two steps.
pub fn pending_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-rumah_mfa"
    } else {
        "rumah_mfa"
    }
}

pub fn set_pending_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = state.config().secure_cookies;
    set_cookie(
        pending_cookie_name(secure),
        token,
        secure,
        Some(PENDING_TTL),
    )
}

pub fn clear_pending_cookie(state: &AppState) -> HeaderValue {
    let secure = state.config().secure_cookies;
    clear_cookie(pending_cookie_name(secure), secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_test_vectors() {
        // RFC 6238 Appendix B (SHA-1, the 20-byte ASCII secret), last 6 digits.
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
            (20_000_000_000, 353_130),
        ] {
            let step = u64::try_from(step_of(t)).unwrap();
            assert_eq!(code_at(secret, step), expected, "T = {t}");
        }
    }

    #[test]
    fn codes_match_within_one_step_of_drift_only() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let code = |t: i64| format!("{:06}", code_at(secret, u64::try_from(step_of(t)).unwrap()));
        assert_eq!(matching_step(secret, &code(now), now), Some(step_of(now)));
        assert_eq!(
            matching_step(secret, &code(now - 30), now),
            Some(step_of(now) - 1)
        );
        assert_eq!(
            matching_step(secret, &code(now + 30), now),
            Some(step_of(now) + 1)
        );
        assert_eq!(matching_step(secret, &code(now - 90), now), None);
        assert_eq!(matching_step(secret, &code(now + 90), now), None);
        assert_eq!(matching_step(secret, "12345", now), None);
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fo"), "MZXQ");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(&[0u8; 20]).len(), 32);
    }

    #[test]
    fn sealed_secrets_are_bound_to_their_account() {
        let kek = Kek::new([3; 32]);
        let sealed = seal_secret(&kek, AccountId(7), b"secret-bytes").unwrap();
        assert_eq!(
            open_secret(&kek, AccountId(7), &sealed).unwrap(),
            b"secret-bytes"
        );
        assert!(open_secret(&kek, AccountId(8), &sealed).is_err());
        assert!(open_secret(&Kek::new([4; 32]), AccountId(7), &sealed).is_err());
    }

    #[test]
    fn code_field_parsing() {
        assert_eq!(
            parse_code(" 123 456 ", true),
            Ok(CodeInput::Totp("123456".into()))
        );
        assert_eq!(
            parse_code("ABCDE-23456", true),
            Ok(CodeInput::Recovery("abcde23456".into()))
        );
        assert_eq!(
            parse_code("abcde-23456", false),
            Err(CodeProblem::Malformed)
        );
        assert_eq!(parse_code("", true), Err(CodeProblem::Missing));
        assert_eq!(parse_code(" - ", true), Err(CodeProblem::Missing));
        assert_eq!(parse_code("12345", true), Err(CodeProblem::Malformed));
        assert_eq!(parse_code("12345a", true), Err(CodeProblem::Malformed));
        assert_eq!(parse_code("1234567", true), Err(CodeProblem::Malformed));
        assert_eq!(parse_code("123456789012", true), Err(CodeProblem::TooLong));
        assert_eq!(parse_code(&"1".repeat(65), true), Err(CodeProblem::TooLong));
        // Base32 has no 0, 1, 8 or 9.
        assert_eq!(parse_code("abcde-01890", true), Err(CodeProblem::Malformed));
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_hash_per_account() {
        let (codes, hashes) = new_recovery_codes(AccountId(1));
        assert_eq!(codes.len(), 10);
        assert_eq!(hashes.len(), 10);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        for (c, h) in codes.iter().zip(&hashes) {
            assert_eq!(c.len(), 11);
            assert!(matches!(parse_code(c, true), Ok(CodeInput::Recovery(_))));
            assert_eq!(&recovery_hash(AccountId(1), &c.to_uppercase()), h);
            assert_ne!(&recovery_hash(AccountId(2), c), h);
        }
    }

    #[test]
    fn the_qr_code_is_an_inline_svg_and_the_uri_names_the_user() {
        let uri = otpauth_uri("siti nur", "MZXW6YTBOI");
        assert!(
            uri.starts_with("otpauth://totp/Satu%20Akun%20Jatim:siti%20nur?secret=MZXW6YTBOI&")
        );
        assert!(uri.contains("period=30") && uri.contains("digits=6"));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script") && !svg.contains("href"));
    }

    #[test]
    fn acr_follows_the_methods() {
        assert_eq!(acr_for("pwd"), ACR_PWD);
        assert_eq!(acr_for(AMR_MFA), ACR_MFA);
        assert!(!has_second_factor("pwdotp"));
        assert!(has_second_factor(crate::auth::webauthn::AMR_WEBAUTHN));
        assert_eq!(acr_for("pwd hwk"), ACR_MFA);
    }
}
