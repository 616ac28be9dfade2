//! What a sitemap may list: published innovations only, with the time of
//! their last change.

use crate::{Exec, StoreError, q};

/// (id, updated_at) of every published innovation, newest change first.
pub async fn published(ex: &mut impl Exec, limit: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    ex.fetch_all(q!(
        "SELECT id, updated_at FROM innovations WHERE status = 'terverifikasi'
         ORDER BY updated_at DESC, id DESC LIMIT $1",
        limit
    ))
    .await
}
