//! CSRF tokens: the signed double-submit pattern, bound to the session.
//!
//! Every browser gets a random `csrf` cookie. A form's token is
//! `HMAC-SHA256(key, cookie ‖ session)` where `session` is the session
//! cookie (empty before sign-in). An attacker can neither read the cookie
//! nor compute the MAC without the server key, and a token stops working
//! when the session changes. The key lives in the database, so every node
//! accepts every node's tokens. A cross-origin check (`Sec-Fetch-Site` /
//! `Origin`) runs in front of this as a second line.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Name of the form field and of the header that carry the token.
pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

pub fn token(key: &[u8], cookie: &str, session: &str) -> String {
    URL_SAFE_NO_PAD.encode(mac(key, cookie, session).finalize().into_bytes())
}

pub fn verify(key: &[u8], cookie: &str, session: &str, presented: &str) -> bool {
    let Ok(tag) = URL_SAFE_NO_PAD.decode(presented.trim()) else {
        return false;
    };
    !cookie.is_empty() && mac(key, cookie, session).verify_slice(&tag).is_ok()
}

fn mac(key: &[u8], cookie: &str, session: &str) -> Hmac<Sha256> {
    let mut m =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    m.update(b"rumah-csrf-v1\0");
    m.update(cookie.as_bytes());
    m.update(b"\0");
    m.update(session.as_bytes());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_cookie_session_and_key() {
        let key = b"0123456789abcdef0123456789abcdef";
        let t = token(key, "cookie-a", "session-1");
        assert!(verify(key, "cookie-a", "session-1", &t));
        assert!(
            !verify(key, "cookie-b", "session-1", &t),
            "another browser's cookie"
        );
        assert!(!verify(key, "cookie-a", "session-2", &t), "another session");
        assert!(!verify(
            b"another key another key another",
            "cookie-a",
            "session-1",
            &t
        ));
        assert!(
            !verify(key, "", "", &token(key, "", "")),
            "no cookie, no token"
        );
        assert!(!verify(key, "cookie-a", "session-1", "not base64 !"));
        assert!(!verify(key, "cookie-a", "session-1", ""));
    }
}
