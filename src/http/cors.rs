//! Cross-origin access, as commercetools' API allows it: any origin, a fixed set of request
//! headers (`X-Correlation-ID` among them), and the correlation id readable by scripts. Every
//! response carries the headers; a preflight (`OPTIONS`) is answered before routing and without
//! a token, since browsers send none with it.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

const ALLOW_HEADERS: &str =
    "Accept, Authorization, Content-Type, Origin, User-Agent, X-Correlation-ID, X-External-User-ID";
const ALLOW_METHODS: &str = "GET, HEAD, POST, DELETE, OPTIONS";
/// How long a browser may reuse a preflight's answer, in seconds (commercetools sends 299).
const MAX_AGE: &str = "299";

/// Outermost, so that every answer carries the headers, those of the other middleware too (an
/// invalid correlation id, say).
pub async fn allow_cross_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("X-Correlation-ID"));
    Ok(response)
}

/// Inside the correlation middleware, so that a preflight gets an id and a log line too.
pub async fn answer_preflight(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() != Method::OPTIONS {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let preflight = HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE))
        .finish();
    Ok(req.into_response(preflight))
}
