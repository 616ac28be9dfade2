//! Registered clients held in memory for the token, introspection and
//! revocation endpoints, which look one up on every request.
//!
//! A client is read from the database again after [`TTL`]. The node where
//! an administrator changes, rotates or deletes a client forgets it at
//! once; other nodes (and changes made with the `rumah admin client`
//! command) catch up within [`TTL`]. Unknown client ids are not held.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use rumah_store::oidc::clients::{self, Client};
use rumah_store::{Exec, StoreError};

/// How long a node keeps a client before reading it again.
pub const TTL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct ClientCache {
    held: RwLock<HashMap<String, (Client, Instant)>>,
}

impl std::fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCache").finish_non_exhaustive()
    }
}

impl ClientCache {
    pub async fn get(
        &self,
        ex: &mut impl Exec,
        client_id: &str,
    ) -> Result<Option<Client>, StoreError> {
        let now = Instant::now();
        if let Some((c, until)) = self.held.read().expect("not poisoned").get(client_id)
            && *until > now
        {
            return Ok(Some(c.clone()));
        }
        let found = clients::by_client_id(ex, client_id).await?;
        let mut held = self.held.write().expect("not poisoned");
        match &found {
            Some(c) => {
                if held.len() > 4096 {
                    held.retain(|_, (_, until)| *until > now);
                }
                held.insert(client_id.to_owned(), (c.clone(), now + TTL));
            }
            None => {
                held.remove(client_id);
            }
        }
        Ok(found)
    }

    /// Forgets `client_id` (after a change on this node).
    pub fn forget(&self, client_id: &str) {
        self.held.write().expect("not poisoned").remove(client_id);
    }
}
