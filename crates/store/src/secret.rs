//! Random tokens and their lookup hashes.
//!
//! Session cookies, personal access tokens and the like are 256-bit random
//! values. Only their SHA-256 is stored: with that much entropy a fast hash
//! is enough (a slow password hash is for low-entropy secrets), and a stolen
//! database does not yield usable tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS RNG failing is unrecoverable; continuing would mint guessable tokens.
    getrandom::fill(&mut buf).expect("the operating system random number generator failed");
    buf
}

/// A new token: `prefix` followed by 32 random bytes in base64url.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hash_stably() {
        let a = new_token("rumah_pat_");
        let b = new_token("rumah_pat_");
        assert_ne!(a, b);
        assert!(a.starts_with("rumah_pat_"));
        assert_eq!(a.len(), "rumah_pat_".len() + 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
