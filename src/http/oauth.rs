//! `/oauth/token` (client credentials and refresh token grants), the anonymous session flow
//! `/oauth/{projectKey}/anonymous/token`, the password flow
//! `/oauth/{projectKey}/customers/token`, `/oauth/token/revoke` and `/oauth/introspect`, as
//! commercetools' auth API answers them. Parameters may come in the form body or the query string.

use super::json::RawBody;
use super::query::QueryParams;
use super::{blocking, AppState};
use crate::error::{ApiError, OAuthError};
use crate::service;
use crate::service::auth::TokenRequest;
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Resources (not bare routes), so that another method is a 405 with commercetools' body.
    cfg.service(web::resource("/oauth/token").route(web::post().to(token)))
        .service(web::resource("/oauth/{projectKey}/anonymous/token").route(web::post().to(anonymous_token)))
        .service(web::resource("/oauth/{projectKey}/customers/token").route(web::post().to(customer_token)))
        .service(web::resource("/oauth/token/revoke").route(web::post().to(revoke)))
        .service(web::resource("/oauth/introspect").route(web::post().to(introspect)));
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

/// The client's credentials and what every grant takes from the parameters.
fn grant_request(
    state: &AppState,
    req: &HttpRequest,
    params: &QueryParams,
) -> Result<TokenRequest, ApiError> {
    let (client_id, client_secret) = basic_credentials(req)?;
    Ok(TokenRequest {
        client_id,
        client_secret,
        scope: params.get("scope").map(str::to_owned),
        lifetime: state.token_lifetime,
    })
}

fn required<'a>(params: &'a QueryParams, name: &str) -> Result<&'a str, ApiError> {
    params.get(name).ok_or_else(|| {
        ApiError::oauth(OAuthError::InvalidRequest, format!("Missing required parameter: {name}."))
    })
}

/// The client credentials grant, and the refresh token grant of a shopper's session.
async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    RawBody(body): RawBody,
) -> Result<HttpResponse, ApiError> {
    let params = parameters(&req, &body);
    let request = grant_request(&state, &req, &params)?;
    let db = state.db.clone();
    let issued = if params.get("grant_type") == Some("refresh_token") {
        let refresh_token = required(&params, "refresh_token")?.to_owned();
        blocking(move || service::sessions::refresh(&db, &request, &refresh_token)).await?
    } else {
        require_grant(&params, "client_credentials")?;
        blocking(move || service::auth::issue_token(&db, &request)).await?
    };
    Ok(token_response(issued))
}

fn token_response(issued: service::auth::IssuedToken) -> HttpResponse {
    let mut body = json!({
        "access_token": issued.access_token.expose(),
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    });
    if let (Some(refresh_token), Some(fields)) = (&issued.refresh_token, body.as_object_mut()) {
        fields.insert("refresh_token".into(), json!(refresh_token.expose()));
    }
    HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(body)
}

fn require_grant(params: &QueryParams, expected: &str) -> Result<(), ApiError> {
    match params.get("grant_type") {
        None => Err(ApiError::oauth(OAuthError::InvalidRequest, "Missing required parameter: grant_type.")),
        Some(grant) if grant == expected => Ok(()),
        Some(other) => Err(ApiError::oauth(
            OAuthError::UnsupportedGrantType,
            format!("Invalid parameter: grant_type: Invalid grant type: {other}"),
        )),
    }
}

/// The anonymous session flow: a token (and refresh token) for a new anonymous shopper.
async fn anonymous_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    RawBody(body): RawBody,
) -> Result<HttpResponse, ApiError> {
    let params = parameters(&req, &body);
    let request = grant_request(&state, &req, &params)?;
    require_grant(&params, "client_credentials")?;
    let anonymous_id = params.get("anonymous_id").map(str::to_owned);
    let project_key = path.into_inner();
    let db = state.db.clone();
    let issued = blocking(move || {
        service::sessions::issue_anonymous_token(&db, &project_key, &request, anonymous_id.as_deref())
    })
    .await?;
    Ok(token_response(issued))
}

/// The password flow: a token (and refresh token) for a customer who signs in.
async fn customer_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    RawBody(body): RawBody,
) -> Result<HttpResponse, ApiError> {
    let params = parameters(&req, &body);
    let request = grant_request(&state, &req, &params)?;
    require_grant(&params, "password")?;
    let email = required(&params, "username")?.to_owned();
    let password = required(&params, "password")?.to_owned();
    let project_key = path.into_inner();
    let db = state.db.clone();
    let issued = blocking(move || {
        service::sessions::issue_customer_token(&db, &project_key, &request, &email, &password)
    })
    .await?;
    Ok(token_response(issued))
}

/// The client's credentials and the `token` parameter, which introspection and revocation take.
fn token_request(req: &HttpRequest, body: &[u8]) -> Result<(String, String, String), ApiError> {
    let (client_id, client_secret) = basic_credentials(req)?;
    let token = required(&parameters(req, body), "token")?.to_owned();
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

/// Revokes an access or refresh token of the client (RFC 7009): 200 with an empty body.
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
