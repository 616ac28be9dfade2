//! Registry storage: innovation profiles with their versions and curation
//! trail (`profiles`), and the public catalogue (`catalogue`).
//!
//! Non-public reads and every change take a [`Scope`](rumah_domain::authz::Scope):
//! [`Permission::ManageInnovations`](rumah_domain::authz::Permission) for the
//! owners of a node, `CurateInnovations` for curators. The catalogue reads
//! published innovations only.

pub mod catalogue;
pub mod files;
pub mod iid;
pub mod lifecycle;
pub mod profiles;
pub mod replication;
pub mod search_feed;
pub mod sitemap;
pub mod stats;

use serde::Serialize;

use crate::{Exec, StoreError, q};

/// An urusan pemerintahan of the reference list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Urusan {
    pub code: String,
    pub name: String,
    pub kind: String,
}

/// The reference list, in its official order.
pub async fn urusan(ex: &mut impl Exec) -> Result<Vec<Urusan>, StoreError> {
    ex.fetch_all(q!("SELECT code, name, kind FROM urusan ORDER BY position"))
        .await
}
