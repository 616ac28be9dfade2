//! One storage layer, two databases.
//!
//! Every query is written once, in the SQL both SQLite and PostgreSQL accept
//! (`$1` placeholders, `ON CONFLICT`, `RETURNING`, integer timestamps), and run
//! on whichever native sqlx pool the database URL selected. Arguments travel
//! as [`Value`]s and rows decode through sqlx's `FromRow`, whose derive is
//! generic over the row type, so one struct serves both backends.
//!
//! Handlers and repositories take `&mut impl Exec`: a [`Db`] (the pool) or a
//! [`Tx`] (a transaction), so the same repository function works inside and
//! outside a transaction.

use std::borrow::Cow;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::StoreError;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool of connections to one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, Arc<WriteGate>),
    Postgres(PgPool),
}

/// SQLite has one writer at a time. Writers of this process queue here, in
/// order, instead of meeting `SQLITE_BUSY` and SQLite's busy handler, which
/// sleeps 1 to 100 ms between tries: under concurrent writes that turned
/// into long tails and lost throughput. Transactions ([`Db::begin`]) and
/// statements run on the pool that write ([`Exec::execute`], or a fetch of an
/// `INSERT`, `UPDATE` or `DELETE … RETURNING`) pass the gate; other
/// processes on the same file (the CLI) still meet the busy timeout.
#[derive(Debug)]
pub struct WriteGate {
    lock: Arc<tokio::sync::Mutex<()>>,
    /// Waiting longer than this is an error, as the busy timeout is.
    timeout: Duration,
}

impl WriteGate {
    fn new(timeout: Duration) -> Self {
        Self {
            lock: Arc::new(tokio::sync::Mutex::new(())),
            timeout,
        }
    }

    async fn pass(&self) -> Result<tokio::sync::OwnedMutexGuard<()>, StoreError> {
        tokio::time::timeout(self.timeout, self.lock.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// How long SQLite waits for a lock before answering `SQLITE_BUSY`.
    pub busy_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A database URL, checked for a supported scheme.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let ok = url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://");
        if ok {
            Ok(Self(url.to_owned()))
        } else {
            Err(StoreError::Config(
                "the database URL must start with sqlite: or postgres://".into(),
            ))
        }
    }

    /// The SQLite database file inside a data directory.
    pub fn sqlite_in(data_dir: &Path) -> Self {
        Self(format!("sqlite://{}", data_dir.join("rumah.db").display()))
    }

    pub fn backend(&self) -> Backend {
        if self.0.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    /// The file behind a SQLite URL.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self
            .0
            .strip_prefix("sqlite://")
            .or_else(|| self.0.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    /// For connecting only: it may hold a password, so it is never logged.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Safe to log: the password, if any, is replaced.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => self.0.clone(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Db {
    /// Opens a pool. A SQLite file is created if missing and runs with WAL,
    /// foreign keys on and a busy timeout; `synchronous=NORMAL` in WAL mode
    /// keeps every acknowledged commit across a process crash.
    pub async fn connect(url: &DatabaseUrl, settings: &PoolSettings) -> Result<Self, StoreError> {
        match url.backend() {
            Backend::Sqlite => {
                if let Some(parent) = url.sqlite_path().as_deref().and_then(Path::parent) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Config(format!(
                            "cannot create the data directory {}: {e}",
                            parent.display()
                        ))
                    })?;
                }
                let options = SqliteConnectOptions::from_str(url.expose())?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(settings.busy_timeout)
                    .pragma("temp_store", "memory");
                let pool = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections)
                    .min_connections(1)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(options)
                    .await?;
                Ok(Self::Sqlite(
                    pool,
                    Arc::new(WriteGate::new(settings.busy_timeout)),
                ))
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url.expose())?.application_name("rumah");
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .min_connections(1)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(options)
                    .await?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(..) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`) so that two writers never deadlock upgrading from
    /// a read lock; on PostgreSQL it is a plain `BEGIN`.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(pool, gate) => {
                let turn = gate.pass().await?;
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// The database file of a SQLite pool.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        match self {
            Self::Sqlite(pool, _) => {
                let path = pool.connect_options().get_filename().to_path_buf();
                (path.as_os_str() != ":memory:").then_some(path)
            }
            Self::Postgres(_) => None,
        }
    }

    /// Pool statistics for the metrics endpoint.
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle) = match self {
            Self::Sqlite(p, _) => (p.size(), p.num_idle()),
            Self::Postgres(p) => (p.size(), p.num_idle()),
        };
        PoolStats {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite(p, _) => p.close().await,
            Self::Postgres(p) => p.close().await,
        }
    }

    /// Whether the database answers a trivial query within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> bool {
        let probe = async {
            let mut db = self.clone();
            db.fetch_one::<(i64,)>(Query::new("SELECT CAST(1 AS BIGINT)"))
                .await
        };
        matches!(tokio::time::timeout(timeout, probe).await, Ok(Ok((1,))))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}

/// An open transaction. Dropped without [`Tx::commit`], it rolls back.
/// On SQLite it holds the process's turn to write ([`WriteGate`]).
#[derive(Debug)]
pub enum Tx {
    Sqlite(
        Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(tx, _turn) => tx.commit().await?,
            Self::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// A bound argument. Each variant carries an `Option` so that a NULL still
/// has a type, which PostgreSQL needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(Option<bool>),
    I64(Option<i64>),
    F64(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

macro_rules! value_from {
    ($($t:ty => $variant:ident($conv:expr)),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$variant(Some(($conv)(v))) }
        }
        impl From<Option<$t>> for Value {
            fn from(v: Option<$t>) -> Self { Value::$variant(v.map($conv)) }
        }
    )*};
}

value_from! {
    bool => Bool(|v| v),
    i64 => I64(|v| v),
    i32 => I64(i64::from),
    u32 => I64(i64::from),
    f64 => F64(|v| v),
    String => Text(|v| v),
    &str => Text(str::to_owned),
    &String => Text(String::clone),
    Vec<u8> => Bytes(|v| v),
    &[u8] => Bytes(<[u8]>::to_vec),
}

impl From<rumah_domain::time::Timestamp> for Value {
    fn from(v: rumah_domain::time::Timestamp) -> Self {
        Value::I64(Some(v.0))
    }
}

impl From<Option<rumah_domain::time::Timestamp>> for Value {
    fn from(v: Option<rumah_domain::time::Timestamp>) -> Self {
        Value::I64(v.map(|t| t.0))
    }
}

/// SQL text and its arguments. Build with [`q!`](crate::q).
#[derive(Debug, Clone)]
pub struct Query {
    sql: Cow<'static, str>,
    args: Vec<Value>,
}

impl Query {
    pub fn new(sql: &'static str) -> Self {
        Self {
            sql: Cow::Borrowed(sql),
            args: Vec::new(),
        }
    }

    /// SQL assembled at run time. Only ever from fixed fragments and `$n`
    /// placeholders; values always go through [`Query::bind`].
    pub fn assembled(sql: String) -> Self {
        Self {
            sql: Cow::Owned(sql),
            args: Vec::new(),
        }
    }

    #[must_use]
    pub fn bind(mut self, v: impl Into<Value>) -> Self {
        self.args.push(v.into());
        self
    }

    pub fn push_arg(&mut self, v: impl Into<Value>) -> usize {
        self.args.push(v.into());
        self.args.len()
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// `q!("SELECT … WHERE id = $1", id)` builds a [`Query`].
#[macro_export]
macro_rules! q {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::Query::new($sql)$(.bind($arg))*
    };
}

/// A row type that decodes from both backends. Implemented for every type
/// that derives `sqlx::FromRow`, and for tuples.
pub trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}
impl<T> Row for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Value::Bool(v) => query.bind(v),
                Value::I64(v) => query.bind(v),
                Value::F64(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
                Value::Bytes(v) => query.bind(v),
            };
        }
        query
    }};
}

fn sql_of(sql: Cow<'static, str>) -> AssertSqlSafe<Cow<'static, str>> {
    // Every Query's text is either a literal or assembled from literals; see
    // `Query::assembled`.
    AssertSqlSafe(sql)
}

/// Whether a statement writes (an `INSERT … RETURNING` run with a fetch
/// waits for its turn at the [`WriteGate`] as `execute` does).
fn writes(sql: &str) -> bool {
    let head = sql.trim_start().get(..6).unwrap_or("");
    ["INSERT", "UPDATE", "DELETE"]
        .iter()
        .any(|w| head.eq_ignore_ascii_case(w))
}

/// Runs queries: implemented by [`Db`] (autocommit on the pool) and [`Tx`].
pub trait Exec: Send {
    fn backend(&self) -> Backend;
    fn fetch_all<T: Row>(
        &mut self,
        q: Query,
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send;
    fn fetch_optional<T: Row>(
        &mut self,
        q: Query,
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send;
    fn execute(&mut self, q: Query) -> impl Future<Output = Result<u64, StoreError>> + Send;

    fn fetch_one<T: Row>(
        &mut self,
        q: Query,
    ) -> impl Future<Output = Result<T, StoreError>> + Send {
        async move { self.fetch_optional(q).await?.ok_or(StoreError::NotFound) }
    }
}

/// How to reach the executor inside a [`Db`] (a pool reference) or a [`Tx`]
/// (the transaction's connection).
macro_rules! executor {
    (pool, $c:ident) => {
        &*$c
    };
    (tx, $c:ident) => {
        &mut **$c
    };
}

/// A write on the SQLite pool waits for its turn ([`WriteGate`]); one in a
/// transaction already has it.
macro_rules! write_turn {
    (pool, $g:ident) => {
        Some($g.pass().await?)
    };
    (tx, $g:ident) => {{
        let _ = &$g;
        None::<tokio::sync::OwnedMutexGuard<()>>
    }};
}

macro_rules! exec_impl {
    ($kind:ident) => {
        fn fetch_all<T: Row>(
            &mut self,
            q: Query,
        ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send {
            async move {
                Ok(match self {
                    Self::Sqlite(c, g) => {
                        let _turn = if writes(&q.sql) {
                            write_turn!($kind, g)
                        } else {
                            None
                        };
                        bind_all!(sqlx::query_as::<Sqlite, T>(sql_of(q.sql)), q.args)
                            .fetch_all(executor!($kind, c))
                            .await?
                    }
                    Self::Postgres(c) => {
                        bind_all!(sqlx::query_as::<Postgres, T>(sql_of(q.sql)), q.args)
                            .fetch_all(executor!($kind, c))
                            .await?
                    }
                })
            }
        }

        fn fetch_optional<T: Row>(
            &mut self,
            q: Query,
        ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send {
            async move {
                Ok(match self {
                    Self::Sqlite(c, g) => {
                        let _turn = if writes(&q.sql) {
                            write_turn!($kind, g)
                        } else {
                            None
                        };
                        bind_all!(sqlx::query_as::<Sqlite, T>(sql_of(q.sql)), q.args)
                            .fetch_optional(executor!($kind, c))
                            .await?
                    }
                    Self::Postgres(c) => {
                        bind_all!(sqlx::query_as::<Postgres, T>(sql_of(q.sql)), q.args)
                            .fetch_optional(executor!($kind, c))
                            .await?
                    }
                })
            }
        }

        fn execute(&mut self, q: Query) -> impl Future<Output = Result<u64, StoreError>> + Send {
            async move {
                Ok(match self {
                    Self::Sqlite(c, g) => {
                        let _turn = write_turn!($kind, g);
                        bind_all!(sqlx::query::<Sqlite>(sql_of(q.sql)), q.args)
                            .execute(executor!($kind, c))
                            .await?
                            .rows_affected()
                    }
                    Self::Postgres(c) => bind_all!(sqlx::query::<Postgres>(sql_of(q.sql)), q.args)
                        .execute(executor!($kind, c))
                        .await?
                        .rows_affected(),
                })
            }
        }
    };
}

impl Exec for Db {
    fn backend(&self) -> Backend {
        Db::backend(self)
    }
    exec_impl!(pool);
}

impl Exec for Tx {
    fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(..) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
    exec_impl!(tx);
}

/// Runs a script of several statements (migrations, restores).
pub(crate) async fn execute_script(tx: &mut Tx, sql: String) -> Result<(), StoreError> {
    match tx {
        Tx::Sqlite(t, _) => {
            sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut **t).await?;
        }
        Tx::Postgres(t) => {
            sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut **t).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::writes;

    #[test]
    fn writes_are_told_from_reads_by_their_first_word() {
        for sql in [
            "INSERT INTO t VALUES (1) RETURNING id",
            "  update t SET a = 1",
            "\n DELETE FROM t RETURNING id",
        ] {
            assert!(writes(sql), "{sql}");
        }
        for sql in [
            "SELECT 1",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "",
            "UPD",
        ] {
            assert!(!writes(sql), "{sql}");
        }
    }
}
