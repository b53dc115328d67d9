//! `GET /` (what this service is), `GET /health` (whether it can serve) and
//! `GET /{projectKey}` (the Project, as SDKs read it first; HEAD checks that it exists).

use super::auth::{Scoped, ViewProjectSettings};
use super::{blocking, json_response, AppState};
use crate::error::ApiError;
use crate::service;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// Registered before the project routes, so `/health` is never read as a project key. HEAD is
/// answered where GET is (load balancers check health with it); other methods get a 405.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(about)).route(web::head().to(about)))
        .service(web::resource("/health").route(web::get().to(health)).route(web::head().to(health)))
        .service(
            web::resource("/{projectKey}")
                .route(web::get().to(project))
                .route(web::head().to(project_exists)),
        );
}

/// A token for the project is only issued while the project exists (it has API clients).
async fn project_exists(_auth: Scoped<ViewProjectSettings>) -> HttpResponse {
    super::existence(true)
}

async fn project(
    auth: Scoped<ViewProjectSettings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let document = blocking(move || service::projects::get(&db, &auth.project_key)).await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn about() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "name": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// 200 when the database answers, 503 when it does not.
async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let up = blocking(move || Ok(db.ping())).await?;
    Ok(if up {
        HttpResponse::Ok().json(json!({"status": "ok", "database": "up"}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "database": "down"}))
    })
}
