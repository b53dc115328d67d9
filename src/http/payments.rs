//! `/{projectKey}/payments`: create, get, check, update, delete and list Payments.

use super::auth::{ManagePayments, Scoped, ViewPayments};
use super::json::JsonBody;
use super::query::{malformed, QueryParams};
use super::{blocking, json_response, AppState};
use crate::domain::actions::PaymentUpdateAction;
use crate::domain::payment::PaymentDraft;
use crate::error::ApiError;
use crate::persistence::payments::Locator;
use crate::query::schema::PAYMENT_FIELDS;
use crate::query::{self, SortKey};
use crate::service;
use crate::service::payments::PaymentQuery;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// Maximum `limit` and `offset` of a query, as in commercetools.
const MAX_LIMIT: i64 = 500;
const MAX_OFFSET: i64 = 10_000;
const DEFAULT_LIMIT: i64 = 20;

const DEPRECATION_NOTICE: &str =
    "This request uses deprecated Payment fields or update actions (externalId, amountAuthorized, authorizedUntil, amountPaid, amountRefunded, setExternalId, setAuthorization, setAmountPaid, setAmountRefunded).";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/{projectKey}/payments")
            .route(web::get().to(query))
            .route(web::head().to(exists_any))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/{projectKey}/payments/key={key}")
            .route(web::get().to(get_by_key))
            .route(web::head().to(exists_by_key))
            .route(web::post().to(update_by_key))
            .route(web::delete().to(delete_by_key)),
    )
    .service(
        web::resource("/{projectKey}/payments/{id}")
            .route(web::get().to(get_by_id))
            .route(web::head().to(exists_by_id))
            .route(web::post().to(update_by_id))
            .route(web::delete().to(delete_by_id)),
    );
}

/// The `{id}` or `key={key}` segment after the project key.
fn id_locator(path: web::Path<(String, String)>) -> Locator {
    Locator::Id(path.into_inner().1)
}

fn key_locator(path: web::Path<(String, String)>) -> Locator {
    Locator::Key(path.into_inner().1)
}

#[derive(Deserialize)]
struct UpdateRequest {
    version: i64,
    actions: Vec<PaymentUpdateAction>,
}

fn with_deprecation(mut response: HttpResponse, deprecated: bool) -> HttpResponse {
    if deprecated {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-deprecation-notice"),
            actix_web::http::header::HeaderValue::from_static(DEPRECATION_NOTICE),
        );
    }
    response
}

async fn create(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    JsonBody(draft): JsonBody<PaymentDraft>,
) -> Result<HttpResponse, ApiError> {
    let deprecated = draft.uses_deprecated_fields();
    let actor = auth.actor();
    let db = state.db.clone();
    let document = blocking(move || service::payments::create(&db, &auth.project_key, draft, &actor)).await?;
    Ok(with_deprecation(json_response(StatusCode::CREATED, document), deprecated))
}

async fn get(
    project_key: String,
    state: web::Data<AppState>,
    locator: Locator,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let document = blocking(move || service::payments::get(&db, &project_key, &locator)).await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn get_by_id(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    get(auth.project_key, state, id_locator(path)).await
}

async fn get_by_key(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    get(auth.project_key, state, key_locator(path)).await
}

/// HEAD answers 200 or 404 with no body.
async fn exists(
    project_key: String,
    state: web::Data<AppState>,
    locator: Locator,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let found = blocking(move || service::payments::exists(&db, &project_key, &locator)).await?;
    Ok(HttpResponse::new(if found { StatusCode::OK } else { StatusCode::NOT_FOUND }))
}

async fn exists_by_id(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    exists(auth.project_key, state, id_locator(path)).await
}

async fn exists_by_key(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    exists(auth.project_key, state, key_locator(path)).await
}

/// HEAD with a predicate: 200 if any payment matches, 404 otherwise.
async fn exists_any(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let predicate = predicate(&QueryParams::parse(req.query_string()))?;
    let db = state.db.clone();
    let project_key = auth.project_key;
    let found =
        blocking(move || service::payments::any_matches(&db, &project_key, predicate.as_ref())).await?;
    Ok(HttpResponse::new(if found { StatusCode::OK } else { StatusCode::NOT_FOUND }))
}

async fn update(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    locator: Locator,
    request: UpdateRequest,
) -> Result<HttpResponse, ApiError> {
    let deprecated = request.actions.iter().any(PaymentUpdateAction::is_deprecated);
    let actor = auth.actor();
    let db = state.db.clone();
    let document = blocking(move || {
        service::payments::update(&db, &auth.project_key, &locator, request.version, request.actions, &actor)
    })
    .await?;
    Ok(with_deprecation(json_response(StatusCode::OK, document), deprecated))
}

async fn update_by_id(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    JsonBody(request): JsonBody<UpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    update(auth, state, id_locator(path), request).await
}

async fn update_by_key(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    JsonBody(request): JsonBody<UpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    update(auth, state, key_locator(path), request).await
}

async fn delete(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    locator: Locator,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string());
    let version = params
        .int_in("version", 1, i64::MAX)?
        .ok_or_else(|| malformed("version", "Missing required parameter 'version'."))?;
    let data_erasure = params.bool_or("dataErasure", false)?;
    let db = state.db.clone();
    let project_key = auth.project_key;
    let document =
        blocking(move || service::payments::delete(&db, &project_key, &locator, version, data_erasure))
            .await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn delete_by_id(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    delete(auth, state, id_locator(path), req).await
}

async fn delete_by_key(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    delete(auth, state, key_locator(path), req).await
}

/// The `where` predicates (with their `var.*` values) of a query string, checked.
fn predicate(params: &QueryParams) -> Result<Option<query::schema::Checked>, ApiError> {
    query::predicate(&params.all("where"), &PAYMENT_FIELDS, &params.variables())
}

async fn query(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string());
    let limit = params.int_in("limit", 0, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
    let offset = params.int_in("offset", 0, MAX_OFFSET)?.unwrap_or(0);
    let with_total = params.bool_or("withTotal", true)?;
    let sort = params
        .all("sort")
        .into_iter()
        .map(|text| query::sort_key(text, &PAYMENT_FIELDS))
        .collect::<Result<Vec<SortKey>, _>>()?;
    let request = PaymentQuery { predicate: predicate(&params)?, sort, limit, offset, with_total };
    let db = state.db.clone();
    let project_key = auth.project_key;
    let result = blocking(move || service::payments::list(&db, &project_key, &request)).await?;
    let mut body = String::with_capacity(result.documents.iter().map(|d| d.len() + 1).sum::<usize>() + 96);
    body.push_str(&format!("{{\"limit\":{limit},\"offset\":{offset},\"count\":{}", result.documents.len()));
    if let Some(total) = result.total {
        body.push_str(&format!(",\"total\":{total}"));
    }
    body.push_str(",\"results\":[");
    body.push_str(&result.documents.join(","));
    body.push_str("]}");
    Ok(json_response(StatusCode::OK, body))
}
