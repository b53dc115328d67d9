//! Messages: their representation around a payload, and reading them by id or by query.

use super::{list_documents, new_id, Actor, ListQuery, Page};
use crate::domain::common::{ClientLogging, Timestamp};
use crate::domain::messages::MessagePayload;
use crate::error::ApiError;
use crate::persistence::documents::MESSAGES;
use crate::persistence::messages::{self as store, NewMessage};
use crate::persistence::Database;

/// The resource a Message is about, with the identifiers its owner gave it.
pub struct Subject<'a> {
    pub type_id: &'static str,
    pub id: &'a str,
    pub key: Option<&'a str>,
    pub customer_number: Option<&'a str>,
    pub external_id: Option<&'a str>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, M> {
    id: &'a str,
    version: i64,
    sequence_number: i64,
    resource: EnvelopeResource<'a>,
    resource_version: i64,
    created_at: Timestamp,
    last_modified_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_user_provided_identifiers: Option<UserProvidedIdentifiers<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<&'a ClientLogging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified_by: Option<&'a ClientLogging>,
    #[serde(flatten)]
    payload: &'a M,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeResource<'a> {
    type_id: &'static str,
    id: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct UserProvidedIdentifiers<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<&'a str>,
}

/// Wraps a Message payload in commercetools' Message representation, ready to store.
pub fn envelope<M: MessagePayload>(
    project_key: &str,
    subject: &Subject,
    sequence_number: i64,
    resource_version: i64,
    payload: &M,
    now: Timestamp,
    actor: &Actor,
) -> Result<NewMessage, ApiError> {
    let id = new_id();
    let logging = actor.logging();
    let identifiers = UserProvidedIdentifiers {
        key: subject.key,
        customer_number: subject.customer_number,
        external_id: subject.external_id,
    };
    let identifiers = [identifiers.key, identifiers.customer_number, identifiers.external_id]
        .iter()
        .any(Option::is_some)
        .then_some(identifiers);
    // Serialized straight from the payload: no intermediate JSON tree of it.
    let document = serde_json::to_string(&Envelope {
        id: &id,
        version: 1,
        sequence_number,
        resource: EnvelopeResource { type_id: subject.type_id, id: subject.id },
        resource_version,
        created_at: now,
        last_modified_at: now,
        resource_user_provided_identifiers: identifiers,
        created_by: logging.as_ref(),
        last_modified_by: logging.as_ref(),
        payload,
    })
    .map_err(ApiError::internal)?;
    Ok(NewMessage {
        id,
        project_key: project_key.to_owned(),
        resource_type_id: subject.type_id.into(),
        resource_id: subject.id.to_owned(),
        sequence_number,
        resource_version,
        message_type: payload.type_name().into(),
        created_at: now.millis(),
        document,
    })
}

pub fn get(db: &Database, project_key: &str, id: &str) -> Result<String, ApiError> {
    db.read(|conn| store::find(conn, project_key, id)?.ok_or_else(|| ApiError::not_found_by_id(id)))
}

pub fn exists(db: &Database, project_key: &str, id: &str) -> Result<bool, ApiError> {
    db.read(|conn| Ok(store::exists(conn, project_key, id)?))
}

pub fn list(db: &Database, project_key: &str, query: &ListQuery) -> Result<Page, ApiError> {
    list_documents(db, &MESSAGES, project_key, query)
}
