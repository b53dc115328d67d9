//! No stored string can hold the NUL character (PostgreSQL's text cannot), so a request whose
//! path or query carries one (`%00`) is answered here, before it reaches a handler or a
//! database that would refuse the value with an error of its own.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

const ENCODED_NUL: &str = "%00";

pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    // Nothing can live at such a path: the same answer as any unknown resource.
    let refusal = if req.path().contains(ENCODED_NUL) {
        Some(ApiError::ResourceNotFound("The requested resource was not found.".into()))
    } else if req.query_string().contains(ENCODED_NUL) {
        Some(ApiError::invalid_input(
            "Malformed parameter: query parameters cannot contain the NUL character.",
        ))
    } else {
        None
    };
    match refusal {
        Some(error) => Ok(req.into_response(error.error_response())),
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}
