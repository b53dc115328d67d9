//! `/oauth/token` (client credentials grant), `/oauth/token/revoke` and `/oauth/introspect`,
//! as commercetools' auth API answers them. Parameters may come in the form body or the query string.

use super::json::RawBody;
use super::query::QueryParams;
use super::{blocking, AppState};
use crate::error::{ApiError, OAuthError};
use crate::service;
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/token", web::post().to(token))
        .route("/oauth/token/revoke", web::post().to(revoke))
        .route("/oauth/introspect", web::post().to(introspect));
}

/// Client id and secret from `Authorization: Basic base64(id:secret)`.
fn basic_credentials(req: &HttpRequest) -> Result<(String, String), ApiError> {
    let invalid = || {
        ApiError::oauth(
            OAuthError::InvalidClient,
            "Please provide valid client credentials using HTTP Basic Authentication.",
        )
    };
    let header = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(invalid)?;
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    // No stored client id holds NUL (PostgreSQL's text cannot), so none is looked up.
    let decoded = String::from_utf8(decoded).ok().filter(|text| !text.contains('\0')).ok_or_else(invalid)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    Ok((id.to_owned(), secret.to_owned()))
}

/// Form body parameters first, then the query string's.
fn parameters(req: &HttpRequest, body: &[u8]) -> QueryParams {
    let body = String::from_utf8_lossy(body);
    QueryParams::parse(&format!("{}&{body}", req.query_string()))
}

async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    RawBody(body): RawBody,
) -> Result<HttpResponse, ApiError> {
    let (client_id, client_secret) = basic_credentials(&req)?;
    let params = parameters(&req, &body);
    match params.get("grant_type") {
        None => {
            return Err(ApiError::oauth(
                OAuthError::InvalidRequest,
                "Missing required parameter: grant_type.",
            ))
        }
        Some("client_credentials") => {}
        Some("refresh_token") if params.get("refresh_token").is_none() => {
            return Err(ApiError::oauth(
                OAuthError::InvalidRequest,
                "Missing required parameter: refresh_token.",
            ))
        }
        Some("refresh_token") => {
            let db = state.db.clone();
            let refusal =
                blocking(move || Ok(service::auth::refresh_token_refusal(&db, &client_id, &client_secret)))
                    .await?;
            return Err(refusal);
        }
        Some(other) => {
            return Err(ApiError::oauth(
                OAuthError::UnsupportedGrantType,
                format!("Invalid parameter: grant_type: Invalid grant type: {other}"),
            ))
        }
    }
    let scope = params.get("scope").map(str::to_owned);
    let db = state.db.clone();
    let lifetime = state.token_lifetime;
    let issued = blocking(move || {
        service::auth::issue_token(&db, &client_id, &client_secret, scope.as_deref(), lifetime)
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(json!({
        "access_token": issued.access_token.expose(),
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    })))
}

/// The client's credentials and the `token` parameter, which introspection and revocation take.
fn token_request(req: &HttpRequest, body: &[u8]) -> Result<(String, String, String), ApiError> {
    let (client_id, client_secret) = basic_credentials(req)?;
    let token = parameters(req, body)
        .get("token")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::oauth(OAuthError::InvalidRequest, "Missing required parameter: token."))?;
    Ok((client_id, client_secret, token))
}

async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    RawBody(body): RawBody,
) -> Result<HttpResponse, ApiError> {
    let (client_id, client_secret, token) = token_request(&req, &body)?;
    let db = state.db.clone();
    let answer = blocking(move || service::auth::introspect(&db, &client_id, &client_secret, &token)).await?;
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(answer))
}

/// Revokes an access token of the client (RFC 7009): 200 with an empty body. Refresh tokens
/// are never issued here, so revoking one changes nothing.
async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    RawBody(body): RawBody,
) -> Result<HttpResponse, ApiError> {
    let (client_id, client_secret, token) = token_request(&req, &body)?;
    let db = state.db.clone();
    let revoked = blocking(move || service::auth::revoke(&db, &client_id, &client_secret, &token)).await?;
    state.tokens.forget(&revoked);
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).finish())
}
