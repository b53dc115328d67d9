//! API clients, access tokens and the check of a token on each request.

use super::now;
use crate::auth::credentials::{self, Secret};
use crate::auth::{Identity, Permission, ScopeSet};
use crate::error::{ApiError, OAuthError};
use crate::persistence::clients::{self as store, ClientRow, TokenRow};
use crate::persistence::Database;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The client a valid token was issued to, and what the token may do.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub client_id: String,
    pub scopes: ScopeSet,
    /// When the token expires, in epoch milliseconds.
    pub expires_at: i64,
    /// The shopper whose session the token is (anonymous and password flows).
    pub identity: Option<Identity>,
}

impl Principal {
    /// Passes if the token grants `permission` on `project_key`; 403 otherwise.
    pub fn require(&self, project_key: &str, permission: Permission) -> Result<(), ApiError> {
        if cfg!(feature = "insecure-no-auth") || self.scopes.allows(permission, project_key) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(vec![permission.as_str().to_owned()]))
        }
    }

    /// The shopper a `/me` endpoint acts for; 403 for a token that is no shopper's.
    pub fn shopper(&self) -> Result<&Identity, ApiError> {
        self.identity
            .as_ref()
            .ok_or_else(|| ApiError::InsufficientScope(vec!["customer_id".into(), "anonymous_id".into()]))
    }

    /// The token's scope as the token endpoints show it: the shopper's word last.
    fn scope_text(&self) -> String {
        with_identity(self.scopes.to_string(), self.identity.as_ref())
    }
}

pub(super) fn with_identity(scope: String, identity: Option<&Identity>) -> String {
    match identity {
        Some(identity) => format!("{scope} {identity}"),
        None => scope,
    }
}

/// Recently checked tokens, so that most requests need no database round trip for auth.
/// Deleting a client forgets its tokens here at once; other processes sharing the database
/// notice within the cache's time to live.
pub struct TokenCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Arc<Principal>, Instant)>>,
}

/// Bounds the cache's memory; when full it starts over.
const TOKEN_CACHE_CAPACITY: usize = 10_000;

impl TokenCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: RwLock::default() }
    }

    pub fn get(&self, token_hash: &str) -> Option<Arc<Principal>> {
        let entries = self.entries.read().ok()?;
        let (principal, checked_at) = entries.get(token_hash)?;
        let fresh = checked_at.elapsed() < self.ttl && principal.expires_at > now().millis();
        fresh.then(|| Arc::clone(principal))
    }

    pub fn put(&self, token_hash: String, principal: Arc<Principal>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= TOKEN_CACHE_CAPACITY {
                entries.clear();
            }
            entries.insert(token_hash, (principal, Instant::now()));
        }
    }

    pub fn forget(&self, token_hash: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(token_hash);
        }
    }

    pub fn forget_client(&self, client_id: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (principal, _)| principal.client_id != client_id);
        }
    }
}

/// A token just issued. The token itself is shown once, here; so is the refresh token a
/// shopper's session gets.
pub struct IssuedToken {
    pub access_token: Secret,
    pub expires_in: u64,
    pub scope: String,
    pub refresh_token: Option<Secret>,
}

/// An API client as the API shows it (the secret only when it is created).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiClient {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_validity_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_validity_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_at: Option<String>,
    /// The day it last obtained an access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

fn timestamp(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(crate::domain::common::Timestamp::from_datetime)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

impl From<&ClientRow> for ApiClient {
    fn from(row: &ClientRow) -> Self {
        Self {
            id: row.id.clone(),
            name: row.name.clone(),
            scope: row.scope.clone(),
            created_at: timestamp(row.created_at),
            access_token_validity_seconds: row.access_token_validity_seconds,
            refresh_token_validity_seconds: row.refresh_token_validity_seconds,
            delete_at: row.delete_at.map(timestamp),
            last_used_at: row.last_used_at.clone(),
        }
    }
}

/// What an ApiClientDraft may set besides name and scope.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    pub access_token_validity_seconds: Option<i64>,
    pub refresh_token_validity_seconds: Option<i64>,
    pub delete_days_after_creation: Option<i64>,
}

/// A client just created, with its secret.
pub struct CreatedClient {
    pub client: ApiClient,
    pub secret: Secret,
}

pub(super) fn invalid_client() -> ApiError {
    ApiError::oauth(
        OAuthError::InvalidClient,
        "Please provide valid client credentials using HTTP Basic Authentication.",
    )
}

fn invalid_scope() -> ApiError {
    ApiError::oauth(OAuthError::InvalidScope, "Malformed parameter: scope: Invalid scope.")
}

/// Checks client credentials; unknown clients, wrong secrets and clients past their
/// `deleteAt` are indistinguishable.
fn authenticate_client(db: &Database, client_id: &str, client_secret: &str) -> Result<ClientRow, ApiError> {
    let client = db.read(|conn| Ok::<_, ApiError>(store::find(conn, client_id)?));
    let client = client?.filter(|c| c.delete_at.is_none_or(|at| at > now().millis()));
    match client {
        Some(client) if credentials::verify(client_secret, &client.secret_hash) => Ok(client),
        // Hash anyway so that an unknown client takes as long as a wrong secret.
        None => {
            credentials::verify(client_secret, "");
            Err(invalid_client())
        }
        Some(_) => Err(invalid_client()),
    }
}

/// The scopes a token gets: all the client's without `requested_scope`; otherwise each
/// requested scope must be held or implied by one of them. The text is what the response
/// shows: the request repeated exactly as asked (SDKs compare it).
pub(super) fn granted_scopes(
    client: &ClientRow,
    requested_scope: Option<&str>,
) -> Result<(ScopeSet, String), ApiError> {
    let held = ScopeSet::parse(&client.scope).map_err(ApiError::internal)?;
    match requested_scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok((held.clone(), held.to_string())),
        Some(requested) => {
            let wanted = ScopeSet::parse(requested).map_err(|_| invalid_scope())?;
            if !held.covers(&wanted) {
                return Err(invalid_scope());
            }
            Ok((wanted, requested.to_owned()))
        }
    }
}

/// A new access token of the client, not yet stored.
pub(super) struct Minted {
    pub token: Secret,
    pub row: TokenRow,
    pub expires_in: u64,
}

impl Minted {
    /// The answer once the token is stored: with `scope` as the response shows it, and the
    /// refresh token of a new session.
    pub(super) fn issued(self, scope: String, refresh_token: Option<Secret>) -> IssuedToken {
        IssuedToken { access_token: self.token, expires_in: self.expires_in, scope, refresh_token }
    }
}

/// A shopper's session: whose it is, and the hash of its refresh token.
pub(super) type Session = (Identity, String);

pub(super) fn mint(
    client: &ClientRow,
    granted: &ScopeSet,
    session: Option<Session>,
    lifetime: Duration,
    now: i64,
) -> Minted {
    let token = credentials::new_access_token();
    // The client's own token lifetime, if its draft set one; never past its deleteAt.
    let lifetime_ms = client
        .access_token_validity_seconds
        .map(|seconds| seconds.saturating_mul(1000))
        .unwrap_or_else(|| i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX));
    let expires_at = now.saturating_add(lifetime_ms).min(client.delete_at.unwrap_or(i64::MAX));
    let (identity, session_hash) = session.unzip();
    let (customer_id, anonymous_id) = Identity::columns(identity.as_ref());
    let row = TokenRow {
        token_hash: token.hash(),
        client_id: client.id.clone(),
        scope: granted.to_string(),
        created_at: now,
        expires_at,
        customer_id,
        anonymous_id,
        session_hash,
    };
    let expires_in = u64::try_from(expires_at.saturating_sub(now) / 1000).unwrap_or_default();
    Minted { token, row, expires_in }
}

pub(super) fn today(now: i64) -> String {
    chrono::DateTime::from_timestamp_millis(now).unwrap_or_default().format("%Y-%m-%d").to_string()
}

/// What every grant is asked with: the client's credentials, the scope it asks for, and the
/// server's default token lifetime.
pub struct TokenRequest {
    pub client_id: String,
    pub client_secret: String,
    pub scope: Option<String>,
    pub lifetime: Duration,
}

impl TokenRequest {
    pub(super) fn client(&self, db: &Database) -> Result<ClientRow, ApiError> {
        authenticate_client(db, &self.client_id, &self.client_secret)
    }
}

/// The client-credentials grant.
pub fn issue_token(db: &Database, request: &TokenRequest) -> Result<IssuedToken, ApiError> {
    let client = request.client(db)?;
    let (granted, scope_text) = granted_scopes(&client, request.scope.as_deref())?;
    let now = now().millis();
    let minted = mint(&client, &granted, None, request.lifetime, now);
    db.write(|conn| -> Result<(), ApiError> {
        store::delete_expired_tokens(conn, now)?;
        store::mark_used(conn, &client.id, &today(now))?;
        Ok(store::insert_token(conn, &minted.row)?)
    })?;
    Ok(minted.issued(scope_text, None))
}

/// Token revocation (RFC 7009): the client's own access or refresh token stops working. A
/// token that is unknown (or expired, or revoked before) is no error, as the RFC asks; another
/// client's is refused and stays valid. The hash of the revoked token, for the cache to forget.
pub fn revoke(db: &Database, client_id: &str, client_secret: &str, token: &str) -> Result<String, ApiError> {
    let client = authenticate_client(db, client_id, client_secret)?;
    let token_hash = credentials::hash(token);
    db.write(|conn| {
        // Whose token it is, and whether it is an access token (else a refresh token).
        let issued = match store::find_token(conn, &token_hash)? {
            Some(row) => Some((row.client_id, true)),
            None => store::find_refresh_token(conn, &token_hash)?.map(|row| (row.client_id, false)),
        };
        match issued {
            Some((owner, _)) if owner != client.id => {
                Err(ApiError::oauth(OAuthError::InvalidRequest, "The token was not issued to this client."))
            }
            Some((_, true)) => Ok(store::delete_token(conn, &token_hash).map(drop)?),
            Some((_, false)) => Ok(store::delete_refresh_token(conn, &token_hash).map(drop)?),
            None => Ok(()),
        }
    })?;
    Ok(token_hash)
}

fn missing_token() -> ApiError {
    ApiError::InvalidToken(
        "This endpoint requires an access token. You can get one from the authorization server.".into(),
    )
}

/// The principal of a bearer token, by the token's hash; unknown, expired and revoked tokens
/// are all `invalid_token`.
pub fn authenticate(db: &Database, token_hash: &str) -> Result<Principal, ApiError> {
    let row = db.read(|conn| Ok::<_, ApiError>(store::find_token(conn, token_hash)?))?;
    match row {
        Some(row) if row.expires_at > now().millis() => Ok(Principal {
            client_id: row.client_id,
            scopes: ScopeSet::parse(&row.scope).map_err(ApiError::internal)?,
            expires_at: row.expires_at,
            identity: Identity::from_columns(row.customer_id, row.anonymous_id),
        }),
        _ => Err(ApiError::InvalidToken("invalid_token".into())),
    }
}

/// Parses an `Authorization: Bearer <token>` header value.
pub fn bearer_token(header: Option<&str>) -> Result<&str, ApiError> {
    let header = header.ok_or_else(missing_token)?;
    let (scheme, token) =
        header.trim().split_once(' ').ok_or_else(|| ApiError::InvalidToken("invalid_token".into()))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::InvalidToken("invalid_token".into()));
    }
    Ok(token)
}

/// RFC 7662 introspection: what a token is, for its own client or one allowed to introspect.
pub fn introspect(
    db: &Database,
    client_id: &str,
    client_secret: &str,
    token: &str,
) -> Result<serde_json::Value, ApiError> {
    let requester = authenticate_client(db, client_id, client_secret)?;
    let requester_scopes = ScopeSet::parse(&requester.scope).map_err(ApiError::internal)?;
    let inactive = serde_json::json!({"active": false});
    let Ok(principal) = authenticate(db, &credentials::hash(token)) else {
        return Ok(inactive);
    };
    let allowed = principal.client_id == requester.id
        || principal
            .scopes
            .project_keys()
            .iter()
            .all(|project| requester_scopes.allows(Permission::IntrospectOauthTokens, project));
    if !allowed {
        return Err(ApiError::InsufficientScope(vec![Permission::IntrospectOauthTokens.as_str().to_owned()]));
    }
    Ok(serde_json::json!({
        "active": true,
        "scope": principal.scope_text(),
        "exp": principal.expires_at / 1000,
        "client_id": principal.client_id,
    }))
}

/// Creates a client of `project_key` with the default token lifetime; every scope must be
/// about that project.
pub fn create_client(
    db: &Database,
    project_key: &str,
    name: &str,
    scope: &str,
) -> Result<CreatedClient, ApiError> {
    create_client_with(db, project_key, name, scope, &ClientOptions::default())
}

/// The most days after its creation that a client can be set to be deleted.
const MAX_DELETE_DAYS: i64 = 2_900_000;

/// Creates a client with what its draft set.
pub fn create_client_with(
    db: &Database,
    project_key: &str,
    name: &str,
    scope: &str,
    options: &ClientOptions,
) -> Result<CreatedClient, ApiError> {
    // commercetools' ranges: an access token lives an hour to a week.
    for (field, value, range) in [
        ("accessTokenValiditySeconds", options.access_token_validity_seconds, 3_600..=604_800),
        ("refreshTokenValiditySeconds", options.refresh_token_validity_seconds, 30..=31_536_000),
        // commercetools sets no upper bound; this one keeps `deleteAt` a four-digit-year
        // date-time (before 9999-12-31) for clients created before 2050.
        ("deleteDaysAfterCreation", options.delete_days_after_creation, 1..=MAX_DELETE_DAYS),
    ] {
        if value.is_some_and(|v| !range.contains(&v)) {
            let (low, high) = (range.start(), range.end());
            return Err(ApiError::invalid_input(format!("{field} must be between {low} and {high}.")));
        }
    }
    let scopes = ScopeSet::parse(scope)
        .map_err(|e| ApiError::invalid_input(format!("Malformed parameter: scope: {e}")))?;
    if scopes.project_keys() != [project_key] {
        return Err(ApiError::invalid_input(format!(
            "Malformed parameter: scope: every scope must be of the project '{project_key}'."
        )));
    }
    let name = name.trim();
    if name.is_empty() || name.len() > 256 {
        return Err(ApiError::invalid_input("The name of an API client must have 1 to 256 characters."));
    }
    let secret = credentials::new_client_secret();
    let row = ClientRow {
        id: credentials::new_client_id(),
        project_key: project_key.to_owned(),
        name: name.to_owned(),
        scope: scopes.to_string(),
        secret_hash: secret.hash(),
        created_at: now().millis(),
        access_token_validity_seconds: options.access_token_validity_seconds,
        refresh_token_validity_seconds: options.refresh_token_validity_seconds,
        delete_at: options
            .delete_days_after_creation
            .map(|days| now().millis().saturating_add(days.saturating_mul(86_400_000))),
        last_used_at: None,
    };
    db.write(|conn| -> Result<(), ApiError> { Ok(store::insert(conn, &row)?) })?;
    Ok(CreatedClient { client: ApiClient::from(&row), secret })
}

pub fn get_client(db: &Database, project_key: &str, id: &str) -> Result<ApiClient, ApiError> {
    let row = db.read(|conn| Ok::<_, ApiError>(store::find_in_project(conn, project_key, id)?))?;
    row.as_ref().map(ApiClient::from).ok_or_else(|| ApiError::not_found_by_id(id))
}

/// A page of the project's API clients that match the query, as JSON, and how many match.
/// (A project has few clients: they are filtered and sorted in memory, by the evaluator the
/// SQL of the other list endpoints is held to.)
pub fn list_clients(
    db: &Database,
    project_key: &str,
    query: &crate::service::ListQuery,
) -> Result<(Vec<serde_json::Value>, i64), ApiError> {
    let rows = db.read(|conn| Ok::<_, ApiError>(store::list(conn, project_key, i64::MAX, 0)?))?;
    let mut clients: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| serde_json::to_value(ApiClient::from(row)).map_err(ApiError::internal))
        .collect::<Result<_, _>>()?;
    if let Some(predicate) = &query.predicate {
        clients.retain(|client| crate::query::eval::matches(predicate, client));
    }
    if !query.sort.is_empty() {
        clients.sort_by(|a, b| crate::query::eval::order(a, b, &query.sort));
    }
    let total = i64::try_from(clients.len()).unwrap_or(i64::MAX);
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    Ok((clients.into_iter().skip(offset).take(limit).collect(), total))
}

/// Whether the project has the client.
pub fn client_exists(db: &Database, project_key: &str, id: &str) -> Result<bool, ApiError> {
    db.read(|conn| Ok(store::find_in_project(conn, project_key, id)?.is_some()))
}

/// Deletes a client; its tokens stop working at once.
pub fn delete_client(db: &Database, project_key: &str, id: &str) -> Result<ApiClient, ApiError> {
    db.write(|conn| {
        let row =
            store::find_in_project(conn, project_key, id)?.ok_or_else(|| ApiError::not_found_by_id(id))?;
        store::delete(conn, project_key, id)?;
        Ok(ApiClient::from(&row))
    })
}

/// On a database without any API client, creates project `demo` with a `manage_project:demo`
/// client so that a new user can try the API at once.
pub fn bootstrap_if_empty(db: &Database) -> Result<Option<CreatedClient>, ApiError> {
    let empty = db.read(|conn| Ok::<_, ApiError>(!store::any_exists(conn)?))?;
    if !empty {
        return Ok(None);
    }
    create_client(db, "demo", "demo bootstrap client", "manage_project:demo").map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_headers_are_parsed_strictly() {
        assert_eq!(bearer_token(Some("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(Some("bearer  abc ")).unwrap(), "abc");
        for bad in [Some("Basic abc"), Some("Bearer"), Some("Bearer "), Some("abc"), None] {
            assert!(matches!(bearer_token(bad), Err(ApiError::InvalidToken(_))), "{bad:?}");
        }
    }
}
