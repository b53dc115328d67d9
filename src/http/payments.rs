//! `/{projectKey}/payments`: create, get, check, update, delete and list Payments.

use super::auth::{ManagePayments, Scoped, ViewPayments};
use super::json::JsonBody;
use super::query::{paged_body, QueryParams};
use super::{blocking, json_response, Addressing, AppState, ById, ByKey};
use crate::domain::actions::PaymentUpdateAction;
use crate::domain::payment::PaymentDraft;
use crate::error::ApiError;
use crate::query::schema::PAYMENT_FIELDS;
use crate::service;
use crate::service::expansion::{expand_document, expand_documents};
use actix_web::http::header::{HeaderName, HeaderValue};
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
            .route(web::get().to(get::<ByKey>))
            .route(web::head().to(exists::<ByKey>))
            .route(web::post().to(update::<ByKey>))
            .route(web::delete().to(delete::<ByKey>)),
    )
    .service(
        web::resource("/{projectKey}/payments/{id}")
            .route(web::get().to(get::<ById>))
            .route(web::head().to(exists::<ById>))
            .route(web::post().to(update::<ById>))
            .route(web::delete().to(delete::<ById>)),
    );
}

#[derive(Deserialize)]
struct UpdateRequest {
    version: i64,
    actions: Vec<PaymentUpdateAction>,
}

fn with_deprecation(mut response: HttpResponse, deprecated: bool) -> HttpResponse {
    if deprecated {
        response.headers_mut().insert(
            HeaderName::from_static("x-deprecation-notice"),
            HeaderValue::from_static(DEPRECATION_NOTICE),
        );
    }
    response
}

/// The `expand` parameters of a request.
fn expansions(params: &QueryParams) -> Vec<String> {
    params.all("expand").into_iter().map(str::to_owned).collect()
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
    let expand = expansions(&QueryParams::parse(req.query_string()));
    let document = blocking(move || {
        let document = service::payments::create(&db, &auth.project_key, draft, &actor)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(with_deprecation(json_response(StatusCode::CREATED, document), deprecated))
}

async fn get<A: Addressing>(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let db = state.db.clone();
    let expand = expansions(&QueryParams::parse(req.query_string()));
    let document = blocking(move || {
        let document = service::payments::get(&db, &auth.project_key, &locator)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

/// HEAD answers 200 or 404 with no body.
async fn exists<A: Addressing>(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let db = state.db.clone();
    let found = blocking(move || service::payments::exists(&db, &auth.project_key, &locator)).await?;
    Ok(HttpResponse::new(if found { StatusCode::OK } else { StatusCode::NOT_FOUND }))
}

/// HEAD with a predicate: 200 if any payment matches, 404 otherwise.
async fn exists_any(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let predicate = QueryParams::parse(req.query_string()).predicate(&PAYMENT_FIELDS)?;
    let db = state.db.clone();
    let found =
        blocking(move || service::payments::any_matches(&db, &auth.project_key, predicate.as_ref())).await?;
    Ok(HttpResponse::new(if found { StatusCode::OK } else { StatusCode::NOT_FOUND }))
}

async fn update<A: Addressing>(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    JsonBody(request): JsonBody<UpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let deprecated = request.actions.iter().any(PaymentUpdateAction::is_deprecated);
    let actor = auth.actor();
    let db = state.db.clone();
    let expand = expansions(&QueryParams::parse(req.query_string()));
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

async fn delete<A: Addressing>(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let params = QueryParams::parse(req.query_string());
    let version = params.version()?;
    let data_erasure = params.bool_or("dataErasure", false)?;
    let db = state.db.clone();
    let expand = expansions(&params);
    let document = blocking(move || {
        let document = service::payments::delete(&db, &auth.project_key, &locator, version, data_erasure)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn query(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string());
    let request = params.list_query(&PAYMENT_FIELDS)?;
    let db = state.db.clone();
    let expand = expansions(&params);
    let (request, page) = blocking(move || {
        let mut page = service::payments::list(&db, &auth.project_key, &request)?;
        page.documents = expand_documents(&db, &auth.project_key, page.documents, &expand)?;
        Ok((request, page))
    })
    .await?;
    Ok(json_response(StatusCode::OK, paged_body(&request, &page.documents, page.total)))
}
