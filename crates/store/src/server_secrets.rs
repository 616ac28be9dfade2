//! Secrets every node must share, created once in the database.

use rumah_domain::time::Timestamp;

use crate::secret::random_bytes;
use crate::{Exec, StoreError, q};

/// Key for CSRF token MACs.
pub const CSRF_KEY: &str = "csrf_key";

/// Returns the secret called `name`, creating a random 32-byte one if none
/// exists. Safe when several nodes start at once: the first insert wins and
/// everyone reads the winner.
pub async fn get_or_create(ex: &mut impl Exec, name: &str) -> Result<Vec<u8>, StoreError> {
    ex.execute(q!(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        name,
        random_bytes::<32>().to_vec(),
        Timestamp::now()
    ))
    .await?;
    let (value,): (Vec<u8>,) = ex
        .fetch_one(q!("SELECT value FROM server_secrets WHERE name = $1", name))
        .await?;
    Ok(value)
}
