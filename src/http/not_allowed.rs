//! actix answers a method that a route does not serve with an empty 405; clients get
//! commercetools' error body instead, beside the `Allow` header actix sets.

use crate::error::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::ALLOW;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

pub async fn explain_method_not_allowed(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return Ok(response);
    }
    let allow = response.headers().get(ALLOW).cloned();
    let allowed = allow.as_ref().and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let error = ApiError::MethodNotAllowed(format!(
        "The method {} is not allowed on this resource. Allowed: {allowed}.",
        response.request().method()
    ));
    let (request, _) = response.into_parts();
    let mut explained = error.error_response();
    if let Some(allow) = allow {
        explained.headers_mut().insert(ALLOW, allow);
    }
    Ok(ServiceResponse::new(request, explained))
}
