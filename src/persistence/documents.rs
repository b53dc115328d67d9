//! Queries over stored JSON documents (payments, messages, types, states, customers): a
//! checked predicate compiled for the connection's backend, sort keys, paging and counting.

use super::{with_deadline, Conn};
use crate::query::schema::Checked;
use crate::query::sql::{self, Dialect, SqlFragment, SqlParam};
use crate::query::SortKey;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Double, Text};
use std::time::Duration;

/// A table of documents: `id`, `project_key`, `document` and, for tables holding several
/// resource types, `type_id`.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    pub table: &'static str,
    pub type_id: Option<&'static str>,
}

pub const PAYMENTS: Collection = Collection { table: "payments", type_id: None };
pub const MESSAGES: Collection = Collection { table: "messages", type_id: None };

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

/// `FROM ... WHERE ...` of a project's documents matching the predicate.
fn from_where(
    dialect: Dialect,
    collection: &Collection,
    project_key: &str,
    predicate: Option<&Checked>,
    also_document: bool,
) -> SqlFragment {
    let table = collection.table;
    let mut out =
        SqlFragment { params: vec![SqlParam::Text(project_key.to_owned())], ..SqlFragment::default() };
    let mut condition = format!("{table}.project_key = ?");
    if let Some(type_id) = collection.type_id {
        condition.push_str(&format!(" AND {table}.type_id = ?"));
        out.params.push(SqlParam::Text(type_id.to_owned()));
    }
    let mut uses_document = also_document;
    if let Some(predicate) = predicate {
        let compiled = sql::compile(predicate, dialect, table);
        condition.push_str(" AND ");
        condition.push_str(&compiled.sql);
        out.params.extend(compiled.params);
        uses_document |= compiled.uses_document;
    }
    let from = if dialect == Dialect::Postgres && uses_document {
        format!("{table} CROSS JOIN LATERAL (SELECT {table}.document::jsonb AS doc) AS d")
    } else {
        table.to_owned()
    };
    out.sql = format!("FROM {from} WHERE {condition}");
    out.uses_document = uses_document;
    out
}

/// The documents of one page, in the requested order.
pub fn query(
    conn: &mut Conn,
    collection: &Collection,
    project_key: &str,
    page: &PageQuery,
) -> QueryResult<Vec<String>> {
    let dialect = dialect(conn);
    let table = collection.table;
    let mut order = Vec::new();
    let mut order_params = Vec::new();
    for key in page.sort {
        let term = sql::sort_term(&key.path, key.value_type, key.descending, dialect, table);
        order.push(term.sql);
        order_params.extend(term.params);
    }
    // Without a sort, creation order (which the created_at index serves, also under a range
    // predicate on it); ties, and explicit sorts, are broken by id so that pages are stable.
    if page.sort.is_empty() {
        order.push(format!("{table}.created_at ASC"));
    }
    order.push(format!("{table}.id ASC"));
    let sorts_by_document = page.sort.iter().any(|key| key.path.column.is_none());
    let filtered = from_where(dialect, collection, project_key, page.predicate, sorts_by_document);
    let sql =
        format!("SELECT {table}.document {} ORDER BY {} LIMIT ? OFFSET ?", filtered.sql, order.join(", "));
    let mut params = filtered.params;
    params.extend(order_params);
    params.push(SqlParam::Integer(page.limit));
    params.push(SqlParam::Integer(page.offset));
    let rows: Vec<DocumentRow> = run(conn, &sql, params, page.timeout)?;
    Ok(rows.into_iter().map(|row| row.document).collect())
}

/// How many of the project's documents match, counting at most `cap`.
pub fn count_matching(
    conn: &mut Conn,
    collection: &Collection,
    project_key: &str,
    predicate: Option<&Checked>,
    cap: i64,
    timeout: Duration,
) -> QueryResult<i64> {
    let filtered = from_where(dialect(conn), collection, project_key, predicate, false);
    let sql = format!("SELECT COUNT(*) AS count FROM (SELECT 1 AS one {} LIMIT ?) AS matching", filtered.sql);
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
                    SqlParam::Number(number) => match number.parse::<i64>() {
                        Ok(integer) => query.bind::<BigInt, _>(integer),
                        Err(_) => query.bind::<Double, _>(number.parse::<f64>().unwrap_or(f64::NAN)),
                    },
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
