//! Applying the provider's webhook events, stored once in the inbox, to their payments: each
//! is claimed by one process, routed to its payment, and turned into update actions by the
//! transition table; one whose payment is not known yet is retried with backoff.

use super::releases::{stray, Stray};
use super::{lease_end, next_attempt_time, now, Executor, Pinned};
use crate::domain::payment::{Payment, Transaction, TransactionState};
use crate::error::ApiError;
use crate::persistence::psp as store;
use crate::psp::account_key;
use crate::psp::{stripe_events, transitions, Effect, OperationKind, Outcome};

/// How often an event whose payment cannot be found is tried before it is set aside.
const MAX_EVENT_ATTEMPTS: i64 = 50;

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

/// The owner transaction, in Failure on the PaymentIntent, that the effects would correct to
/// a Success, with the PaymentIntent's id.
fn corrected<'a>(payment: &'a Payment, effects: &[Effect], owner: &str) -> Option<(&'a Transaction, String)> {
    let transaction = payment.transaction(owner).ok().filter(|t| t.state == TransactionState::Failure)?;
    let intent_id = transaction.interaction_id.clone()?;
    effects.iter().any(|effect| revives(effect, &intent_id)).then_some((transaction, intent_id))
}

/// Whether the effect tells that the PaymentIntent was paid (held or taken).
fn revives(effect: &Effect, intent: &str) -> bool {
    match effect {
        Effect::IntentSucceeded { intent_id }
        | Effect::IntentCapturable { intent_id }
        | Effect::IntentCaptured { intent_id, .. } => intent_id == intent,
        _ => false,
    }
}

/// The account key of a transaction's PaymentIntent: as pinned with its operation (no account
/// there is the platform's), else the payment's.
pub(super) fn release_account(payment: &Payment, pinned: Option<&str>) -> String {
    let pinned = pinned.and_then(|text| serde_json::from_str::<Pinned>(text).ok());
    let account = match pinned {
        Some(pinned) => pinned.account,
        None => payment.payment_method_info.interface_account.clone(),
    };
    account_key(account.as_deref())
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

impl Executor {
    /// Applies a stored webhook event to its payment, if this process gets to claim it. An
    /// event whose payment is not known yet is parked and retried with backoff, never dropped.
    pub async fn apply_event(&self, event_id: &str) {
        let (id, now, lease) = (event_id.to_owned(), now().millis(), self.lease);
        let claimed = self.write(move |conn| store::claim_event(conn, &id, now, lease_end(now, lease))).await;
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
        let id = event_id.to_owned();
        let result = self
            .write(move |conn| {
                let attempts = store::event(conn, &id)?.map_or(0, |e| e.attempts);
                store::mark_event(conn, &id, processed, next_attempt_time(attempts))
            })
            .await;
        if let Err(error) = result {
            log::warn!("webhook event {event_id} could not be marked: {error}");
        }
    }

    /// True when the event is applied (or has nothing to apply); false to retry it later.
    async fn try_apply_event(&self, event_id: &str) -> Result<bool, ApiError> {
        let id = event_id.to_owned();
        let Some(row) = self.read(move |conn| store::event(conn, &id)).await? else {
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
        let (account, object_id) = (event.account.clone(), event.object_id.clone());
        let mapped = self.read(move |conn| store::find_object(conn, &account, &object_id)).await?;
        let via_metadata = mapped.is_none();
        let (project_key, payment_id, owner) = match (mapped, &event.payment_id) {
            (Some((project, payment, transaction)), _) => (project, payment, Some(transaction)),
            (None, Some(payment)) => {
                let project_key = event.project_key.clone().unwrap_or_else(|| row.project_key.clone());
                (project_key, payment.clone(), event.transaction_id.clone())
            }
            (None, None) => return Ok(give_up(&row)),
        };
        // Worked out again on every attempt, so a retry never repeats what another writer did.
        let current = match self.payment(&project_key, &payment_id).await {
            Ok(current) => current,
            Err(ApiError::ResourceNotFound(_)) => return Ok(give_up(&row)),
            Err(error) => return Err(error),
        };
        // Our transactions still being sent: what the event tells may be one of them.
        let ids: Vec<String> = current.transactions.iter().map(|t| t.id.clone()).collect();
        let (open, pinned) = self
            .read(move |conn| Ok((store::open_among(conn, &ids)?, store::pinned_among(conn, &ids)?)))
            .await?;
        let owner_pinned = owner.as_deref().and_then(|owner| pinned.iter().find(|(id, _)| id == owner));
        // Found by its metadata alone, the object must live in the account the payment's
        // PaymentIntents live in: ids are unique only per account, and anyone who can write
        // to another account can write metadata naming our payment. (One of ours whose
        // object is not known yet is matched again once it is.)
        let payment_account = release_account(&current, owner_pinned.map(|(_, text)| text.as_str()));
        if via_metadata && event.account != payment_account {
            log::warn!(
                "webhook event {event_id} from account {} names payment {payment_id} of account {payment_account}; not applied",
                event.account
            );
            return Ok(give_up(&row));
        }
        // A hosted checkout ended: its transaction's lookup (which also records the
        // PaymentIntent) is due now rather than at its next backoff.
        if event.effects.iter().any(|e| matches!(e, Effect::CheckoutChanged { .. })) {
            if let Some(transaction_id) = owner.filter(|id| current.transaction(id).is_ok()) {
                let id = transaction_id.clone();
                self.write(move |conn| store::due_now(conn, &id, now().millis())).await?;
                self.execute(&transaction_id).await;
            }
            return Ok(true);
        }
        let mut effects = event.effects;
        let confirmed = confirmed_by_customer(&current, &pinned);
        // The account the owner's PaymentIntent lives in: as pinned with its operation, else
        // where Stripe says the event's object lives.
        let owner_account = match owner_pinned {
            Some((_, text)) => release_account(&current, Some(text)),
            None => event.account.clone(),
        };
        // A failed transaction's PaymentIntent reported paid after all: confirmed with Stripe
        // first (the event may be older than our cancel), and released instead of recorded if
        // it only holds the money while the payment has moved on.
        if let Some((transaction, intent_id)) =
            owner.as_deref().and_then(|owner| corrected(&current, &effects, owner))
        {
            let account = Some(owner_account.clone()).filter(|key| key != crate::psp::PLATFORM_ACCOUNT);
            let keep = match self.look_up_intent(&intent_id, account).await {
                // Tried again later; a PaymentIntent Stripe never shows (not in that account,
                // say) is not taken as paid once the event has been tried often enough.
                Outcome::Unknown(reason) if row.attempts < MAX_EVENT_ATTEMPTS => {
                    log::warn!("webhook event {event_id}: PaymentIntent {intent_id} could not be looked up: {reason}");
                    return Ok(false);
                }
                Outcome::Unknown(_) => {
                    log::error!("webhook event {event_id}: PaymentIntent {intent_id} never could be looked up; its failed transaction stays a Failure");
                    false
                }
                Outcome::Succeeded(report) => {
                    stray(Some(&current), &transaction.id, &intent_id, &report) == Stray::Record
                }
                _ => false,
            };
            if !keep {
                effects.retain(|effect| !revives(effect, &intent_id));
                let retrieve = OperationKind::Retrieve;
                self.schedule_release(
                    &project_key,
                    &current,
                    transaction,
                    retrieve,
                    &intent_id,
                    &owner_account,
                )
                .await;
            }
        }
        // Decided on the snapshot the actions were worked out from.
        let wait = std::sync::atomic::AtomicBool::new(false);
        let unrecordable = std::sync::Mutex::new(Vec::new());
        self.write_back(&project_key, &payment_id, |payment| {
            wait.store(
                transitions::must_wait(payment, &effects, owner.as_deref(), &open),
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
        let unrecordable = unrecordable.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        // A PaymentIntent that succeeded released what it did not capture, once what it
        // captured is recorded: only an event that told that amount, recordable, says what the
        // rest is (without it, the whole authorization would read as released).
        if unrecordable.is_empty() {
            for intent_id in effects.iter().filter_map(|effect| match effect {
                Effect::IntentCaptured { intent_id, amount, .. }
                    if *amount > 0
                        && effects.iter().any(|e| {
                            matches!(e, Effect::IntentSucceeded { intent_id: succeeded } if succeeded == intent_id)
                        }) =>
                {
                    Some(intent_id)
                }
                _ => None,
            }) {
                self.record_released_rest(&project_key, &payment_id, intent_id).await?;
            }
        }
        self.fail_orphaned_charges(&project_key, &payment_id).await?;
        for told in unrecordable {
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
                        let (retrieve, intent_id) = (OperationKind::Retrieve, &event.object_id);
                        self.schedule_release(
                            &project_key,
                            &payment,
                            transaction,
                            retrieve,
                            intent_id,
                            &owner_account,
                        )
                        .await;
                    }
                }
            }
        }
        Ok(true)
    }
}
