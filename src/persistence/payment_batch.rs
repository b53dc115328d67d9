//! Group writes for PostgreSQL. Payment changes that arrive together are written by one
//! statement (see [`super::payment_statement`]): a create costs PostgreSQL a statement's fixed
//! work (parsing the parameters, starting six sub-statements, a commit) once per batch rather
//! than once per payment. Each waiting writer either takes the next batch or waits for the
//! outcome of its change; a writer returns only once the statement holding its change is
//! committed.

use super::payment_statement::{Insert, PaymentStatement, PaymentWrite, Replace};
use super::payments::WriteError;
use super::PgPool;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::PgConnection;
use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

/// The most changes one statement writes, so that a statement stays short under steady load.
const MAX_BATCH: usize = 64;
/// Batches in flight at once: one fills while another is written.
const MAX_WRITERS: usize = 1;

type Outcome = Result<bool, WriteError>;

pub(super) struct PaymentBatches {
    queue: Mutex<Queue>,
    finished: Condvar,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<(u64, PaymentWrite)>,
    /// Batches being written.
    writers: usize,
    outcomes: HashMap<u64, Outcome>,
    next_ticket: u64,
}

impl PaymentBatches {
    pub(super) fn new() -> Self {
        Self { queue: Mutex::new(Queue::default()), finished: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while the lock is held; should it, the queue is still consistent.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes the change in a batch; whether the payment was written (false: a replacement
    /// found the payment no longer at the version it replaces).
    pub(super) fn write(&self, pool: &PgPool, write: PaymentWrite) -> Outcome {
        let mut queue = self.lock();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push_back((ticket, write));
        loop {
            if let Some(outcome) = queue.outcomes.remove(&ticket) {
                return outcome;
            }
            if queue.writers < MAX_WRITERS && !queue.waiting.is_empty() {
                let batch = queue.take_batch();
                queue.writers += 1;
                drop(queue);
                // Should the write panic, its writers get an error and the queue goes on.
                let outcomes =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write_batch(pool, &batch)))
                        .unwrap_or_else(|_| {
                            let failed =
                                || Err(WriteError::Unavailable("the write of a batch failed".into()));
                            batch.iter().map(|_| failed()).collect()
                        });
                queue = self.lock();
                queue.writers -= 1;
                queue.outcomes.extend(batch.into_iter().map(|(ticket, _)| ticket).zip(outcomes));
                self.finished.notify_all();
                continue;
            }
            queue = self.finished.wait(queue).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

impl Queue {
    /// The oldest waiting changes of the first one's mode (insert or replace), with no payment
    /// twice; the rest wait for the next batch, in order.
    fn take_batch(&mut self) -> Vec<(u64, PaymentWrite)> {
        let inserts = self.waiting.front().is_some_and(|(_, write)| write.replaces.is_none());
        let mut batch: Vec<(u64, PaymentWrite)> = Vec::new();
        let mut rest = VecDeque::new();
        for (ticket, write) in self.waiting.drain(..) {
            let fits = batch.len() < MAX_BATCH
                && write.replaces.is_none() == inserts
                && !batch.iter().any(|(_, taken)| taken.id == write.id);
            if fits {
                batch.push((ticket, write));
            } else {
                rest.push_back((ticket, write));
            }
        }
        self.waiting = rest;
        batch
    }
}

/// Writes the batch with one statement. A broken constraint (a duplicate key, a reference a
/// concurrent deletion removed) rolls the whole statement back, so each change is then written
/// alone to find the one it belongs to; so is a statement PostgreSQL aborted for a deadlock
/// with another process's batch (rows are locked in the order of the plan).
fn write_batch(pool: &PgPool, batch: &[(u64, PaymentWrite)]) -> Vec<Outcome> {
    let writes: Vec<&PaymentWrite> = batch.iter().map(|(_, write)| write).collect();
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(error) => {
            return writes.iter().map(|_| Err(WriteError::Unavailable(error.to_string()))).collect()
        }
    };
    match run(&mut conn, &writes) {
        Ok(written) => writes.iter().map(|write| Ok(written.contains(&write.id))).collect(),
        Err(error) if writes.len() > 1 && wrote_nothing(&error) => {
            writes.iter().map(|write| Ok(!run(&mut conn, &[*write])?.is_empty())).collect()
        }
        Err(error) if writes.len() == 1 => vec![Err(WriteError::Query(error))],
        Err(error) => writes.iter().map(|_| Err(WriteError::Query(copy_of(&error)))).collect(),
    }
}

fn run(conn: &mut PgConnection, writes: &[&PaymentWrite]) -> Result<Vec<String>, Error> {
    match writes.first().map(|write| write.replaces.is_none()) {
        Some(true) => PaymentStatement::<Insert>::new(writes).run(conn),
        Some(false) => PaymentStatement::<Replace>::new(writes).run(conn),
        None => Ok(Vec::new()),
    }
}

/// Errors after which the statement certainly wrote nothing and a change alone may succeed.
fn wrote_nothing(error: &Error) -> bool {
    match error {
        Error::DatabaseError(kind, info) => {
            matches!(
                kind,
                DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ForeignKeyViolation
                    | DatabaseErrorKind::CheckViolation
                    | DatabaseErrorKind::NotNullViolation
                    | DatabaseErrorKind::SerializationFailure
            ) || info.message().contains("deadlock detected")
        }
        _ => false,
    }
}

/// The error again, for each writer of the batch (diesel's errors cannot be cloned): the kind
/// decides the answer (a closed connection is a 503), the message is logged.
fn copy_of(error: &Error) -> Error {
    let kind = match error {
        Error::DatabaseError(kind, _) => *kind,
        _ => DatabaseErrorKind::Unknown,
    };
    Error::DatabaseError(kind, Box::new(error.to_string()))
}
