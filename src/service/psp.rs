//! Executes the provider outbox: each operation is leased by one process, sent with its fixed
//! idempotency key, and its outcome written back as ordinary update actions (retried on 409).
//! No database transaction or lock is held across a provider call. Unknown outcomes are retried
//! with capped exponential backoff and jitter, with the same idempotency key, so a retry can
//! only ever see the first attempt's result.

use super::resources::{self as resource_service, Types};
use super::{now, Actor};
use crate::domain::customers::Customer;
use crate::domain::errors::DomainError;
use crate::domain::payment::{Payment, TransactionState};
use crate::domain::types::TypeDraft;
use crate::error::ApiError;
use crate::persistence::payments::Locator;
use crate::persistence::psp as store;
use crate::persistence::Database;
use crate::psp::writeback::{self, INTERACTION_FIELDS, INTERACTION_TYPE_KEY};
use crate::psp::{
    account_key, plan, stripe_events, transitions, Effect, Operation, Outcome, Provider, Report, Request,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The longest wait between retries of an unknown outcome.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How many write-back attempts a run of 409s may cost.
const WRITE_BACK_ATTEMPTS: usize = 20;
/// The client id recorded as the author of write-backs.
const WRITER: &str = "payments-api-psp";

/// A direct provider call that did not happen: refused (400 InvalidOperation with the
/// provider's message) or unanswered (503).
pub(super) fn call_error(error: crate::psp::CallError) -> ApiError {
    match error {
        crate::psp::CallError::Refused(message) => DomainError::InvalidOperation(message).into(),
        crate::psp::CallError::Unavailable(reason) => ApiError::ProviderUnavailable(reason),
    }
}

/// Whether a payment is executed by the provider (by `paymentMethodInfo.paymentInterface`).
pub fn is_routed(payment: &Payment, interface_name: &str) -> bool {
    payment.payment_method_info.payment_interface.as_deref() == Some(interface_name)
}

/// Refuses, when it is written rather than when it fails at Stripe later: a connected account
/// that is no Stripe account id (it becomes a header), an empty payment method, and a
/// transaction amount Stripe cannot take: nothing, a fraction of a unit Stripe counts whole,
/// or thousandths not in steps of ten.
pub fn check_for_stripe(payment: &Payment) -> Result<(), DomainError> {
    let info = &payment.payment_method_info;
    check_account(info.interface_account.as_deref())?;
    if info.token.as_ref().is_some_and(|token| token.value.trim().is_empty()) {
        return Err(DomainError::InvalidOperation(
            "paymentMethodInfo.token.value is empty: give a Stripe PaymentMethod id, or no token for the customer to pay in the browser.".into(),
        ));
    }
    for transaction in payment.transactions.iter().filter(|t| t.state == TransactionState::Initial) {
        if transaction.amount.cent_amount() == 0 {
            return Err(DomainError::InvalidOperation(
                "Stripe cannot charge, capture or refund nothing: the amount is 0.".into(),
            ));
        }
        crate::psp::stripe_amounts::to_stripe(
            transaction.amount.currency(),
            transaction.amount.cent_amount(),
        )
        .map_err(DomainError::InvalidOperation)?;
    }
    Ok(())
}

/// Refuses a connected account that is no Stripe account id (it would become a header).
pub fn check_account(account: Option<&str>) -> Result<(), DomainError> {
    match account.filter(|a| !crate::psp::stripe::is_account_id(a)) {
        Some(account) => Err(DomainError::InvalidOperation(format!(
            "interfaceAccount '{account}' is not a Stripe account id (acct_…)."
        ))),
        None => Ok(()),
    }
}

/// Whether Stripe's message says the provider customer it was given no longer exists.
pub(super) fn names_missing_customer(message: &str) -> bool {
    message.contains("No such customer")
}

/// The operations a change makes due: one per transaction it sends.
pub fn operations_for(
    project_key: &str,
    payment_id: &str,
    to_send: &[&crate::domain::payment::Transaction],
) -> Vec<store::OperationRow> {
    let now = now().millis();
    to_send
        .iter()
        .map(|t| store::OperationRow {
            transaction_id: t.id.clone(),
            payment_id: payment_id.to_owned(),
            project_key: project_key.to_owned(),
            // Derived from our transaction id: every retry of the operation sends the same key.
            idempotency_key: format!("ct-transaction-{}", t.id),
            done: false,
            attempts: 0,
            next_attempt_at: now,
            lease_until: 0,
            created_at: now,
            pinned: None,
        })
        .collect()
}

/// Those of the payment's transactions whose PaymentIntent the customer confirms: as pinned when
/// it was created, or, for one pinned before that was kept, while the payment has no token.
fn confirmed_by_customer(payment: &Payment, pinned: &[(String, String)]) -> Vec<String> {
    payment
        .transactions
        .iter()
        .filter(|t| {
            let kept = pinned.iter().find(|(id, _)| *id == t.id).and_then(|(_, text)| {
                serde_json::from_str::<Pinned>(text).ok().and_then(|p| p.customer_confirms)
            });
            kept.unwrap_or(payment.payment_method_info.token.is_none())
        })
        .map(|t| t.id.clone())
        .collect()
}

/// Parameters decided once, before an operation's first call, and sent by every retry: Stripe
/// refuses an idempotency key that comes back with other parameters, and the payment (its
/// customer, its other charges) may change between attempts.
#[derive(serde::Serialize, serde::Deserialize)]
struct Pinned {
    /// The connected account the calls go to (`Stripe-Account`): keys live per account.
    account: Option<String>,
    customer: Option<String>,
    payment_method: Option<String>,
    final_capture: Option<bool>,
    /// The PaymentIntent a capture, refund or cancel goes to: a retry goes to the same one even
    /// if the payment has another by then.
    intent_id: Option<String>,
    /// Whether the customer confirms the PaymentIntent (in the browser or on Stripe's page): it
    /// was created without a payment method, whatever token the payment is given later. (None
    /// for other operations, and for those pinned before this was kept.)
    #[serde(default)]
    customer_confirms: Option<bool>,
}

pub struct Executor {
    pub(super) db: Database,
    pub(super) provider: Arc<dyn Provider>,
    /// How long a process owns an operation it took; after that another may take it over.
    lease: Duration,
}

pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)?
}

/// Until when a process that takes something now holds it.
fn lease_end(now: i64, lease: Duration) -> i64 {
    now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}

fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    let base = Duration::from_secs(1).saturating_mul(2_u32.saturating_pow(exponent)).min(MAX_BACKOFF);
    // Up to a quarter more, so that processes retrying together spread out.
    let jitter = base.mul_f64(rand::random::<f64>() * 0.25);
    base + jitter
}

/// Stripe keeps idempotency keys for 24 hours; an operation this old is not sent again.
const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(23 * 3600);
/// How often an event whose payment cannot be found is tried before it is set aside.
const MAX_EVENT_ATTEMPTS: i64 = 50;

/// How long a Pending transaction is looked up at the provider.
const LOOKUP_HORIZON: Duration = Duration::from_secs(7 * 24 * 3600);

fn age(operation: &store::OperationRow) -> Duration {
    let millis = now().millis().saturating_sub(operation.created_at);
    Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

fn too_old_to_resend(operation: &store::OperationRow) -> bool {
    age(operation) > IDEMPOTENCY_WINDOW
}

/// For an event whose payment is not known (yet): retry, until it has been tried too often.
fn give_up(event: &store::EventRow) -> bool {
    let give_up = event.attempts >= MAX_EVENT_ATTEMPTS;
    if give_up {
        log::warn!(
            "webhook event {} matches no payment after {} attempts; set aside",
            event.event_id,
            event.attempts
        );
    }
    give_up
}

fn operation_name(operation: &Operation) -> &'static str {
    match operation {
        Operation::Authorize { capture: false, .. } => "authorize",
        Operation::Authorize { capture: true, .. } => "charge",
        Operation::Capture { .. } => "capture",
        Operation::Refund { .. } => "refund",
        Operation::Cancel { .. } => "cancel",
        Operation::Retrieve { .. } => "retrieve",
        Operation::CreateCustomer { .. } => "create-customer",
        Operation::Checkout { .. } => "checkout",
    }
}

impl Executor {
    pub fn new(db: Database, provider: Arc<dyn Provider>, lease: Duration) -> Self {
        Self { db, provider, lease }
    }

    pub fn interface_name(&self) -> &str {
        self.provider.interface_name()
    }

    /// Executes the operations and waits for them at most `wait`; what is unfinished then is
    /// finished in the background (by this call's tasks, or by the worker after a crash).
    pub async fn execute_within(self: &Arc<Self>, transaction_ids: Vec<String>, wait: Duration) {
        let tasks: Vec<_> = transaction_ids
            .into_iter()
            .map(|id| {
                let executor = Arc::clone(self);
                tokio::spawn(async move { executor.execute(&id).await })
            })
            .collect();
        let all = async {
            for task in tasks {
                let _ = task.await;
            }
        };
        let _ = tokio::time::timeout(wait, all).await;
    }

    /// Runs forever: takes due operations (new ones a crashed process left, and retries) and
    /// events not applied yet (parked ones, and ones a crash interrupted).
    pub async fn run_worker(self: Arc<Self>, interval: Duration) {
        loop {
            tokio::time::sleep(interval).await;
            let db = self.db.clone();
            let due = blocking(move || db.read(|conn| Ok(store::due(conn, now().millis(), 50)?))).await;
            match due {
                Ok(ids) if !ids.is_empty() => self.execute_within(ids, self.lease).await,
                Ok(_) => {}
                Err(error) => log::warn!("psp worker cannot read the outbox: {error}"),
            }
            let db = self.db.clone();
            let events =
                blocking(move || db.read(|conn| Ok(store::due_events(conn, now().millis(), 50)?))).await;
            match events {
                Ok(events) => {
                    for event in events {
                        self.apply_event(&event.event_id).await;
                    }
                }
                Err(error) => log::warn!("psp worker cannot read the inbox: {error}"),
            }
            let db = self.db.clone();
            let releases =
                blocking(move || db.read(|conn| Ok(store::due_releases(conn, now().millis(), 20)?))).await;
            match releases {
                Ok(ids) if !ids.is_empty() => self.release_within(ids, self.lease).await,
                Ok(_) => {}
                Err(error) => log::warn!("psp worker cannot read the releases: {error}"),
            }
        }
    }

    /// Applies a stored webhook event to its payment, if this process gets to claim it. An
    /// event whose payment is not known yet is parked and retried with backoff, never dropped.
    pub async fn apply_event(&self, event_id: &str) {
        let (db, id, lease) = (self.db.clone(), event_id.to_owned(), self.lease);
        let claimed = blocking(move || {
            let now = now().millis();
            let until = lease_end(now, lease);
            db.write(|conn| Ok::<_, ApiError>(store::claim_event(conn, &id, now, until)?))
        })
        .await;
        match claimed {
            Ok(true) => {}
            // Applied already, or another process is applying it.
            Ok(false) => return,
            Err(error) => {
                log::warn!("webhook event {event_id} could not be claimed: {error}");
                return;
            }
        }
        let outcome = self.try_apply_event(event_id).await;
        let processed = match &outcome {
            Ok(processed) => *processed,
            Err(error) => {
                log::warn!("webhook event {event_id} will be retried: {error}");
                false
            }
        };
        let (db, id) = (self.db.clone(), event_id.to_owned());
        let result = blocking(move || {
            db.write(|conn| {
                let attempts = store::event(conn, &id)?.map_or(0, |e| e.attempts);
                let next =
                    now().millis().saturating_add(i64::try_from(backoff(attempts).as_millis()).unwrap_or(0));
                Ok::<_, ApiError>(store::mark_event(conn, &id, processed, next)?)
            })
        })
        .await;
        if let Err(error) = result {
            log::warn!("webhook event {event_id} could not be marked: {error}");
        }
    }

    /// True when the event is applied (or has nothing to apply); false to retry it later.
    async fn try_apply_event(&self, event_id: &str) -> Result<bool, ApiError> {
        let (db, id) = (self.db.clone(), event_id.to_owned());
        let Some(row) = blocking(move || db.read(|conn| Ok::<_, ApiError>(store::event(conn, &id)?))).await?
        else {
            return Ok(true);
        };
        if row.processed {
            return Ok(true);
        }
        let event = match stripe_events::read(row.payload.as_bytes()) {
            Ok(event) => event,
            Err(reason) => {
                log::warn!("webhook event {event_id} cannot be read and is skipped: {reason}");
                return Ok(true);
            }
        };
        if event.effects.is_empty() {
            return Ok(true);
        }
        let (db, account, object_id) = (self.db.clone(), event.account.clone(), event.object_id.clone());
        let mapped = blocking(move || {
            db.read(|conn| Ok::<_, ApiError>(store::find_object(conn, &account, &object_id)?))
        })
        .await?;
        let (project_key, payment_id, owner) = match (mapped, &event.payment_id) {
            (Some((project, payment, transaction)), _) => (project, payment, Some(transaction)),
            (None, Some(payment)) => {
                let project_key = event.project_key.clone().unwrap_or_else(|| row.project_key.clone());
                (project_key, payment.clone(), event.transaction_id.clone())
            }
            (None, None) => return Ok(give_up(&row)),
        };
        match self.payment(&project_key, &payment_id).await {
            Ok(_) => {}
            Err(ApiError::ResourceNotFound(_)) => return Ok(give_up(&row)),
            Err(error) => return Err(error),
        }
        // A hosted checkout ended: its transaction's lookup (which also records the
        // PaymentIntent) is due now rather than at its next backoff.
        if event.effects.iter().any(|e| matches!(e, Effect::CheckoutChanged { .. })) {
            if let Some(transaction_id) = owner {
                let (db, id) = (self.db.clone(), transaction_id.clone());
                blocking(move || {
                    db.write(|conn| Ok::<_, ApiError>(store::due_now(conn, &id, now().millis())?))
                })
                .await?;
                self.execute(&transaction_id).await;
            }
            return Ok(true);
        }
        // Worked out again on every attempt, so a retry never repeats what another writer did.
        let effects = event.effects;
        // Our transactions still being sent: what the event tells may be one of them.
        let current = self.payment(&project_key, &payment_id).await?;
        let ids: Vec<String> = current.transactions.iter().map(|t| t.id.clone()).collect();
        let db = self.db.clone();
        let (open, pinned) = blocking(move || {
            db.read(|conn| {
                Ok::<_, ApiError>((store::open_among(conn, &ids)?, store::pinned_among(conn, &ids)?))
            })
        })
        .await?;
        let confirmed = confirmed_by_customer(&current, &pinned);
        // Decided on the snapshot the actions were worked out from.
        let wait = std::sync::atomic::AtomicBool::new(false);
        let unrecordable = std::sync::Mutex::new(Vec::new());
        self.write_back(&project_key, &payment_id, |payment| {
            wait.store(
                transitions::must_wait(payment, &effects, &open),
                std::sync::atomic::Ordering::Relaxed,
            );
            let applied = transitions::apply(payment, &effects, owner.as_deref(), &open, &confirmed);
            *unrecordable.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = applied.unrecordable;
            applied.actions
        })
        .await?;
        // Not given up after a number of attempts: the operation it waits for closes within
        // its own limits, and then the event is applied.
        if wait.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(false);
        }
        for told in unrecordable.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            log::warn!("webhook event {event_id} tells of a {told}, which payment {payment_id} cannot record; reconcile it by hand");
        }
        // A failure Stripe reported by webhook releases the PaymentIntent as one our own call
        // or lookup found does.
        if effects.iter().any(|e| matches!(e, Effect::IntentFailed { .. })) {
            if let (Some(owner), Ok(payment)) =
                (owner.as_deref(), self.payment(&project_key, &payment_id).await)
            {
                if let Ok(transaction) = payment.transaction(owner) {
                    if transaction.state == TransactionState::Failure {
                        let failed = Outcome::Failed(Report {
                            object_id: Some(event.object_id.clone()),
                            ..Report::default()
                        });
                        self.release_failed_intent(
                            &project_key,
                            &payment,
                            transaction,
                            "retrieve",
                            &failed,
                            &event.account,
                        )
                        .await;
                    }
                }
            }
        }
        Ok(true)
    }

    /// Executes one operation if this process gets its lease.
    pub async fn execute(&self, transaction_id: &str) {
        if let Err(error) = self.try_execute(transaction_id).await {
            log::warn!("psp operation for transaction {transaction_id} will be retried: {error}");
        }
    }

    async fn try_execute(&self, transaction_id: &str) -> Result<(), ApiError> {
        let db = self.db.clone();
        let id = transaction_id.to_owned();
        let lease = self.lease;
        let leased = blocking(move || {
            let now = now().millis();
            let until = lease_end(now, lease);
            db.write(|conn| Ok::<_, ApiError>(store::lease(conn, &id, now, until)?))
        })
        .await?;
        let Some(operation) = leased else { return Ok(()) };
        let result = self.run(&operation).await;
        let db = self.db.clone();
        let id = transaction_id.to_owned();
        match result {
            Ok(true) => {
                let lease_until = operation.lease_until;
                blocking(move || db.write(|conn| Ok::<_, ApiError>(store::finish(conn, &id, lease_until)?)))
                    .await
            }
            Ok(false) | Err(_) => {
                let at = now()
                    .millis()
                    .saturating_add(i64::try_from(backoff(operation.attempts).as_millis()).unwrap_or(0));
                let lease_until = operation.lease_until;
                blocking(move || {
                    db.write(|conn| Ok::<_, ApiError>(store::retry_at(conn, &id, at, lease_until)?))
                })
                .await?;
                result.map(|_| ())
            }
        }
    }

    /// Sends the operation and writes its outcome back; true when it is settled.
    async fn run(&self, operation: &store::OperationRow) -> Result<bool, ApiError> {
        let payment = match self.payment(&operation.project_key, &operation.payment_id).await {
            Ok(payment) => payment,
            Err(ApiError::ResourceNotFound(_)) => {
                log::error!(
                    "payment {} of provider operation {} is gone",
                    operation.payment_id,
                    operation.transaction_id
                );
                return Ok(true);
            }
            Err(error) => return Err(error),
        };
        let Ok(transaction) = payment.transaction(&operation.transaction_id) else { return Ok(true) };
        // A Failure written back by a process that died before it kept the release.
        if let (TransactionState::Failure, Some(intent_id)) = (transaction.state, &transaction.interaction_id)
        {
            let pinned =
                operation.pinned.as_deref().and_then(|text| serde_json::from_str::<Pinned>(text).ok());
            let account = pinned
                .and_then(|p| p.account)
                .or_else(|| payment.payment_method_info.interface_account.clone());
            let account = account_key(account.as_deref());
            self.schedule_release(
                &operation.project_key,
                &payment,
                transaction,
                "retrieve",
                intent_id,
                &account,
            )
            .await;
        }
        if !matches!(transaction.state, TransactionState::Initial | TransactionState::Pending) {
            return Ok(true);
        }
        // Tried again later (with backoff) once its authorization has succeeded or failed.
        if plan::waits_for_authorization(&payment, transaction) {
            return Ok(false);
        }
        // The account the calls go to: as pinned with the operation once it is (before its
        // first call), the payment's own until then.
        let mut account = payment.payment_method_info.interface_account.clone();
        // The provider customer the call names, if any.
        let mut provider_customer = None;
        let (name, outcome) = match plan::operation(&payment, transaction) {
            // Stripe keeps idempotency keys for 24 hours: after that a retry could create the
            // object a second time, or be refused because the first attempt did succeed (a
            // second capture), so it is left for a person to reconcile instead. Lookups go on.
            Ok(planned) if !matches!(planned, Operation::Retrieve { .. }) && too_old_to_resend(operation) => {
                log::error!(
                    "provider operation for transaction {} is older than its idempotency key lives; reconcile it by hand",
                    transaction.id
                );
                return Ok(true);
            }
            Ok(planned) => {
                let name = operation_name(&planned);
                let Some((planned, pinned_account)) = self.pinned(operation, &payment, planned).await? else {
                    return Ok(false);
                };
                account = pinned_account;
                if let Operation::Authorize { customer, .. } | Operation::Checkout { customer, .. } = &planned
                {
                    provider_customer = customer.clone();
                }
                let refused = match self.foreign_account(&operation.project_key, account.as_deref()).await? {
                    Some(refused) => Some(refused),
                    None => self.foreign_object(operation, &planned, account.as_deref()).await?,
                };
                if let Some(refused) = refused {
                    ("refused", refused)
                } else {
                    let request = Request {
                        operation: planned,
                        account: account.clone(),
                        idempotency_key: operation.idempotency_key.clone(),
                        metadata: vec![
                            ("ct_project_key".into(), operation.project_key.clone()),
                            ("ct_payment_id".into(), payment.id.clone()),
                            ("ct_transaction_id".into(), transaction.id.clone()),
                        ],
                    };
                    (name, self.provider.execute(request).await)
                }
            }
            Err(reason) => ("refused", Outcome::refused(reason)),
        };
        if let Outcome::Unknown(reason) = &outcome {
            log::warn!("psp outcome unknown for transaction {}: {reason}", transaction.id);
        }
        let account = account_key(account.as_deref());
        self.forget_missing_customer(operation, &payment, &account, provider_customer, &outcome).await?;
        // A lookup that finds the object still pending changes nothing; it is looked up again
        // later (with backoff), which settles transactions whose webhook was lost.
        if name == "retrieve" && matches!(outcome, Outcome::Pending(_) | Outcome::Unknown(_)) {
            // A PaymentIntent the customer never paid waits for ever; after a week only its
            // webhooks can still settle it, so that abandoned checkouts are not polled for ever.
            if age(operation) > LOOKUP_HORIZON {
                log::info!("transaction {} still pending after a week; left to webhooks", transaction.id);
                return Ok(true);
            }
            return Ok(false);
        }
        // Unknown outcomes are retried; Pending ones are looked up again later.
        let settled = matches!(outcome, Outcome::Succeeded(_) | Outcome::Failed(_));
        // The object is recorded as this payment's before the payment names it, so that a
        // crash in between cannot leave the payment pointing at an object later refused as foreign.
        if let Outcome::Succeeded(report) | Outcome::Pending(report) | Outcome::Failed(report) = &outcome {
            if let Some(object_id) = &report.object_id {
                let (db, account, object_id, project, payment_id, transaction_id) = (
                    self.db.clone(),
                    account.clone(),
                    object_id.clone(),
                    operation.project_key.clone(),
                    payment.id.clone(),
                    transaction.id.clone(),
                );
                blocking(move || {
                    db.write(|conn| {
                        Ok::<_, ApiError>(store::map_object(
                            conn,
                            &account,
                            &object_id,
                            &project,
                            &payment_id,
                            &transaction_id,
                        )?)
                    })
                })
                .await?;
            }
        }
        self.ensure_interaction_type(&operation.project_key).await?;
        let transaction_id = transaction.id.clone();
        self.write_back(&operation.project_key, &payment.id, |current| {
            match current.transaction(&transaction_id) {
                Ok(transaction) => writeback::actions(transaction, name, &outcome, now()),
                Err(_) => vec![],
            }
        })
        .await?;
        // An abandoned authorization is Failure, and the payment deletable, as soon as the
        // cancel went through: recorded as Stripe's cancel of its object (also when its own
        // lookups ended long ago), and looked up at once if they go on.
        let cancelled = name == "cancel" && matches!(outcome, Outcome::Succeeded(_));
        if let (true, Some(abandoned)) = (cancelled, plan::awaiting_customer(&payment)) {
            if let Some(intent_id) = abandoned.interaction_id.clone() {
                let effects = [Effect::IntentCanceled { intent_id }];
                self.write_back(&operation.project_key, &payment.id, |current| {
                    transitions::actions(current, &effects, None, &[], &[])
                })
                .await?;
            }
            let (db, id) = (self.db.clone(), abandoned.id.clone());
            blocking(move || db.write(|conn| Ok::<_, ApiError>(store::due_now(conn, &id, now().millis())?)))
                .await?;
        }
        self.release_failed_intent(&operation.project_key, &payment, transaction, name, &outcome, &account)
            .await;
        Ok(settled)
    }

    /// A PaymentIntent whose authorization or charge we recorded as Failure (a decline, a failed
    /// 3-D Secure) is cancelled at Stripe: otherwise the customer could still complete it later,
    /// and the payment, authorized again meanwhile, would hold the money twice. The release is
    /// kept before it is tried, so that a crash or a lost answer leaves it to the worker.
    /// (Where the customer confirms in the browser a decline is not a Failure, so nothing is
    /// cancelled there.)
    async fn release_failed_intent(
        &self,
        project_key: &str,
        payment: &Payment,
        transaction: &crate::domain::payment::Transaction,
        name: &str,
        outcome: &Outcome,
        account_key: &str,
    ) {
        let Outcome::Failed(Report { object_id: Some(intent_id), status, .. }) = outcome else { return };
        if status != "canceled" {
            self.schedule_release(project_key, payment, transaction, name, intent_id, account_key).await;
        }
    }

    /// Keeps the release of the transaction's own PaymentIntent (a failed capture names the
    /// authorization's, which must stay) and tries it at once; a release kept before is left to
    /// the worker.
    async fn schedule_release(
        &self,
        project_key: &str,
        payment: &Payment,
        transaction: &crate::domain::payment::Transaction,
        name: &str,
        intent_id: &str,
        account_key: &str,
    ) {
        use crate::domain::payment::TransactionType::{Authorization, Charge};
        let direct_charge =
            transaction.kind == Charge && !payment.transactions.iter().any(|t| t.kind == Authorization);
        let own_intent = matches!(name, "authorize" | "charge")
            || (name == "retrieve" && (transaction.kind == Authorization || direct_charge));
        if !own_intent || !intent_id.starts_with("pi_") {
            return;
        }
        let now = now().millis();
        let release = store::ReleaseRow {
            transaction_id: transaction.id.clone(),
            project_key: project_key.to_owned(),
            payment_id: payment.id.clone(),
            intent_id: intent_id.to_owned(),
            account: account_key.to_owned(),
            attempts: 0,
            // Held by this process for its first attempt.
            next_attempt_at: lease_end(now, self.lease),
            created_at: now,
        };
        let (db, row) = (self.db.clone(), release.clone());
        match blocking(move || db.write(|conn| Ok::<_, ApiError>(store::schedule_release(conn, &row)?))).await
        {
            Ok(true) => self.release(release).await,
            Ok(false) => {}
            Err(error) => log::error!(
                "the release of PaymentIntent {intent_id} of failed payment {} could not be kept: {error}",
                payment.id
            ),
        }
    }

    /// Tries the releases (taken one by one, so that no other process tries one meanwhile),
    /// together, for at most `wait`.
    async fn release_within(self: &Arc<Self>, transaction_ids: Vec<String>, wait: Duration) {
        let tasks: Vec<_> = transaction_ids
            .into_iter()
            .map(|id| {
                let executor = Arc::clone(self);
                tokio::spawn(async move {
                    let (db, until) = (executor.db.clone(), lease_end(now().millis(), executor.lease));
                    let taken = blocking(move || {
                        db.write(|conn| {
                            Ok::<_, ApiError>(store::take_release(conn, &id, now().millis(), until)?)
                        })
                    })
                    .await;
                    match taken {
                        Ok(Some(release)) => executor.release(release).await,
                        Ok(None) => {}
                        Err(error) => log::warn!("a release could not be taken: {error}"),
                    }
                })
            })
            .collect();
        let all = async {
            for task in tasks {
                let _ = task.await;
            }
        };
        let _ = tokio::time::timeout(wait, all).await;
    }

    /// One attempt at a release this process holds: dropped once settled, else due again after
    /// a backoff, for as long as Stripe keeps the idempotency key.
    async fn release(&self, release: store::ReleaseRow) {
        let (intent_id, payment_id) = (&release.intent_id, &release.payment_id);
        let settled = match self.try_release(&release).await {
            Ok(settled) => settled,
            Err(reason) => {
                log::warn!(
                    "PaymentIntent {intent_id} of failed payment {payment_id} not released yet: {reason}"
                );
                false
            }
        };
        let expired = now().millis().saturating_sub(release.created_at)
            > i64::try_from(IDEMPOTENCY_WINDOW.as_millis()).unwrap_or(i64::MAX);
        if !settled && expired {
            log::error!("PaymentIntent {intent_id} of failed payment {payment_id} could not be released in a day; cancel it by hand");
        }
        let attempts = release.attempts + 1;
        let next =
            now().millis().saturating_add(i64::try_from(backoff(attempts).as_millis()).unwrap_or(i64::MAX));
        let (db, held_until) = (self.db.clone(), release.next_attempt_at);
        let recorded = blocking(move || {
            db.write(|conn| {
                if settled || expired {
                    store::drop_release(conn, &release.transaction_id)?;
                } else {
                    store::reschedule_release(conn, &release.transaction_id, held_until, attempts, next)?;
                }
                Ok::<_, ApiError>(())
            })
        })
        .await;
        if let Err(error) = recorded {
            log::warn!("the release of a PaymentIntent could not be recorded: {error}");
        }
    }

    /// Whether the release is settled: the transaction is no longer a Failure (an event
    /// corrected it), the PaymentIntent turned out paid after all (recorded as the event would
    /// have been, not cancelled), or it is cancelled now. An error when Stripe did not answer.
    async fn try_release(&self, release: &store::ReleaseRow) -> Result<bool, String> {
        let payment = match self.payment(&release.project_key, &release.payment_id).await {
            Ok(payment) => payment,
            Err(ApiError::ResourceNotFound(_)) => return Ok(true),
            Err(error) => return Err(error.to_string()),
        };
        if !payment.transaction(&release.transaction_id).is_ok_and(|t| t.state == TransactionState::Failure) {
            return Ok(true);
        }
        let request = |operation| Request {
            operation,
            account: Some(release.account.clone()).filter(|key| key != crate::psp::PLATFORM_ACCOUNT),
            idempotency_key: format!("ct-release-{}", release.transaction_id),
            metadata: vec![],
        };
        let intent_id = release.intent_id.clone();
        let lookup = Operation::Retrieve { object_id: intent_id.clone(), customer_confirms: false };
        match self.provider.execute(request(lookup)).await {
            Outcome::Unknown(reason) => return Err(reason),
            Outcome::Failed(report) if report.status == "canceled" => return Ok(true),
            Outcome::Succeeded(report) => {
                let effect = if report.status == "requires_capture" {
                    Effect::IntentCapturable { intent_id }
                } else {
                    Effect::IntentSucceeded { intent_id }
                };
                let owner = release.transaction_id.as_str();
                self.write_back(&release.project_key, &release.payment_id, |current| {
                    transitions::actions(current, std::slice::from_ref(&effect), Some(owner), &[], &[])
                })
                .await
                .map_err(|error| error.to_string())?;
                log::warn!(
                    "PaymentIntent {} of failed payment {} was paid after all; recorded",
                    release.intent_id,
                    release.payment_id
                );
                return Ok(true);
            }
            Outcome::Failed(_) | Outcome::Pending(_) => {}
        }
        match self.provider.execute(request(Operation::Cancel { intent_id: release.intent_id.clone() })).await
        {
            Outcome::Succeeded(_) => {
                log::info!(
                    "released PaymentIntent {} of failed payment {}",
                    release.intent_id,
                    release.payment_id
                );
                Ok(true)
            }
            // Refused because the customer paid meanwhile: the next attempt's lookup records it.
            other => Err(format!("{other:?}")),
        }
    }

    /// The operation with its pinned parameters and the account its calls go to, pinning them
    /// first if this is its first call. None when the call cannot be made now (the customer is
    /// unknown, or the lease was lost).
    async fn pinned(
        &self,
        operation: &store::OperationRow,
        payment: &Payment,
        planned: Operation,
    ) -> Result<Option<(Operation, Option<String>)>, ApiError> {
        let pinned = match operation.pinned.as_deref().map(serde_json::from_str::<Pinned>) {
            Some(Ok(pinned)) => pinned,
            _ => {
                let customer = match &planned {
                    Operation::Authorize { .. } | Operation::Checkout { .. } => {
                        match self.provider_customer(&operation.project_key, payment).await {
                            Ok(customer) => customer,
                            Err(reason) => {
                                // Nothing was sent for the payment yet: simply try again later.
                                log::warn!(
                                    "provider customer for transaction {} unknown: {reason:?}",
                                    operation.transaction_id
                                );
                                return Ok(None);
                            }
                        }
                    }
                    _ => None,
                };
                let pinned = Pinned {
                    account: payment.payment_method_info.interface_account.clone(),
                    customer,
                    payment_method: match &planned {
                        Operation::Authorize { payment_method, .. } => payment_method.clone(),
                        _ => None,
                    },
                    final_capture: match &planned {
                        Operation::Capture { final_capture, .. } => Some(*final_capture),
                        _ => None,
                    },
                    intent_id: match &planned {
                        Operation::Capture { intent_id, .. }
                        | Operation::Refund { intent_id, .. }
                        | Operation::Cancel { intent_id } => Some(intent_id.clone()),
                        _ => None,
                    },
                    customer_confirms: match &planned {
                        Operation::Authorize { payment_method, .. } => Some(payment_method.is_none()),
                        Operation::Checkout { .. } => Some(true),
                        _ => None,
                    },
                };
                let text = serde_json::to_string(&pinned).map_err(ApiError::internal)?;
                let (db, id, lease_until) =
                    (self.db.clone(), operation.transaction_id.clone(), operation.lease_until);
                let done = blocking(move || {
                    db.write(|conn| Ok::<_, ApiError>(store::pin(conn, &id, &text, lease_until)?))
                })
                .await?;
                if !done {
                    return Ok(None);
                }
                pinned
            }
        };
        let operation = match planned {
            Operation::Authorize { amount, currency, capture, .. } => Operation::Authorize {
                amount,
                currency,
                payment_method: pinned.payment_method,
                capture,
                customer: pinned.customer,
            },
            Operation::Checkout { amount, currency, capture, payment_id, .. } => {
                Operation::Checkout { amount, currency, capture, customer: pinned.customer, payment_id }
            }
            Operation::Capture { intent_id, amount, currency, final_capture } => Operation::Capture {
                intent_id: pinned.intent_id.unwrap_or(intent_id),
                amount,
                currency,
                final_capture: pinned.final_capture.unwrap_or(final_capture),
            },
            Operation::Refund { intent_id, amount, currency } => {
                Operation::Refund { intent_id: pinned.intent_id.unwrap_or(intent_id), amount, currency }
            }
            Operation::Cancel { intent_id } => {
                Operation::Cancel { intent_id: pinned.intent_id.unwrap_or(intent_id) }
            }
            Operation::Retrieve { object_id, customer_confirms } => Operation::Retrieve {
                object_id,
                customer_confirms: pinned.customer_confirms.unwrap_or(customer_confirms),
            },
            other => other,
        };
        Ok(Some((operation, pinned.account)))
    }

    /// A provider customer deleted at the provider fails the payment that names it; it is
    /// forgotten so that the customer's next payment creates a new one. Only the one the call
    /// named: a late failure of a call that named an older one leaves its successor alone.
    async fn forget_missing_customer(
        &self,
        operation: &store::OperationRow,
        payment: &Payment,
        account: &str,
        provider_customer: Option<String>,
        outcome: &Outcome,
    ) -> Result<(), ApiError> {
        let Outcome::Failed(report) = outcome else { return Ok(()) };
        let missing = report.code.as_deref() == Some("resource_missing")
            && report.message.as_deref().is_some_and(names_missing_customer);
        let (Some(customer), Some(gone), true) = (payment.customer.as_ref(), provider_customer, missing)
        else {
            return Ok(());
        };
        self.forget_provider_customer(&operation.project_key, &customer.id, account, &gone).await
    }

    /// Forgets a provider customer the provider no longer has, if it is still the recorded one
    /// (see `store::forget_customer`); `account` is the account key.
    pub(super) async fn forget_provider_customer(
        &self,
        project_key: &str,
        customer_id: &str,
        account: &str,
        gone: &str,
    ) -> Result<(), ApiError> {
        log::warn!(
            "the Stripe customer of customer {customer_id} is gone at Stripe; a new one will be created"
        );
        let (db, account, project, id, gone) = (
            self.db.clone(),
            account.to_owned(),
            project_key.to_owned(),
            customer_id.to_owned(),
            gone.to_owned(),
        );
        blocking(move || {
            db.write(|conn| Ok::<_, ApiError>(store::forget_customer(conn, &account, &project, &id, &gone)?))
        })
        .await
    }

    /// A refusal when the account is a connected account that another project created: a
    /// project's payments go to its own accounts (or ones created outside this service).
    /// Refuses an operation on a provider object this service did not create for the payment
    /// (under the account the call goes to): a client may set any `interactionId`, and must
    /// not reach another payment's PaymentIntent through it.
    async fn foreign_object(
        &self,
        operation: &store::OperationRow,
        planned: &Operation,
        account: Option<&str>,
    ) -> Result<Option<Outcome>, ApiError> {
        let Some(object_id) = planned.existing_object() else { return Ok(None) };
        let (db, account_key, id) = (self.db.clone(), account_key(account), object_id.to_owned());
        let owner =
            blocking(move || db.read(|conn| Ok::<_, ApiError>(store::find_object(conn, &account_key, &id)?)))
                .await?;
        let ours = owner.is_some_and(|(project, payment, _)| {
            project == operation.project_key && payment == operation.payment_id
        });
        Ok((!ours).then(|| {
            Outcome::refused(format!(
                "{object_id} was not created for this payment{}.",
                account.map(|a| format!(" on account {a}")).unwrap_or_default()
            ))
        }))
    }

    async fn foreign_account(
        &self,
        project_key: &str,
        account: Option<&str>,
    ) -> Result<Option<Outcome>, ApiError> {
        let Some(account) = account else { return Ok(None) };
        let (db, id) = (self.db.clone(), account.to_owned());
        let owner =
            blocking(move || db.read(|conn| Ok::<_, ApiError>(store::account_owner(conn, &id)?))).await?;
        Ok(owner.filter(|owner| owner != project_key).map(|_| {
            Outcome::refused(format!("The connected account {account} belongs to another project."))
        }))
    }

    /// The provider customer of the payment's customer, created at the provider on first use.
    /// None for a payment without customer, or when the provider refused to create one (the
    /// payment goes ahead without); Err when the provider's answer is unknown.
    async fn provider_customer(
        &self,
        project_key: &str,
        payment: &Payment,
    ) -> Result<Option<String>, ApiError> {
        let Some(customer) = &payment.customer else { return Ok(None) };
        let interface_account = payment.payment_method_info.interface_account.as_deref();
        self.provider_customer_of(project_key, &customer.id, interface_account).await
    }

    /// The provider customer of one of our customers (for a connected account, or the
    /// platform), created at the provider on first use; None when our customer does not
    /// exist or the provider refused to create one.
    pub(super) async fn provider_customer_of(
        &self,
        project_key: &str,
        customer_id: &str,
        interface_account: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        let account = account_key(interface_account);
        let (db, project, customer_id) = (self.db.clone(), project_key.to_owned(), customer_id.to_owned());
        let lookup_account = account.clone();
        let (known, generation, ours) = blocking(move || {
            db.read(|conn| {
                let known = store::find_customer(conn, &lookup_account, &project, &customer_id)?;
                let generation = store::customer_generation(conn, &lookup_account, &project, &customer_id)?;
                let ours = crate::persistence::resources::find_many(
                    conn,
                    &project,
                    "customer",
                    &[customer_id],
                    &[],
                )?;
                Ok::<_, ApiError>((known, generation, ours.into_iter().next()))
            })
        })
        .await?;
        if known.is_some() {
            return Ok(known);
        }
        let Some(ours) = ours.and_then(|document| serde_json::from_str::<Customer>(&document).ok()) else {
            return Ok(None);
        };
        let name =
            [ours.first_name.as_deref(), ours.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>();
        let request = Request {
            operation: Operation::CreateCustomer {
                email: ours.email.as_str().to_owned(),
                name: (!name.is_empty()).then(|| name.join(" ")),
            },
            account: interface_account.map(str::to_owned),
            // Every process and retry creating this customer sends the same key; a new one
            // after the last was deleted at the provider (which would replay the deleted one).
            idempotency_key: match generation {
                0 => format!("ct-customer-{account}-{project_key}-{}", ours.id),
                n => format!("ct-customer-{account}-{project_key}-{}-{n}", ours.id),
            },
            metadata: vec![
                ("ct_project_key".into(), project_key.to_owned()),
                ("ct_customer_id".into(), ours.id.clone()),
            ],
        };
        match self.provider.execute(request).await {
            Outcome::Succeeded(Report { object_id: Some(created), .. }) => {
                let (db, project) = (self.db.clone(), project_key.to_owned());
                let recorded = blocking(move || {
                    db.write(|conn| {
                        Ok::<_, ApiError>(store::map_customer(conn, &account, &project, &ours.id, &created)?)
                    })
                })
                .await?;
                Ok(Some(recorded))
            }
            Outcome::Failed(report) => {
                log::warn!("the provider refused a customer for customer {}: {:?}", ours.id, report.code);
                Ok(None)
            }
            Outcome::Succeeded(_) | Outcome::Pending(_) => {
                Err(ApiError::internal("no customer id from the provider"))
            }
            Outcome::Unknown(reason) => Err(ApiError::ProviderUnavailable(reason)),
        }
    }

    async fn payment(&self, project_key: &str, payment_id: &str) -> Result<Payment, ApiError> {
        let (db, project, id) = (self.db.clone(), project_key.to_owned(), payment_id.to_owned());
        let document = blocking(move || super::payments::get(&db, &project, &Locator::Id(id))).await?;
        serde_json::from_str(&document).map_err(ApiError::internal)
    }

    /// Applies the actions worked out from the current payment, retrying when another writer
    /// got there first. If the payment refuses them (say, the interaction Type was changed by
    /// hand), the transaction's state and provider id are still written.
    async fn write_back(
        &self,
        project_key: &str,
        payment_id: &str,
        actions_for: impl Fn(&Payment) -> Vec<crate::domain::actions::PaymentUpdateAction>,
    ) -> Result<(), ApiError> {
        let mut essential_only = false;
        for _ in 0..WRITE_BACK_ATTEMPTS {
            let current = self.payment(project_key, payment_id).await?;
            let mut actions = actions_for(&current);
            if essential_only {
                actions = writeback::essential(&actions);
            }
            if actions.is_empty() {
                return Ok(());
            }
            let (db, project, id) = (self.db.clone(), project_key.to_owned(), payment_id.to_owned());
            let actor = Actor { client_id: Some(WRITER.into()), external_user_id: None };
            let written = blocking(move || {
                super::payments::update(
                    &db,
                    &project,
                    &Locator::Id(id),
                    current.version,
                    actions,
                    &actor,
                    None,
                )
            })
            .await;
            match written {
                Ok(_) => return Ok(()),
                Err(ApiError::ConcurrentModification { .. }) => continue,
                Err(ApiError::BadRequest(error)) if !essential_only => {
                    log::error!(
                        "write-back to payment {payment_id} refused ({error}); writing the state alone"
                    );
                    essential_only = true;
                }
                Err(error) => return Err(error),
            }
        }
        Err(ApiError::internal("the write-back lost every race for the payment's version"))
    }

    /// The Type of the interface interactions this service records, created on first use.
    async fn ensure_interaction_type(&self, project_key: &str) -> Result<(), ApiError> {
        let (db, project) = (self.db.clone(), project_key.to_owned());
        blocking(move || {
            let locator = Locator::Key(INTERACTION_TYPE_KEY.into());
            if resource_service::exists::<Types>(&db, &project, &locator)? {
                return Ok(());
            }
            let fields: Vec<_> = INTERACTION_FIELDS
                .iter()
                .map(|name| json!({"name": name, "label": {"en": name}, "required": false, "type": {"name": "String"}}))
                .collect();
            let draft: TypeDraft = serde_json::from_value(json!({
                "key": INTERACTION_TYPE_KEY,
                "name": {"en": "Payment service provider interaction"},
                "resourceTypeIds": ["payment-interface-interaction"],
                "fieldDefinitions": fields,
            }))
            .map_err(ApiError::internal)?;
            let actor = Actor { client_id: Some(WRITER.into()), external_user_id: None };
            match resource_service::create::<Types>(&db, &project, draft, &actor) {
                // Another process may have created it meanwhile.
                Ok(_) | Err(ApiError::BadRequest(crate::domain::errors::DomainError::DuplicateField { .. })) => Ok(()),
                Err(error) => Err(error),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_operations_are_not_resent_and_stop_being_looked_up() {
        let created = |hours_ago: i64| store::OperationRow {
            transaction_id: "t".into(),
            payment_id: "p".into(),
            project_key: "k".into(),
            idempotency_key: "ct-transaction-t".into(),
            done: false,
            attempts: 0,
            next_attempt_at: 0,
            lease_until: 0,
            created_at: now().millis() - hours_ago * 3_600_000,
            pinned: None,
        };
        assert!(!too_old_to_resend(&created(22)));
        assert!(too_old_to_resend(&created(24)), "Stripe forgets idempotency keys after 24 hours");
        assert!(age(&created(24 * 7 - 1)) < LOOKUP_HORIZON);
        assert!(age(&created(24 * 7 + 1)) > LOOKUP_HORIZON);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) >= Duration::from_secs(1) && backoff(0) <= Duration::from_millis(1250));
        assert!(backoff(3) >= Duration::from_secs(8));
        assert!(backoff(40) <= MAX_BACKOFF.mul_f64(1.25));
    }
}
