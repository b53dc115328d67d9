//! The payments table: one row per Payment with its JSON document, and one row per transaction
//! for lookups by interaction id.

use super::messages::NewMessage;
use super::payment_statement::PaymentWrite;
use super::psp::OperationRow;
use super::schema::{messages, payment_references, payment_transactions, payments, psp_operations};
use super::worker_postgres::{Inserted, Read};
use super::{on_backend, Conn, Database};
use crate::domain::payment::Payment;
use diesel::prelude::*;
use diesel::result::QueryResult;

/// How a request addresses one Payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    Id(String),
    Key(String),
}

/// A stored Payment: its document is exactly its JSON representation.
#[derive(Debug, Clone, Queryable)]
pub struct StoredPayment {
    pub id: String,
    pub version: i64,
    pub last_message_sequence_number: i64,
    pub document: String,
}

/// The payment's row: its document and the columns lookups, uniqueness and sorting need.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = payments, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(super) struct PaymentRow<'a> {
    pub id: &'a str,
    pub project_key: &'a str,
    pub version: i64,
    pub key: Option<&'a str>,
    pub interface_id: Option<&'a str>,
    pub payment_interface: Option<&'a str>,
    pub customer_id: Option<&'a str>,
    pub created_at: i64,
    pub last_modified_at: i64,
    pub last_message_sequence_number: i64,
    pub document: &'a str,
    pub anonymous_id: Option<&'a str>,
}

impl<'a> PaymentRow<'a> {
    fn of(change: &PaymentChange<'a>) -> Self {
        let payment = change.payment;
        Self {
            id: &payment.id,
            project_key: change.project_key,
            version: payment.version,
            key: payment.key.as_ref().map(|k| k.as_str()),
            interface_id: payment.interface_id.as_deref(),
            payment_interface: payment.payment_method_info.payment_interface.as_deref(),
            customer_id: payment.customer.as_ref().map(|c| c.id.as_str()),
            created_at: payment.created_at.millis(),
            last_modified_at: payment.last_modified_at.millis(),
            last_message_sequence_number: change.last_sequence,
            document: change.document,
            anonymous_id: payment.anonymous_id.as_deref(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = payment_transactions, treat_none_as_default_value = false)]
struct TransactionRow<'a> {
    payment_id: &'a str,
    transaction_id: &'a str,
    project_key: &'a str,
    interaction_id: Option<&'a str>,
}

pub fn find(conn: &mut Conn, project_key: &str, locator: &Locator) -> QueryResult<Option<StoredPayment>> {
    let columns =
        (payments::id, payments::version, payments::last_message_sequence_number, payments::document);
    on_backend!(conn, |c| {
        let query = payments::table.filter(payments::project_key.eq(project_key)).select(columns);
        match locator {
            Locator::Id(id) => query.filter(payments::id.eq(id)).first(c).optional(),
            Locator::Key(key) => query.filter(payments::key.eq(key)).first(c).optional(),
        }
    })
}

/// The documents of the project's payments with any of these ids (for reference expansion).
pub fn find_many(conn: &mut Conn, project_key: &str, ids: &[String]) -> QueryResult<Vec<String>> {
    on_backend!(conn, |c| {
        payments::table
            .filter(payments::project_key.eq(project_key))
            .filter(payments::id.eq_any(ids))
            .select(payments::document)
            .load(c)
    })
}

pub fn any_in_project(conn: &mut Conn, project_key: &str) -> QueryResult<bool> {
    let first: Option<String> = on_backend!(conn, |c| payments::table
        .filter(payments::project_key.eq(project_key))
        .select(payments::id)
        .first(c)
        .optional())?;
    Ok(first.is_some())
}

/// Whether a payment of the project carries this anonymousId.
pub fn any_with_anonymous_id(conn: &mut Conn, project_key: &str, anonymous_id: &str) -> QueryResult<bool> {
    let first: Option<String> = on_backend!(conn, |c| payments::table
        .filter(payments::project_key.eq(project_key))
        .filter(payments::anonymous_id.eq(anonymous_id))
        .select(payments::id)
        .first(c)
        .optional())?;
    Ok(first.is_some())
}

pub fn exists(conn: &mut Conn, project_key: &str, locator: &Locator) -> QueryResult<bool> {
    on_backend!(conn, |c| {
        let query = payments::table.filter(payments::project_key.eq(project_key)).select(payments::id);
        let found: Option<String> = match locator {
            Locator::Id(id) => query.filter(payments::id.eq(id)).first(c).optional()?,
            Locator::Key(key) => query.filter(payments::key.eq(key)).first(c).optional()?,
        };
        Ok(found.is_some())
    })
}

/// Everything one change of a Payment writes, atomically.
pub struct PaymentChange<'a> {
    pub project_key: &'a str,
    pub payment: &'a Payment,
    pub document: &'a str,
    /// The sequence number of the payment's last Message, after this change.
    pub last_sequence: i64,
    /// None stores a new payment; Some(v) replaces the payment if it is still at version v.
    pub replaces: Option<i64>,
    /// The ids of the resources the payment references.
    pub references: &'a [String],
    pub messages: &'a [NewMessage],
    /// Provider operations the change made due (kept if the transaction already has one).
    pub operations: &'a [OperationRow],
}

/// Stores the change; false when the payment is no longer at the version it replaces.
pub fn write(db: &Database, change: &PaymentChange) -> Result<bool, WriteError> {
    db.write_payment(|c| Ok(write_sqlite(c, change)?), || PaymentWrite::of(change))
}

/// [`find`]'s document, read on the calling async worker where the backend allows it (see
/// [`super::worker_postgres`]); None when it must be read through the pool.
pub async fn find_document_on_worker(
    db: &Database,
    project_key: &str,
    locator: &Locator,
) -> Option<Option<String>> {
    let (by_key, value) = match locator {
        Locator::Id(id) => (false, id),
        Locator::Key(key) => (true, key),
    };
    match db.on_worker()?.payment_document(project_key, by_key, value).await {
        Read::Found(document) => Some(document),
        Read::UsePool => None,
    }
}

/// [`write`] of a new payment from the calling async worker where the backend allows it (see
/// [`super::worker_postgres`]); None when it must go through [`write`].
pub async fn insert_on_worker(db: &Database, change: &PaymentChange<'_>) -> Option<Result<(), WriteError>> {
    match db.on_worker()?.insert_payment(PaymentWrite::of(change)).await {
        Inserted::Committed => Some(Ok(())),
        Inserted::UsePool => None,
        Inserted::Lost(cause) => Some(Err(WriteError::Unavailable(cause))),
    }
}

/// Why a change was not stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// No connection for the batch the change was in.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl PaymentWrite {
    fn of(change: &PaymentChange) -> Self {
        let row = PaymentRow::of(change);
        let owned = |value: Option<&str>| value.map(str::to_owned);
        Self {
            id: row.id.to_owned(),
            project_key: row.project_key.to_owned(),
            version: row.version,
            key: owned(row.key),
            interface_id: owned(row.interface_id),
            payment_interface: owned(row.payment_interface),
            customer_id: owned(row.customer_id),
            created_at: row.created_at,
            last_modified_at: row.last_modified_at,
            last_message_sequence_number: row.last_message_sequence_number,
            document: row.document.to_owned(),
            anonymous_id: owned(row.anonymous_id),
            replaces: change.replaces,
            transactions: lookup_rows(change.payment).map(|(t, i)| (t.to_owned(), i.to_owned())).collect(),
            references: change.references.to_vec(),
            messages: change.messages.to_vec(),
            operations: change
                .operations
                .iter()
                .map(|o| (o.transaction_id.clone(), o.idempotency_key.clone(), o.created_at))
                .collect(),
        }
    }
}

/// SQLite runs in-process, so the change is several plain statements in the writer's savepoint.
fn write_sqlite(c: &mut SqliteConnection, change: &PaymentChange) -> QueryResult<bool> {
    let row = PaymentRow::of(change);
    let written = match change.replaces {
        None => diesel::insert_into(payments::table).values(&row).execute(c)?,
        Some(version) => {
            let target = payments::table
                .filter(payments::id.eq(&change.payment.id))
                .filter(payments::project_key.eq(change.project_key))
                .filter(payments::version.eq(version));
            diesel::update(target).set(&row).execute(c)?
        }
    };
    if written != 1 {
        return Ok(false);
    }
    let payment_id = change.payment.id.as_str();
    diesel::delete(payment_transactions::table.filter(payment_transactions::payment_id.eq(payment_id)))
        .execute(c)?;
    let transactions: Vec<_> = lookup_rows(change.payment)
        .map(|(transaction_id, interaction_id)| TransactionRow {
            payment_id,
            transaction_id,
            project_key: change.project_key,
            interaction_id: Some(interaction_id),
        })
        .collect();
    // One row per statement: the statement is then the same each time and SQLite prepares it
    // once per connection (a multi-row insert is prepared anew for every write).
    for transaction in &transactions {
        diesel::insert_into(payment_transactions::table).values(transaction).execute(c)?;
    }
    diesel::delete(payment_references::table.filter(payment_references::payment_id.eq(payment_id)))
        .execute(c)?;
    let references: Vec<_> = change
        .references
        .iter()
        .map(|target| {
            (payment_references::payment_id.eq(payment_id), payment_references::target_id.eq(target))
        })
        .collect();
    for reference in &references {
        diesel::insert_into(payment_references::table).values(reference).execute(c)?;
    }
    for message in change.messages {
        diesel::insert_into(messages::table).values(message).execute(c)?;
    }
    for operation in change.operations {
        diesel::insert_into(psp_operations::table).values(operation).on_conflict_do_nothing().execute(c)?;
    }
    Ok(true)
}

/// (transaction id, interaction id) of the transactions the lookup table keeps: those with an
/// interaction id.
fn lookup_rows(payment: &Payment) -> impl Iterator<Item = (&str, &str)> {
    payment.transactions.iter().filter_map(|t| Some((t.id.as_str(), t.interaction_id.as_deref()?)))
}

/// Deletes the Payment, with its lookup and reference rows, if its version is still
/// `expected_version`; returns whether it did.
pub fn delete(conn: &mut Conn, project_key: &str, id: &str, expected_version: i64) -> QueryResult<bool> {
    let target = payments::table
        .filter(payments::id.eq(id))
        .filter(payments::project_key.eq(project_key))
        .filter(payments::version.eq(expected_version));
    let deleted = on_backend!(conn, |c| diesel::delete(target).execute(c))?;
    let of_payment = payment_transactions::table.filter(payment_transactions::payment_id.eq(id));
    on_backend!(conn, |c| diesel::delete(of_payment).execute(c))?;
    let references = payment_references::table.filter(payment_references::payment_id.eq(id));
    on_backend!(conn, |c| diesel::delete(references).execute(c))?;
    Ok(deleted == 1)
}
