//! PostgreSQL driven by the async worker's own event loop, for the two hot requests: a read of
//! one payment by id or key, and a create. Through the diesel pool each request is handed to a
//! blocking thread and back, two thread switches that cost the server more than PostgreSQL's
//! own work does (server CPU per GET 132–153 µs through the pool against 53–78 µs here, in
//! alternating runs). Each worker thread keeps a connection for reads, on which they are
//! pipelined, and one for creates, which it writes in batches as [`super::payment_batch`]
//! does: the creates that arrive while a batch is written go in the next.
//!
//! This is a faster path beside the pool, never a second source of truth. Whatever it cannot do
//! as libpq would (verify-full, PGSSLMODE, a password from PGPASSWORD or ~/.pgpass that the
//! server then asks for), a connection it cannot make, and a statement PostgreSQL refuses (a
//! duplicate key, a Type deleted meanwhile) send the request down the pool's path, which answers
//! as it always did. Only a connection lost while a create was in flight is answered 503 here:
//! the create may have been committed, and writing it again could store it twice.

use super::payment_statement::{Insert, PaymentStatement, PaymentWrite};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_postgres::{Client, Statement};

/// How long a worker waits for a connection before it uses the pool instead.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the pool serves alone after a connection could not be made.
const RETRY_AFTER_MS: i64 = 10_000;
/// The most creates one statement writes (as [`super::payment_batch`]).
const MAX_BATCH: usize = 64;

const BY_ID: &str = "SELECT document FROM payments WHERE project_key = $1 AND id = $2";
const BY_KEY: &str = "SELECT document FROM payments WHERE project_key = $1 AND key = $2";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's connections, by [`WorkerPostgres`] (a process may open several databases).
    static SESSIONS: RefCell<HashMap<u64, Sessions>> = RefCell::new(HashMap::new());
}

#[derive(Default)]
struct Sessions {
    reader: Option<Rc<Reader>>,
    writer: Option<Rc<Writer>>,
    /// Whether a request of this thread is making the reader's or the writer's connection;
    /// the others use the pool meanwhile rather than each making one.
    reader_connecting: bool,
    writer_connecting: bool,
}

struct Reader {
    client: Client,
    by_id: Statement,
    by_key: Statement,
}

struct Writer {
    client: Client,
    insert: Statement,
    waiting: RefCell<VecDeque<(PaymentWrite, oneshot::Sender<Inserted>)>>,
    /// Whether a task is writing batches (it writes until nothing waits).
    writing: Cell<bool>,
}

/// What a read answered.
pub enum Read {
    Found(Option<String>),
    /// The read must go through the pool.
    UsePool,
}

/// What became of a create.
#[derive(Clone)]
pub enum Inserted {
    Committed,
    /// Nothing was written: the create must go through the pool.
    UsePool,
    /// The connection was lost with the create in flight: it may or may not be committed.
    Lost(String),
}

pub struct WorkerPostgres {
    id: u64,
    config: tokio_postgres::Config,
    tls: postgres_native_tls::MakeTlsConnector,
    /// Set for good when the server refuses this client (credentials, a database that does not
    /// exist, an option): the pool is then used for everything.
    refused: AtomicBool,
    /// After a failed attempt, no connection is tried before this (milliseconds since the
    /// epoch): the pool serves meanwhile, and a database that is away is not asked again by
    /// every request.
    retry_at: AtomicI64,
}

impl WorkerPostgres {
    /// None when the URL is one this client cannot follow as libpq would. libpq's `prefer` and
    /// `require` encrypt without checking the certificate, and so does this client; the modes
    /// that check it are libpq's alone.
    pub fn new(url: &str) -> Option<Self> {
        let mut config: tokio_postgres::Config = match url.parse() {
            Ok(config) => config,
            Err(error) => {
                log::info!("reads and creates go through the connection pool: {error}");
                return None;
            }
        };
        if let Some(setting) = libpq_setting_outside_the_url() {
            log::info!("reads and creates go through the connection pool ({setting} is libpq's alone)");
            return None;
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("payments-api");
        }
        let connector = native_tls::TlsConnector::builder()
            .danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true)
            .build()
            .ok()?;
        Some(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            config,
            tls: postgres_native_tls::MakeTlsConnector::new(connector),
            refused: AtomicBool::new(false),
            retry_at: AtomicI64::new(0),
        })
    }

    /// The payment's document, or [`Read::UsePool`].
    pub async fn payment_document(&self, project_key: &str, by_key: bool, value: &str) -> Read {
        let Some(reader) = self.reader().await else {
            return Read::UsePool;
        };
        let statement = if by_key { &reader.by_key } else { &reader.by_id };
        let row = match reader.client.query_opt(statement, &[&project_key, &value]).await {
            Ok(row) => row,
            Err(error) => {
                // A broken connection is replaced on the next read; this one uses the pool.
                log::warn!("a read on the worker's connection failed: {error}");
                self.forget(|sessions| sessions.reader.take_if(|r| Rc::ptr_eq(r, &reader)));
                return Read::UsePool;
            }
        };
        match row.map(|row| row.try_get::<_, String>(0)).transpose() {
            Ok(document) => Read::Found(document),
            Err(_) => Read::UsePool,
        }
    }

    /// Writes a new payment in this worker's next batch.
    pub async fn insert_payment(&self, write: PaymentWrite) -> Inserted {
        let Some(writer) = self.writer().await else {
            return Inserted::UsePool;
        };
        let (sender, outcome) = oneshot::channel();
        writer.waiting.borrow_mut().push_back((write, sender));
        if !writer.writing.replace(true) {
            // A task of its own, so that a request given up by its client stops no batch.
            tokio::task::spawn_local(write_batches(writer));
        }
        outcome.await.unwrap_or(Inserted::Lost("the batch was not written".into()))
    }

    async fn reader(&self) -> Option<Rc<Reader>> {
        if let Some(reader) = self.current(|sessions| sessions.reader.clone()) {
            return Some(reader);
        }
        let _connecting = Connecting::begin(self, |sessions| &mut sessions.reader_connecting)?;
        let client = self.connect().await?;
        let prepared = (client.prepare(BY_ID).await, client.prepare(BY_KEY).await);
        let (Ok(by_id), Ok(by_key)) = prepared else {
            self.failed(prepared.0.err().or(prepared.1.err()));
            return None;
        };
        let reader = Rc::new(Reader { client, by_id, by_key });
        self.keep(|sessions| sessions.reader = Some(reader.clone()));
        Some(reader)
    }

    async fn writer(&self) -> Option<Rc<Writer>> {
        if let Some(writer) = self.current(|sessions| sessions.writer.clone()) {
            return Some(writer);
        }
        let _connecting = Connecting::begin(self, |sessions| &mut sessions.writer_connecting)?;
        let client = self.connect().await?;
        let insert = match client.prepare(&PaymentStatement::<Insert>::sql()).await {
            Ok(insert) => insert,
            Err(error) => {
                self.failed(Some(error));
                return None;
            }
        };
        let writer =
            Rc::new(Writer { client, insert, waiting: RefCell::default(), writing: Cell::new(false) });
        self.keep(|sessions| sessions.writer = Some(writer.clone()));
        Some(writer)
    }

    /// This thread's open session of the kind `pick` takes, if it is still connected.
    fn current<S: Session>(&self, pick: impl FnOnce(&Sessions) -> Option<Rc<S>>) -> Option<Rc<S>> {
        if self.refused.load(Ordering::Relaxed) {
            // Nothing of this client is used again: its connections are closed.
            SESSIONS.with(|all| all.borrow_mut().remove(&self.id));
            return None;
        }
        let session = SESSIONS.with(|all| all.borrow().get(&self.id).and_then(pick))?;
        (!session.client().is_closed()).then_some(session)
    }

    fn keep(&self, put: impl FnOnce(&mut Sessions)) {
        SESSIONS.with(|all| put(all.borrow_mut().entry(self.id).or_default()));
    }

    fn forget<T>(&self, take: impl FnOnce(&mut Sessions) -> T) {
        SESSIONS.with(|all| all.borrow_mut().get_mut(&self.id).map(take));
    }

    async fn connect(&self) -> Option<Client> {
        if self.refused.load(Ordering::Relaxed) || now_millis() < self.retry_at.load(Ordering::Relaxed) {
            return None;
        }
        match self.config.connect(self.tls.clone()).await {
            Ok((client, connection)) => {
                // Driven by this worker's event loop until its client is dropped.
                tokio::task::spawn_local(async move {
                    if let Err(error) = connection.await {
                        log::debug!("a worker's connection ended: {error}");
                    }
                });
                Some(client)
            }
            Err(error) => {
                self.failed(Some(error));
                None
            }
        }
    }

    /// After a connection or its statements failed: the pool serves alone for a while, or for
    /// good if the server refused this client itself.
    fn failed(&self, error: Option<tokio_postgres::Error>) {
        let code = error.as_ref().and_then(|error| error.code()).map(|code| code.code());
        // Credentials (class 28), a database that does not exist, a bad option.
        if code.is_some_and(|code| code.starts_with("28") || code == "3D000" || code == "22023") {
            self.refused.store(true, Ordering::Relaxed);
        }
        self.retry_at.store(now_millis() + RETRY_AFTER_MS, Ordering::Relaxed);
        if let Some(error) = error {
            log::warn!("the worker's own database connection failed, the pool serves meanwhile: {error}");
        }
    }
}

/// A session being connected on this thread, marked until this is dropped (also when the
/// request that makes it is given up).
struct Connecting<'a> {
    owner: &'a WorkerPostgres,
    flag: fn(&mut Sessions) -> &mut bool,
}

impl<'a> Connecting<'a> {
    /// None when this thread is already making such a session.
    fn begin(owner: &'a WorkerPostgres, flag: fn(&mut Sessions) -> &mut bool) -> Option<Self> {
        let mut taken = false;
        owner.keep(|sessions| taken = std::mem::replace(flag(sessions), true));
        (!taken).then_some(Self { owner, flag })
    }
}

impl Drop for Connecting<'_> {
    fn drop(&mut self) {
        let flag = self.flag;
        self.owner.forget(|sessions| *flag(sessions) = false);
    }
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// An environment setting through which libpq would connect otherwise than this client:
/// another host, database, schema or password, or a stricter check of the server.
fn libpq_setting_outside_the_url() -> Option<String> {
    if let Some(name) =
        std::env::vars_os().map(|(name, _)| name).find(|name| name.to_string_lossy().starts_with("PG"))
    {
        return Some(name.to_string_lossy().into_owned());
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from)?;
    [".pgpass", ".pg_service.conf", ".postgresql/root.crt"]
        .into_iter()
        .find(|file| home.join(file).exists())
        .map(|file| format!("~/{file}"))
}

trait Session {
    fn client(&self) -> &Client;
}

impl Session for Reader {
    fn client(&self) -> &Client {
        &self.client
    }
}

impl Session for Writer {
    fn client(&self) -> &Client {
        &self.client
    }
}

/// Writes the waiting creates, a batch per statement, until none is left.
async fn write_batches(writer: Rc<Writer>) {
    let _writing = Writing(writer.clone());
    loop {
        let batch: Vec<_> = {
            let mut waiting = writer.waiting.borrow_mut();
            let size = waiting.len().min(MAX_BATCH);
            waiting.drain(..size).collect()
        };
        if batch.is_empty() {
            return;
        }
        if writer.client.is_closed() {
            // Nothing of this batch was sent: the pool writes it.
            for (_, sender) in batch {
                let _ = sender.send(Inserted::UsePool);
            }
            continue;
        }
        let writes: Vec<&PaymentWrite> = batch.iter().map(|(write, _)| write).collect();
        let statement = PaymentStatement::<Insert>::new(&writes);
        let result = writer.client.query(&writer.insert, &statement.parameters()).await;
        drop(statement);
        let outcome = match result {
            Ok(_) => Inserted::Committed,
            // PostgreSQL refused the statement, which wrote nothing: the pool's path writes each
            // create alone and reports its own error.
            Err(error) if error.as_db_error().is_some() => Inserted::UsePool,
            Err(error) => Inserted::Lost(error.to_string()),
        };
        for (_, sender) in batch {
            let _ = sender.send(outcome.clone());
        }
    }
}

/// Ends the writing of batches: should it stop early (its thread shutting down), the creates
/// still waiting, of which nothing was sent, go through the pool.
struct Writing(Rc<Writer>);

impl Drop for Writing {
    fn drop(&mut self) {
        self.0.writing.set(false);
        for (_, sender) in self.0.waiting.borrow_mut().drain(..) {
            let _ = sender.send(Inserted::UsePool);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_that_libpq_alone_follows_are_left_to_the_pool() {
        if libpq_setting_outside_the_url().is_none() {
            assert!(
                WorkerPostgres::new("postgres://payments@127.0.0.1:5432/payments?sslmode=require").is_some()
            );
            assert!(WorkerPostgres::new("postgres://payments@db/payments?host=/var/run/postgresql").is_some());
        }
        // Certificate checks, and options only libpq knows.
        assert!(WorkerPostgres::new("postgres://payments@db/payments?sslmode=verify-full").is_none());
        assert!(WorkerPostgres::new("postgres://payments@db/payments?sslrootcert=/etc/ca.pem").is_none());
        assert!(
            WorkerPostgres::new("postgres://payments@db/payments?fallback_application_name=shop").is_none()
        );
    }
}
