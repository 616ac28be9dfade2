//! Signing and verification keys held in memory, so that issuing or
//! checking a token does not read and decrypt keys from the database.
//!
//! Keys live in the database, shared by every node; this is a per-node
//! copy with a short lifetime ([`TTL`]):
//! * a signer is re-read after [`TTL`]. After a rotation elsewhere
//!   (`rumah admin rotate-keys`, another node), a node may sign with the
//!   previous key for up to [`TTL`]; that key stays published for days
//!   ([`keys::PUBLISHED_AFTER`]), so its tokens verify everywhere;
//! * a verification key is looked up in the database when its `kid` is not
//!   held, so a token signed by a key made on another node a moment ago
//!   verifies at once. Held keys are dropped after [`TTL`], so a key that
//!   stops being published stops verifying within [`TTL`] (tokens live 10
//!   minutes; keys stay published days past their last signature).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use rumah_store::Exec;

use crate::oidc::keys::{self, Kek, KeyError, Signer};

/// How long a node keeps a key before reading it again.
pub const TTL: Duration = Duration::from_secs(60);

/// A verification key and when it is read again.
type Verifier = (Algorithm, Arc<DecodingKey>, Instant);

#[derive(Default)]
pub struct KeyCache {
    signers: RwLock<HashMap<String, (Arc<Signer>, Instant)>>,
    verifiers: RwLock<HashMap<String, Verifier>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").finish_non_exhaustive()
    }
}

impl KeyCache {
    /// The key to sign with now in `alg` (see [`keys::signer`]).
    pub async fn signer(
        &self,
        ex: &mut impl Exec,
        kek: &Kek,
        alg: &str,
    ) -> Result<Arc<Signer>, KeyError> {
        let now = Instant::now();
        if let Some((s, until)) = self.signers.read().expect("not poisoned").get(alg)
            && *until > now
        {
            return Ok(s.clone());
        }
        let signer = Arc::new(keys::signer(ex, kek, alg).await?);
        self.signers
            .write()
            .expect("not poisoned")
            .insert(alg.to_owned(), (signer.clone(), now + TTL));
        Ok(signer)
    }

    /// The verification key of `kid` if it is published (see
    /// [`keys::decoding_key`]).
    pub async fn verifier(
        &self,
        ex: &mut impl Exec,
        kid: &str,
    ) -> Result<Option<(Algorithm, Arc<DecodingKey>)>, KeyError> {
        let now = Instant::now();
        if let Some((alg, key, until)) = self.verifiers.read().expect("not poisoned").get(kid)
            && *until > now
        {
            return Ok(Some((*alg, key.clone())));
        }
        let Some((alg, key)) = keys::decoding_key(ex, kid).await? else {
            self.verifiers.write().expect("not poisoned").remove(kid);
            return Ok(None);
        };
        let key = Arc::new(key);
        let mut held = self.verifiers.write().expect("not poisoned");
        // Unknown kids are not held, so the map only grows with real keys;
        // drop expired ones now and then all the same.
        held.retain(|_, (_, _, until)| *until > now);
        held.insert(kid.to_owned(), (alg, key.clone(), now + TTL));
        Ok(Some((alg, key)))
    }
}
