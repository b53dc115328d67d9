//! `/{projectKey}/messages`: the record of every change, queried like any other resource.

use super::auth::{Scoped, ViewMessages};
use super::query::{paged_body, QueryParams};
use super::{blocking, existence, head_query, json_response, AppState};
use crate::error::ApiError;
use crate::persistence::documents::MESSAGES;
use crate::query::schema::MESSAGE_FIELDS;
use crate::service;
use crate::service::expansion::{expand_document, expand_documents};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/{projectKey}/messages").route(web::get().to(query)).route(web::head().to(exists_any)),
    )
    .service(
        web::resource("/{projectKey}/messages/{id}").route(web::get().to(get)).route(web::head().to(exists)),
    );
}

async fn exists(
    auth: Scoped<ViewMessages>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().1;
    let db = state.db.clone();
    let found = blocking(move || service::messages::exists(&db, &auth.project_key, &id)).await?;
    Ok(existence(found))
}

async fn exists_any(
    auth: Scoped<ViewMessages>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    head_query(&state, auth.project_key.clone(), MESSAGES, &MESSAGE_FIELDS, req.query_string()).await
}

async fn get(
    auth: Scoped<ViewMessages>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().1;
    let db = state.db.clone();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let document = blocking(move || {
        let document = service::messages::get(&db, &auth.project_key, &id)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn query(
    auth: Scoped<ViewMessages>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string());
    let (request, expand) = (params.list_query(&MESSAGE_FIELDS)?, params.expansions());
    let db = state.db.clone();
    let (request, page) = blocking(move || {
        let mut page = service::messages::list(&db, &auth.project_key, &request)?;
        page.documents = expand_documents(&db, &auth.project_key, page.documents, &expand)?;
        Ok((request, page))
    })
    .await?;
    Ok(json_response(StatusCode::OK, paged_body(&request, &page.documents, page.total)))
}
