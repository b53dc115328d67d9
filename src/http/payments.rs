//! `/{projectKey}/payments`: create, get, check, update, delete and list Payments.

use super::auth::{ManagePayments, Scoped, ViewPayments};
use super::json::{JsonBody, UpdateBody};
use super::query::{paged_body, QueryParams};
use super::{blocking, existence, head_query, json_response, Addressing, AppState, ById, ByKey};
use crate::domain::actions::PaymentUpdateAction;
use crate::domain::payment::PaymentDraft;
use crate::error::ApiError;
use crate::persistence::documents::PAYMENTS;
use crate::persistence::payments::Locator;
use crate::query::schema::PAYMENT_FIELDS;
use crate::service;
use crate::service::expansion::{expand_document, expand_documents};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

const DEPRECATION_NOTICE: &str =
    "This request uses deprecated Payment fields or update actions (externalId, amountAuthorized, authorizedUntil, amountPaid, amountRefunded, setExternalId, setAuthorization, setAmountPaid, setAmountRefunded).";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/{projectKey}/payments")
            .route(web::get().to(query))
            .route(web::head().to(exists_any))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/{projectKey}/payments/key={key}")
            .route(web::get().to(get::<ByKey>))
            .route(web::head().to(exists::<ByKey>))
            .route(web::post().to(update::<ByKey>))
            .route(web::delete().to(delete::<ByKey>)),
    )
    .service(
        web::resource("/{projectKey}/payments/{id}")
            .route(web::get().to(get::<ById>))
            .route(web::head().to(exists::<ById>))
            .route(web::post().to(update::<ById>))
            .route(web::delete().to(delete::<ById>)),
    );
}

fn with_deprecation(mut response: HttpResponse, deprecated: bool) -> HttpResponse {
    if deprecated {
        response.headers_mut().insert(
            HeaderName::from_static("x-deprecation-notice"),
            HeaderValue::from_static(DEPRECATION_NOTICE),
        );
    }
    response
}

async fn create(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PaymentDraft>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.parsed()?;
    let deprecated = draft.uses_deprecated_fields();
    let actor = auth.actor();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    let written =
        service::payments::create(state.db.clone(), auth.project_key.clone(), draft, actor, interface)
            .await?;
    let document = settle(&state, &auth.project_key, written, expand).await?;
    Ok(with_deprecation(json_response(StatusCode::CREATED, document), deprecated))
}

/// After a committed change: lets the provider work on what became due (waiting a bounded
/// time, so that a quick answer is already in the response), then answers the payment as it
/// is now, expanded as asked.
pub(super) async fn settle(
    state: &web::Data<AppState>,
    project_key: &str,
    written: service::payments::Written,
    expand: Vec<String>,
) -> Result<String, ApiError> {
    let mut document = written.document;
    if let (Some(psp), false) = (&state.psp, written.due_operations.is_empty()) {
        psp.execute_within(written.due_operations, state.psp_wait).await;
        let payment: serde_json::Value = serde_json::from_str(&document).map_err(ApiError::internal)?;
        let id = payment.get("id").and_then(|id| id.as_str()).unwrap_or_default().to_owned();
        let (db, project) = (state.db.clone(), project_key.to_owned());
        let reread = blocking(move || service::payments::get(&db, &project, &Locator::Id(id))).await;
        document = committed_answer(reread, document);
    }
    if expand.is_empty() {
        return Ok(document);
    }
    let (db, project) = (state.db.clone(), project_key.to_owned());
    let unexpanded = document.clone();
    let expanded = blocking(move || expand_document(&db, &project, document, &expand)).await;
    Ok(committed_answer(expanded, unexpanded))
}

/// The change is committed once `settle` runs: an error after that (the database gone for a
/// moment) must not answer 503, which invites a retry and, for a create without a key, a second
/// payment. The payment is answered as written then.
fn committed_answer(better: Result<String, ApiError>, as_written: String) -> String {
    better.unwrap_or_else(|error| {
        log::warn!("answering a committed change as written: {error}");
        as_written
    })
}

async fn get<A: Addressing>(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let expand = QueryParams::parse(req.query_string()).expansions();
    if expand.is_empty() {
        if let Some(read) = service::payments::get_on_worker(&state.db, &auth.project_key, &locator).await {
            return Ok(json_response(StatusCode::OK, read?));
        }
    }
    let db = state.db.clone();
    let document = blocking(move || {
        let document = service::payments::get(&db, &auth.project_key, &locator)?;
        expand_document(&db, &auth.project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

/// HEAD answers 200 or 404 with no body.
async fn exists<A: Addressing>(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    if let Some(read) = service::payments::get_on_worker(&state.db, &auth.project_key, &locator).await {
        return Ok(existence(read.is_ok()));
    }
    let db = state.db.clone();
    let found = blocking(move || service::payments::exists(&db, &auth.project_key, &locator)).await?;
    Ok(existence(found))
}

/// HEAD with a predicate: 200 if any payment matches, 404 otherwise.
async fn exists_any(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    head_query(&state, auth.project_key.clone(), PAYMENTS, &PAYMENT_FIELDS, req.query_string()).await
}

async fn update<A: Addressing>(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: UpdateBody<PaymentUpdateAction>,
) -> Result<HttpResponse, ApiError> {
    let request = body.parsed()?.within_limits()?;
    let locator = A::locator(path.into_inner().1);
    let deprecated = request.actions.iter().any(PaymentUpdateAction::is_deprecated);
    let actor = auth.actor();
    let db = state.db.clone();
    let expand = QueryParams::parse(req.query_string()).expansions();
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    let project_key = auth.project_key.clone();
    let written = blocking(move || {
        let (version, actions) = (request.version, request.actions);
        service::payments::update(&db, &project_key, &locator, version, actions, &actor, interface.as_deref())
    })
    .await?;
    let document = settle(&state, &auth.project_key, written, expand).await?;
    Ok(with_deprecation(json_response(StatusCode::OK, document), deprecated))
}

async fn delete<A: Addressing>(
    auth: Scoped<ManagePayments>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let locator = A::locator(path.into_inner().1);
    let params = QueryParams::parse(req.query_string());
    let version = params.version()?;
    let data_erasure = params.bool_or("dataErasure", false)?;
    let db = state.db.clone();
    let expand = params.expansions();
    let interface = state.psp.as_ref().map(|psp| psp.interface_name().to_owned());
    if let Some(psp) = &state.psp {
        psp.record_paid_before_delete(&auth.project_key, &locator).await?;
    }
    let document = blocking(move || {
        let (project_key, interface) = (&auth.project_key, interface.as_deref());
        let document =
            service::payments::delete(&db, project_key, &locator, version, data_erasure, interface)?;
        expand_document(&db, project_key, document, &expand)
    })
    .await?;
    Ok(json_response(StatusCode::OK, document))
}

async fn query(
    auth: Scoped<ViewPayments>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string());
    let request = params.list_query(&PAYMENT_FIELDS)?;
    let db = state.db.clone();
    let expand = params.expansions();
    let (request, page) = blocking(move || {
        let mut page = service::payments::list(&db, &auth.project_key, &request)?;
        page.documents = expand_documents(&db, &auth.project_key, page.documents, &expand)?;
        Ok((request, page))
    })
    .await?;
    Ok(json_response(StatusCode::OK, paged_body(&request, &page.documents, page.total)))
}
