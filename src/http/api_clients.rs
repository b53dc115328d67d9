//! `/{projectKey}/api-clients`: create (the secret is shown once), get, query and delete.

use super::auth::{ManageApiClients, Scoped, ViewApiClients};
use super::json::JsonBody;
use super::query::{paged_body, QueryParams};
use super::{blocking, existence, json_response, AppState};
use crate::error::ApiError;
use crate::query::schema::API_CLIENT_FIELDS;
use crate::service;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/{projectKey}/api-clients")
            .route(web::get().to(list))
            .route(web::head().to(exists_any))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/{projectKey}/api-clients/{id}")
            .route(web::get().to(get))
            .route(web::head().to(exists))
            .route(web::delete().to(delete)),
    );
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiClientDraft {
    name: String,
    scope: String,
    access_token_validity_seconds: Option<i64>,
    refresh_token_validity_seconds: Option<i64>,
    delete_days_after_creation: Option<i64>,
}

async fn create(
    auth: Scoped<ManageApiClients>,
    state: web::Data<AppState>,
    body: JsonBody<ApiClientDraft>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.parsed()?;
    let db = state.db.clone();
    let project_key = auth.project_key;
    let options = service::auth::ClientOptions {
        access_token_validity_seconds: draft.access_token_validity_seconds,
        refresh_token_validity_seconds: draft.refresh_token_validity_seconds,
        delete_days_after_creation: draft.delete_days_after_creation,
    };
    let created = blocking(move || {
        service::auth::create_client_with(&db, &project_key, &draft.name, &draft.scope, &options)
    })
    .await?;
    let mut body = serde_json::to_value(&created.client).map_err(ApiError::internal)?;
    if let Some(fields) = body.as_object_mut() {
        fields.insert("secret".into(), json!(created.secret.expose()));
    }
    Ok(HttpResponse::Created().json(body))
}

async fn get(
    auth: Scoped<ViewApiClients>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let db = state.db.clone();
    let project_key = auth.project_key;
    let client = blocking(move || service::auth::get_client(&db, &project_key, &id)).await?;
    Ok(HttpResponse::Ok().json(client))
}

async fn exists(
    auth: Scoped<ViewApiClients>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let db = state.db.clone();
    let found = blocking(move || service::auth::client_exists(&db, &auth.project_key, &id)).await?;
    Ok(existence(found))
}

/// Whether any of the project's clients matches the `where` predicates (or, without, exists).
async fn exists_any(
    auth: Scoped<ViewApiClients>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut query = QueryParams::parse(req.query_string()).list_query(&API_CLIENT_FIELDS)?;
    (query.limit, query.offset, query.sort) = (1, 0, vec![]);
    let db = state.db.clone();
    let (clients, _) = blocking(move || service::auth::list_clients(&db, &auth.project_key, &query)).await?;
    Ok(existence(!clients.is_empty()))
}

async fn list(
    auth: Scoped<ViewApiClients>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string()).list_query(&API_CLIENT_FIELDS)?;
    let db = state.db.clone();
    let (query, clients, total) = blocking(move || {
        let (clients, total) = service::auth::list_clients(&db, &auth.project_key, &query)?;
        Ok((query, clients, total))
    })
    .await?;
    let documents: Vec<String> = clients.iter().map(serde_json::Value::to_string).collect();
    Ok(json_response(StatusCode::OK, paged_body(&query, &documents, query.with_total.then_some(total))))
}

/// Deleting a client revokes its tokens at once.
async fn delete(
    auth: Scoped<ManageApiClients>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let db = state.db.clone();
    let project_key = auth.project_key;
    let client = blocking(move || service::auth::delete_client(&db, &project_key, &id)).await?;
    state.tokens.forget_client(&client.id);
    Ok(HttpResponse::Ok().json(client))
}
