//! The resources table (Types, States, Customers) and the references payments hold to them.

use super::payments::Locator;
use super::resource_cache::{CachedResource, ResourceCache};
use super::schema::{customer_passwords, customer_references, payment_references, resources};
use super::{on_backend, Conn};
use diesel::prelude::*;
use diesel::result::QueryResult;

/// A resource as stored: its document and the columns lookups and uniqueness need.
#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = resources, treat_none_as_null = true)]
pub struct ResourceRow {
    pub id: String,
    pub project_key: String,
    pub type_id: String,
    pub version: i64,
    pub key: Option<String>,
    pub unique_value: Option<String>,
    pub created_at: i64,
    pub last_modified_at: i64,
    pub document: String,
    pub customer_number: Option<String>,
}

pub fn find(
    conn: &mut Conn,
    project_key: &str,
    type_id: &str,
    locator: &Locator,
) -> QueryResult<Option<ResourceRow>> {
    on_backend!(conn, |c| {
        let query = resources::table
            .filter(resources::project_key.eq(project_key))
            .filter(resources::type_id.eq(type_id));
        match locator {
            Locator::Id(id) => query.filter(resources::id.eq(id)).first(c).optional(),
            Locator::Key(key) => query.filter(resources::key.eq(key)).first(c).optional(),
        }
    })
}

/// The documents of the resources of one type with any of these ids or keys.
pub fn find_many(
    conn: &mut Conn,
    project_key: &str,
    type_id: &str,
    ids: &[String],
    keys: &[String],
) -> QueryResult<Vec<String>> {
    Ok(find_rows(conn, project_key, type_id, ids, keys)?.into_iter().map(|r| r.document).collect())
}

/// Like [`find_many`], answered from the cache when it holds every one of them fresh, for
/// the kinds a foreign key keeps from deletion while payments reference them (Types, States).
pub fn find_many_cached(
    conn: &mut Conn,
    cache: &ResourceCache,
    project_key: &str,
    type_id: &str,
    ids: &[String],
    keys: &[String],
) -> QueryResult<Vec<String>> {
    if let Some(documents) = cache.get_all(project_key, type_id, ids, keys) {
        return Ok(documents);
    }
    let generation = cache.generation();
    let rows = find_rows(conn, project_key, type_id, ids, keys)?;
    let documents = rows.iter().map(|r| r.document.clone()).collect();
    cache.put(generation, project_key, type_id, rows);
    Ok(documents)
}

fn find_rows(
    conn: &mut Conn,
    project_key: &str,
    type_id: &str,
    ids: &[String],
    keys: &[String],
) -> QueryResult<Vec<CachedResource>> {
    if ids.is_empty() && keys.is_empty() {
        return Ok(Vec::new());
    }
    on_backend!(conn, |c| resources::table
        .filter(resources::project_key.eq(project_key))
        .filter(resources::type_id.eq(type_id))
        .filter(resources::id.eq_any(ids).or(resources::key.eq_any(keys)))
        .select((resources::id, resources::key, resources::document))
        .load(c))
}

pub fn insert(conn: &mut Conn, row: &ResourceRow) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::insert_into(resources::table).values(row).execute(c))?;
    Ok(())
}

/// Writes the row if the stored version is still `expected_version`; returns whether it did.
pub fn update(conn: &mut Conn, row: &ResourceRow, expected_version: i64) -> QueryResult<bool> {
    let target = resources::table
        .filter(resources::id.eq(&row.id))
        .filter(resources::project_key.eq(&row.project_key))
        .filter(resources::version.eq(expected_version));
    let written = on_backend!(conn, |c| diesel::update(target).set(row).execute(c))?;
    Ok(written == 1)
}

pub fn delete(conn: &mut Conn, project_key: &str, id: &str, expected_version: i64) -> QueryResult<bool> {
    let target = resources::table
        .filter(resources::id.eq(id))
        .filter(resources::project_key.eq(project_key))
        .filter(resources::version.eq(expected_version));
    let deleted = on_backend!(conn, |c| diesel::delete(target).execute(c))?;
    Ok(deleted == 1)
}

/// The documents of every resource of one type in the project.
pub fn all_of_type(conn: &mut Conn, project_key: &str, type_id: &str) -> QueryResult<Vec<String>> {
    on_backend!(conn, |c| resources::table
        .filter(resources::project_key.eq(project_key))
        .filter(resources::type_id.eq(type_id))
        .select(resources::document)
        .load(c))
}

pub fn count(conn: &mut Conn, project_key: &str, type_id: &str) -> QueryResult<i64> {
    on_backend!(conn, |c| resources::table
        .filter(resources::project_key.eq(project_key))
        .filter(resources::type_id.eq(type_id))
        .count()
        .get_result(c))
}

/// Which of `ids` no resource has (any more).
pub fn missing(conn: &mut Conn, ids: &[String]) -> QueryResult<Vec<String>> {
    let existing: Vec<String> = on_backend!(conn, |c| resources::table
        .filter(resources::id.eq_any(ids))
        .select(resources::id)
        .load(c))?;
    Ok(ids.iter().filter(|id| !existing.contains(id)).cloned().collect())
}

/// The kind of resource (`payment` or `customer`) that references the resource, if any does.
pub fn referenced_by(conn: &mut Conn, target_id: &str) -> QueryResult<Option<&'static str>> {
    let by_payment: Option<String> = on_backend!(conn, |c| payment_references::table
        .filter(payment_references::target_id.eq(target_id))
        .select(payment_references::payment_id)
        .first(c)
        .optional())?;
    if by_payment.is_some() {
        return Ok(Some("payment"));
    }
    let by_customer: Option<String> = on_backend!(conn, |c| customer_references::table
        .filter(customer_references::target_id.eq(target_id))
        .select(customer_references::customer_id)
        .first(c)
        .optional())?;
    Ok(by_customer.map(|_| "customer"))
}

/// Records what the customer references now, in place of what it referenced before.
pub fn replace_customer_references(
    conn: &mut Conn,
    customer_id: &str,
    target_ids: &[String],
) -> QueryResult<()> {
    on_backend!(conn, |c| {
        diesel::delete(customer_references::table.filter(customer_references::customer_id.eq(customer_id)))
            .execute(c)?;
        for target_id in target_ids {
            diesel::insert_into(customer_references::table)
                .values((
                    customer_references::customer_id.eq(customer_id),
                    customer_references::target_id.eq(target_id),
                ))
                .execute(c)?;
        }
        Ok(())
    })
}

/// Sets the password hash a customer signs in with, or removes it (`None`). Either ends the
/// customer's sessions: whoever knew the old password signs in again. The password row is
/// changed first: a sign-in holding it (see [`customer_password_held`]) is waited for, so that
/// the session it stores is among those ended.
pub fn set_customer_password(
    conn: &mut Conn,
    customer_id: &str,
    password_hash: Option<&str>,
) -> QueryResult<()> {
    let existing = customer_passwords::table.find(customer_id);
    on_backend!(conn, |c| diesel::delete(existing).execute(c))?;
    if let Some(password_hash) = password_hash {
        let row = (
            customer_passwords::customer_id.eq(customer_id),
            customer_passwords::password_hash.eq(password_hash),
        );
        on_backend!(conn, |c| diesel::insert_into(customer_passwords::table).values(row).execute(c))?;
    }
    super::clients::end_customer_sessions(conn, customer_id)
}

/// The customer's password hash, read in a sign-in's own write and, on PostgreSQL, held
/// (FOR SHARE) until it commits: a password change or a deletion of the customer waits for
/// the sign-in, then ends the session it stored. (SQLite's one writer orders them anyway.)
pub fn customer_password_held(conn: &mut Conn, customer_id: &str) -> QueryResult<Option<String>> {
    let query = customer_passwords::table.find(customer_id).select(customer_passwords::password_hash);
    match conn {
        Conn::Sqlite(c) => query.first(&mut **c).optional(),
        Conn::Postgres(c) => query.for_share().first(&mut **c).optional(),
    }
}

/// The customer of the project with this email (in its normalized form), and the hash of
/// the password it signs in with, if it has one.
pub fn customer_sign_in(
    conn: &mut Conn,
    project_key: &str,
    normalized_email: &str,
) -> QueryResult<Option<(String, Option<String>)>> {
    let customer: Option<String> = on_backend!(conn, |c| resources::table
        .filter(resources::project_key.eq(project_key))
        .filter(resources::type_id.eq("customer"))
        .filter(resources::unique_value.eq(normalized_email))
        .select(resources::id)
        .first(c)
        .optional())?;
    let Some(customer_id) = customer else { return Ok(None) };
    let password_hash: Option<String> = on_backend!(conn, |c| customer_passwords::table
        .find(&customer_id)
        .select(customer_passwords::password_hash)
        .first(c)
        .optional())?;
    Ok(Some((customer_id, password_hash)))
}
