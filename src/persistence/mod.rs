//! Storage on SQLite (the embedded default) or PostgreSQL, chosen by the database URL. The
//! only module that knows diesel. Repository functions take a [`Conn`] so that the service
//! decides what one transaction holds.

pub mod clients;
pub mod documents;
mod group_commit;
pub mod messages;
mod payment_batch;
mod payment_statement;
pub mod payments;
pub mod psp;
pub mod resource_cache;
pub mod resources;
mod schema;
mod worker_postgres;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::Arc;
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The PostgreSQL advisory lock that serializes migrations ("payments" in ASCII).
const MIGRATION_LOCK: i64 = 0x7061_796d_656e_7473;
/// How long a request waits for a pooled connection before it is answered with 503.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// How long a health check waits for a connection.
const PING_WAIT: Duration = Duration::from_secs(1);
/// How long SQLite waits for a lock held by another process before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;
/// The page cache of each SQLite connection, in KiB. SQLite's default (2 MiB) times the pool
/// would be most of the memory budget; the operating system caches the file anyway.
const SQLITE_CACHE_KIB: u32 = 512;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    /// `postgres://` and `postgresql://` URLs select PostgreSQL; anything else is a SQLite path
    /// (an optional `sqlite://` prefix is dropped).
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("DATABASE_URL must not be empty".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Self::Sqlite(path.to_owned()));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!(
                "the database URL scheme '{scheme}' is not supported: give a SQLite file path (optionally sqlite://...) or a postgres:// URL"
            ));
        }
        Ok(Self::Sqlite(url.to_owned()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("cannot run the database migrations: {0}")]
    Migrate(String),
}

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;
type PgPool = Pool<ConnectionManager<PgConnection>>;

/// Pools of connections to one database, and how long a query may run.
#[derive(Clone)]
pub struct Database {
    pools: Pools,
    query_timeout: Duration,
    resource_cache: Arc<resource_cache::ResourceCache>,
}

/// SQLite has a single writer, so writes go through one connection, in groups that share a
/// commit (see [`group_commit`]); readers have a pool of their own. On PostgreSQL, payment
/// changes that arrive together are written in batches (see [`payment_batch`]).
#[derive(Clone)]
enum Pools {
    Sqlite {
        readers: SqlitePool,
        writer: Arc<group_commit::GroupCommit>,
    },
    Postgres {
        pool: PgPool,
        payment_batches: Arc<payment_batch::PaymentBatches>,
        worker: Option<Arc<worker_postgres::WorkerPostgres>>,
    },
}

/// The default time a query of the list endpoint may run before it is cancelled.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    /// When the SQLite query running on this thread must stop (see `query_deadline_ok`).
    static QUERY_DEADLINE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// Runs `query` with a deadline; returns its result and whether the deadline passed. On
/// SQLite, whose queries cannot be cancelled from outside, the generated SQL calls
/// `query_deadline_ok()`, which turns false at the deadline so the scan finishes at once.
pub(crate) fn with_deadline<T>(timeout: Duration, query: impl FnOnce() -> T) -> (T, bool) {
    let deadline = std::time::Instant::now() + timeout;
    QUERY_DEADLINE.with(|cell| cell.set(Some(deadline)));
    let result = query();
    QUERY_DEADLINE.with(|cell| cell.set(None));
    (result, std::time::Instant::now() >= deadline)
}

fn query_deadline_ok() -> bool {
    QUERY_DEADLINE.with(|cell| cell.get().is_none_or(|deadline| std::time::Instant::now() < deadline))
}

/// A connection inside a unit of work.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Runs the same diesel code on whichever backend the connection belongs to.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::persistence::Conn::Sqlite(inner) => {
                let $c: &mut diesel::SqliteConnection = inner;
                $body
            }
            $crate::persistence::Conn::Postgres(inner) => {
                let $c: &mut diesel::PgConnection = inner;
                $body
            }
        }
    };
}
pub(crate) use on_backend;

#[derive(Debug)]
struct SqliteSetup;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged write
        // survive a power loss. Each write of a group runs in a savepoint, whose journal is kept
        // in memory (temp_store) rather than in a temporary file: +25% creates. The WAL is
        // checkpointed every 10,000 pages (40 MB) rather than 1,000, so that a page written by
        // many commits is copied back once: +6% creates.
        conn.batch_execute(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; PRAGMA cache_size = -{SQLITE_CACHE_KIB}; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000;"
        ))
        .map_err(diesel::r2d2::Error::QueryError)?;
        conn.register_noarg_sql_function::<diesel::sql_types::Bool, bool, _>(
            "query_deadline_ok",
            false,
            query_deadline_ok,
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl Database {
    /// Opens the pool and brings the schema up to date.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Self, StartupError> {
        let connect = |e: diesel::r2d2::PoolError| StartupError::Connect(e.to_string());
        // One direct attempt first: a database that cannot be reached is reported at once, not
        // after the pool has retried (and logged each retry) for POOL_WAIT.
        let unreachable = |e: diesel::ConnectionError| StartupError::Connect(e.to_string());
        match url {
            DatabaseUrl::Sqlite(path) => drop(SqliteConnection::establish(path).map_err(unreachable)?),
            DatabaseUrl::Postgres(url) => drop(PgConnection::establish(url).map_err(unreachable)?),
        }
        let database = match url {
            DatabaseUrl::Sqlite(path) => {
                let manager = || ConnectionManager::<SqliteConnection>::new(path);
                let writer = Pool::builder()
                    .max_size(1)
                    .test_on_check_out(false)
                    .connection_timeout(POOL_WAIT)
                    .connection_customizer(Box::new(SqliteSetup))
                    .build(manager())
                    .map_err(connect)?;
                let mut writer = writer.get().map_err(connect)?;
                // Processes starting together on a new file take turns: the write lock is
                // taken before the applied migrations are read.
                let migrated = writer.immediate_transaction(|c| {
                    Ok::<_, diesel::result::Error>(run_migrations(c, SQLITE_MIGRATIONS))
                });
                migrated.map_err(|e| StartupError::Migrate(e.to_string()))??;
                let writer = Arc::new(group_commit::GroupCommit::new(writer));
                let readers = Pool::builder()
                    .max_size(pool_size)
                    .test_on_check_out(false)
                    .connection_timeout(POOL_WAIT)
                    .connection_customizer(Box::new(SqliteSetup))
                    .build(manager())
                    .map_err(connect)?;
                Pools::Sqlite { readers, writer }
            }
            DatabaseUrl::Postgres(url) => {
                // A broken connection fails its query and is replaced; testing every checkout
                // would cost a round trip per request.
                let pool = Pool::builder()
                    .max_size(pool_size)
                    .test_on_check_out(false)
                    .connection_timeout(POOL_WAIT)
                    .build(ConnectionManager::<PgConnection>::new(url))
                    .map_err(connect)?;
                let mut conn = pool.get().map_err(connect)?;
                // Processes starting together on a new database take turns (a session lock,
                // held while the applied migrations are read and the rest applied).
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                    .map_err(|e| StartupError::Migrate(e.to_string()))?;
                let migrated = run_migrations(&mut *conn, POSTGRES_MIGRATIONS);
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .map_err(|e| StartupError::Migrate(e.to_string()))?;
                migrated?;
                Pools::Postgres {
                    pool,
                    payment_batches: Arc::new(payment_batch::PaymentBatches::new()),
                    worker: worker_postgres::WorkerPostgres::new(url).map(Arc::new),
                }
            }
        };
        Ok(Self {
            pools: database,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
            resource_cache: Arc::new(resource_cache::ResourceCache::new(resource_cache::DEFAULT_TTL)),
        })
    }

    /// Sets how long a query of the list endpoint may run before it is cancelled.
    pub fn with_query_timeout(self, query_timeout: Duration) -> Self {
        Self { query_timeout, ..self }
    }

    pub fn query_timeout(&self) -> Duration {
        self.query_timeout
    }

    /// Sets how long a Type or State read is trusted without reading it again (zero: always
    /// read), see [`resource_cache`].
    pub fn with_resource_cache(self, ttl: Duration) -> Self {
        Self { resource_cache: Arc::new(resource_cache::ResourceCache::new(ttl)), ..self }
    }

    pub fn resource_cache(&self) -> &resource_cache::ResourceCache {
        &self.resource_cache
    }

    /// PostgreSQL on the async worker's own connections, where it can be used.
    fn on_worker(&self) -> Option<&worker_postgres::WorkerPostgres> {
        match &self.pools {
            Pools::Postgres { worker, .. } => worker.as_deref(),
            Pools::Sqlite { .. } => None,
        }
    }

    /// Runs `work` in one write transaction: committed if it returns Ok, rolled back otherwise.
    /// On SQLite the work runs in a savepoint of a group transaction that holds the write lock
    /// from its start (BEGIN IMMEDIATE), so a read-then-write never fails halfway on a lock.
    pub fn write<T, E>(&self, work: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error> + From<diesel::r2d2::PoolError>,
    {
        match &self.pools {
            Pools::Sqlite { writer, .. } => writer.write(|c| work(&mut Conn::Sqlite(c))),
            Pools::Postgres { pool, .. } => {
                let mut conn = pool.get()?;
                conn.transaction(|c| work(&mut Conn::Postgres(c)))
            }
        }
    }

    /// Writes a payment change; whether it was written (false: the payment is no longer at the
    /// version the change replaces). On SQLite `sqlite` runs like [`Database::write`]; on
    /// PostgreSQL the change is written in a batch by one statement, without an explicit
    /// transaction (one statement is atomic, and BEGIN and COMMIT would cost two round trips).
    fn write_payment(
        &self,
        sqlite: impl FnOnce(&mut SqliteConnection) -> Result<bool, payments::WriteError>,
        postgres: impl FnOnce() -> payment_statement::PaymentWrite,
    ) -> Result<bool, payments::WriteError> {
        match &self.pools {
            Pools::Sqlite { writer, .. } => writer.write(sqlite),
            Pools::Postgres { pool, payment_batches, .. } => payment_batches.write(pool, postgres()),
        }
    }

    /// Runs `work` on a connection for reading; each statement sees committed data.
    pub fn read<T, E>(&self, work: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::r2d2::PoolError>,
    {
        self.read_waiting(POOL_WAIT, work)
    }

    /// [`Database::read`], waiting at most `wait` for a connection.
    fn read_waiting<T, E>(&self, wait: Duration, work: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::r2d2::PoolError>,
    {
        match &self.pools {
            Pools::Sqlite { readers, .. } => work(&mut Conn::Sqlite(&mut *readers.get_timeout(wait)?)),
            Pools::Postgres { pool, .. } => work(&mut Conn::Postgres(&mut *pool.get_timeout(wait)?)),
        }
    }

    /// Whether the database answers a trivial query within a second: a health check must
    /// answer before its prober gives up, also while no connection can be made.
    pub fn ping(&self) -> bool {
        #[derive(Debug, thiserror::Error)]
        enum PingError {
            #[error(transparent)]
            Pool(#[from] diesel::r2d2::PoolError),
            #[error(transparent)]
            Query(#[from] diesel::result::Error),
        }
        let result: Result<(), PingError> = self.read_waiting(PING_WAIT, |conn| {
            on_backend!(conn, |c| c.batch_execute("SELECT 1"))?;
            Ok(())
        });
        result.is_ok()
    }
}

fn run_migrations<C>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<(), StartupError>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    conn.run_pending_migrations(migrations).map(|_| ()).map_err(|e| StartupError::Migrate(e.to_string()))
}

/// The unique constraints a write can break, for the service to report as DuplicateField.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Key,
    InterfaceId,
    /// The resources table's other unique column (a customer's email).
    UniqueValue,
    CustomerNumber,
}

/// Whether the error is a broken foreign key: a write referenced a resource that a concurrent
/// deletion removed, or a deletion removed a resource still referenced.
pub fn foreign_key_violation(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(error, Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _))
}

/// Which unique constraint an error broke, if it is a unique violation on a known constraint.
pub fn unique_violation(error: &diesel::result::Error) -> Option<UniqueField> {
    use diesel::result::{DatabaseErrorKind, Error};
    let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = error else {
        return None;
    };
    // PostgreSQL names the index; SQLite names the columns ("payments.project_key, payments.key").
    let described = format!("{} {}", info.constraint_name().unwrap_or_default(), info.message());
    if described.contains("customer_number") {
        Some(UniqueField::CustomerNumber)
    } else if described.contains("interface_id") {
        Some(UniqueField::InterfaceId)
    } else if described.contains("unique_value") {
        Some(UniqueField::UniqueValue)
    } else if described.contains("unique_key")
        || described.contains("payments.key")
        || described.contains("resources.key")
    {
        Some(UniqueField::Key)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn database_urls_select_the_backend() {
        assert_eq!(DatabaseUrl::parse("payments.db").unwrap(), DatabaseUrl::Sqlite("payments.db".into()));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u@localhost/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u@localhost/db".into())
        );
        assert!(DatabaseUrl::parse(" ").is_err());
        assert!(DatabaseUrl::parse("mysql://u@localhost/db")
            .unwrap_err()
            .contains("'mysql' is not supported"));
    }
}
