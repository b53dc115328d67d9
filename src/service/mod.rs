//! Units of work: each public function is one database transaction around the pure domain.
//! Functions are blocking; the HTTP layer runs them on actix's blocking pool. The async ones
//! (the Stripe adapter's, and the hot requests that PostgreSQL serves on the worker itself, see
//! `persistence::worker_postgres`) hand their blocking parts to that pool with [`blocking`].

pub mod auth;
pub mod connect;
pub mod expansion;
pub mod messages;
pub mod my_payments;
pub mod payments;
pub mod projects;
pub mod psp;
pub mod resources;
pub mod sessions;
pub mod wallet;
pub mod webhooks;

use crate::domain::common::{ClientLogging, Reference, Timestamp};
use crate::error::ApiError;
use crate::persistence::documents::{self, Collection, PageQuery};
use crate::persistence::Database;
use crate::query::schema::Checked;
use crate::query::SortKey;

/// commercetools' limit of a stored resource (and so of a request body, which is refused
/// before it is read whole).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// The JSON document stored for a resource; a change that would make it larger than
/// commercetools allows is refused, whatever the size of the request that made it.
/// Runs blocking work (database calls through the pool) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)?
}

fn document_of<T: serde::Serialize>(resource: &T) -> Result<String, ApiError> {
    let document = serde_json::to_string(resource).map_err(ApiError::internal)?;
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError::ResourceSizeLimitExceeded);
    }
    Ok(document)
}

/// Who is making a request, for `createdBy`/`lastModifiedBy` and Messages.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub client_id: Option<String>,
    pub external_user_id: Option<String>,
    /// The shopper whose session the token is, if it is one's.
    pub shopper: Option<crate::auth::Identity>,
}

impl Actor {
    fn logging(&self) -> Option<ClientLogging> {
        if self.client_id.is_none() && self.external_user_id.is_none() {
            return None;
        }
        let (customer_id, anonymous_id) = crate::auth::Identity::columns(self.shopper.as_ref());
        let customer = customer_id.map(|id| Reference { type_id: "customer".into(), id });
        Some(ClientLogging {
            client_id: self.client_id.clone(),
            external_user_id: self.external_user_id.clone(),
            customer,
            anonymous_id,
            is_platform_client: false,
        })
    }
}

/// 404 for the resource a URL addresses by id or key.
fn not_found(locator: &crate::persistence::payments::Locator) -> ApiError {
    use crate::persistence::payments::Locator;
    match locator {
        Locator::Id(id) => ApiError::not_found_by_id(id),
        Locator::Key(key) => ApiError::not_found_by_key(key),
    }
}

/// 409 for a write that named a version other than the stored one.
fn conflict(id: &str, expected: i64, current: i64) -> ApiError {
    ApiError::ConcurrentModification { resource_id: id.to_owned(), expected, current }
}

fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What a list endpoint asks for.
pub struct ListQuery {
    pub predicate: Option<Checked>,
    pub sort: Vec<SortKey>,
    pub limit: i64,
    pub offset: i64,
    pub with_total: bool,
}

/// A page of documents, with the total when it was asked for.
pub struct Page {
    pub documents: Vec<String>,
    pub total: Option<i64>,
}

/// With a predicate, `total` counts at most this many matches, as in commercetools.
const MAX_TOTAL_WITH_PREDICATE: i64 = 10_000;

/// One page of a collection's documents matching the query, with the total if asked.
pub fn list_documents(
    db: &Database,
    collection: &Collection,
    project_key: &str,
    query: &ListQuery,
) -> Result<Page, ApiError> {
    db.read(|conn| {
        let page = PageQuery {
            predicate: query.predicate.as_ref(),
            sort: &query.sort,
            limit: query.limit,
            offset: query.offset,
            timeout: db.query_timeout(),
        };
        let found = if query.limit == 0 {
            Vec::new()
        } else {
            documents::query(conn, collection, project_key, &page)?
        };
        let total = if query.with_total {
            // Without a predicate the total is exact.
            let cap = if query.predicate.is_some() { MAX_TOTAL_WITH_PREDICATE } else { i64::MAX };
            Some(documents::count_matching(
                conn,
                collection,
                project_key,
                query.predicate.as_ref(),
                cap,
                db.query_timeout(),
            )?)
        } else {
            None
        };
        Ok(Page { documents: found, total })
    })
}

/// Whether any document of the collection matches (HEAD with a predicate).
pub fn any_matches(
    db: &Database,
    collection: &Collection,
    project_key: &str,
    predicate: Option<&Checked>,
) -> Result<bool, ApiError> {
    db.read(|conn| {
        let page = PageQuery { predicate, sort: &[], limit: 1, offset: 0, timeout: db.query_timeout() };
        Ok(!documents::query(conn, collection, project_key, &page)?.is_empty())
    })
}
