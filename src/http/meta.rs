//! `GET /` (what this service is) and `GET /health` (whether it can serve).

use super::{blocking, AppState};
use crate::error::ApiError;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(about)).route("/health", web::get().to(health));
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
