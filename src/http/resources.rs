//! `/{projectKey}/types`, `/states` and `/customers`: the same handlers for each kind of
//! resource, with the scopes of that kind.

use super::auth::{
    ManageCustomers, ManageStates, ManageTypes, Needs, Scoped, ViewCustomers, ViewStates, ViewTypes,
};
use super::json::{JsonBody, UpdateBody};
use super::query::{paged_body, QueryParams};
use super::{blocking, existence, head_query, json_response, Addressing, AppState, ById, ByKey};
use crate::domain::customers::{CustomerChangePassword, CustomerSignin};
use crate::error::ApiError;
use crate::persistence::payments::Locator;
use crate::service::expansion::{expand_document, expand_documents};
use crate::service::resources::{self, Customers, ResourceKind, States, Types};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// A resource kind served over HTTP, with the scopes that read and change it.
pub trait HttpResource: ResourceKind {
    type View: Needs + 'static;
    type Manage: Needs + 'static;
    /// commercetools endpoints under the resource's path that this service does not serve;
    /// a POST to one would otherwise read as an update of a resource with that id.
    const UNSERVED: &'static [&'static str] = &[];

    /// The body of a 201 answer to a create.
    fn created_body(document: String) -> Result<String, ApiError> {
        Ok(document)
    }
}

impl HttpResource for Types {
    type View = ViewTypes;
    type Manage = ManageTypes;
}

impl HttpResource for States {
    type View = ViewStates;
    type Manage = ManageStates;
}

impl HttpResource for Customers {
    type View = ViewCustomers;
    type Manage = ManageCustomers;
    /// Password-reset and email-verification flows, and search (a password changes at
    /// `/customers/password`, a customer signs in at `/login` or with the password flow).
    const UNSERVED: &'static [&'static str] = &["password-token", "email-token", "search", "email"];

    /// commercetools answers `{"customer": {...}}` (a CustomerSignInResult).
    fn created_body(document: String) -> Result<String, ApiError> {
        resources::customer_sign_up_result(&document)
    }
}

/// The route table is written out per resource (rather than generated) so that each path
/// stands literally in the source, where the api-spec test finds it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/{projectKey}/login").route(web::post().to(sign_in)));
    cfg.service(
        web::resource("/{projectKey}/types")
            .route(web::get().to(query::<Types>))
            .route(web::head().to(exists_any::<Types>))
            .route(web::post().to(create::<Types>)),
    )
    .service(
        web::resource("/{projectKey}/types/key={key}")
            .route(web::get().to(get::<Types, ByKey>))
            .route(web::head().to(exists::<Types, ByKey>))
            .route(web::post().to(update::<Types, ByKey>))
            .route(web::delete().to(delete::<Types, ByKey>)),
    )
    .service(
        web::resource("/{projectKey}/types/{id}")
            .route(web::get().to(get::<Types, ById>))
            .route(web::head().to(exists::<Types, ById>))
            .route(web::post().to(update::<Types, ById>))
            .route(web::delete().to(delete::<Types, ById>)),
    )
    .service(
        web::resource("/{projectKey}/states")
            .route(web::get().to(query::<States>))
            .route(web::head().to(exists_any::<States>))
            .route(web::post().to(create::<States>)),
    )
    .service(
        web::resource("/{projectKey}/states/key={key}")
            .route(web::get().to(get::<States, ByKey>))
            .route(web::head().to(exists::<States, ByKey>))
            .route(web::post().to(update::<States, ByKey>))
            .route(web::delete().to(delete::<States, ByKey>)),
    )
    .service(
        web::resource("/{projectKey}/states/{id}")
            .route(web::get().to(get::<States, ById>))
            .route(web::head().to(exists::<States, ById>))
            .route(web::post().to(update::<States, ById>))
            .route(web::delete().to(delete::<States, ById>)),
    )
    .service(
        web::resource("/{projectKey}/customers")
            .route(web::get().to(query::<Customers>))
            .route(web::head().to(exists_any::<Customers>))
            .route(web::post().to(create::<Customers>)),
    )
    // Before `/customers/{id}`, which would take `password` for an id.
    .service(web::resource("/{projectKey}/customers/password").route(web::post().to(change_password)))
    .service(
        web::resource("/{projectKey}/customers/key={key}")
            .route(web::get().to(get::<Customers, ByKey>))
            .route(web::head().to(exists::<Customers, ByKey>))
            .route(web::post().to(update::<Customers, ByKey>))
            .route(web::delete().to(delete::<Customers, ByKey>)),
    )
    .service(
        web::resource("/{projectKey}/customers/{id}")
            .route(web::get().to(get::<Customers, ById>))
            .route(web::head().to(exists::<Customers, ById>))
            .route(web::post().to(update::<Customers, ById>))
            .route(web::delete().to(delete::<Customers, ById>)),
    );
}

async fn create<R: HttpResource>(
    auth: Scoped<R::Manage>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<R::Draft>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.parsed()?;
    let actor = auth.actor();
    let db = state.db.clone();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let document = blocking(move || {
        let document = resources::create::<R>(&db, &auth.project_key, draft, &actor)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, R::created_body(document)?))
}

async fn get<R: HttpResource, A: Addressing>(
    auth: Scoped<R::View>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let db = state.db.clone();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let document = blocking(move || {
        let document = resources::get::<R>(&db, &auth.project_key, &locator)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn exists<R: HttpResource, A: Addressing>(
    auth: Scoped<R::View>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let db = state.db.clone();
    let found = blocking(move || resources::exists::<R>(&db, &auth.project_key, &locator)).await?;
    Ok(existence(found))
}

async fn update<R: HttpResource, A: Addressing>(
    auth: Scoped<R::Manage>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: UpdateBody<R::Action>,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    if matches!(&locator, Locator::Id(id) if R::UNSERVED.contains(&id.as_str())) {
        return Err(ApiError::ResourceNotFound(format!(
            "The endpoint '{}' is not served by this service.",
            req.path()
        )));
    }
    let request = body.parsed()?.within_limits()?;
    let actor = auth.actor();
    let db = state.db.clone();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let document = blocking(move || {
        let (version, actions) = (request.version, request.actions);
        let document = resources::update::<R>(&db, &auth.project_key, &locator, version, actions, &actor)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn delete<R: HttpResource, A: Addressing>(
    auth: Scoped<R::Manage>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let params = QueryParams::parse(req.query_string());
    let (version, expand) = (params.version()?, params.expansions());
    let data_erasure = params.bool_or("dataErasure", false)?;
    let actor = auth.actor();
    let db = state.db.clone();
    let document = blocking(move || {
        let document =
            resources::delete::<R>(&db, &auth.project_key, &locator, version, data_erasure, &actor)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn query<R: HttpResource>(
    auth: Scoped<R::View>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string());
    let (request, expand) = (params.list_query(R::fields())?, params.expansions());
    let db = state.db.clone();
    let (request, page) = blocking(move || {
        let mut page = crate::service::list_documents(&db, &R::collection(), &auth.project_key, &request)?;
        page.documents = expand_documents(&db, &auth.project_key, page.documents, &expand)?;
        Ok((request, page))
    })
    .await?;
    Ok(json_response(StatusCode::OK, paged_body(&request, &page.documents, page.total)))
}

async fn exists_any<R: HttpResource>(
    auth: Scoped<R::View>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    head_query(&state, auth.project_key.clone(), R::collection(), R::fields(), req.query_string()).await
}

/// `POST /login`: a customer's email and password checked, the customer answered
/// (`{"customer": …}`), or InvalidCredentials.
async fn sign_in(
    auth: Scoped<ManageCustomers>,
    state: web::Data<AppState>,
    body: JsonBody<CustomerSignin>,
) -> Result<HttpResponse, ApiError> {
    let signin = body.parsed()?;
    let db = state.db.clone();
    let result = blocking(move || crate::service::sessions::sign_in(&db, &auth.project_key, &signin)).await?;
    Ok(json_response(StatusCode::OK, result))
}

/// `POST /customers/password`: a customer's password changed, the customer answered (its
/// version raised), or InvalidCurrentPassword.
async fn change_password(
    auth: Scoped<ManageCustomers>,
    state: web::Data<AppState>,
    body: JsonBody<CustomerChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let change = body.parsed()?;
    let actor = auth.actor();
    let db = state.db.clone();
    let document =
        blocking(move || resources::change_customer_password(&db, &auth.project_key, &change, &actor))
            .await?;
    Ok(json_response(StatusCode::OK, document))
}
