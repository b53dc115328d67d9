//! `/{projectKey}/customers/{id}/payment-methods`: a customer's payment methods saved with
//! Stripe, listed, saved and removed through the customer's Stripe customer. `interfaceAccount`
//! (a query parameter) names a connected account.

use super::auth::{ManageCustomers, Scoped, ViewCustomers};
use super::json::JsonBody;
use super::query::QueryParams;
use super::{json_response, stripe_adapter, AppState};
use crate::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/{projectKey}/customers/{id}/payment-methods")
            .route(web::get().to(list))
            .route(web::post().to(save)),
    )
    .service(
        web::resource("/{projectKey}/customers/{id}/payment-methods/{paymentMethodId}")
            .route(web::delete().to(remove)),
    );
}

/// What saving takes: a payment method the customer's browser created with Stripe.js.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SaveDraft {
    payment_method: String,
}

fn account(req: &HttpRequest) -> Option<String> {
    QueryParams::parse(req.query_string()).get("interfaceAccount").map(str::to_owned)
}

async fn list(
    auth: Scoped<ViewCustomers>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner().1;
    let methods = stripe_adapter(&state, "Saved payment methods")?
        .saved_methods(&auth.project_key, &customer_id, account(&req).as_deref())
        .await?;
    let body = json!({"count": methods.len(), "results": methods});
    Ok(json_response(StatusCode::OK, body.to_string()))
}

async fn save(
    auth: Scoped<ManageCustomers>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    draft: JsonBody<SaveDraft>,
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner().1;
    let SaveDraft { payment_method } = draft.parsed()?;
    // It names the Stripe object in the call's URL.
    if payment_method.trim().is_empty() {
        return Err(ApiError::invalid_input(
            "paymentMethod is empty: give the id of a Stripe PaymentMethod (pm_…).",
        ));
    }
    let saved = stripe_adapter(&state, "Saved payment methods")?
        .save_method(&auth.project_key, &customer_id, payment_method, account(&req).as_deref())
        .await?;
    Ok(json_response(StatusCode::CREATED, json!(saved).to_string()))
}

async fn remove(
    auth: Scoped<ManageCustomers>,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (_, customer_id, payment_method) = path.into_inner();
    let removed = stripe_adapter(&state, "Saved payment methods")?
        .remove_method(&auth.project_key, &customer_id, &payment_method, account(&req).as_deref())
        .await?;
    Ok(json_response(StatusCode::OK, json!(removed).to_string()))
}
