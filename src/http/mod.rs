//! The HTTP layer: routes, extractors and the wire format. Nothing below it knows actix.

mod api_clients;
mod auth;
mod connect;
mod correlation;
mod cors;
mod json;
mod messages;
mod meta;
mod my_payments;
mod not_allowed;
mod nul_guard;
mod oauth;
mod payments;
mod query;
mod resources;
mod wallet;
mod webhooks;

use crate::error::ApiError;
use crate::persistence::payments::Locator;
use crate::persistence::Database;
use crate::service::auth::TokenCache;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use std::time::Duration;

pub use correlation::{correlate, HEADER as CORRELATION_HEADER};
pub use cors::{allow_cross_origin, answer_preflight};
pub use not_allowed::explain_method_not_allowed;
pub use nul_guard::refuse_nul;

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    /// The provider executor, when a provider is configured.
    pub psp: Option<std::sync::Arc<crate::service::psp::Executor>>,
    /// How long a create or update waits for the provider before answering.
    pub psp_wait: Duration,
    /// The secrets webhook signatures are checked with (two while one is rotated).
    pub webhook_secrets: Vec<crate::auth::credentials::Secret>,
    pub tokens: TokenCache,
    pub token_lifetime: Duration,
}

/// Registers every route of the service; the server and the tests mount exactly this.
pub fn configure(cfg: &mut web::ServiceConfig) {
    meta::configure(cfg);
    oauth::configure(cfg);
    payments::configure(cfg);
    my_payments::configure(cfg);
    api_clients::configure(cfg);
    resources::configure(cfg);
    messages::configure(cfg);
    webhooks::configure(cfg);
    wallet::configure(cfg);
    connect::configure(cfg);
}

/// How the URL's last segment addresses a resource: `{id}` or `key={key}`.
pub trait Addressing {
    fn locator(segment: String) -> Locator;
}

pub struct ById;
pub struct ByKey;

impl Addressing for ById {
    fn locator(segment: String) -> Locator {
        Locator::Id(segment)
    }
}

impl Addressing for ByKey {
    fn locator(segment: String) -> Locator {
        Locator::Key(segment)
    }
}

/// Answers unknown routes in commercetools' format.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::ResourceNotFound("The requested resource was not found.".into()))
}

/// Runs blocking database work off the async workers.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(work).await?
}

/// The Stripe adapter, or InvalidOperation saying that `feature` needs it.
fn stripe_adapter(
    state: &AppState,
    feature: &str,
) -> Result<std::sync::Arc<crate::service::psp::Executor>, ApiError> {
    state.psp.clone().ok_or_else(|| {
        crate::domain::errors::DomainError::InvalidOperation(format!(
            "{feature} need the Stripe adapter (STRIPE_SECRET_KEY)."
        ))
        .into()
    })
}

/// The answer to HEAD: 200 when the resource exists (or anything matches), else 404; no body.
pub fn existence(found: bool) -> HttpResponse {
    HttpResponse::new(if found { StatusCode::OK } else { StatusCode::NOT_FOUND })
}

/// HEAD with a predicate on a collection: whether any of the project's documents matches.
pub async fn head_query(
    state: &AppState,
    project_key: String,
    collection: crate::persistence::documents::Collection,
    fields: &[crate::query::schema::Field],
    query_string: &str,
) -> Result<HttpResponse, ApiError> {
    let predicate = query::QueryParams::parse(query_string).predicate(fields)?;
    let db = state.db.clone();
    let found =
        blocking(move || crate::service::any_matches(&db, &collection, &project_key, predicate.as_ref()))
            .await?;
    Ok(existence(found))
}

/// A response whose body is a JSON document that is already serialized.
pub fn json_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json; charset=utf-8").body(body)
}
