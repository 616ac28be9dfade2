//! Password hashing with Argon2id at the configured cost.
//!
//! Hashing is CPU- and memory-heavy, so it runs on the blocking pool, at
//! most one hash per core at a time: a login burst queues instead of
//! exhausting memory. Unknown accounts are verified against a dummy hash of
//! the same cost so that their answer takes as long as a wrong password.

use std::sync::Arc;

use argon2::password_hash::PasswordHasher as _;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::Argon2Params;

#[derive(Debug, thiserror::Error)]
#[error("invalid Argon2 parameters: {0}")]
pub struct InvalidParams(String);

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Valid {
        /// The stored hash used other parameters; store a fresh one.
        needs_rehash: bool,
    },
    Invalid,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: Arc<OnceCell<String>>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasher {
    pub fn new(p: Argon2Params) -> Result<Self, InvalidParams> {
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
            .map_err(|e| InvalidParams(e.to_string()))?;
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::new(OnceCell::new()),
        })
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=…`).
    pub async fn hash(&self, password: &str) -> String {
        let password = password.to_owned();
        let params = self.params.clone();
        self.run(move || {
            argon2(params)
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .expect("hashing with valid parameters succeeds")
        })
        .await
    }

    /// Checks `password` against `stored`. With `stored == None` (no such
    /// account, or no password) it spends the same effort and says `Invalid`.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Verification {
        let (phc, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (self.dummy_hash().await, false),
        };
        let password = password.to_owned();
        let current = self.params.clone();
        self.run(move || {
            let Ok(parsed) = PasswordHash::new(&phc) else {
                return Verification::Invalid;
            };
            let ok = matches_reusing_memory(password.as_bytes(), &parsed);
            if !(ok && real) {
                return Verification::Invalid;
            }
            let same = parsed.algorithm.as_str() == "argon2id"
                && Params::try_from(&parsed).is_ok_and(|p| {
                    p.m_cost() == current.m_cost()
                        && p.t_cost() == current.t_cost()
                        && p.p_cost() == current.p_cost()
                });
            Verification::Valid {
                needs_rehash: !same,
            }
        })
        .await
    }

    async fn dummy_hash(&self) -> String {
        self.dummy
            .get_or_init(|| async { self.hash("rumah-inovasi dummy password").await })
            .await
            .clone()
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        tokio::task::spawn_blocking(f)
            .await
            .expect("password hashing does not panic")
    }
}

thread_local! {
    /// Argon2's working memory (19 MiB at the default cost), kept by each
    /// blocking thread that checks passwords. Allocating it afresh for
    /// every check cost page faults and zeroing: about a fifth of a sign-in.
    static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` gives the hash in `parsed`, with the parameters
/// stored in it, computed in this thread's reused [`MEMORY`].
fn matches_reusing_memory(password: &[u8], parsed: &PasswordHash) -> bool {
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    let expected: &[u8] = expected.as_ref();
    let mut buf = [0u8; 64];
    let Some(out) = buf.get_mut(..expected.len()) else {
        return false;
    };
    let blocks = params.block_count();
    let hashed = MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password, salt.as_ref(), out, &mut memory[..blocks])
            .is_ok()
    });
    hashed && bool::from(subtle::ConstantTimeEq::ct_eq(&*out, expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Argon2Params {
        Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_detect_old_parameters() {
        let h = PasswordHasher::new(cheap()).unwrap();
        let phc = h.hash("kopi tubruk").await;
        assert!(phc.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert_eq!(
            h.verify("kopi tubruk", Some(&phc)).await,
            Verification::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(
            h.verify("kopi susu", Some(&phc)).await,
            Verification::Invalid
        );
        assert_eq!(h.verify("kopi tubruk", None).await, Verification::Invalid);
        assert_eq!(
            h.verify("kopi tubruk", Some("not a hash")).await,
            Verification::Invalid
        );
        let stronger = PasswordHasher::new(Argon2Params {
            memory_kib: 2048,
            ..cheap()
        })
        .unwrap();
        assert_eq!(
            stronger.verify("kopi tubruk", Some(&phc)).await,
            Verification::Valid { needs_rehash: true }
        );
    }

    #[test]
    fn reused_memory_gives_the_same_answers_as_fresh_memory() {
        // Hashes made by the crate's own path (fresh memory) in other
        // variants, versions and sizes, checked in one thread whose buffer
        // grows and is then reused for a smaller cost.
        let made = |alg, version, m_kib| {
            let params = Params::new(m_kib, 1, 1, None).unwrap();
            Argon2::new(alg, version, params)
                .hash_password(b"rawon setan")
                .unwrap()
                .to_string()
        };
        for phc in [
            made(Algorithm::Argon2id, Version::V0x13, 4096),
            made(Algorithm::Argon2id, Version::V0x13, 1024),
            made(Algorithm::Argon2i, Version::V0x10, 2048),
            made(Algorithm::Argon2d, Version::V0x13, 1024),
        ] {
            let parsed = PasswordHash::new(&phc).unwrap();
            assert!(matches_reusing_memory(b"rawon setan", &parsed), "{phc}");
            assert!(!matches_reusing_memory(b"rawon setan!", &parsed), "{phc}");
        }
        // A hash without salt or output never matches.
        let parsed = PasswordHash::new("$argon2id$v=19$m=1024,t=1,p=1").unwrap();
        assert!(!matches_reusing_memory(b"", &parsed));
    }

    #[test]
    fn rejects_impossible_parameters() {
        assert!(
            PasswordHasher::new(Argon2Params {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1
            })
            .is_err()
        );
    }
}
