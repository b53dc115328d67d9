//! `/{projectKey}/me/payments`: a shopper's own payments, with a token of their session
//! (anonymous session flow). The shopper sees the fields of a MyPayment only.

use super::auth::{ManageMyPayments, Scoped};
use super::json::{JsonBody, UpdateBody};
use super::payments::settle;
use super::query::{paged_body, QueryParams};
use super::{blocking, existence, json_response, AppState};
use crate::domain::my_payments::{shopper_view, MyPaymentDraft, MyPaymentUpdateAction};
use crate::error::ApiError;
use crate::query::schema::PAYMENT_FIELDS;
use crate::service;
use crate::service::expansion::{expand_document, expand_documents};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/{projectKey}/me/payments")
            .route(web::get().to(query))
            .route(web::head().to(exists_any))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/{projectKey}/me/payments/{id}")
            .route(web::get().to(get))
            .route(web::head().to(exists))
            .route(web::post().to(update))
            .route(web::delete().to(delete)),
    );
}

/// A payment document as the shopper is shown it.
fn shown(document: &str) -> Result<String, ApiError> {
    let value = serde_json::from_str(document).map_err(ApiError::internal)?;
    serde_json::to_string(&shopper_view(value)).map_err(ApiError::internal)
}

async fn create(
    auth: Scoped<ManageMyPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<MyPaymentDraft>,
) -> Result<HttpResponse, ApiError> {
    auth.principal.shopper()?;
    let draft = body.parsed()?;
    let actor = auth.actor();
    let db = state.db.clone();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    let project_key = auth.project_key.clone();
    let written = blocking(move || {
        service::my_payments::create(&db, &project_key, draft, &actor, interface.as_deref())
    })
    .await?;
    let document = settle(&state, &auth.project_key, written, expand).await?;
    Ok(json_response(StatusCode::CREATED, shown(&document)?))
}

async fn get(
    auth: Scoped<ManageMyPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let shopper = auth.principal.shopper()?.clone();
    let id = path.into_inner().1;
    let db = state.db.clone();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let document = blocking(move || {
        let document = service::my_payments::get(&db, &auth.project_key, &shopper, &id)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, shown(&document)?))
}

async fn exists(
    auth: Scoped<ManageMyPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let shopper = auth.principal.shopper()?.clone();
    let id = path.into_inner().1;
    let db = state.db.clone();
    let found = blocking(move || service::my_payments::exists(&db, &auth.project_key, &shopper, &id)).await?;
    Ok(existence(found))
}

async fn exists_any(
    auth: Scoped<ManageMyPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let shopper = auth.principal.shopper()?.clone();
    let predicate = QueryParams::parse(req.query_string()).predicate(&PAYMENT_FIELDS)?;
    let db = state.db.clone();
    let found =
        blocking(move || service::my_payments::any_matches(&db, &auth.project_key, &shopper, predicate))
            .await?;
    Ok(existence(found))
}

async fn update(
    auth: Scoped<ManageMyPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: UpdateBody<MyPaymentUpdateAction>,
) -> Result<HttpResponse, ApiError> {
    auth.principal.shopper()?;
    let request = body.parsed()?.within_limits()?;
    let id = path.into_inner().1;
    let actor = auth.actor();
    let db = state.db.clone();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    let project_key = auth.project_key.clone();
    let written = blocking(move || {
        let (version, actions) = (request.version, request.actions);
        service::my_payments::update(&db, &project_key, &id, version, actions, &actor, interface.as_deref())
    })
    .await?;
    let document = settle(&state, &auth.project_key, written, expand).await?;
    Ok(json_response(StatusCode::OK, shown(&document)?))
}

async fn delete(
    auth: Scoped<ManageMyPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let shopper = auth.principal.shopper()?.clone();
    let id = path.into_inner().1;
    let params = QueryParams::parse(req.query_string());
    let version = params.version()?;
    let expand = params.expansions();
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    let db = state.db.clone();
    let document = blocking(move || {
        let project_key = &auth.project_key;
        let document =
            service::my_payments::delete(&db, project_key, &shopper, &id, version, interface.as_deref())?;
        expand_document(&db, project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, shown(&document)?))
}

async fn query(
    auth: Scoped<ManageMyPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let shopper = auth.principal.shopper()?.clone();
    let params = QueryParams::parse(req.query_string());
    let request = params.list_query(&PAYMENT_FIELDS)?;
    let db = state.db.clone();
    let expand = params.expansions();
    let (request, page) = blocking(move || {
        let (request, mut page) = service::my_payments::list(&db, &auth.project_key, &shopper, request)?;
        page.documents = expand_documents(&db, &auth.project_key, page.documents, &expand)?;
        Ok((request, page))
    })
    .await?;
    let documents = page.documents.iter().map(|d| shown(d)).collect::<Result<Vec<_>, _>>()?;
    Ok(json_response(StatusCode::OK, paged_body(&request, &documents, page.total)))
}
