//! Creating, reading, updating, deleting and listing Payments.

use super::resources::load_references;
use super::{conflict, new_id, not_found, now, Actor, ListQuery, Page};
use crate::domain::actions::{apply_actions, PaymentUpdateAction};
use crate::domain::common::IdOrKey;
use crate::domain::common::Timestamp;
use crate::domain::context::ChangeContext;
use crate::domain::errors::DomainError;
use crate::domain::messages::PaymentMessage;
use crate::domain::payment::{Payment, PaymentDraft};
use crate::error::ApiError;
use crate::persistence::documents::PAYMENTS;
use crate::persistence::messages::{self, NewMessage};
use crate::persistence::payments::{self as store, Locator};
use crate::persistence::{resources, unique_violation, Conn, Database, UniqueField};
use crate::query::schema::Checked;
use serde_json::{json, Value};

/// A stored change, and the provider operations it made due.
pub struct Written {
    pub document: String,
    pub due_operations: Vec<String>,
}

/// Creates a payment. With `psp_interface`, a payment of that interface is checked against the
/// amount rules and its Initial transactions become provider operations in the same transaction.
pub fn create(
    db: &Database,
    project_key: &str,
    draft: PaymentDraft,
    actor: &Actor,
    psp_interface: Option<&str>,
) -> Result<Written, ApiError> {
    db.write(|conn| {
        let wanted: Vec<_> = draft.identifiers().into_iter().map(|(t, i)| (t, i.target.clone())).collect();
        let references = load_references(conn, project_key, &wanted)?;
        let now = now();
        let mut ids = new_id;
        let mut ctx =
            ChangeContext { now, actor: actor.logging(), references: &references, new_id: &mut ids };
        let (payment, created) = Payment::create(draft, &mut ctx)?;
        let document = to_document(&payment)?;
        let message = envelope(project_key, &payment, 1, payment.version, &created, now, actor)?;
        let due_operations = enqueue(conn, project_key, &payment, psp_interface)?;
        store::insert(conn, project_key, &payment, 1, &document).map_err(|e| duplicate_or(e, &payment))?;
        let targets = referenced_ids(&payment);
        if !targets.is_empty() {
            resources::replace_payment_references(conn, &payment.id, &targets)?;
        }
        messages::insert_all(conn, &[message])?;
        Ok(Written { document, due_operations })
    })
}

pub fn get(db: &Database, project_key: &str, locator: &Locator) -> Result<String, ApiError> {
    db.read(|conn| {
        let stored = store::find(conn, project_key, locator)?;
        stored.map(|s| s.document).ok_or_else(|| not_found(locator))
    })
}

pub fn exists(db: &Database, project_key: &str, locator: &Locator) -> Result<bool, ApiError> {
    db.read(|conn| Ok(store::exists(conn, project_key, locator)?))
}

/// Applies the actions if `version` is current; a request that changes nothing stores nothing.
pub fn update(
    db: &Database,
    project_key: &str,
    locator: &Locator,
    version: i64,
    actions: Vec<PaymentUpdateAction>,
    actor: &Actor,
    psp_interface: Option<&str>,
) -> Result<Written, ApiError> {
    db.write(|conn| {
        let stored = store::find(conn, project_key, locator)?.ok_or_else(|| not_found(locator))?;
        if stored.version != version {
            return Err(conflict(&stored.id, version, stored.version));
        }
        let payment: Payment = serde_json::from_str(&stored.document).map_err(ApiError::internal)?;
        let now = now();
        let mut ids = new_id;
        // The actions' references, and the payment's own (its state and custom Types).
        let mut wanted: Vec<_> =
            actions.iter().flat_map(|a| a.identifiers()).map(|(t, i)| (t, i.target.clone())).collect();
        wanted.extend(payment.referenced().into_iter().map(|(t, id)| (t, IdOrKey::Id(id))));
        let references = load_references(conn, project_key, &wanted)?;
        let mut ctx =
            ChangeContext { now, actor: actor.logging(), references: &references, new_id: &mut ids };
        let applied = apply_actions(payment, actions, &mut ctx)?;
        if !applied.changed(version) {
            return Ok(Written { document: stored.document, due_operations: vec![] });
        }
        let payment = applied.payment;
        let mut sequence = stored.last_message_sequence_number;
        let mut rows = Vec::with_capacity(applied.messages.len());
        for versioned in &applied.messages {
            sequence += 1;
            rows.push(envelope(
                project_key,
                &payment,
                sequence,
                versioned.resource_version,
                &versioned.message,
                now,
                actor,
            )?);
        }
        let document = to_document(&payment)?;
        let due_operations = enqueue(conn, project_key, &payment, psp_interface)?;
        let written = store::update(conn, project_key, &payment, version, sequence, &document)
            .map_err(|e| duplicate_or(e, &payment))?;
        if !written {
            let current = store::find(conn, project_key, &Locator::Id(stored.id.clone()))?;
            return Err(match current {
                Some(current) => conflict(&stored.id, version, current.version),
                None => not_found(locator),
            });
        }
        resources::replace_payment_references(conn, &payment.id, &referenced_ids(&payment))?;
        messages::insert_all(conn, &rows)?;
        Ok(Written { document, due_operations })
    })
}

/// Deletes the Payment if `version` is current and returns it as it was. With `data_erasure`
/// its Messages go too.
pub fn delete(
    db: &Database,
    project_key: &str,
    locator: &Locator,
    version: i64,
    data_erasure: bool,
) -> Result<String, ApiError> {
    db.write(|conn| {
        let stored = store::find(conn, project_key, locator)?.ok_or_else(|| not_found(locator))?;
        if stored.version != version {
            return Err(conflict(&stored.id, version, stored.version));
        }
        // Money may be moving: the result of a provider call must have a payment to land on.
        if crate::persistence::psp::has_open_operations(conn, &stored.id)? {
            return Err(DomainError::InvalidOperation(
                "The payment has provider operations in progress; delete it once they are finished.".into(),
            )
            .into());
        }
        if !store::delete(conn, project_key, &stored.id, version)? {
            return Err(not_found(locator));
        }
        resources::replace_payment_references(conn, &stored.id, &[])?;
        if data_erasure {
            messages::delete_for_resource(conn, project_key, &stored.id)?;
        }
        Ok(stored.document)
    })
}

pub fn list(db: &Database, project_key: &str, query: &ListQuery) -> Result<Page, ApiError> {
    super::list_documents(db, &PAYMENTS, project_key, query)
}

/// Whether any of the project's payments matches (HEAD with a predicate).
pub fn any_matches(db: &Database, project_key: &str, predicate: Option<&Checked>) -> Result<bool, ApiError> {
    super::any_matches(db, &PAYMENTS, project_key, predicate)
}

/// The documents of a Payment's Messages in sequence order.
pub fn messages_of(db: &Database, project_key: &str, payment_id: &str) -> Result<Vec<String>, ApiError> {
    db.read(|conn| Ok(messages::for_resource(conn, project_key, payment_id)?))
}

/// For a payment the provider executes: the amount rules, and an operation for each Initial
/// transaction (written with the change, so none is lost). Returns the due transaction ids.
fn enqueue(
    conn: &mut Conn,
    project_key: &str,
    payment: &Payment,
    psp_interface: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let Some(_) = psp_interface.filter(|name| super::psp::is_routed(payment, name)) else {
        return Ok(vec![]);
    };
    crate::domain::psp_rules::check(payment)?;
    let operations = super::psp::operations_for(project_key, payment);
    for operation in &operations {
        crate::persistence::psp::insert_if_absent(conn, operation)?;
    }
    Ok(operations.into_iter().map(|o| o.transaction_id).collect())
}

/// What the payment references (kept so that a Type or State in use is not deleted).
fn referenced_ids(payment: &Payment) -> Vec<String> {
    payment.referenced().into_iter().map(|(_, id)| id).collect()
}

fn to_document(payment: &Payment) -> Result<String, ApiError> {
    serde_json::to_string(payment).map_err(ApiError::internal)
}

/// Reports a broken unique constraint as commercetools' DuplicateField.
fn duplicate_or(error: diesel::result::Error, payment: &Payment) -> ApiError {
    let duplicate = |field: &str, value: Option<&str>| DomainError::DuplicateField {
        field: field.into(),
        duplicate_value: value.map_or(Value::Null, Value::from),
    };
    match unique_violation(&error) {
        Some(UniqueField::Key) => duplicate("key", payment.key.as_ref().map(|k| k.as_str())).into(),
        Some(UniqueField::InterfaceId) => duplicate("interfaceId", payment.interface_id.as_deref()).into(),
        Some(UniqueField::UniqueValue) | None => error.into(),
    }
}

/// Wraps a Message payload in commercetools' Message representation.
fn envelope(
    project_key: &str,
    payment: &Payment,
    sequence_number: i64,
    resource_version: i64,
    message: &PaymentMessage,
    now: Timestamp,
    actor: &Actor,
) -> Result<NewMessage, ApiError> {
    let id = new_id();
    let mut document = json!({
        "id": id,
        "version": 1,
        "sequenceNumber": sequence_number,
        "resource": {"typeId": "payment", "id": payment.id},
        "resourceVersion": resource_version,
        "createdAt": now,
        "lastModifiedAt": now,
    });
    let Value::Object(fields) = &mut document else {
        return Err(ApiError::internal("a message envelope is not an object"));
    };
    if let Some(key) = &payment.key {
        fields.insert("resourceUserProvidedIdentifiers".into(), json!({"key": key}));
    }
    if let Some(logging) = actor.logging() {
        let logging = serde_json::to_value(logging).map_err(ApiError::internal)?;
        fields.insert("createdBy".into(), logging.clone());
        fields.insert("lastModifiedBy".into(), logging);
    }
    match serde_json::to_value(message).map_err(ApiError::internal)? {
        Value::Object(payload) => fields.extend(payload),
        _ => return Err(ApiError::internal("a message payload is not an object")),
    }
    Ok(NewMessage {
        id,
        project_key: project_key.to_owned(),
        resource_type_id: "payment".into(),
        resource_id: payment.id.clone(),
        sequence_number,
        resource_version,
        message_type: message.type_name().into(),
        created_at: now.millis(),
        document: document.to_string(),
    })
}
