//! The messages table: every change's Messages, written in the change's transaction.

use super::schema::messages;
use super::{on_backend, Conn};
use diesel::prelude::*;
use diesel::result::QueryResult;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage {
    pub id: String,
    pub project_key: String,
    pub resource_type_id: String,
    pub resource_id: String,
    pub sequence_number: i64,
    pub resource_version: i64,
    pub message_type: String,
    pub created_at: i64,
    pub document: String,
}

pub fn insert_all(conn: &mut Conn, rows: &[NewMessage]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    on_backend!(conn, |c| diesel::insert_into(messages::table).values(rows).execute(c))?;
    Ok(())
}

/// The highest sequence number of a resource's Messages (0 without any): for resources whose
/// row keeps no count of its own.
pub fn last_sequence_number(conn: &mut Conn, resource_id: &str) -> QueryResult<i64> {
    let last: Option<i64> = on_backend!(conn, |c| messages::table
        .filter(messages::resource_id.eq(resource_id))
        .select(diesel::dsl::max(messages::sequence_number))
        .first(c))?;
    Ok(last.unwrap_or(0))
}

/// Removes a resource's Messages (data erasure on delete).
pub fn delete_for_resource(conn: &mut Conn, project_key: &str, resource_id: &str) -> QueryResult<usize> {
    let target = messages::table
        .filter(messages::project_key.eq(project_key))
        .filter(messages::resource_id.eq(resource_id));
    on_backend!(conn, |c| diesel::delete(target).execute(c))
}

/// The documents of a resource's Messages in sequence order.
pub fn for_resource(conn: &mut Conn, project_key: &str, resource_id: &str) -> QueryResult<Vec<String>> {
    on_backend!(conn, |c| messages::table
        .filter(messages::project_key.eq(project_key))
        .filter(messages::resource_id.eq(resource_id))
        .order(messages::sequence_number.asc())
        .select(messages::document)
        .load(c))
}

pub fn exists(conn: &mut Conn, project_key: &str, id: &str) -> QueryResult<bool> {
    on_backend!(conn, |c| diesel::select(diesel::dsl::exists(
        messages::table.filter(messages::project_key.eq(project_key)).filter(messages::id.eq(id))
    ))
    .get_result(c))
}

pub fn find(conn: &mut Conn, project_key: &str, id: &str) -> QueryResult<Option<String>> {
    on_backend!(conn, |c| messages::table
        .filter(messages::project_key.eq(project_key))
        .filter(messages::id.eq(id))
        .select(messages::document)
        .first(c)
        .optional())
}
