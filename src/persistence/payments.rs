//! The payments table: one row per Payment with its JSON document, and one row per transaction
//! for lookups by interaction id.

use super::schema::{payment_transactions, payments};
use super::{on_backend, with_deadline, Conn};
use crate::domain::payment::Payment;
use crate::query::schema::Checked;
use crate::query::sql::{self, Dialect, SqlFragment, SqlParam};
use crate::query::SortKey;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Double, Text};
use std::time::Duration;

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
    let columns = (
        payments::id,
        payments::version,
        payments::last_message_sequence_number,
        payments::document,
    );
    on_backend!(conn, |c| {
        let query = payments::table
            .filter(payments::project_key.eq(project_key))
            .select(columns);
        match locator {
            Locator::Id(id) => query.filter(payments::id.eq(id)).first(c).optional(),
            Locator::Key(key) => query.filter(payments::key.eq(key)).first(c).optional(),
        }
    })
}

pub fn exists(conn: &mut Conn, project_key: &str, locator: &Locator) -> QueryResult<bool> {
    on_backend!(conn, |c| {
        let query = payments::table
            .filter(payments::project_key.eq(project_key))
            .select(payments::id);
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
    on_backend!(conn, |c| diesel::insert_into(payments::table)
        .values(&row)
        .execute(c))?;
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

fn insert_transactions(conn: &mut Conn, project_key: &str, payment: &Payment) -> QueryResult<()> {
    let rows: Vec<TransactionRow> = payment
        .transactions
        .iter()
        .map(|t| TransactionRow {
            payment_id: &payment.id,
            transaction_id: &t.id,
            project_key,
            interaction_id: t.interaction_id.as_deref(),
        })
        .collect();
    if !rows.is_empty() {
        on_backend!(conn, |c| diesel::insert_into(payment_transactions::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// A query of the list endpoint: an optional checked predicate, sort keys and a page.
pub struct PageQuery<'a> {
    pub predicate: Option<&'a Checked>,
    pub sort: &'a [SortKey],
    pub limit: i64,
    pub offset: i64,
    /// How long the query may run before it is cancelled.
    pub timeout: Duration,
}

#[derive(QueryableByName)]
struct DocumentRow {
    #[diesel(sql_type = Text)]
    document: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

fn dialect(conn: &Conn) -> Dialect {
    match conn {
        Conn::Sqlite(_) => Dialect::Sqlite,
        Conn::Postgres(_) => Dialect::Postgres,
    }
}

/// `FROM ... WHERE ...` of a project's payments matching the predicate.
fn from_where(
    dialect: Dialect,
    project_key: &str,
    predicate: Option<&Checked>,
    also_document: bool,
) -> SqlFragment {
    let mut out = SqlFragment {
        params: vec![SqlParam::Text(project_key.to_owned())],
        ..SqlFragment::default()
    };
    let mut condition = String::from("payments.project_key = ?");
    let mut uses_document = also_document;
    if let Some(predicate) = predicate {
        let compiled = sql::compile(predicate, dialect);
        condition.push_str(" AND ");
        condition.push_str(&compiled.sql);
        out.params.extend(compiled.params);
        uses_document |= compiled.uses_document;
    }
    let from = if dialect == Dialect::Postgres && uses_document {
        "payments CROSS JOIN LATERAL (SELECT payments.document::jsonb AS doc) AS d"
    } else {
        "payments"
    };
    out.sql = format!("FROM {from} WHERE {condition}");
    out.uses_document = uses_document;
    out
}

/// The documents of one page, in the requested order; ties are broken by id so pages are stable.
pub fn query(conn: &mut Conn, project_key: &str, page: &PageQuery) -> QueryResult<Vec<String>> {
    let dialect = dialect(conn);
    let mut order = Vec::new();
    let mut order_params = Vec::new();
    for key in page.sort {
        let term = sql::sort_term(&key.path, key.value_type, key.descending, dialect);
        order.push(term.sql);
        order_params.extend(term.params);
    }
    order.push("payments.id ASC".into());
    let sorts_by_document = page.sort.iter().any(|key| key.path.column.is_none());
    let filtered = from_where(dialect, project_key, page.predicate, sorts_by_document);
    let sql = format!(
        "SELECT payments.document {} ORDER BY {} LIMIT ? OFFSET ?",
        filtered.sql,
        order.join(", ")
    );
    let mut params = filtered.params;
    params.extend(order_params);
    params.push(SqlParam::Integer(page.limit));
    params.push(SqlParam::Integer(page.offset));
    let rows: Vec<DocumentRow> = run(conn, &sql, params, page.timeout)?;
    Ok(rows.into_iter().map(|row| row.document).collect())
}

/// How many of the project's payments match, counting at most `cap`.
pub fn count_matching(
    conn: &mut Conn,
    project_key: &str,
    predicate: Option<&Checked>,
    cap: i64,
    timeout: Duration,
) -> QueryResult<i64> {
    let filtered = from_where(dialect(conn), project_key, predicate, false);
    let sql = format!(
        "SELECT COUNT(*) AS count FROM (SELECT 1 AS one {} LIMIT ?) AS matching",
        filtered.sql
    );
    let mut params = filtered.params;
    params.push(SqlParam::Integer(cap));
    let rows: Vec<CountRow> = run(conn, &sql, params, timeout)?;
    Ok(rows.first().map_or(0, |row| row.count))
}

/// Runs generated SQL with its parameters bound. On PostgreSQL the placeholders are numbered
/// and the statement runs under a timeout.
fn run<T>(conn: &mut Conn, sql: &str, params: Vec<SqlParam>, timeout: Duration) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
{
    match conn {
        Conn::Sqlite(c) => {
            let guarded = sql.replacen(" WHERE ", " WHERE query_deadline_ok() AND ", 1);
            let mut query = diesel::sql_query(guarded).into_boxed::<diesel::sqlite::Sqlite>();
            for param in params {
                query = match param {
                    SqlParam::Text(text) => query.bind::<Text, _>(text),
                    SqlParam::Integer(integer) => query.bind::<BigInt, _>(integer),
                    SqlParam::Number(number) => {
                        query.bind::<Double, _>(number.parse::<f64>().unwrap_or(f64::NAN))
                    }
                };
            }
            let (rows, expired) = with_deadline(timeout, || query.load(*c));
            if expired {
                return Err(timed_out());
            }
            rows
        }
        Conn::Postgres(c) => {
            let numbered = number_placeholders(sql);
            c.transaction(|c| {
                let timeout_ms = timeout.as_millis().max(1);
                diesel::sql_query(format!("SET LOCAL statement_timeout = {timeout_ms}")).execute(c)?;
                let mut query = diesel::sql_query(numbered).into_boxed::<diesel::pg::Pg>();
                for param in params {
                    query = match param {
                        SqlParam::Text(text) | SqlParam::Number(text) => query.bind::<Text, _>(text),
                        SqlParam::Integer(integer) => query.bind::<BigInt, _>(integer),
                    };
                }
                query.load(c)
            })
        }
    }
}

/// The error of a query stopped at its deadline (reported as QueryTimedOut).
fn timed_out() -> diesel::result::Error {
    diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::Unknown,
        Box::new(String::from("canceling statement due to statement timeout")),
    )
}

/// `?` placeholders as PostgreSQL's `$1, $2, ...` (generated SQL has no other `?`).
fn number_placeholders(sql: &str) -> String {
    let mut numbered = String::with_capacity(sql.len() + 16);
    let mut next = 0;
    for c in sql.chars() {
        if c == '?' {
            next += 1;
            numbered.push_str(&format!("${next}"));
        } else {
            numbered.push(c);
        }
    }
    numbered
}

pub fn count(conn: &mut Conn, project_key: &str) -> QueryResult<i64> {
    on_backend!(conn, |c| payments::table
        .filter(payments::project_key.eq(project_key))
        .count()
        .get_result(c))
}
