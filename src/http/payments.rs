//! `/{projectKey}/payments`: create, get, check, update, delete and list Payments.

use super::auth::{ManagePayments, Scoped, ViewPayments};
use super::json::JsonBody;
use super::query::{malformed, paged_body, QueryParams};
use super::{blocking, json_response, AppState};
use crate::domain::actions::PaymentUpdateAction;
use crate::domain::payment::PaymentDraft;
use crate::error::ApiError;
use crate::persistence::payments::Locator;
use crate::query::schema::PAYMENT_FIELDS;
use crate::service;
use crate::service::expansion::{expand_document, expand_documents};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

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

/// The `expand` parameters of a request.
fn expansions(req: &HttpRequest) -> Vec<String> {
    QueryParams::parse(req.query_string()).all("expand").into_iter().map(str::to_owned).collect()
}

async fn create(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
    JsonBody(draft): JsonBody<PaymentDraft>,
) -> Result<HttpResponse, ApiError> {
    let deprecated = draft.uses_deprecated_fields();
    let actor = auth.actor();
    let db = state.db.clone();
    let expand = expansions(&req);
    let document = blocking(move || {
        let document = service::payments::create(&db, &auth.project_key, draft, &actor)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(with_deprecation(json_response(StatusCode::CREATED, document), deprecated))
}

async fn get(
    project_key: String,
    state: web::Data<AppState>,
    locator: Locator,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let expand = expansions(&req);
    let document = blocking(move || {
        let document = service::payments::get(&db, &project_key, &locator)?;
        expand_document(&db, &project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn get_by_id(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    get(auth.project_key, state, id_locator(path), req).await
}

async fn get_by_key(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    get(auth.project_key, state, key_locator(path), req).await
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
    let predicate = QueryParams::parse(req.query_string()).predicate(&PAYMENT_FIELDS)?;
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
    req: HttpRequest,
    request: UpdateRequest,
) -> Result<HttpResponse, ApiError> {
    let deprecated = request.actions.iter().any(PaymentUpdateAction::is_deprecated);
    let actor = auth.actor();
    let db = state.db.clone();
    let expand = expansions(&req);
    let document = blocking(move || {
        let document = service::payments::update(
            &db,
            &auth.project_key,
            &locator,
            request.version,
            request.actions,
            &actor,
        )?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(with_deprecation(json_response(StatusCode::OK, document), deprecated))
}

async fn update_by_id(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    JsonBody(request): JsonBody<UpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    update(auth, state, id_locator(path), req, request).await
}

async fn update_by_key(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    JsonBody(request): JsonBody<UpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    update(auth, state, key_locator(path), req, request).await
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
    let expand = params.all("expand").into_iter().map(str::to_owned).collect::<Vec<_>>();
    let document = blocking(move || {
        let document = service::payments::delete(&db, &project_key, &locator, version, data_erasure)?;
        expand_document(&db, &project_key, document, &expand)
    })
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

async fn query(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = QueryParams::parse(req.query_string()).list_query(&PAYMENT_FIELDS)?;
    let db = state.db.clone();
    let project_key = auth.project_key;
    let expand = expansions(&req);
    let (request, page) = blocking(move || {
        let mut page = service::payments::list(&db, &project_key, &request)?;
        page.documents = expand_documents(&db, &project_key, page.documents, &expand)?;
        Ok((request, page))
    })
    .await?;
    Ok(json_response(StatusCode::OK, paged_body(&request, &page.documents, page.total)))
}
