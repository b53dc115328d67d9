//! Releasing the PaymentIntents of failed transactions, and of a deleted payment's held
//! authorizations: each is cancelled at the provider, so that the customer cannot complete it
//! later beside a new authorization, and no money stays held for a payment that is gone. A
//! release is kept before it is tried, and tried again with backoff until the provider answers.

use super::events::release_account;
use super::{join_within, lease_end, next_attempt_time, now, Executor, IDEMPOTENCY_WINDOW};
use crate::domain::payment::{Payment, Transaction, TransactionState};
use crate::error::ApiError;
use crate::persistence::psp as store;
use crate::persistence::Conn;
use crate::psp::{transitions, Effect, Operation, OperationKind, Outcome, Report, Request};
use std::sync::Arc;
use std::time::Duration;

/// Keeps, in the deletion's own transaction, the release of each PaymentIntent of ours that
/// holds the customer's money in full for the payment being deleted, or that the customer has
/// not paid yet: once the payment is gone nothing can capture or cancel it, Stripe would hold
/// the money until the authorization expires (seven days), and an unpaid one would stay payable
/// for a payment that no longer exists. The worker cancels it (see [`Executor::try_release`]);
/// one that took money meanwhile is left for a person (see [`stray`]).
pub fn keep_releases_of_deleted(
    conn: &mut Conn,
    project_key: &str,
    payment: &Payment,
) -> Result<(), ApiError> {
    let now = now().millis();
    let unpaid = crate::psp::plan::awaiting_customer(payment);
    for transaction in crate::domain::psp_rules::holding_in_full(payment).chain(unpaid) {
        let Some(intent_id) = transaction.interaction_id.as_deref().filter(|id| id.starts_with("pi_")) else {
            continue;
        };
        let pinned = store::pinned_among(conn, std::slice::from_ref(&transaction.id))?;
        let account = release_account(payment, pinned.first().map(|(_, text)| text.as_str()));
        // Only a PaymentIntent this service created for this payment.
        if store::created_for(conn, &account, intent_id, project_key, &payment.id)? {
            let release = store::ReleaseRow::new(
                project_key,
                &payment.id,
                &transaction.id,
                intent_id,
                account,
                now,
                now,
            );
            store::schedule_release(conn, &release)?;
        }
    }
    Ok(())
}

impl Executor {
    /// Before a payment is deleted: the PaymentIntent it still records as unpaid (a customer
    /// who confirms in the browser, its lookups ended) is looked up, and one the customer paid
    /// meanwhile is recorded, so that a payment whose money Stripe took or holds does not
    /// disappear (the deletion then meets a new version: 409, and the client sees why). Where
    /// Stripe cannot tell (no answer: 503) or the payment is being processed, the deletion is
    /// refused: it fails closed. (A customer who pays between this lookup and the deletion's
    /// commit is still possible: the release that follows cancels a held PaymentIntent and logs
    /// one that took money for a person to refund.)
    pub async fn record_paid_before_delete(
        &self,
        project_key: &str,
        locator: &crate::persistence::payments::Locator,
    ) -> Result<(), ApiError> {
        let (project, found) = (project_key.to_owned(), locator.clone());
        let stored =
            self.read(move |conn| crate::persistence::payments::find(conn, &project, &found)).await?;
        // (A payment not found is the deletion's to answer.)
        let Some(stored) = stored else { return Ok(()) };
        let payment: Payment = serde_json::from_str(&stored.document).map_err(ApiError::internal)?;
        if !super::is_routed(&payment, self.interface_name()) {
            return Ok(());
        }
        let Some(unpaid) = crate::psp::plan::awaiting_customer(&payment) else { return Ok(()) };
        let Some(intent_id) = unpaid.interaction_id.clone().filter(|id| id.starts_with("pi_")) else {
            return Ok(());
        };
        let ids = vec![unpaid.id.clone()];
        let pinned = self.read(move |conn| store::pinned_among(conn, &ids)).await?;
        let account = release_account(&payment, pinned.first().map(|(_, text)| text.as_str()));
        let account = Some(account).filter(|key| key != crate::psp::PLATFORM_ACCOUNT);
        match self.look_up_intent(&intent_id, account).await {
            Outcome::Succeeded(report) => {
                self.record_paid_after_all(project_key, &payment.id, &unpaid.id, &intent_id, &report).await
            }
            Outcome::Unknown(reason) => Err(ApiError::ProviderUnavailable(reason)),
            Outcome::Pending(report) if report.is_processing() => {
                Err(crate::domain::errors::DomainError::InvalidOperation(format!(
                    "PaymentIntent {intent_id} is being processed; delete the payment once it has settled."
                ))
                .into())
            }
            Outcome::Pending(_) | Outcome::Failed(_) => Ok(()),
        }
    }

    /// A PaymentIntent whose authorization or charge we recorded as Failure (a decline, a failed
    /// 3-D Secure) is cancelled at Stripe: otherwise the customer could still complete it later,
    /// and the payment, authorized again meanwhile, would hold the money twice. The release is
    /// kept before it is tried, so that a crash or a lost answer leaves it to the worker.
    /// (Where the customer confirms in the browser a decline is not a Failure, so nothing is
    /// cancelled there.)
    pub(super) async fn release_failed_intent(
        &self,
        project_key: &str,
        payment: &Payment,
        transaction: &Transaction,
        name: OperationKind,
        outcome: &Outcome,
        account_key: &str,
    ) {
        let Outcome::Failed(report @ Report { object_id: Some(intent_id), .. }) = outcome else { return };
        if !report.is_cancelled() {
            self.schedule_release(project_key, payment, transaction, name, intent_id, account_key).await;
        }
    }

    /// Keeps the release of the transaction's own PaymentIntent (a failed capture names the
    /// authorization's, which must stay) and tries it at once; a release kept before is left to
    /// the worker.
    pub(super) async fn schedule_release(
        &self,
        project_key: &str,
        payment: &Payment,
        transaction: &Transaction,
        name: OperationKind,
        intent_id: &str,
        account_key: &str,
    ) {
        use crate::domain::payment::TransactionType::{Authorization, Charge};
        let direct_charge =
            transaction.kind == Charge && !payment.transactions.iter().any(|t| t.kind == Authorization);
        let own_intent = matches!(name, OperationKind::Authorize | OperationKind::Charge)
            || (name == OperationKind::Retrieve && (transaction.kind == Authorization || direct_charge));
        if !own_intent || !intent_id.starts_with("pi_") {
            return;
        }
        let now = now().millis();
        // Held by this process for its first attempt.
        let held_until = lease_end(now, self.lease);
        let release = store::ReleaseRow::new(
            project_key,
            &payment.id,
            &transaction.id,
            intent_id,
            account_key.to_owned(),
            now,
            held_until,
        );
        let row = release.clone();
        match self.write(move |conn| store::schedule_release(conn, &row)).await {
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
    pub(super) async fn release_within(self: &Arc<Self>, transaction_ids: Vec<String>, wait: Duration) {
        let tasks: Vec<_> = transaction_ids
            .into_iter()
            .map(|id| {
                let executor = Arc::clone(self);
                tokio::spawn(async move {
                    let (now, lease) = (now().millis(), executor.lease);
                    let taken = executor
                        .write(move |conn| store::take_release(conn, &id, now, lease_end(now, lease)))
                        .await;
                    match taken {
                        Ok(Some(release)) => executor.release(release).await,
                        Ok(None) => {}
                        Err(error) => log::warn!("a release could not be taken: {error}"),
                    }
                })
            })
            .collect();
        join_within(tasks, wait).await;
    }

    /// One attempt at a release this process holds: dropped once settled, else due again after
    /// a backoff, for as long as Stripe keeps the idempotency key.
    async fn release(&self, release: store::ReleaseRow) {
        let (intent_id, payment_id) = (&release.intent_id, &release.payment_id);
        let settled = match self.try_release(&release).await {
            Ok(settled) => settled,
            Err(reason) => {
                log::warn!("PaymentIntent {intent_id} of payment {payment_id} not released yet: {reason}");
                false
            }
        };
        let expired = now().millis().saturating_sub(release.created_at)
            > i64::try_from(IDEMPOTENCY_WINDOW.as_millis()).unwrap_or(i64::MAX);
        if !settled && expired {
            log::error!("PaymentIntent {intent_id} of payment {payment_id} could not be released in a day; cancel it by hand");
        }
        let attempts = release.attempts + 1;
        let next = next_attempt_time(attempts);
        let held_until = release.next_attempt_at;
        let recorded = self
            .write(move |conn| {
                if settled || expired {
                    store::drop_release(conn, &release.transaction_id)
                } else {
                    store::reschedule_release(conn, &release.transaction_id, held_until, attempts, next)
                }
            })
            .await;
        if let Err(error) = recorded {
            log::warn!("the release of a PaymentIntent could not be recorded: {error}");
        }
    }

    /// Whether the release is settled: the transaction is no longer a Failure (an event
    /// corrected it), the PaymentIntent was paid after all and is recorded (see [`stray`]), or
    /// it is cancelled now. An error when Stripe did not answer, or refused the cancel.
    async fn try_release(&self, release: &store::ReleaseRow) -> Result<bool, String> {
        let payment = match self.payment(&release.project_key, &release.payment_id).await {
            Ok(payment) => Some(payment),
            // Deleted meanwhile: its PaymentIntent must not stay payable all the same.
            Err(ApiError::ResourceNotFound(_)) => None,
            Err(error) => return Err(error.to_string()),
        };
        let failed = |p: &Payment| {
            p.transaction(&release.transaction_id).is_ok_and(|t| t.state == TransactionState::Failure)
        };
        if payment.as_ref().is_some_and(|p| !failed(p)) {
            return Ok(true);
        }
        let account = Some(release.account.clone()).filter(|key| key != crate::psp::PLATFORM_ACCOUNT);
        let intent_id = &release.intent_id;
        match self.look_up_intent(intent_id, account.clone()).await {
            Outcome::Unknown(reason) => return Err(reason),
            Outcome::Failed(report) if report.is_cancelled() => return Ok(true),
            Outcome::Succeeded(report) => {
                match stray(payment.as_ref(), &release.transaction_id, intent_id, &report) {
                    Stray::Release => {}
                    Stray::Record => {
                        self.record_paid_after_all(
                            &release.project_key,
                            &release.payment_id,
                            &release.transaction_id,
                            intent_id,
                            &report,
                        )
                        .await
                        .map_err(|error| error.to_string())?;
                        return Ok(true);
                    }
                    Stray::ReconcileByHand => {
                        log::error!("PaymentIntent {intent_id} of deleted payment {} was paid after all; refund it by hand", release.payment_id);
                        return Ok(true);
                    }
                }
            }
            Outcome::Failed(_) | Outcome::Pending(_) => {}
        }
        // A key per attempt: a refusal Stripe keeps under one key (the PaymentIntent was
        // processing) would otherwise be answered again to every later attempt.
        let cancel = Request {
            operation: Operation::Cancel { intent_id: intent_id.clone() },
            account,
            idempotency_key: format!(
                "ct-release-{}-{}-{}",
                release.transaction_id, release.created_at, release.attempts
            ),
            metadata: vec![],
        };
        match self.provider.execute(cancel).await {
            Outcome::Succeeded(_) => {
                log::info!("released PaymentIntent {intent_id} of payment {}", release.payment_id);
                Ok(true)
            }
            // Refused because the customer paid meanwhile: the next attempt's lookup tells.
            other => Err(format!("{other:?}")),
        }
    }

    /// The PaymentIntent as Stripe has it now.
    pub(super) async fn look_up_intent(&self, intent_id: &str, account: Option<String>) -> Outcome {
        let lookup = Request {
            operation: Operation::Retrieve { object_id: intent_id.to_owned(), customer_confirms: false },
            account,
            idempotency_key: String::new(),
            metadata: vec![],
        };
        self.provider.execute(lookup).await
    }

    /// Records that the transaction's PaymentIntent (failed, or never paid as far as the
    /// payment knew) was paid after all (held, or succeeded with what it captured), as the
    /// webhook would have.
    async fn record_paid_after_all(
        &self,
        project_key: &str,
        payment_id: &str,
        transaction_id: &str,
        intent_id: &str,
        report: &Report,
    ) -> Result<(), ApiError> {
        let intent = intent_id.to_owned();
        let mut effects = vec![if report.awaits_capture() {
            Effect::IntentCapturable { intent_id: intent.clone() }
        } else {
            Effect::IntentSucceeded { intent_id: intent.clone() }
        }];
        if let Some((amount, currency)) = report.captured.clone() {
            effects.push(Effect::IntentCaptured { intent_id: intent, amount, currency });
        }
        self.write_back(project_key, payment_id, |current| {
            transitions::actions(current, &effects, Some(transaction_id), &[], &[])
        })
        .await?;
        // One that succeeded after a capture of part of it (in the dashboard) released the rest.
        if report.is_completed() && report.captured.is_some() {
            self.record_released_rest(project_key, payment_id, intent_id).await?;
        }
        log::warn!("PaymentIntent of transaction {transaction_id} of payment {payment_id} was paid after all; recorded");
        Ok(())
    }
}

/// What becomes of a failed transaction's PaymentIntent that Stripe reports paid after all.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Stray {
    /// The payment records it: the Failure becomes a Success.
    Record,
    /// It only holds the money, and the payment has moved on (or is gone): it is cancelled.
    Release,
    /// It took the money and its payment is gone: a person refunds it.
    ReconcileByHand,
}

/// Decides for a PaymentIntent as Stripe reports it: one that only holds the money
/// (`requires_capture`, nothing captured) may be released; one that took money is recorded
/// even where the payment moved on, so that it can be refunded (a charge is never hidden; the
/// log says the customer paid twice).
pub(super) fn stray(
    payment: Option<&Payment>,
    transaction_id: &str,
    intent_id: &str,
    report: &Report,
) -> Stray {
    let held = report.awaits_capture() && report.captured.is_none();
    match payment {
        None if held => Stray::Release,
        None => Stray::ReconcileByHand,
        Some(payment) if transitions::superseded(payment, transaction_id, intent_id) => {
            if held {
                Stray::Release
            } else {
                log::error!(
                    "the customer paid PaymentIntent {intent_id} of payment {} beside another; refund one",
                    payment.id
                );
                Stray::Record
            }
        }
        Some(_) => Stray::Record,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::actions::test_support::create;
    use serde_json::json;

    #[test]
    fn a_stray_intent_that_only_holds_is_released_once_the_payment_moved_on_or_is_gone() {
        let transaction = |state: &str, intent: &str| json!({"type": "Authorization", "amount": {"currencyCode": "EUR", "centAmount": 100}, "state": state, "interactionId": intent});
        let alone = create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 100},
            "transactions": [transaction("Failure", "pi_1")]}))
        .unwrap();
        let moved_on = create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 100},
            "transactions": [transaction("Failure", "pi_1"), transaction("Success", "pi_2")]}))
        .unwrap();
        let failed = |p: &Payment| p.transactions[0].id.clone();
        let report = |status: &str, captured: Option<i64>| Report {
            status: status.into(),
            captured: captured.map(|amount| (amount, "eur".to_owned())),
            ..Report::default()
        };
        assert_eq!(
            stray(Some(&alone), &failed(&alone), "pi_1", &report("requires_capture", None)),
            Stray::Record
        );
        assert_eq!(
            stray(Some(&moved_on), &failed(&moved_on), "pi_1", &report("requires_capture", None)),
            Stray::Release
        );
        assert_eq!(
            stray(Some(&moved_on), &failed(&moved_on), "pi_1", &report("succeeded", Some(100))),
            Stray::Record,
            "money taken is never hidden"
        );
        assert_eq!(stray(None, "t", "pi_1", &report("requires_capture", None)), Stray::Release);
        assert_eq!(stray(None, "t", "pi_1", &report("succeeded", Some(100))), Stray::ReconcileByHand);
        assert_eq!(
            stray(Some(&moved_on), &failed(&moved_on), "pi_1", &report("requires_capture", Some(40))),
            Stray::Record,
            "captured in part (multicapture): it took money"
        );
    }
}
