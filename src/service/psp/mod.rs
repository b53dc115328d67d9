//! Executes the provider outbox: each operation is leased by one process, sent with its fixed
//! idempotency key, and its outcome written back as ordinary update actions (retried on 409).
//! No database transaction or lock is held across a provider call. Unknown outcomes are retried
//! with capped exponential backoff and jitter, with the same idempotency key, so a retry can
//! only ever see the first attempt's result. Webhook events are applied in [`events`], the
//! PaymentIntents of failed transactions, and those a deleted payment held, released in
//! [`releases`], and our Customers' provider customers kept in [`customers`].

mod customers;
mod events;
mod releases;

pub use releases::keep_releases_of_deleted;

use super::resources::{self as resource_service, Types};
use super::{now, Actor};
use crate::domain::errors::DomainError;
use crate::domain::payment::{Payment, TransactionState};
use crate::domain::types::TypeDraft;
use crate::error::ApiError;
use crate::persistence::payments::Locator;
use crate::persistence::psp as store;
use crate::persistence::{Conn, Database};
use crate::psp::writeback::{self, INTERACTION_FIELDS, INTERACTION_TYPE_KEY};
use crate::psp::{
    account_key, plan, transitions, Effect, Operation, OperationKind, Outcome, Provider, Request,
};
use diesel::QueryResult;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The longest wait between retries of an unknown outcome.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How many write-back attempts a run of 409s may cost.
const WRITE_BACK_ATTEMPTS: usize = 20;
/// The client id recorded as the author of write-backs.
const WRITER: &str = "payments-api-psp";
/// How often a request looks whether an attempt another task holds has ended.
const ATTEMPT_POLL: Duration = Duration::from_millis(20);

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
    /// Leases this process could not hand back (the database was away): the worker hands them
    /// back once it can, so that the operation is retried then, not only when the lease ends.
    unreturned: std::sync::Mutex<Vec<UnreturnedLease>>,
}

/// An operation's lease to hand back: due again at `at`, if still held until `lease_until`.
#[derive(Debug, Clone)]
struct UnreturnedLease {
    transaction_id: String,
    lease_until: i64,
    at: i64,
}

pub(super) use super::blocking;

impl Executor {
    /// Reads the store, off the async workers.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Conn) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = self.db.clone();
        blocking(move || db.read(|conn| Ok::<_, ApiError>(work(conn)?))).await
    }

    /// Writes to the store in one transaction, off the async workers.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Conn) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = self.db.clone();
        blocking(move || db.write(|conn| Ok::<_, ApiError>(work(conn)?))).await
    }
}

/// Until when a process that takes something now holds it.
fn lease_end(now: i64, lease: Duration) -> i64 {
    now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}

/// When something tried `attempts` times is due again (epoch milliseconds).
fn next_attempt_time(attempts: i64) -> i64 {
    now().millis().saturating_add(i64::try_from(backoff(attempts).as_millis()).unwrap_or(i64::MAX))
}

/// Waits for the tasks, at most `wait`; those still running go on in the background.
async fn join_within(tasks: Vec<tokio::task::JoinHandle<()>>, wait: Duration) {
    let all = async {
        for task in tasks {
            let _ = task.await;
        }
    };
    let _ = tokio::time::timeout(wait, all).await;
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

/// How long a Pending transaction is looked up at the provider.
const LOOKUP_HORIZON: Duration = Duration::from_secs(7 * 24 * 3600);

fn age(operation: &store::OperationRow) -> Duration {
    let millis = now().millis().saturating_sub(operation.created_at);
    Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

fn too_old_to_resend(operation: &store::OperationRow) -> bool {
    age(operation) > IDEMPOTENCY_WINDOW
}

impl Executor {
    pub fn new(db: Database, provider: Arc<dyn Provider>, lease: Duration) -> Self {
        Self { db, provider, lease, unreturned: std::sync::Mutex::new(Vec::new()) }
    }

    pub fn interface_name(&self) -> &str {
        self.provider.interface_name()
    }

    /// Executes the operations a request wrote and waits for them at most `wait`; what is
    /// unfinished then is finished in the background (by this call's tasks, or by the worker
    /// after a crash). One that the worker (or another process) took first is waited for until
    /// that attempt ends, so that the answer shows its outcome all the same.
    pub async fn execute_within(self: &Arc<Self>, transaction_ids: Vec<String>, wait: Duration) {
        self.run_within(transaction_ids, wait, true).await;
    }

    async fn run_within(self: &Arc<Self>, transaction_ids: Vec<String>, wait: Duration, await_others: bool) {
        let tasks: Vec<_> = transaction_ids
            .into_iter()
            .map(|id| {
                let executor = Arc::clone(self);
                tokio::spawn(async move {
                    if !executor.execute(&id).await && await_others {
                        executor.await_attempt(&id).await;
                    }
                })
            })
            .collect();
        join_within(tasks, wait).await;
    }

    /// Returns once no process holds the operation's lease (its attempt ended) or it is done.
    async fn await_attempt(&self, transaction_id: &str) {
        loop {
            let id = transaction_id.to_owned();
            match self.read(move |conn| store::attempt_under_way(conn, &id, now().millis())).await {
                Ok(true) => tokio::time::sleep(ATTEMPT_POLL).await,
                Ok(false) | Err(_) => return,
            }
        }
    }

    /// Runs forever: takes due operations (new ones a crashed process left, and retries) and
    /// events not applied yet (parked ones, and ones a crash interrupted).
    pub async fn run_worker(self: Arc<Self>, interval: Duration) {
        loop {
            tokio::time::sleep(interval).await;
            self.return_leases().await;
            let due = self.read(|conn| store::due(conn, now().millis(), 50)).await;
            match due {
                Ok(ids) if !ids.is_empty() => self.run_within(ids, self.lease, false).await,
                Ok(_) => {}
                Err(error) => log::warn!("psp worker cannot read the outbox: {error}"),
            }
            let events = self.read(|conn| store::due_events(conn, now().millis(), 50)).await;
            match events {
                Ok(events) => {
                    for event in events {
                        self.apply_event(&event.event_id).await;
                    }
                }
                Err(error) => log::warn!("psp worker cannot read the inbox: {error}"),
            }
            let releases = self.read(|conn| store::due_releases(conn, now().millis(), 20)).await;
            match releases {
                Ok(ids) if !ids.is_empty() => self.release_within(ids, self.lease).await,
                Ok(_) => {}
                Err(error) => log::warn!("psp worker cannot read the releases: {error}"),
            }
        }
    }

    /// Executes one operation if this process gets its lease; false when it did not.
    pub async fn execute(&self, transaction_id: &str) -> bool {
        match self.try_execute(transaction_id).await {
            Ok(ran) => ran,
            Err(error) => {
                log::warn!("psp operation for transaction {transaction_id} will be retried: {error}");
                true
            }
        }
    }

    async fn try_execute(&self, transaction_id: &str) -> Result<bool, ApiError> {
        let id = transaction_id.to_owned();
        let (now, lease) = (now().millis(), self.lease);
        let leased = self.write(move |conn| store::lease(conn, &id, now, lease_end(now, lease))).await?;
        let Some(operation) = leased else { return Ok(false) };
        let result = self.run(&operation).await;
        let (id, lease_until) = (transaction_id.to_owned(), operation.lease_until);
        let at = next_attempt_time(operation.attempts);
        let handed_back = match result {
            Ok(true) => self.write(move |conn| store::finish(conn, &id, lease_until)).await,
            Ok(false) | Err(_) => self.write(move |conn| store::retry_at(conn, &id, at, lease_until)).await,
        };
        if let Err(error) = handed_back {
            // Sent again (and answered again by Stripe for the same idempotency key) once the
            // lease is back; a settled one then only finds its outcome written.
            let transaction_id = transaction_id.to_owned();
            self.keep_unreturned(UnreturnedLease { transaction_id, lease_until, at });
            return Err(error);
        }
        result.map(|_| true)
    }

    fn unreturned(&self) -> std::sync::MutexGuard<'_, Vec<UnreturnedLease>> {
        // Nothing panics while it is held; should it, the list is still whole.
        self.unreturned.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn keep_unreturned(&self, lease: UnreturnedLease) {
        self.unreturned().push(lease);
    }

    /// Hands back the leases that could not be handed back before; those that still cannot are
    /// kept for the next round.
    async fn return_leases(&self) {
        let leases = std::mem::take(&mut *self.unreturned());
        for lease in leases {
            let kept = lease.clone();
            let returned = self
                .write(move |conn| store::retry_at(conn, &lease.transaction_id, lease.at, lease.lease_until))
                .await;
            if returned.is_err() {
                self.keep_unreturned(kept);
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
            let account = events::release_account(&payment, operation.pinned.as_deref());
            self.schedule_release(
                &operation.project_key,
                &payment,
                transaction,
                OperationKind::Retrieve,
                intent_id,
                &account,
            )
            .await;
        }
        if !transaction.state.is_unsettled() {
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
                let name = OperationKind::of(&planned);
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
                    (OperationKind::Refused, refused)
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
            Err(reason) => (OperationKind::Refused, Outcome::refused(reason)),
        };
        if let Outcome::Unknown(reason) = &outcome {
            log::warn!("psp outcome unknown for transaction {}: {reason}", transaction.id);
        }
        let account = account_key(account.as_deref());
        self.forget_missing_customer(operation, &payment, &account, provider_customer, &outcome).await?;
        // A lookup that finds the object still pending changes nothing; it is looked up again
        // later (with backoff), which settles transactions whose webhook was lost.
        if name == OperationKind::Retrieve && matches!(outcome, Outcome::Pending(_) | Outcome::Unknown(_)) {
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
                let (account, object_id, project, payment_id, transaction_id) = (
                    account.clone(),
                    object_id.clone(),
                    operation.project_key.clone(),
                    payment.id.clone(),
                    transaction.id.clone(),
                );
                self.write(move |conn| {
                    store::map_object(conn, &account, &object_id, &project, &payment_id, &transaction_id)
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
        if let Outcome::Succeeded(report) | Outcome::Failed(report) = &outcome {
            let own_capture = name == OperationKind::Capture && matches!(outcome, Outcome::Succeeded(_));
            self.record_completed_intent(&operation.project_key, &payment.id, report, own_capture).await?;
        }
        // An abandoned authorization is Failure, and the payment deletable, as soon as the
        // cancel went through: recorded as Stripe's cancel of its object (also when its own
        // lookups ended long ago), and looked up at once if they go on.
        let cancelled = name == OperationKind::Cancel && matches!(outcome, Outcome::Succeeded(_));
        if let (true, Some(abandoned)) = (cancelled, plan::awaiting_customer(&payment)) {
            if let Some(intent_id) = abandoned.interaction_id.clone() {
                let effects = [Effect::IntentCanceled { intent_id }];
                self.write_back(&operation.project_key, &payment.id, |current| {
                    transitions::actions(current, &effects, None, &[], &[])
                })
                .await?;
            }
            let id = abandoned.id.clone();
            self.write(move |conn| store::due_now(conn, &id, now().millis())).await?;
        }
        self.release_failed_intent(&operation.project_key, &payment, transaction, name, &outcome, &account)
            .await;
        self.fail_orphaned_charges(&operation.project_key, &payment.id).await?;
        Ok(settled)
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
                let (id, lease_until) = (operation.transaction_id.clone(), operation.lease_until);
                let done = self.write(move |conn| store::pin(conn, &id, &text, lease_until)).await?;
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
        let (account_key, id) = (account_key(account), object_id.to_owned());
        let (project, payment) = (operation.project_key.clone(), operation.payment_id.clone());
        let ours =
            self.read(move |conn| store::created_for(conn, &account_key, &id, &project, &payment)).await?;
        Ok((!ours).then(|| {
            Outcome::refused(format!(
                "{object_id} was not created for this payment{}.",
                account.map(|a| format!(" on account {a}")).unwrap_or_default()
            ))
        }))
    }

    /// A refusal when the account is a connected account that another project created: a
    /// project's payments go to its own accounts (or ones created outside this service).
    async fn foreign_account(
        &self,
        project_key: &str,
        account: Option<&str>,
    ) -> Result<Option<Outcome>, ApiError> {
        let Some(account) = account else { return Ok(None) };
        let id = account.to_owned();
        let owner = self.read(move |conn| store::account_owner(conn, &id)).await?;
        Ok(owner.filter(|owner| owner != project_key).map(|_| {
            Outcome::refused(format!("The connected account {account} belongs to another project."))
        }))
    }

    async fn payment(&self, project_key: &str, payment_id: &str) -> Result<Payment, ApiError> {
        let (db, project, id) = (self.db.clone(), project_key.to_owned(), payment_id.to_owned());
        let document = blocking(move || super::payments::get(&db, &project, &Locator::Id(id))).await?;
        serde_json::from_str(&document).map_err(ApiError::internal)
    }

    /// Fails the Charges queued behind authorizations that all failed or were released (see
    /// [`transitions::orphaned_charges`]) and closes their operations, which will never call
    /// Stripe: the payment is then no longer "in progress" for a deletion.
    async fn fail_orphaned_charges(&self, project_key: &str, payment_id: &str) -> Result<(), ApiError> {
        let orphaned = transitions::orphaned(&self.payment(project_key, payment_id).await?);
        if orphaned.is_empty() {
            return Ok(());
        }
        self.write_back(project_key, payment_id, transitions::orphaned_charges).await?;
        // Only those the write failed (another writer may have settled one meanwhile).
        let current = self.payment(project_key, payment_id).await?;
        let failed: Vec<String> = orphaned
            .into_iter()
            .filter(|id| current.transaction(id).is_ok_and(|t| t.state == TransactionState::Failure))
            .collect();
        let now = now().millis();
        self.write(move |conn| store::abandon(conn, &failed, now)).await
    }

    /// A PaymentIntent a call or lookup found succeeded: what it captured beyond the payment's
    /// charges (a capture made in Stripe's dashboard, whose webhook may never come) is recorded
    /// as a Charge, as the webhook would, and the rest of its authorization as released. The
    /// rest is known from what Stripe says it captured, or after our own capture (the charges
    /// are then complete); while another capture of ours is in flight, nothing is recorded.
    async fn record_completed_intent(
        &self,
        project_key: &str,
        payment_id: &str,
        report: &crate::psp::Report,
        own_capture: bool,
    ) -> Result<(), ApiError> {
        // (A refund succeeds too: only a PaymentIntent's success says what it released.)
        let Some(intent_id) =
            report.object_id.as_ref().filter(|id| id.starts_with("pi_") && report.is_completed())
        else {
            return Ok(());
        };
        if let Some((amount, currency)) = report.captured.clone() {
            let effects =
                [Effect::IntentCaptured { intent_id: intent_id.clone(), amount, currency: currency.clone() }];
            let current = self.payment(project_key, payment_id).await?;
            let ids: Vec<String> = current.transactions.iter().map(|t| t.id.clone()).collect();
            let open = self.read(move |conn| store::open_among(conn, &ids)).await?;
            if transitions::must_wait(&current, &effects, None, &open) {
                return Ok(());
            }
            let applied = transitions::apply(&current, &effects, None, &open, &[]);
            if !applied.unrecordable.is_empty() {
                log::warn!("payment {payment_id}: Stripe captured {amount} {currency} on {intent_id}, which it cannot record; reconcile it by hand");
                return Ok(());
            }
            self.write_back(project_key, payment_id, |current| {
                transitions::actions(current, &effects, None, &open, &[])
            })
            .await?;
        } else if !own_capture {
            // Stripe always tells what a succeeded PaymentIntent captured; only a stand-in that
            // does not (localstripe) reaches here, where our own capture completed the charges.
            return Ok(());
        }
        self.record_released_rest(project_key, payment_id, intent_id).await
    }

    /// A PaymentIntent that succeeded after a capture of part of its authorization (final: ours
    /// where multicapture was not asked for or not available for the card, or one made in
    /// Stripe's dashboard) released the rest: recorded as a cancel of the rest, so that neither
    /// a capture nor a cancel is tried on money Stripe no longer holds.
    async fn record_released_rest(
        &self,
        project_key: &str,
        payment_id: &str,
        intent_id: &str,
    ) -> Result<(), ApiError> {
        self.write_back(project_key, payment_id, |current| {
            transitions::released_rest(current, intent_id).into_iter().collect()
        })
        .await
    }

    /// Applies the actions worked out from the current payment, retrying when another writer
    /// got there first; the transactions they record are dated now. If the payment refuses
    /// them (say, the interaction Type was changed by hand), the essentials are still written:
    /// the transactions' states and provider ids, and the transactions recorded.
    async fn write_back(
        &self,
        project_key: &str,
        payment_id: &str,
        actions_for: impl Fn(&Payment) -> Vec<crate::domain::actions::PaymentUpdateAction>,
    ) -> Result<(), ApiError> {
        let mut essential_only = false;
        for _ in 0..WRITE_BACK_ATTEMPTS {
            let current = self.payment(project_key, payment_id).await?;
            let mut actions = writeback::dated(actions_for(&current), now());
            if essential_only {
                actions = writeback::essential(&actions);
            }
            if actions.is_empty() {
                return Ok(());
            }
            let (db, project, id) = (self.db.clone(), project_key.to_owned(), payment_id.to_owned());
            let actor = Actor { client_id: Some(WRITER.into()), external_user_id: None, shopper: None };
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
            let actor = Actor { client_id: Some(WRITER.into()), external_user_id: None, shopper: None };
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
