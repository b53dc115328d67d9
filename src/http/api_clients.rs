//! `/{projectKey}/api-clients`: create (the secret is shown once), get, list and delete.

use super::auth::{ManageApiClients, Scoped, ViewApiClients};
use super::json::JsonBody;
use super::query::QueryParams;
use super::{blocking, existence, AppState};
use crate::error::ApiError;
use crate::service;
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
    let found =
        blocking(move || service::auth::client_exists(&db, &auth.project_key, Some(id.as_str()))).await?;
    Ok(existence(found))
}

async fn exists_any(
    auth: Scoped<ViewApiClients>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    refuse_predicates(&QueryParams::parse(req.query_string()))?;
    let db = state.db.clone();
    let found = blocking(move || service::auth::client_exists(&db, &auth.project_key, None)).await?;
    Ok(existence(found))
}

/// Refused rather than ignored: a client must not take every API client for its matches.
fn refuse_predicates(params: &QueryParams) -> Result<(), ApiError> {
    match ["where", "sort"].into_iter().find(|name| params.get(name).is_some()) {
        Some(name) => Err(ApiError::invalid_input(format!(
            "Malformed parameter: {name}: API clients are listed in creation order, without predicates or sorting."
        ))),
        None => Ok(()),
    }
}

async fn list(
    auth: Scoped<ViewApiClients>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string());
    refuse_predicates(&params)?;
    let limit = params.int_in("limit", 0, 500)?.unwrap_or(20);
    let offset = params.int_in("offset", 0, 10_000)?.unwrap_or(0);
    let with_total = params.bool_or("withTotal", true)?;
    let db = state.db.clone();
    let project_key = auth.project_key;
    let (clients, total) =
        blocking(move || service::auth::list_clients(&db, &project_key, limit, offset)).await?;
    let mut body = json!({"limit": limit, "offset": offset, "count": clients.len(), "results": clients});
    if let (true, Some(fields)) = (with_total, body.as_object_mut()) {
        fields.insert("total".into(), json!(total));
    }
    Ok(HttpResponse::Ok().json(body))
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
