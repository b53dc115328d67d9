//! API clients and the access tokens issued to them. Only hashes of secrets and tokens are kept.

use super::schema::{access_tokens, anonymous_sessions, api_clients, refresh_tokens};
use super::{on_backend, Conn};
use diesel::prelude::*;
use diesel::result::QueryResult;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = api_clients)]
pub struct ClientRow {
    pub id: String,
    pub project_key: String,
    pub name: String,
    pub scope: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub access_token_validity_seconds: Option<i64>,
    pub refresh_token_validity_seconds: Option<i64>,
    /// When the client stops working (epoch milliseconds).
    pub delete_at: Option<i64>,
    /// The day it last obtained a token (`YYYY-MM-DD`).
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = access_tokens)]
pub struct TokenRow {
    pub token_hash: String,
    pub client_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Whose session the token is, for a shopper's token (see [`crate::auth::Identity`]).
    pub customer_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// The hash of the session's refresh token, for a shopper's token.
    pub session_hash: Option<String>,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub client_id: String,
    pub scope: String,
    pub customer_id: Option<String>,
    pub anonymous_id: Option<String>,
    pub expires_at: i64,
}

pub fn insert(conn: &mut Conn, client: &ClientRow) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::insert_into(api_clients::table).values(client).execute(c))?;
    Ok(())
}

pub fn find(conn: &mut Conn, id: &str) -> QueryResult<Option<ClientRow>> {
    on_backend!(conn, |c| api_clients::table.find(id).first(c).optional())
}

pub fn find_in_project(conn: &mut Conn, project_key: &str, id: &str) -> QueryResult<Option<ClientRow>> {
    on_backend!(conn, |c| api_clients::table
        .find(id)
        .filter(api_clients::project_key.eq(project_key))
        .first(c)
        .optional())
}

pub fn list(conn: &mut Conn, project_key: &str, limit: i64, offset: i64) -> QueryResult<Vec<ClientRow>> {
    on_backend!(conn, |c| api_clients::table
        .filter(api_clients::project_key.eq(project_key))
        .order((api_clients::created_at.asc(), api_clients::id.asc()))
        .limit(limit)
        .offset(offset)
        .load(c))
}

pub fn any_exists(conn: &mut Conn) -> QueryResult<bool> {
    let first: Option<String> =
        on_backend!(conn, |c| api_clients::table.select(api_clients::id).first(c).optional())?;
    Ok(first.is_some())
}

/// Deletes the client and every token issued to it; returns whether the client existed.
pub fn delete(conn: &mut Conn, project_key: &str, id: &str) -> QueryResult<bool> {
    let tokens = access_tokens::table.filter(access_tokens::client_id.eq(id));
    on_backend!(conn, |c| diesel::delete(tokens).execute(c))?;
    let refresh = refresh_tokens::table.filter(refresh_tokens::client_id.eq(id));
    on_backend!(conn, |c| diesel::delete(refresh).execute(c))?;
    let client = api_clients::table.find(id).filter(api_clients::project_key.eq(project_key));
    let deleted = on_backend!(conn, |c| diesel::delete(client).execute(c))?;
    Ok(deleted == 1)
}

/// Records the day the client obtained a token, writing only when the day is new.
pub fn mark_used(conn: &mut Conn, id: &str, day: &str) -> QueryResult<()> {
    let stale = api_clients::last_used_at.is_null().or(api_clients::last_used_at.ne(day));
    let target = api_clients::table.find(id).filter(stale);
    on_backend!(conn, |c| diesel::update(target).set(api_clients::last_used_at.eq(day)).execute(c))?;
    Ok(())
}

pub fn insert_token(conn: &mut Conn, token: &TokenRow) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::insert_into(access_tokens::table).values(token).execute(c))?;
    Ok(())
}

/// Removes a token; whether there was one.
pub fn delete_token(conn: &mut Conn, token_hash: &str) -> QueryResult<bool> {
    on_backend!(conn, |c| diesel::delete(access_tokens::table.find(token_hash)).execute(c)).map(|n| n > 0)
}

pub fn find_token(conn: &mut Conn, token_hash: &str) -> QueryResult<Option<TokenRow>> {
    on_backend!(conn, |c| access_tokens::table.find(token_hash).first(c).optional())
}

/// Removes tokens that expired before `now_millis`.
pub fn delete_expired_tokens(conn: &mut Conn, now_millis: i64) -> QueryResult<usize> {
    let expired = access_tokens::table.filter(access_tokens::expires_at.lt(now_millis));
    on_backend!(conn, |c| diesel::delete(expired).execute(c))
}

pub fn insert_refresh_token(conn: &mut Conn, token: &RefreshTokenRow) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::insert_into(refresh_tokens::table).values(token).execute(c))?;
    Ok(())
}

pub fn find_refresh_token(conn: &mut Conn, token_hash: &str) -> QueryResult<Option<RefreshTokenRow>> {
    on_backend!(conn, |c| refresh_tokens::table.find(token_hash).first(c).optional())
}

/// Pushes a refresh token's expiry back, as each use does; false if the token is gone
/// (revoked, or its customer or client deleted, since it was read).
pub fn extend_refresh_token(conn: &mut Conn, token_hash: &str, expires_at: i64) -> QueryResult<bool> {
    let target = refresh_tokens::table.find(token_hash);
    on_backend!(conn, |c| diesel::update(target).set(refresh_tokens::expires_at.eq(expires_at)).execute(c))
        .map(|n| n == 1)
}

/// Ends every session of the customer: its refresh tokens, then its access tokens (a refresh
/// under way holds its refresh token's row until it commits; its new access token is then
/// among those deleted).
pub fn end_customer_sessions(conn: &mut Conn, customer_id: &str) -> QueryResult<()> {
    let refresh = refresh_tokens::table.filter(refresh_tokens::customer_id.eq(customer_id));
    on_backend!(conn, |c| diesel::delete(refresh).execute(c))?;
    let access = access_tokens::table.filter(access_tokens::customer_id.eq(customer_id));
    on_backend!(conn, |c| diesel::delete(access).execute(c))?;
    Ok(())
}

/// Ends a session: its refresh token and the access tokens it obtained; whether there was one.
pub fn delete_refresh_token(conn: &mut Conn, token_hash: &str) -> QueryResult<bool> {
    let deleted =
        on_backend!(conn, |c| diesel::delete(refresh_tokens::table.find(token_hash)).execute(c))? > 0;
    let access = access_tokens::table.filter(access_tokens::session_hash.eq(token_hash));
    on_backend!(conn, |c| diesel::delete(access).execute(c))?;
    Ok(deleted)
}

/// Removes refresh tokens that expired before `now_millis`.
pub fn delete_expired_refresh_tokens(conn: &mut Conn, now_millis: i64) -> QueryResult<usize> {
    let expired = refresh_tokens::table.filter(refresh_tokens::expires_at.lt(now_millis));
    on_backend!(conn, |c| diesel::delete(expired).execute(c))
}

/// Records an anonymous session's id; false if a session of the project had it already.
pub fn start_anonymous_session(
    conn: &mut Conn,
    project_key: &str,
    anonymous_id: &str,
    now_millis: i64,
) -> QueryResult<bool> {
    let row = (
        anonymous_sessions::project_key.eq(project_key),
        anonymous_sessions::anonymous_id.eq(anonymous_id),
        anonymous_sessions::created_at.eq(now_millis),
    );
    let inserted = on_backend!(conn, |c| diesel::insert_into(anonymous_sessions::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}
