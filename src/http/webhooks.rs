//! `POST /{projectKey}/stripe/webhooks`: Stripe's events, signed instead of authenticated with
//! a token. The event is stored before it is acknowledged, then applied in the background.

use super::json::RawBody;
use super::{blocking, AppState};
use crate::error::ApiError;
use crate::service;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/{projectKey}/stripe/webhooks").route(web::post().to(receive)));
}

async fn receive(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    RawBody(body): RawBody,
) -> Result<HttpResponse, ApiError> {
    let Some(executor) = state.psp.clone().filter(|_| !state.webhook_secrets.is_empty()) else {
        return Err(ApiError::ResourceNotFound("Stripe webhooks are not configured.".into()));
    };
    // Stored and routed by its strings, which PostgreSQL cannot hold with NUL in them.
    super::json::refuse_nul(&body)?;
    let project_key = path.into_inner();
    let header = req.headers().get("stripe-signature").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (db, secrets) = (state.db.clone(), state.webhook_secrets.clone());
    let new =
        blocking(move || service::webhooks::receive(&db, &project_key, &secrets, header.as_deref(), &body))
            .await?;
    if let Some(event_id) = new {
        tokio::spawn(async move { executor.apply_event(&event_id).await });
    }
    Ok(HttpResponse::Ok().json(json!({"received": true})))
}
