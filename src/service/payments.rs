//! Creating, reading, updating, deleting and listing Payments.

use super::messages::Subject;
use super::resources::{cached_references, load_references};
use super::{blocking, conflict, new_id, not_found, now, Actor, ListQuery, Page};
use crate::domain::actions::{apply_actions, PaymentUpdateAction};
use crate::domain::common::IdOrKey;
use crate::domain::common::ReferenceTypeId;
use crate::domain::common::Timestamp;
use crate::domain::context::ChangeContext;
use crate::domain::errors::DomainError;
use crate::domain::messages::PaymentMessage;
use crate::domain::payment::{Payment, PaymentDraft, Transaction, TransactionState, TransactionType};
use crate::domain::psp_rules::Executed;
use crate::domain::references::LoadedReferences;
use crate::error::ApiError;
use crate::persistence::documents::PAYMENTS;
use crate::persistence::messages::{self, NewMessage};
use crate::persistence::payments::{self as store, Locator, PaymentChange, WriteError};
use crate::persistence::psp::OperationRow;
use crate::persistence::{resources, unique_violation, Database, UniqueField};
use serde_json::Value;

/// A stored change, and the provider operations it made due.
pub struct Written {
    pub document: String,
    pub due_operations: Vec<String>,
}

/// [`create`] through the pool, blocking.
fn create_on_pool(
    db: &Database,
    project_key: &str,
    draft: PaymentDraft,
    actor: &Actor,
    psp_interface: Option<&str>,
) -> Result<Written, ApiError> {
    let wanted: Vec<_> = draft.identifiers();
    let references =
        db.read(|conn| load_references(conn, Some(db.resource_cache()), project_key, &wanted))?;
    let (payment, message) = new_payment(project_key, draft, actor, &references)?;
    let routing = Routing { interface: psp_interface, before: None };
    store(db, project_key, &payment, None, &[message], &routing)?
        .ok_or_else(|| ApiError::internal("a new payment was not stored"))
}

/// Creates a payment. With `psp_interface`, a payment of that interface is checked against the
/// amount rules and its Initial transactions become provider operations in the same transaction.
/// It runs on the calling async worker where the database allows it (see
/// `persistence::worker_postgres`) and the references are cached; otherwise, or when the
/// database refuses the write, on the blocking pool.
pub async fn create(
    db: Database,
    project_key: String,
    draft: PaymentDraft,
    actor: Actor,
    psp_interface: Option<String>,
) -> Result<Written, ApiError> {
    let wanted: Vec<_> = draft.identifiers();
    let Some(references) = cached_references(db.resource_cache(), &project_key, &wanted) else {
        return blocking(move || create_on_pool(&db, &project_key, draft, &actor, psp_interface.as_deref()))
            .await;
    };
    let (payment, message) = new_payment(&project_key, draft, &actor, &references)?;
    let messages = [message];
    let routing = Routing { interface: psp_interface.as_deref(), before: None };
    let prepared = prepare(&project_key, &payment, &routing)?;
    match store::insert_on_worker(&db, &prepared.change(&project_key, &payment, None, &messages)).await {
        Some(Ok(())) => Ok(prepared.written()),
        Some(Err(error)) => Err(write_error(&db, error, &payment)),
        None => {
            blocking(move || {
                let outcome = store::write(&db, &prepared.change(&project_key, &payment, None, &messages));
                written(&db, prepared, &payment, outcome)?
                    .ok_or_else(|| ApiError::internal("a new payment was not stored"))
            })
            .await
        }
    }
}

/// A new payment from its draft, and its PaymentCreated Message.
fn new_payment(
    project_key: &str,
    draft: PaymentDraft,
    actor: &Actor,
    references: &LoadedReferences,
) -> Result<(Payment, NewMessage), ApiError> {
    let now = now();
    let mut ids = new_id;
    let mut ctx = ChangeContext { now, actor: actor.logging(), references, new_id: &mut ids };
    let (payment, created) = Payment::create(draft, &mut ctx)?;
    let sequence_number = payment.last_message_sequence_number;
    let message = envelope(project_key, &payment, sequence_number, payment.version, &created, now, actor)?;
    Ok((payment, message))
}

/// [`get`] answered on the calling async worker, where the database allows it; None when it
/// must run on the blocking pool.
pub async fn get_on_worker(
    db: &Database,
    project_key: &str,
    locator: &Locator,
) -> Option<Result<String, ApiError>> {
    let found = store::find_document_on_worker(db, project_key, locator).await?;
    Some(found.ok_or_else(|| not_found(locator)))
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
/// The payment is read, changed in memory and written back by compare-and-set on its version,
/// so no transaction is held open while the actions run.
pub fn update(
    db: &Database,
    project_key: &str,
    locator: &Locator,
    version: i64,
    actions: Vec<PaymentUpdateAction>,
    actor: &Actor,
    psp_interface: Option<&str>,
) -> Result<Written, ApiError> {
    let (stored, payment, references, executed) = db.read(|conn| {
        let stored = store::find(conn, project_key, locator)?.ok_or_else(|| not_found(locator))?;
        if stored.version != version {
            return Err(conflict(&stored.id, version, stored.version));
        }
        let payment: Payment = serde_json::from_str(&stored.document).map_err(ApiError::internal)?;
        // On a payment the provider executes, which transactions it executes (see below).
        let executed = match psp_interface.filter(|name| super::psp::is_routed(&payment, name)) {
            Some(_) => {
                let ids: Vec<String> = payment.transactions.iter().map(|t| t.id.clone()).collect();
                let executed = crate::persistence::psp::executed(conn, &ids)?;
                let open = crate::persistence::psp::open_among(conn, &executed)?;
                Some((executed, open))
            }
            None => None,
        };
        // The actions' references, and the payment's own (its state and custom Types).
        let mut wanted: Vec<_> = actions.iter().flat_map(|a| a.identifiers()).collect();
        wanted.extend(payment.referenced().into_iter().map(|(t, id)| (t, IdOrKey::Id(id))));
        let references = load_references(conn, Some(db.resource_cache()), project_key, &wanted)?;
        Ok((stored, payment, references, executed))
    })?;
    // The payment as it was, for what a client may not change on it.
    let guarded = executed.map(|executed| (payment.clone(), executed));
    let now = now();
    let mut ids = new_id;
    let mut ctx = ChangeContext { now, actor: actor.logging(), references: &references, new_id: &mut ids };
    let applied = apply_actions(payment, actions, &mut ctx)?;
    if !applied.changed(version) {
        return Ok(Written { document: stored.document, due_operations: vec![] });
    }
    let mut payment = applied.payment;
    let before =
        guarded.as_ref().map(|(before, (transactions, open))| (before, Executed { transactions, open }));
    if let Some((before, executed)) = &before {
        crate::domain::psp_rules::check_client_change(before, &payment, executed)?;
    }
    let mut sequence = stored.last_message_sequence_number;
    let mut messages = Vec::with_capacity(applied.messages.len());
    for versioned in &applied.messages {
        sequence += 1;
        messages.push(envelope(
            project_key,
            &payment,
            sequence,
            versioned.resource_version,
            &versioned.message,
            now,
            actor,
        )?);
    }
    payment.last_message_sequence_number = sequence;
    let routing = Routing { interface: psp_interface, before };
    match store(db, project_key, &payment, Some(version), &messages, &routing)? {
        Some(written) => Ok(written),
        // Another writer got there first.
        None => Err(current_conflict(db, project_key, &stored.id, version, locator)),
    }
}

/// The conflict a lost compare-and-set reports, with the version that won.
fn current_conflict(db: &Database, project_key: &str, id: &str, version: i64, locator: &Locator) -> ApiError {
    let current =
        db.read(|conn| Ok::<_, ApiError>(store::find(conn, project_key, &Locator::Id(id.to_owned()))?));
    match current {
        Ok(Some(current)) => conflict(id, version, current.version),
        Ok(None) => not_found(locator),
        Err(error) => error,
    }
}

/// Deletes the Payment if `version` is current and returns it as it was. With `data_erasure`
/// its Messages go too. Refused while provider operations are open; one whose result is
/// already written is waited for (up to [`CLOSING_WAIT`]). On a payment the provider executes
/// (`psp_interface`), the authorizations it still holds in full are released, and one captured
/// in part whose rest it still holds refuses the deletion.
pub fn delete(
    db: &Database,
    project_key: &str,
    locator: &Locator,
    version: i64,
    data_erasure: bool,
    psp_interface: Option<&str>,
) -> Result<String, ApiError> {
    let deadline = std::time::Instant::now() + CLOSING_WAIT;
    loop {
        match try_delete(db, project_key, locator, version, data_erasure, psp_interface)? {
            Deletion::Done(document) => return Ok(document),
            Deletion::Closing if std::time::Instant::now() < deadline => std::thread::sleep(CLOSING_POLL),
            Deletion::Closing | Deletion::MoneyInFlight { awaiting_customer: None } => {
                return Err(DomainError::InvalidOperation(
                    "The payment has provider operations in progress; delete it once they are finished."
                        .into(),
                )
                .into())
            }
            Deletion::MoneyInFlight { awaiting_customer: Some(transaction_id) } => {
                return Err(DomainError::InvalidOperation(format!(
                    "The payment waits for the customer to pay transaction '{transaction_id}': add a CancelAuthorization to abandon it, then delete the payment."
                ))
                .into())
            }
        }
    }
}

/// How long a deletion waits for provider operations that are being closed.
const CLOSING_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
const CLOSING_POLL: std::time::Duration = std::time::Duration::from_millis(25);

enum Deletion {
    Done(String),
    /// Money may be moving: the result of a provider call must have a payment to land on.
    /// Where the customer has yet to pay, the shop can abandon the payment with a cancel.
    MoneyInFlight {
        awaiting_customer: Option<String>,
    },
    /// Every open operation's transaction already has its final state: the provider's result is
    /// written to the payment just before its operation is closed, and the closing is under
    /// way. The deletion is tried again shortly (outside the write) rather than refused.
    Closing,
}

fn try_delete(
    db: &Database,
    project_key: &str,
    locator: &Locator,
    version: i64,
    data_erasure: bool,
    psp_interface: Option<&str>,
) -> Result<Deletion, ApiError> {
    db.write(|conn| {
        let stored = store::find(conn, project_key, locator)?.ok_or_else(|| not_found(locator))?;
        if stored.version != version {
            return Err(conflict(&stored.id, version, stored.version));
        }
        let payment: Payment = serde_json::from_str(&stored.document).map_err(ApiError::internal)?;
        let open = crate::persistence::psp::open_operations(conn, &stored.id)?;
        if !open.is_empty() {
            let is_final = |transaction_id: &String| {
                payment.transactions.iter().any(|t| {
                    &t.id == transaction_id
                        && matches!(t.state, TransactionState::Success | TransactionState::Failure)
                })
            };
            if open.iter().all(is_final) {
                return Ok(Deletion::Closing);
            }
            // Named only where no cancel of it is under way already.
            let cancelling = |awaiting: &Transaction| {
                let intent = awaiting.interaction_id.as_deref();
                payment.transactions.iter().any(|t| crate::domain::psp_rules::is_cancel_of(t, intent))
            };
            let awaiting_customer = crate::psp::plan::awaiting_customer(&payment)
                .filter(|t| open.contains(&t.id) && !cancelling(t))
                .map(|t| t.id.clone());
            return Ok(Deletion::MoneyInFlight { awaiting_customer });
        }
        let routed = psp_interface.is_some_and(|name| super::psp::is_routed(&payment, name));
        // The rest of an authorization captured in part is the shop's to release or capture:
        // deleting the payment would leave it held until the authorization expires.
        if let Some((authorization, rest)) =
            crate::domain::psp_rules::captured_in_part(&payment).filter(|_| routed)
        {
            return Err(DomainError::InvalidOperation(format!(
                "Authorization '{}' was captured in part and the payment service provider still holds the rest: add a CancelAuthorization of {rest} cents to release it (or capture it), then delete the payment.",
                authorization.id
            ))
            .into());
        }
        if !store::delete(conn, project_key, &stored.id, version)? {
            return Err(not_found(locator));
        }
        if routed {
            super::psp::keep_releases_of_deleted(conn, project_key, &payment)?;
        }
        if data_erasure {
            messages::delete_for_resource(conn, project_key, &stored.id)?;
        }
        Ok(Deletion::Done(stored.document))
    })
}

pub fn list(db: &Database, project_key: &str, query: &ListQuery) -> Result<Page, ApiError> {
    super::list_documents(db, &PAYMENTS, project_key, query)
}

/// The documents of a Payment's Messages in sequence order.
pub fn messages_of(db: &Database, project_key: &str, payment_id: &str) -> Result<Vec<String>, ApiError> {
    db.read(|conn| Ok(messages::for_resource(conn, project_key, payment_id)?))
}

/// The provider interface the adapter serves (None when it is off), and, for a payment it
/// routed already, the payment as it was and the transactions of it that it executes.
struct Routing<'a> {
    interface: Option<&'a str>,
    before: Option<(&'a Payment, Executed<'a>)>,
}

impl Routing<'_> {
    /// Whether this change sends the transaction: it is Initial and was not before (added, or
    /// set to Initial), or the payment names the provider only now. Initial transactions
    /// written while the adapter was off are not sent when it is turned on: charging a
    /// customer for an old order without anyone asking is worse.
    fn sends(&self, transaction: &Transaction) -> bool {
        // Chargebacks are reported by the provider, never sent.
        if transaction.state != TransactionState::Initial || transaction.kind == TransactionType::Chargeback {
            return false;
        }
        let Some((before, executed)) = &self.before else { return true };
        let was_initial = before
            .transactions
            .iter()
            .any(|t| t.id == transaction.id && t.state == TransactionState::Initial);
        !was_initial && !executed.transactions.contains(&transaction.id)
    }
}

/// Writes the payment (new when `replaces` is None, else by compare-and-set on that version)
/// with its Messages, the last of which is numbered `payment.last_message_sequence_number`.
/// For a payment the provider executes (`psp_interface`), the amount rules are checked and
/// each transaction the change sends (see [`Routing::sends`]) becomes a provider operation in
/// the same write, so none is lost. None when the compare-and-set lost.
fn store(
    db: &Database,
    project_key: &str,
    payment: &Payment,
    replaces: Option<i64>,
    messages: &[NewMessage],
    routing: &Routing,
) -> Result<Option<Written>, ApiError> {
    let prepared = prepare(project_key, payment, routing)?;
    let outcome = store::write(db, &prepared.change(project_key, payment, replaces, messages));
    written(db, prepared, payment, outcome)
}

/// What a change stores beside the payment and its Messages, checked and derived from it.
struct Prepared {
    document: String,
    references: Vec<String>,
    operations: Vec<OperationRow>,
}

impl Prepared {
    fn change<'a>(
        &'a self,
        project_key: &'a str,
        payment: &'a Payment,
        replaces: Option<i64>,
        messages: &'a [NewMessage],
    ) -> PaymentChange<'a> {
        PaymentChange {
            project_key,
            payment,
            document: &self.document,
            last_sequence: payment.last_message_sequence_number,
            replaces,
            references: &self.references,
            messages,
            operations: &self.operations,
        }
    }

    fn written(self) -> Written {
        let due_operations = self.operations.into_iter().map(|o| o.transaction_id).collect();
        Written { document: self.document, due_operations }
    }
}

/// Checks the payment (and, where the provider executes it, what it would send) and derives
/// its stored document, references and due provider operations.
fn prepare(project_key: &str, payment: &Payment, routing: &Routing) -> Result<Prepared, ApiError> {
    payment.check_indexed_values()?;
    let operations = match routing.interface.filter(|name| super::psp::is_routed(payment, name)) {
        Some(_) => {
            crate::domain::psp_rules::check(payment)?;
            super::psp::check_for_stripe(payment)?;
            let to_send: Vec<&Transaction> =
                payment.transactions.iter().filter(|t| routing.sends(t)).collect();
            crate::domain::psp_rules::check_to_send(to_send.iter().copied())?;
            let is_added = |t: &&Transaction| {
                routing.before.is_none_or(|(before, _)| before.transactions.iter().all(|b| b.id != t.id))
            };
            let nothing = Executed { transactions: &[], open: &[] };
            let executed = routing.before.as_ref().map_or(&nothing, |(_, executed)| executed);
            let sent: Vec<&str> = to_send.iter().map(|t| t.id.as_str()).collect();
            crate::domain::psp_rules::check_added(
                payment,
                executed,
                &sent,
                payment.transactions.iter().filter(is_added),
            )?;
            super::psp::operations_for(project_key, payment.id.as_str(), &to_send)
        }
        None => vec![],
    };
    Ok(Prepared { document: super::document_of(payment)?, references: referenced_ids(payment), operations })
}

/// The answer to a write: what was stored, None when the payment is no longer at the version
/// the change replaces, or the error the write reports.
fn written(
    db: &Database,
    prepared: Prepared,
    payment: &Payment,
    outcome: Result<bool, WriteError>,
) -> Result<Option<Written>, ApiError> {
    match outcome {
        Ok(true) => Ok(Some(prepared.written())),
        Ok(false) => Ok(None),
        Err(error) => Err(write_error(db, error, payment)),
    }
}

fn write_error(db: &Database, error: WriteError, payment: &Payment) -> ApiError {
    match error {
        WriteError::Unavailable(cause) => ApiError::OverCapacity(cause),
        WriteError::Query(error) if crate::persistence::foreign_key_violation(&error) => {
            deleted_reference(db, payment)
        }
        WriteError::Query(error) => duplicate_or(error, payment),
    }
}

/// The reference that a deletion racing the write removed (the database refused the write).
fn deleted_reference(db: &Database, payment: &Payment) -> ApiError {
    let referenced = kept_references(payment);
    let ids: Vec<String> = referenced.iter().map(|(_, id)| id.clone()).collect();
    let missing = match db.read(|conn| Ok::<_, ApiError>(resources::missing(conn, &ids)?)) {
        Ok(missing) => missing,
        Err(error) => return error,
    };
    match referenced.into_iter().find(|(_, id)| missing.contains(id)) {
        Some((type_id, id)) => DomainError::ReferencedResourceNotFound {
            type_id: type_id.as_str().into(),
            target: IdOrKey::Id(id),
        }
        .into(),
        None => ApiError::internal("a foreign key refused a payment whose references all exist"),
    }
}

/// The ids of what the payment references that may not be deleted while it does.
fn referenced_ids(payment: &Payment) -> Vec<String> {
    kept_references(payment).into_iter().map(|(_, id)| id).collect()
}

/// The references that keep their target from deletion: Types and States. (A Customer may be
/// deleted while payments refer to it, as in commercetools.)
fn kept_references(payment: &Payment) -> Vec<(ReferenceTypeId, String)> {
    payment.referenced().into_iter().filter(|(type_id, _)| *type_id != ReferenceTypeId::Customer).collect()
}

/// Reports a broken unique constraint as commercetools' DuplicateField.
fn duplicate_or(error: diesel::result::Error, payment: &Payment) -> ApiError {
    let duplicate = |field: &str, value: Option<&str>| DomainError::DuplicateField {
        field: field.into(),
        duplicate_value: value.map_or(Value::Null, Value::from),
    };
    match unique_violation(&error) {
        Some(UniqueField::Key) => duplicate("key", payment.key.as_ref().map(|k| k.as_str())).into(),
        Some(UniqueField::InterfaceId) if payment.payment_method_info.payment_interface.is_none() => {
            let duplicate_value = payment.interface_id.as_deref().map_or(Value::Null, Value::from);
            DomainError::duplicate_interface_id_without_interface(duplicate_value).into()
        }
        Some(UniqueField::InterfaceId) => duplicate("interfaceId", payment.interface_id.as_deref()).into(),
        Some(UniqueField::UniqueValue | UniqueField::CustomerNumber) | None => error.into(),
    }
}

/// A stored Message: the envelope commercetools puts around every Message, and its payload.
/// Wraps a Payment Message payload in commercetools' Message representation.
fn envelope(
    project_key: &str,
    payment: &Payment,
    sequence_number: i64,
    resource_version: i64,
    message: &PaymentMessage,
    now: Timestamp,
    actor: &Actor,
) -> Result<NewMessage, ApiError> {
    let subject = Subject {
        type_id: "payment",
        id: &payment.id,
        key: payment.key.as_ref().map(|key| key.as_str()),
        customer_number: None,
        external_id: None,
    };
    super::messages::envelope(project_key, &subject, sequence_number, resource_version, message, now, actor)
}
