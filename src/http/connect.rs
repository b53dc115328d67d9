//! `/{projectKey}/stripe/connected-accounts`: the platform's connected accounts (marketplace
//! sellers whose payments name them in `paymentMethodInfo.interfaceAccount`): created, read,
//! deleted, and links for their owners' onboarding and dashboard. Platform administration,
//! so it takes `manage_project`.

use super::auth::{ManageProject, Scoped};
use super::json::JsonBody;
use super::{json_response, stripe_adapter, AppState};
use crate::error::ApiError;
use crate::service::connect::AccountDraft;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/{projectKey}/stripe/connected-accounts").route(web::post().to(create)))
        .service(
            web::resource("/{projectKey}/stripe/connected-accounts/{accountId}")
                .route(web::get().to(get))
                .route(web::delete().to(delete)),
        )
        .service(
            web::resource("/{projectKey}/stripe/connected-accounts/{accountId}/onboarding-links")
                .route(web::post().to(onboarding_link)),
        )
        .service(
            web::resource("/{projectKey}/stripe/connected-accounts/{accountId}/login-links")
                .route(web::post().to(login_link)),
        );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateDraft {
    #[serde(rename = "type")]
    kind: String,
    email: Option<String>,
    country: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OnboardingDraft {
    refresh_url: String,
    return_url: String,
}

/// The longest `Idempotency-Key` a client may send (Stripe takes 255, and ours is prefixed).
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The client's `Idempotency-Key`, if it sent one: a retry with the same key gets the account
/// the first attempt created instead of a second one.
fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get("Idempotency-Key") else { return Ok(None) };
    match value.to_str() {
        Ok(key)
            if (1..=MAX_IDEMPOTENCY_KEY).contains(&key.len())
                && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::invalid_input(format!(
            "The Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters."
        ))),
    }
}

async fn create(
    request: HttpRequest,
    auth: Scoped<ManageProject>,
    state: web::Data<AppState>,
    draft: JsonBody<CreateDraft>,
) -> Result<HttpResponse, ApiError> {
    let CreateDraft { kind, email, country } = draft.parsed()?;
    let idempotency_key = idempotency_key(&request)?;
    let account = stripe_adapter(&state, "Connected accounts")?
        .create_account(&auth.project_key, AccountDraft { kind, email, country, idempotency_key })
        .await?;
    Ok(json_response(StatusCode::CREATED, json!(account).to_string()))
}

async fn get(
    auth: Scoped<ManageProject>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let account = stripe_adapter(&state, "Connected accounts")?
        .account(&auth.project_key, &path.into_inner().1)
        .await?;
    Ok(json_response(StatusCode::OK, json!(account).to_string()))
}

async fn delete(
    auth: Scoped<ManageProject>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let account_id = path.into_inner().1;
    stripe_adapter(&state, "Connected accounts")?.delete_account(&auth.project_key, &account_id).await?;
    Ok(json_response(StatusCode::OK, json!({"id": account_id, "deleted": true}).to_string()))
}

async fn onboarding_link(
    auth: Scoped<ManageProject>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    draft: JsonBody<OnboardingDraft>,
) -> Result<HttpResponse, ApiError> {
    let OnboardingDraft { refresh_url, return_url } = draft.parsed()?;
    let link = stripe_adapter(&state, "Connected accounts")?
        .onboarding_link(&auth.project_key, &path.into_inner().1, refresh_url, return_url)
        .await?;
    Ok(json_response(StatusCode::CREATED, json!({"url": link.url, "expiresAt": link.expires_at}).to_string()))
}

async fn login_link(
    auth: Scoped<ManageProject>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let link = stripe_adapter(&state, "Connected accounts")?
        .login_link(&auth.project_key, &path.into_inner().1)
        .await?;
    Ok(json_response(StatusCode::CREATED, json!({"url": link.url}).to_string()))
}
