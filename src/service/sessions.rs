//! Shoppers' sessions: the anonymous session flow, the password flow and the refresh-token
//! grant. A session's access tokens name its shopper (see [`Identity`]); its refresh token,
//! stored hashed like every credential, obtains new ones until it is revoked, expires unused,
//! or the customer's password changes or the customer is deleted.

use super::auth::{granted_scopes, invalid_client, mint, today, with_identity, IssuedToken, TokenRequest};
use super::now;
use crate::auth::credentials;
use crate::auth::{Identity, Permission, ScopeSet};
use crate::domain::customers::{CustomerSignin, Email};
use crate::domain::errors::DomainError;
use crate::error::{ApiError, OAuthError};
use crate::persistence::clients::{self as store, ClientRow, RefreshTokenRow};
use crate::persistence::Database;
use std::time::Duration;

/// How long a refresh token stays valid after its last use unless the client's draft said
/// otherwise: 200 days, as in commercetools.
const DEFAULT_REFRESH_TOKEN_SECONDS: i64 = 17_280_000;

fn refresh_token_not_found() -> ApiError {
    ApiError::oauth(OAuthError::InvalidGrant, "The refresh token was not found. It may have expired.")
}

/// The refresh-token grant: a new access token for the session the refresh token was issued
/// with (same scopes, same shopper), and a later expiry for the refresh token. Unknown,
/// expired and other clients' refresh tokens are all `invalid_grant`.
pub fn refresh(db: &Database, request: &TokenRequest, refresh_token: &str) -> Result<IssuedToken, ApiError> {
    let client = request.client(db)?;
    let token_hash = credentials::hash(refresh_token);
    let now = now().millis();
    let row = db.read(|conn| Ok::<_, ApiError>(store::find_refresh_token(conn, &token_hash)?))?;
    let row = row.filter(|row| row.client_id == client.id && row.expires_at > now);
    let row = row.ok_or_else(refresh_token_not_found)?;
    // The scope as the session's first answer wrote it (SDKs compare the text).
    let granted = ScopeSet::parse(&row.scope).map_err(ApiError::internal)?;
    let identity = Identity::from_columns(row.customer_id, row.anonymous_id);
    let expires_at = refresh_expiry(&client, now);
    let scope_text = with_identity(row.scope, identity.as_ref());
    let session = identity.map(|identity| (identity, token_hash.clone()));
    let minted = mint(&client, &granted, session, request.lifetime, now);
    db.write(|conn| -> Result<(), ApiError> {
        if !store::extend_refresh_token(conn, &token_hash, expires_at)? {
            return Err(refresh_token_not_found());
        }
        // The customer deleted meanwhile: the session is gone with them.
        store::insert_token(conn, &minted.row).map_err(
            |error| match crate::persistence::foreign_key_violation(&error) {
                true => refresh_token_not_found(),
                false => error.into(),
            },
        )
    })?;
    Ok(minted.issued(scope_text, None))
}

/// When a refresh token used (or issued) at `now` expires.
fn refresh_expiry(client: &ClientRow, now: i64) -> i64 {
    let seconds = client.refresh_token_validity_seconds.unwrap_or(DEFAULT_REFRESH_TOKEN_SECONDS);
    now.saturating_add(seconds.saturating_mul(1000)).min(client.delete_at.unwrap_or(i64::MAX))
}

/// The anonymous session flow: a token for a new anonymous shopper of the client's project,
/// with a refresh token. The client needs `create_anonymous_token`; an `anonymous_id` the
/// caller chooses must not have started a session before (one is generated otherwise).
pub fn issue_anonymous_token(
    db: &Database,
    project_key: &str,
    request: &TokenRequest,
    anonymous_id: Option<&str>,
) -> Result<IssuedToken, ApiError> {
    let client = request.client(db)?;
    let held = ScopeSet::parse(&client.scope).map_err(ApiError::internal)?;
    if client.project_key != project_key {
        return Err(invalid_client());
    }
    if !held.allows(Permission::CreateAnonymousToken, project_key) {
        return Err(ApiError::InsufficientScope(vec![Permission::CreateAnonymousToken.as_str().to_owned()]));
    }
    let (granted, scope_text) = granted_scopes(&client, request.scope.as_deref())?;
    let anonymous_id =
        match anonymous_id {
            Some(id) if Identity::valid_anonymous_id(id) => id.to_owned(),
            Some(_) => return Err(ApiError::oauth(
                OAuthError::InvalidRequest,
                "Invalid parameter: anonymous_id: 1 to 256 characters of A-Z, a-z, 0-9, '.', '_' and '-'.",
            )),
            None => uuid::Uuid::new_v4().to_string(),
        };
    let identity = Identity::Anonymous(anonymous_id.clone());
    issue_session(db, &client, (&granted, &scope_text), identity, request.lifetime, |conn, now| {
        // An id that payments carry already (written at /payments) would give the session
        // those payments.
        let carried = crate::persistence::payments::any_with_anonymous_id(conn, project_key, &anonymous_id)?;
        if !carried && store::start_anonymous_session(conn, project_key, &anonymous_id, now)? {
            Ok(())
        } else {
            Err(ApiError::oauth(OAuthError::InvalidRequest, "The anonymousId is already in use."))
        }
    })
}

/// The password flow: a token (and refresh token) for the customer of the project whose email
/// and password these are. An unknown email, a wrong password and a customer without a
/// password (ExternalAuth) are answered alike, in the same time.
pub fn issue_customer_token(
    db: &Database,
    project_key: &str,
    request: &TokenRequest,
    email: &str,
    password: &str,
) -> Result<IssuedToken, ApiError> {
    let client = request.client(db)?;
    if client.project_key != project_key {
        return Err(invalid_client());
    }
    let (granted, scope_text) = granted_scopes(&client, request.scope.as_deref())?;
    let (customer_id, verified) =
        signed_in(db, project_key, email, password)?.ok_or_else(invalid_credentials)?;
    let identity = Identity::Customer(customer_id.clone());
    issue_session(db, &client, (&granted, &scope_text), identity, request.lifetime, |conn, _| {
        // The password checked must still be the customer's when the session is stored.
        let current = crate::persistence::resources::customer_password_held(conn, &customer_id)?;
        if current == verified {
            Ok(())
        } else {
            Err(invalid_credentials())
        }
    })
}

/// The customer of the project whose email and password these are, and the password hash
/// that matched; None for an unknown email, a wrong password or a customer without a password
/// (ExternalAuth), all answered in the same time.
fn signed_in(
    db: &Database,
    project_key: &str,
    email: &str,
    password: &str,
) -> Result<Option<(String, Option<String>)>, ApiError> {
    // Normalized as customers' emails are for uniqueness; no customer has an invalid one.
    let email = Email::try_from(email.trim().to_owned()).ok().map(|email| email.normalized());
    let found = match email {
        Some(email) => db.read(|conn| {
            Ok::<_, ApiError>(crate::persistence::resources::customer_sign_in(conn, project_key, &email)?)
        })?,
        None => None,
    };
    let (customer_id, password_hash) = found.unzip();
    let password_hash = password_hash.flatten();
    if !credentials::verify_password(password, password_hash.as_deref()) {
        return Ok(None);
    }
    Ok(customer_id.map(|id| (id, password_hash)))
}

/// `POST /login`: the customer whose email and password these are, as a CustomerSignInResult
/// (`{"customer": …}`); InvalidCredentials otherwise. No session is started: the caller is
/// the shop's backend, with its own token.
pub fn sign_in(db: &Database, project_key: &str, signin: &CustomerSignin) -> Result<String, ApiError> {
    let (customer_id, _) = signed_in(db, project_key, &signin.email, signin.password.expose())?
        .ok_or(DomainError::InvalidCredentials)?;
    let customer = super::resources::get::<super::resources::Customers>(
        db,
        project_key,
        &crate::persistence::payments::Locator::Id(customer_id),
    )?;
    super::resources::customer_sign_up_result(&customer)
}

fn invalid_credentials() -> ApiError {
    ApiError::oauth(
        OAuthError::InvalidCustomerAccountCredentials,
        "Customer account with the given credentials not found.",
    )
}

/// Stores a shopper's access token and refresh token, after `claim` (in the same
/// transaction) has taken whatever the session needs.
fn issue_session(
    db: &Database,
    client: &ClientRow,
    (granted, scope_text): (&ScopeSet, &str),
    identity: Identity,
    lifetime: Duration,
    claim: impl FnOnce(&mut crate::persistence::Conn, i64) -> Result<(), ApiError>,
) -> Result<IssuedToken, ApiError> {
    let now = now().millis();
    let refresh_token = credentials::new_refresh_token(&client.project_key);
    let (customer_id, anonymous_id) = Identity::columns(Some(&identity));
    let refresh_row = RefreshTokenRow {
        token_hash: refresh_token.hash(),
        client_id: client.id.clone(),
        scope: scope_text.to_owned(),
        customer_id,
        anonymous_id,
        expires_at: refresh_expiry(client, now),
    };
    let scope = with_identity(scope_text.to_owned(), Some(&identity));
    let session = (identity, refresh_row.token_hash.clone());
    let minted = mint(client, granted, Some(session), lifetime, now);
    db.write(|conn| -> Result<(), ApiError> {
        claim(conn, now)?;
        store::delete_expired_tokens(conn, now)?;
        store::delete_expired_refresh_tokens(conn, now)?;
        store::mark_used(conn, &client.id, &today(now))?;
        store::insert_refresh_token(conn, &refresh_row)?;
        Ok(store::insert_token(conn, &minted.row)?)
    })?;
    Ok(minted.issued(scope, Some(refresh_token)))
}
