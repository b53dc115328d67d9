//! Reading Messages: by id, and queried like any other resource.

use super::{list_documents, ListQuery, Page};
use crate::error::ApiError;
use crate::persistence::documents::MESSAGES;
use crate::persistence::messages as store;
use crate::persistence::Database;

pub fn get(db: &Database, project_key: &str, id: &str) -> Result<String, ApiError> {
    db.read(|conn| store::find(conn, project_key, id)?.ok_or_else(|| ApiError::not_found_by_id(id)))
}

pub fn exists(db: &Database, project_key: &str, id: &str) -> Result<bool, ApiError> {
    db.read(|conn| Ok(store::exists(conn, project_key, id)?))
}

pub fn list(db: &Database, project_key: &str, query: &ListQuery) -> Result<Page, ApiError> {
    list_documents(db, &MESSAGES, project_key, query)
}
