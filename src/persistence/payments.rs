//! The payments table: one row per Payment with its JSON document, and one row per transaction
//! for lookups by interaction id.

use super::schema::{payment_transactions, payments};
use super::{on_backend, Conn};
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

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = payments, treat_none_as_null = true)]
struct PaymentRow<'a> {
    id: &'a str,
    project_key: &'a str,
    version: i64,
    key: Option<&'a str>,
    interface_id: Option<&'a str>,
    payment_interface: Option<&'a str>,
    customer_id: Option<&'a str>,
    created_at: i64,
    last_modified_at: i64,
    last_message_sequence_number: i64,
    document: &'a str,
}

impl<'a> PaymentRow<'a> {
    fn new(project_key: &'a str, payment: &'a Payment, last_sequence: i64, document: &'a str) -> Self {
        Self {
            id: &payment.id,
            project_key,
            version: payment.version,
            key: payment.key.as_ref().map(|k| k.as_str()),
            interface_id: payment.interface_id.as_deref(),
            payment_interface: payment.payment_method_info.payment_interface.as_deref(),
            customer_id: payment.customer.as_ref().map(|c| c.id.as_str()),
            created_at: payment.created_at.millis(),
            last_modified_at: payment.last_modified_at.millis(),
            last_message_sequence_number: last_sequence,
            document,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = payment_transactions)]
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

pub fn insert(
    conn: &mut Conn,
    project_key: &str,
    payment: &Payment,
    last_sequence: i64,
    document: &str,
) -> QueryResult<()> {
    let row = PaymentRow::new(project_key, payment, last_sequence, document);
    on_backend!(conn, |c| diesel::insert_into(payments::table).values(&row).execute(c))?;
    replace_transactions(conn, project_key, payment)
}

/// Writes the new state only if the stored version is still `expected_version`
/// (compare-and-set); returns whether it was written.
pub fn update(
    conn: &mut Conn,
    project_key: &str,
    payment: &Payment,
    expected_version: i64,
    last_sequence: i64,
    document: &str,
) -> QueryResult<bool> {
    let row = PaymentRow::new(project_key, payment, last_sequence, document);
    let target = payments::table
        .filter(payments::id.eq(&payment.id))
        .filter(payments::project_key.eq(project_key))
        .filter(payments::version.eq(expected_version));
    let written = on_backend!(conn, |c| diesel::update(target).set(&row).execute(c))?;
    if written == 1 {
        replace_transactions(conn, project_key, payment)?;
    }
    Ok(written == 1)
}

/// Deletes the Payment if its version is still `expected_version`; returns whether it did.
pub fn delete(conn: &mut Conn, project_key: &str, id: &str, expected_version: i64) -> QueryResult<bool> {
    let target = payments::table
        .filter(payments::id.eq(id))
        .filter(payments::project_key.eq(project_key))
        .filter(payments::version.eq(expected_version));
    let deleted = on_backend!(conn, |c| diesel::delete(target).execute(c))?;
    let of_payment = payment_transactions::table.filter(payment_transactions::payment_id.eq(id));
    on_backend!(conn, |c| diesel::delete(of_payment).execute(c))?;
    Ok(deleted == 1)
}

fn replace_transactions(conn: &mut Conn, project_key: &str, payment: &Payment) -> QueryResult<()> {
    let of_payment = payment_transactions::table.filter(payment_transactions::payment_id.eq(&payment.id));
    on_backend!(conn, |c| diesel::delete(of_payment).execute(c))?;
    insert_transactions(conn, project_key, payment)
}

/// Rows for the transactions that have an interaction id (the lookups this table serves).
fn insert_transactions(conn: &mut Conn, project_key: &str, payment: &Payment) -> QueryResult<()> {
    let rows: Vec<TransactionRow> = payment
        .transactions
        .iter()
        .filter(|t| t.interaction_id.is_some())
        .map(|t| TransactionRow {
            payment_id: &payment.id,
            transaction_id: &t.id,
            project_key,
            interaction_id: t.interaction_id.as_deref(),
        })
        .collect();
    if !rows.is_empty() {
        on_backend!(conn, |c| diesel::insert_into(payment_transactions::table).values(&rows).execute(c))?;
    }
    Ok(())
}
