//! Every response carries an `X-Correlation-ID`: the client's, if valid, or a generated one.
//! The request log line (method, path, status, duration, correlation id) is written here too.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use std::time::Instant;

pub const HEADER: &str = "x-correlation-id";

/// commercetools documents `[A-Za-z0-9_-]`, 8 to 256 characters; `/` is allowed too, because
/// its own SDKs send `projectKey/UUID` by default (the .NET SDK, the JVM SDK).
fn is_valid(id: &str) -> bool {
    (8..=256).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'/')
}

pub async fn correlate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    // What the log line needs is kept only when it is written.
    let logged = log::log_enabled!(log::Level::Info)
        .then(|| (Instant::now(), req.method().clone(), req.path().to_owned()));
    let given = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_owned));
    let (correlation_id, response) = match given {
        Some(Ok(id)) if is_valid(&id) => (id, next.call(req).await?.map_into_boxed_body()),
        None => (format!("projects-{}", uuid::Uuid::new_v4()), next.call(req).await?.map_into_boxed_body()),
        Some(_) => {
            let error = ApiError::invalid_input(
                "Invalid X-Correlation-ID header. It may only contain alphanumeric characters, underscores and hyphens and have a length of 8 to 256 characters.",
            );
            let id = format!("projects-{}", uuid::Uuid::new_v4());
            (id, req.into_response(error.error_response()))
        }
    };
    let mut response = response;
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response.headers_mut().insert(HeaderName::from_static(HEADER), value);
    }
    if let Some((started, method, path)) = logged {
        log::info!(
            "{method} {path} {} {}ms correlation_id={correlation_id}",
            response.status().as_u16(),
            started.elapsed().as_millis()
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn correlation_ids_follow_commercetools_rules() {
        assert!(super::is_valid("abcdEFGH-123_x"));
        assert!(!super::is_valid("short"));
        assert!(!super::is_valid("has space in it"));
        assert!(!super::is_valid(&"x".repeat(257)));
    }
}
