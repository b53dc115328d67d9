//! Group commit for SQLite's single writer. Writers take turns on one connection; each runs in
//! a savepoint of a transaction that stays open while more writers are queued, and the last
//! writer of a group commits for all of them: one fsync for the group instead of one each.
//! A writer returns only once the group holding its work is committed.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::Connection as _;
use diesel::SqliteConnection;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// A group is committed once it holds this many writes, even if more are queued, so that the
/// latency of a write stays bounded under steady load.
const MAX_GROUP: usize = 64;

type Connection = PooledConnection<ConnectionManager<SqliteConnection>>;

pub struct GroupCommit {
    writer: Mutex<Writer>,
    committed: Condvar,
    /// Writers waiting for their turn on the connection.
    queued: AtomicUsize,
}

struct Writer {
    conn: Connection,
    /// The group whose transaction is open, and how many writes it holds.
    open: Option<(u64, usize)>,
    next_group: u64,
    /// Every group up to this one is finished (committed or failed).
    finished_up_to: u64,
    failed: HashSet<u64>,
}

fn database_error(message: String) -> diesel::result::Error {
    diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::Unknown, Box::new(message))
}

impl GroupCommit {
    pub fn new(conn: Connection) -> Self {
        Self {
            writer: Mutex::new(Writer {
                conn,
                open: None,
                next_group: 1,
                finished_up_to: 0,
                failed: HashSet::new(),
            }),
            committed: Condvar::new(),
            queued: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Writer> {
        // Writes do not panic (the crate denies unwrap, expect and indexing); should one, the
        // next writer carries on with the connection and its open group.
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` as part of a group; returns after the group is committed.
    pub fn write<T, E>(&self, work: impl FnOnce(&mut SqliteConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut writer = self.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let group = match writer.open {
            Some((group, _)) => group,
            None => {
                AnsiTransactionManager::begin_transaction_sql(&mut *writer.conn, "BEGIN IMMEDIATE")?;
                let group = writer.next_group;
                writer.next_group += 1;
                writer.open = Some((group, 0));
                group
            }
        };
        // A nested transaction is a savepoint: a failed write is undone alone.
        let result = writer.conn.transaction(|conn| work(conn));
        let size = writer.open.map_or(0, |(_, size)| size) + 1;
        writer.open = Some((group, size));
        if self.queued.load(Ordering::SeqCst) == 0 || size >= MAX_GROUP {
            let committed = AnsiTransactionManager::commit_transaction(&mut *writer.conn);
            if committed.is_err() {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *writer.conn);
                writer.failed.insert(group);
            }
            writer.open = None;
            writer.finished_up_to = group;
            self.committed.notify_all();
            drop(writer);
            return match committed {
                Ok(()) => result,
                Err(error) => result.and(Err(E::from(error))),
            };
        }
        // A failed write left nothing to commit.
        let value = result?;
        // Another queued writer commits the group; wait until it has.
        while writer.finished_up_to < group {
            writer = self.committed.wait(writer).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        if writer.failed.remove(&group) {
            return Err(E::from(database_error("the commit of a group of writes failed".into())));
        }
        if writer.failed.len() > 1_000 {
            writer.failed.clear();
        }
        Ok(value)
    }
}
