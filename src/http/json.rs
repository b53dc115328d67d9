//! Request bodies: read with a size limit and parsed into typed values, every failure answered
//! as commercetools does (InvalidJsonInput with the JSON path of the problem).

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

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
                    ApiError::ResourceSizeLimitExceeded
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
    deserializer.end().map_err(|e| ApiError::invalid_json(e.to_string()))?;
    if may_contain_nul(bytes)
        && contains_nul(&serde_json::from_slice(bytes).map_err(|e| ApiError::invalid_json(e.to_string()))?)
    {
        return Err(ApiError::invalid_json("Strings cannot contain the NUL character (\\u0000)."));
    }
    Ok(value)
}

/// Whether the text has a `\u0000` escape, the only way JSON carries NUL: a cheap scan that
/// decides whether the exact check is needed.
fn may_contain_nul(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

/// Whether any string or key holds NUL, which PostgreSQL cannot store.
fn contains_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(contains_nul),
        serde_json::Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}
