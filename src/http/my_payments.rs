//! `/{projectKey}/me/payments`: a shopper's own payments, with a token of their session
//! (anonymous session or password flow). The shopper sees the fields of a MyPayment only.

use super::auth::{ManageMyPayments, Shopper};
use super::json::{JsonBody, UpdateBody};
use super::payments::settle;
use super::query::{paged_body, QueryParams};
use super::{blocking, existence, json_response, AppState};
use crate::domain::my_payments::{expandable, shopper_view, MyPaymentDraft, MyPaymentUpdateAction};
use crate::error::ApiError;
use crate::query::schema::MY_PAYMENT_FIELDS;
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

/// The `expand` paths a shopper may follow (see [`expandable`]); others are ignored, as
/// commercetools ignores paths that lead nowhere.
fn expansions(params: &QueryParams) -> Vec<String> {
    params.expansions().into_iter().filter(|path| expandable(path)).collect()
}

/// A payment document as the shopper is shown it.
fn shown(document: &str) -> Result<String, ApiError> {
    let value = serde_json::from_str(document).map_err(ApiError::internal)?;
    serde_json::to_string(&shopper_view(value)).map_err(ApiError::internal)
}

async fn create(
    me: Shopper<ManageMyPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<MyPaymentDraft>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.parsed()?;
    let actor = me.scoped.actor();
    let expand = expansions(&QueryParams::parse(req.query_string()));
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    let project_key = me.scoped.project_key.clone();
    let written =
        service::my_payments::create(state.db.clone(), project_key, &me.identity, draft, actor, interface)
            .await?;
    let document = settle(&state, &me.scoped.project_key, written, expand).await?;
    Ok(json_response(StatusCode::CREATED, shown(&document)?))
}

async fn get(
    me: Shopper<ManageMyPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().1;
    let db = state.db.clone();
    let expand = expansions(&QueryParams::parse(req.query_string()));
    let document = blocking(move || {
        let document = service::my_payments::get(&db, &me.scoped.project_key, &me.identity, &id)?;
        expand_document(&db, &me.scoped.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, shown(&document)?))
}

async fn exists(
    me: Shopper<ManageMyPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().1;
    let db = state.db.clone();
    let found =
        blocking(move || service::my_payments::exists(&db, &me.scoped.project_key, &me.identity, &id))
            .await?;
    Ok(existence(found))
}

async fn exists_any(
    me: Shopper<ManageMyPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let predicate = QueryParams::parse(req.query_string()).predicate(&MY_PAYMENT_FIELDS)?;
    let db = state.db.clone();
    let found = blocking(move || {
        service::my_payments::any_matches(&db, &me.scoped.project_key, &me.identity, predicate)
    })
    .await?;
    Ok(existence(found))
}

async fn update(
    me: Shopper<ManageMyPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: UpdateBody<MyPaymentUpdateAction>,
) -> Result<HttpResponse, ApiError> {
    let request = body.parsed()?.within_limits()?;
    let id = path.into_inner().1;
    let actor = me.scoped.actor();
    let db = state.db.clone();
    let expand = expansions(&QueryParams::parse(req.query_string()));
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    let (project_key, shopper) = (me.scoped.project_key.clone(), me.identity.clone());
    let written = blocking(move || {
        let (target, actions) = ((id.as_str(), request.version), request.actions);
        let interface = interface.as_deref();
        service::my_payments::update(&db, &project_key, &shopper, target, actions, &actor, interface)
    })
    .await?;
    let document = settle(&state, &me.scoped.project_key, written, expand).await?;
    Ok(json_response(StatusCode::OK, shown(&document)?))
}

async fn delete(
    me: Shopper<ManageMyPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().1;
    let params = QueryParams::parse(req.query_string());
    let version = params.version()?;
    let expand = expansions(&params);
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    let db = state.db.clone();
    let document = blocking(move || {
        let project_key = &me.scoped.project_key;
        let target = (id.as_str(), version);
        let document =
            service::my_payments::delete(&db, project_key, &me.identity, target, interface.as_deref())?;
        expand_document(&db, project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, shown(&document)?))
}

async fn query(
    me: Shopper<ManageMyPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string());
    let mut request = params.list_query(&MY_PAYMENT_FIELDS)?;
    let db = state.db.clone();
    let expand = expansions(&params);
    let (request, page) = blocking(move || {
        let mut page = service::my_payments::list(&db, &me.scoped.project_key, &me.identity, &mut request)?;
        page.documents = expand_documents(&db, &me.scoped.project_key, page.documents, &expand)?;
        Ok((request, page))
    })
    .await?;
    let documents = page.documents.iter().map(|d| shown(d)).collect::<Result<Vec<_>, _>>()?;
    Ok(json_response(StatusCode::OK, paged_body(&request, &documents, page.total)))
}
