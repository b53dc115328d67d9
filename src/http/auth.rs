//! Authentication as an extractor that states the permission its handler needs:
//! `auth: Scoped<ManagePayments>` answers 401 without a valid token and 403 without the scope
//! on the URL's project, before the handler runs.

use super::{blocking, AppState};
use crate::auth::credentials;
use crate::auth::Identity;
use crate::auth::Permission;
use crate::error::ApiError;
use crate::service::auth::{bearer_token, Principal};
use crate::service::{self, Actor};
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

/// A permission a route needs, as a type.
pub trait Needs {
    const PERMISSION: Permission;
}

macro_rules! permission_markers {
    ($($name:ident),* $(,)?) => {
        $(
            pub struct $name;
            impl Needs for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*
    };
}

permission_markers!(
    ManageProject,
    ViewPayments,
    ManagePayments,
    ViewApiClients,
    ManageApiClients,
    ViewTypes,
    ManageTypes,
    ViewStates,
    ManageStates,
    ViewCustomers,
    ManageCustomers,
    ViewMessages,
    ViewProjectSettings,
    ManageMyPayments,
);

/// A request whose token grants `N` on the project in the URL.
pub struct Scoped<N: Needs> {
    pub principal: Arc<Principal>,
    pub project_key: String,
    pub external_user_id: Option<String>,
    needs: PhantomData<N>,
}

impl<N: Needs> Scoped<N> {
    /// Who acts, for createdBy/lastModifiedBy and Messages.
    pub fn actor(&self) -> Actor {
        // A shopper's token lives in a browser: the header would be the shopper's to write.
        let external_user_id = self.external_user_id.clone().filter(|_| self.principal.identity.is_none());
        Actor {
            client_id: Some(self.principal.client_id.clone()),
            external_user_id,
            shopper: self.principal.identity.clone(),
        }
    }
}

impl<N: Needs + 'static> FromRequest for Scoped<N> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req.headers().get(AUTHORIZATION).map(|v| v.to_str().map(str::to_owned));
        let project_key = req.match_info().get("projectKey").unwrap_or_default().to_owned();
        let external_user_id = req
            .headers()
            .get("x-external-user-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("the application state is missing"))?;
            let principal = authenticate(&state, header).await?;
            principal.require(&project_key, N::PERMISSION)?;
            Ok(Self { principal, project_key, external_user_id, needs: PhantomData })
        })
    }
}

/// A request of a shopper (a token of an anonymous or a signed-in session) whose token grants
/// `N`: 403 for any other token, before the handler runs.
pub struct Shopper<N: Needs> {
    pub scoped: Scoped<N>,
    pub identity: Identity,
}

impl<N: Needs + 'static> FromRequest for Shopper<N> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let scoped = Scoped::<N>::from_request(req, payload);
        Box::pin(async move {
            let scoped = scoped.await?;
            let identity = scoped.principal.shopper()?.clone();
            Ok(Self { scoped, identity })
        })
    }
}

async fn authenticate(
    state: &web::Data<AppState>,
    header: Option<Result<String, actix_web::http::header::ToStrError>>,
) -> Result<Arc<Principal>, ApiError> {
    if cfg!(feature = "insecure-no-auth") {
        return Ok(Arc::new(Principal {
            client_id: "no-auth".into(),
            scopes: Default::default(),
            expires_at: i64::MAX,
            identity: None,
        }));
    }
    let header = match header {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => return Err(ApiError::InvalidToken("invalid_token".into())),
    };
    let token_hash = credentials::hash(bearer_token(header.as_deref())?);
    if let Some(principal) = state.tokens.get(&token_hash) {
        return Ok(principal);
    }
    let db = state.db.clone();
    let hash = token_hash.clone();
    let principal = Arc::new(blocking(move || service::auth::authenticate(&db, &hash)).await?);
    state.tokens.put(token_hash, Arc::clone(&principal));
    Ok(principal)
}
