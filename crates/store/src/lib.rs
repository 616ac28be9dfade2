//! Storage for Rumah Inovasi.
//!
//! [`db`] holds the two-backend machinery; [`migrate`] the schema. The other
//! modules are repositories, one per bounded context, written as functions
//! over `&mut impl Exec` so they run on the pool or inside a transaction.
//! Functions that touch non-public data take a [`Scope`](rumah_domain::authz::Scope).

pub mod audit;
pub mod backup;
pub mod blobs;
pub mod db;
pub mod identity;
pub mod innovations;
pub mod migrate;
pub mod oidc;
pub mod orgs;
pub mod secret;
pub mod server_secrets;
mod sql;
pub mod surveys;

pub use db::{Backend, DatabaseUrl, Db, Exec, PoolSettings, PoolStats, Query, Row, Tx, Value};
pub use sql::SqlBuilder;

/// What can go wrong in storage. Database detail stays inside this type and
/// the log; callers map it to their own answers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; names the column when known.
    #[error("already exists: {0}")]
    Unique(String),
    /// A foreign key or check constraint refused the write.
    #[error("constraint violated: {0}")]
    Constraint(String),
    #[error("configuration: {0}")]
    Config(String),
    /// Stored data that does not parse: a bug or a manual edit.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(ref db) => {
                let detail = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned());
                match db.kind() {
                    sqlx::error::ErrorKind::UniqueViolation => Self::Unique(detail),
                    sqlx::error::ErrorKind::ForeignKeyViolation
                    | sqlx::error::ErrorKind::CheckViolation => Self::Constraint(detail),
                    _ => Self::Database(e),
                }
            }
            other => Self::Database(other),
        }
    }
}

impl StoreError {
    /// For a unique violation, whether it concerns `column` (matches the
    /// SQLite message `accounts.nip` and the PostgreSQL names `accounts_nip_key`
    /// or `accounts_nip`).
    pub fn is_unique_on(&self, column: &str) -> bool {
        match self {
            Self::Unique(detail) => detail
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|part| part == column),
            _ => false,
        }
    }
}

#[cfg(feature = "testkit")]
pub mod testkit;
