//! The one error type of the HTTP API, answered in commercetools' error format:
//! `{"statusCode", "message", "errors": [{"code", "message", ...}]}`.

use crate::domain::common::IdOrKey;
use crate::domain::errors::DomainError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request the domain refused: always a 400.
    #[error(transparent)]
    BadRequest(#[from] DomainError),
    /// The resource the URL addresses does not exist.
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("Object {resource_id} has a different version than expected. Expected: {expected} - Actual: {current}.")]
    ConcurrentModification { resource_id: String, expected: i64, current: i64 },
    /// A method the addressed route does not serve (405). commercetools defines no code for
    /// it; the request is invalid input.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A request body, or the resource a change would store, over commercetools' 16 MB.
    #[error("The resource size exceeds the maximal allowed size of 16 MB.")]
    ResourceSizeLimitExceeded,
    /// No usable access token: missing, malformed, unknown, expired or revoked.
    #[error("{0}")]
    InvalidToken(String),
    /// The token is valid but lacks the scope the endpoint needs.
    #[error("Insufficient scope. One of the following scopes is missing: {}.", .0.join(", "))]
    InsufficientScope(Vec<String>),
    /// An error of the OAuth endpoints, in OAuth 2.0 terms.
    #[error("{message}")]
    OAuth { error: OAuthError, message: String },
    /// A query ran longer than allowed and was cancelled.
    #[error("The query timed out. Narrow the predicate, or use fields that are indexed (id, key, interfaceId, customer, anonymousId, createdAt, transactions' interactionId).")]
    QueryTimedOut,
    /// The service cannot take the request now (pool exhausted, database unreachable).
    #[error("The service is over capacity. Please retry with backoff.")]
    OverCapacity(String),
    /// The payment service provider did not answer a call the request depends on (a 503 with
    /// commercetools' OverCapacity code, which SDKs retry with backoff).
    #[error("The payment service provider could not be reached. Please retry with backoff.")]
    ProviderUnavailable(String),
    /// Anything unexpected. The cause is logged, never shown.
    #[error("Internal server error.")]
    Internal(String),
}

/// OAuth 2.0 error codes of the token and introspection endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnsupportedGrantType,
    /// The password flow's answer to an unknown email or a wrong password, alike.
    InvalidCustomerAccountCredentials,
}

impl OAuthError {
    fn code(self) -> &'static str {
        match self {
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidCustomerAccountCredentials => "invalid_customer_account_credentials",
        }
    }
}

impl ApiError {
    pub fn oauth(error: OAuthError, message: impl Into<String>) -> Self {
        Self::OAuth { error, message: message.into() }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::BadRequest(DomainError::InvalidInput(message.into()))
    }

    pub fn invalid_json(detail: impl Into<String>) -> Self {
        Self::BadRequest(DomainError::InvalidJsonInput { detail: detail.into() })
    }

    pub fn not_found_by_id(id: &str) -> Self {
        Self::ResourceNotFound(format!("The Resource with ID '{id}' was not found."))
    }

    pub fn not_found_by_key(key: &str) -> Self {
        Self::ResourceNotFound(format!("The Resource with key '{key}' was not found."))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(error) => match error {
                DomainError::InvalidOperation(_) => "InvalidOperation",
                DomainError::InvalidInput(_) => "InvalidInput",
                DomainError::InvalidJsonInput { .. } => "InvalidJsonInput",
                DomainError::InvalidField { .. } => "InvalidField",
                DomainError::RequiredField { .. } => "RequiredField",
                DomainError::DuplicateField { .. } | DomainError::DuplicateFieldWorded { .. } => {
                    "DuplicateField"
                }
                DomainError::ReferencedResourceNotFound { .. } => "ReferencedResourceNotFound",
                DomainError::ReferenceExists { .. } => "ReferenceExists",
                DomainError::InvalidCredentials => "InvalidCredentials",
                DomainError::InvalidCurrentPassword => "InvalidCurrentPassword",
            },
            Self::ResourceNotFound(_) => "ResourceNotFound",
            Self::MethodNotAllowed(_) => "InvalidInput",
            Self::QueryTimedOut => "QueryTimedOut",
            Self::InvalidToken(_) => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::OAuth { error, .. } => error.code(),
            Self::ConcurrentModification { .. } => "ConcurrentModification",
            Self::ResourceSizeLimitExceeded => "ResourceSizeLimitExceeded",
            Self::OverCapacity(_) | Self::ProviderUnavailable(_) => "OverCapacity",
            Self::Internal(_) => "General",
        }
    }

    /// The code-specific fields commercetools puts beside `code` and `message`.
    fn extra_fields(&self, error: &mut Map<String, Value>) {
        match self {
            Self::BadRequest(DomainError::InvalidJsonInput { detail }) => {
                error.insert("detailedErrorMessage".into(), json!(detail));
            }
            Self::BadRequest(DomainError::InvalidField { field, invalid_value, allowed_values }) => {
                error.insert("field".into(), json!(field));
                error.insert("invalidValue".into(), invalid_value.clone());
                if let Some(allowed) = allowed_values {
                    error.insert("allowedValues".into(), json!(allowed));
                }
            }
            Self::BadRequest(DomainError::RequiredField { field }) => {
                error.insert("field".into(), json!(field));
            }
            Self::BadRequest(
                DomainError::DuplicateField { field, duplicate_value }
                | DomainError::DuplicateFieldWorded { field, duplicate_value, .. },
            ) => {
                error.insert("field".into(), json!(field));
                error.insert("duplicateValue".into(), duplicate_value.clone());
            }
            Self::BadRequest(DomainError::ReferencedResourceNotFound { type_id, target }) => {
                error.insert("typeId".into(), json!(type_id));
                match target {
                    IdOrKey::Id(id) => error.insert("id".into(), json!(id)),
                    IdOrKey::Key(key) => error.insert("key".into(), json!(key)),
                };
            }
            Self::BadRequest(DomainError::ReferenceExists { referenced_by, .. }) => {
                error.insert("referencedBy".into(), json!(referenced_by));
            }
            Self::ConcurrentModification { current, .. } => {
                error.insert("currentVersion".into(), json!(current));
            }
            _ => {}
        }
    }

    pub fn body(&self) -> Value {
        let message = self.to_string();
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code()));
        error.insert("message".into(), json!(message));
        self.extra_fields(&mut error);
        let mut body = json!({
            "statusCode": self.status_code().as_u16(),
            "message": message,
            "errors": [error],
        });
        // Auth errors are AuthErrorResponses: the OAuth error code sits at the top level too.
        if let (
            Self::InvalidToken(_) | Self::InsufficientScope(_) | Self::OAuth { .. },
            Value::Object(fields),
        ) = (self, &mut body)
        {
            fields.insert("error".into(), json!(self.code()));
            fields.insert("error_description".into(), json!(message));
        }
        body
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::QueryTimedOut => StatusCode::BAD_REQUEST,
            Self::ResourceNotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::InvalidToken(_) | Self::OAuth { error: OAuthError::InvalidClient, .. } => {
                StatusCode::UNAUTHORIZED
            }
            Self::OAuth { .. } => StatusCode::BAD_REQUEST,
            Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::ConcurrentModification { .. } => StatusCode::CONFLICT,
            Self::ResourceSizeLimitExceeded => StatusCode::BAD_REQUEST,
            Self::OverCapacity(_) | Self::ProviderUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => log::error!("internal error: {}", one_line(cause)),
            Self::OverCapacity(cause) => log::warn!("over capacity: {}", one_line(cause)),
            Self::ProviderUnavailable(cause) => log::warn!("provider unavailable: {}", one_line(cause)),
            _ => {}
        }
        HttpResponse::build(self.status_code())
            .content_type("application/json; charset=utf-8")
            .body(self.body().to_string())
    }
}

/// A cause on one log line: libpq's messages span several ("…\n\tIs the server running…").
fn one_line(cause: &str) -> String {
    cause.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &error {
            // The database went away (a restart, a failover): the request may be retried.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::OverCapacity(error.to_string()),
            // SQLite reports a lock it waited too long for as "database is locked".
            Error::DatabaseError(_, info) if info.message().contains("database is locked") => {
                Self::OverCapacity(error.to_string())
            }
            Error::DatabaseError(_, info)
                if info.message().contains("statement timeout") || info.message().contains("interrupted") =>
            {
                Self::QueryTimedOut
            }
            // A query's timeout that struck the rollback of its transaction too (a tiny
            // QUERY_TIMEOUT_MS under load): still the query's deadline, not a fault.
            Error::RollbackErrorOnCommit { rollback_error, commit_error }
                if [rollback_error, commit_error]
                    .iter()
                    .all(|e| e.to_string().contains("statement timeout")) =>
            {
                Self::QueryTimedOut
            }
            _ => Self::Internal(error.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::OverCapacity(error.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::Internal(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_database_connection_is_a_503() {
        use diesel::result::{DatabaseErrorKind, Error};
        for kind in [DatabaseErrorKind::ClosedConnection, DatabaseErrorKind::UnableToSendCommand] {
            let error = ApiError::from(Error::DatabaseError(
                kind,
                Box::new("no connection to the server".to_owned()),
            ));
            assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        }
    }

    #[test]
    fn conflict_bodies_carry_the_current_version_in_the_first_error() {
        let body =
            ApiError::ConcurrentModification { resource_id: "p-1".into(), expected: 1, current: 3 }.body();
        assert_eq!(body["statusCode"], 409);
        assert_eq!(body["errors"][0]["code"], "ConcurrentModification");
        assert_eq!(body["errors"][0]["currentVersion"], 3);
        assert_eq!(body["message"], body["errors"][0]["message"]);
    }

    #[test]
    fn missing_references_name_the_type_and_the_identifier() {
        let error = ApiError::from(DomainError::ReferencedResourceNotFound {
            type_id: "customer".into(),
            target: IdOrKey::Key("c".into()),
        });
        let body = error.body();
        assert_eq!(body["statusCode"], 400);
        assert_eq!(body["errors"][0]["typeId"], "customer");
        assert_eq!(body["errors"][0]["key"], "c");
    }

    #[test]
    fn auth_errors_carry_the_oauth_code_at_the_top_level() {
        let body = ApiError::InsufficientScope(vec!["view_payments".into()]).body();
        assert_eq!(body["statusCode"], 403);
        assert_eq!(body["error"], "insufficient_scope");
        assert_eq!(body["errors"][0]["code"], "insufficient_scope");
        assert_eq!(
            body["message"],
            "Insufficient scope. One of the following scopes is missing: view_payments."
        );
        assert_eq!(body["error_description"], body["message"]);
        let body = ApiError::oauth(OAuthError::InvalidClient, "bad").body();
        assert_eq!(body["statusCode"], 401);
        assert_eq!(body["error"], "invalid_client");
    }

    #[test]
    fn internal_errors_do_not_reveal_their_cause() {
        let body = ApiError::internal("secret detail").body();
        assert_eq!(body["errors"][0]["code"], "General");
        assert!(!body.to_string().contains("secret detail"));
    }
}
