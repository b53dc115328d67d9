//! Request bodies: read with a size limit and parsed into typed values, every failure answered
//! as commercetools does (InvalidJsonInput with the JSON path of the problem).

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// commercetools' document limit; larger bodies are refused before they are read whole.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A JSON request body parsed into `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|error| {
                if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge {
                        limit: MAX_BODY_BYTES,
                    }
                } else {
                    ApiError::invalid_json(error.to_string())
                }
            })?;
            parse(&bytes).map(JsonBody)
        })
    }
}

/// Parses JSON, naming where in the document a problem is (`actions[0].amount: ...`).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            ApiError::invalid_json(inner.to_string())
        } else {
            ApiError::invalid_json(format!("{path}: {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::invalid_json(e.to_string()))?;
    Ok(value)
}
