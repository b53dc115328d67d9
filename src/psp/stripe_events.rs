//! Stripe's webhook events, read into what they mean for our transactions. Stripe's event
//! types and object shapes stay here.

use super::Effect;
use serde::Deserialize;
use serde_json::Value;

/// A provider event in our terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderEvent {
    /// The connected account the event is about ("platform" for the platform's own).
    pub account: String,
    /// The provider object whose payment the event concerns.
    pub object_id: String,
    /// Our project, payment and transaction ids, when the object carries them in its metadata.
    /// (Anyone who can write to the account can write metadata: what a refund or dispute
    /// changes is decided by its PaymentIntent, see [`super::transitions`].)
    pub project_key: Option<String>,
    pub payment_id: Option<String>,
    pub transaction_id: Option<String>,
    pub effects: Vec<Effect>,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    account: Option<String>,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: Value,
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// What a refund means, as `charge.refunded` lists it or a `refund.*` event carries it: one of
/// ours (it carries our transaction id) settled, or, without our id, a refund that succeeded
/// and may have been made elsewhere (the dashboard). A refund still pending means nothing yet.
fn refund_effect(intent_id: &str, refund: &Value) -> Option<Effect> {
    let refund_id = text(refund, "id")?;
    let succeeded = match text(refund, "status")?.as_str() {
        "succeeded" => true,
        "failed" | "canceled" => false,
        _ => return None,
    };
    if refund.pointer("/metadata/ct_transaction_id").is_some() || !succeeded {
        return Some(Effect::RefundSettled { refund_id, succeeded });
    }
    Some(Effect::RefundedElsewhere {
        intent_id: intent_id.to_owned(),
        refund_id,
        amount: refund.get("amount").and_then(Value::as_i64).unwrap_or_default(),
        currency: text(refund, "currency").unwrap_or_default(),
    })
}

/// The event's id and type, for storing it before it is understood.
pub fn identify(body: &[u8]) -> Option<(String, String)> {
    let event: Event = serde_json::from_slice(body).ok()?;
    Some((event.id, event.kind))
}

/// Reads an event. Event types that change no transaction have no effects.
pub fn read(body: &[u8]) -> Result<ProviderEvent, String> {
    let event: Event = serde_json::from_slice(body).map_err(|e| format!("not a Stripe event: {e}"))?;
    let object = &event.data.object;
    let object_id = text(object, "id").unwrap_or_default();
    let intent_of = |o: &Value| text(o, "payment_intent").unwrap_or_default();
    let error = object.get("last_payment_error");
    let (subject, effects) = match event.kind.as_str() {
        "payment_intent.succeeded" => {
            let mut effects = vec![Effect::IntentSucceeded { intent_id: object_id.clone() }];
            if let Some(amount) = object.get("amount_received").and_then(Value::as_i64) {
                effects.push(Effect::IntentCaptured {
                    intent_id: object_id.clone(),
                    amount,
                    currency: text(object, "currency").unwrap_or_default(),
                });
            }
            (object_id.clone(), effects)
        }
        "payment_intent.amount_capturable_updated" => {
            (object_id.clone(), vec![Effect::IntentCapturable { intent_id: object_id.clone() }])
        }
        "payment_intent.payment_failed" => (
            object_id.clone(),
            vec![Effect::IntentFailed {
                intent_id: object_id.clone(),
                code: error.and_then(|e| text(e, "decline_code").or_else(|| text(e, "code"))),
                message: error.and_then(|e| text(e, "message")),
            }],
        ),
        "payment_intent.canceled" => {
            (object_id.clone(), vec![Effect::IntentCanceled { intent_id: object_id.clone() }])
        }
        "checkout.session.completed" | "checkout.session.expired" => {
            (object_id.clone(), vec![Effect::CheckoutChanged { session_id: object_id.clone() }])
        }
        "charge.refunded" => {
            let refunds =
                object.pointer("/refunds/data").and_then(Value::as_array).cloned().unwrap_or_default();
            let intent_id = intent_of(object);
            let effects = refunds.iter().filter_map(|refund| refund_effect(&intent_id, refund)).collect();
            (intent_id, effects)
        }
        // Since API version 2022-11-15 `charge.refunded` no longer lists the refunds, so a
        // dashboard refund is known from its own events there.
        "refund.updated" | "refund.created" => {
            let intent_id = intent_of(object);
            let effect = refund_effect(&intent_id, object);
            (intent_id, effect.into_iter().collect())
        }
        // An inquiry (`warning_*`) withdraws no funds and leaves the charge refundable: it is
        // no Chargeback until it escalates (`updated` or `funds_withdrawn` with a dispute's
        // status).
        "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.funds_withdrawn"
            if is_inquiry(object) || text(object, "status").is_some_and(|s| s == "won" || s == "lost") =>
        {
            (intent_of(object), vec![])
        }
        "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.funds_withdrawn" => (
            intent_of(object),
            vec![Effect::DisputeOpened {
                intent_id: intent_of(object),
                dispute_id: object_id.clone(),
                amount: object.get("amount").and_then(Value::as_i64).unwrap_or_default(),
                currency: text(object, "currency").unwrap_or_default().to_uppercase(),
            }],
        ),
        // An inquiry's close settles a Chargeback recorded for it earlier, and records none.
        "charge.dispute.closed" => (
            intent_of(object),
            vec![Effect::DisputeClosed {
                intent_id: intent_of(object),
                dispute_id: object_id.clone(),
                lost: text(object, "status").as_deref() == Some("lost"),
                amount: object.get("amount").and_then(Value::as_i64).filter(|_| !is_inquiry(object)),
                currency: text(object, "currency").unwrap_or_default().to_uppercase(),
            }],
        ),
        _ => (object_id.clone(), vec![]),
    };
    let ours = |field: &str| {
        object.pointer(&format!("/metadata/{field}")).and_then(Value::as_str).map(str::to_owned)
    };
    Ok(ProviderEvent {
        account: super::account_key(event.account.as_deref()),
        project_key: ours("ct_project_key"),
        payment_id: ours("ct_payment_id"),
        transaction_id: ours("ct_transaction_id"),
        object_id: subject,
        effects,
    })
}

/// Whether a dispute is an inquiry, which Stripe opens with the status `warning_needs_response`.
fn is_inquiry(dispute: &Value) -> bool {
    text(dispute, "status").is_some_and(|status| status.starts_with("warning_"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_finished_checkout_asks_for_a_lookup() {
        let completed = json!({"id": "evt_2", "type": "checkout.session.completed", "data": {"object": {
            "id": "cs_1", "payment_intent": "pi_9", "metadata": {"ct_payment_id": "p-1", "ct_transaction_id": "t-1"}}}});
        let event = read(completed.to_string().as_bytes()).unwrap();
        assert_eq!(event.object_id, "cs_1");
        assert_eq!(event.transaction_id.as_deref(), Some("t-1"));
        assert_eq!(event.effects, vec![Effect::CheckoutChanged { session_id: "cs_1".into() }]);
    }

    #[test]
    fn metadata_names_our_project_payment_and_transaction() {
        let intent = json!({"id": "evt_5", "type": "payment_intent.succeeded", "data": {"object": {
            "id": "pi_1", "metadata": {"ct_project_key": "shop", "ct_payment_id": "p-1", "ct_transaction_id": "t-1"}}}});
        let event = read(intent.to_string().as_bytes()).unwrap();
        assert_eq!(
            (event.project_key.as_deref(), event.payment_id.as_deref(), event.transaction_id.as_deref()),
            (Some("shop"), Some("p-1"), Some("t-1"))
        );
    }

    #[test]
    fn inquiries_are_no_chargebacks_until_they_escalate() {
        let dispute = |kind: &str, status: &str| {
            let event = json!({"id": "evt_7", "type": kind, "data": {"object": {
                "id": "dp_1", "amount": 500, "currency": "eur", "payment_intent": "pi_1", "status": status}}});
            read(event.to_string().as_bytes()).unwrap().effects
        };
        assert!(dispute("charge.dispute.created", "warning_needs_response").is_empty());
        assert_eq!(dispute("charge.dispute.funds_withdrawn", "needs_response").len(), 1, "escalated");
        assert_eq!(dispute("charge.dispute.updated", "under_review").len(), 1, "escalated");
        assert!(dispute("charge.dispute.updated", "won").is_empty(), "told by the close");
        assert_eq!(
            dispute("charge.dispute.closed", "warning_closed"),
            vec![Effect::DisputeClosed {
                intent_id: "pi_1".into(),
                dispute_id: "dp_1".into(),
                lost: false,
                amount: None,
                currency: "EUR".into()
            }],
            "settles a Chargeback an earlier version recorded for the inquiry, records none"
        );
    }

    #[test]
    fn refunds_made_elsewhere_are_told_from_ours() {
        let refunded = json!({"id": "evt_3", "type": "charge.refunded", "data": {"object": {
        "id": "ch_1", "payment_intent": "pi_1", "refunds": {"data": [
            {"id": "re_ours", "status": "succeeded", "amount": 100, "currency": "eur", "metadata": {"ct_transaction_id": "t-1"}},
            {"id": "re_dash", "status": "succeeded", "amount": 250, "currency": "eur", "metadata": {}}
        ]}}}});
        let event = read(refunded.to_string().as_bytes()).unwrap();
        assert_eq!(
            event.effects,
            vec![
                Effect::RefundSettled { refund_id: "re_ours".into(), succeeded: true },
                Effect::RefundedElsewhere {
                    intent_id: "pi_1".into(),
                    refund_id: "re_dash".into(),
                    amount: 250,
                    currency: "eur".into()
                }
            ]
        );
    }

    #[test]
    fn refund_events_without_our_id_are_refunds_made_elsewhere() {
        let created = |status: &str| {
            json!({"id": "evt_4", "type": "refund.created", "data": {"object": {
                "id": "re_dash", "payment_intent": "pi_1", "status": status, "amount": 250, "currency": "eur", "metadata": {}}}})
        };
        let event = read(created("succeeded").to_string().as_bytes()).unwrap();
        assert_eq!(event.object_id, "pi_1");
        assert_eq!(
            event.effects,
            vec![Effect::RefundedElsewhere {
                intent_id: "pi_1".into(),
                refund_id: "re_dash".into(),
                amount: 250,
                currency: "eur".into()
            }]
        );
        let pending = read(created("pending").to_string().as_bytes()).unwrap();
        assert!(pending.effects.is_empty(), "a pending refund has not settled either way");
        let failed = read(created("failed").to_string().as_bytes()).unwrap();
        assert_eq!(
            failed.effects,
            vec![Effect::RefundSettled { refund_id: "re_dash".into(), succeeded: false }]
        );
    }

    #[test]
    fn events_become_effects() {
        let failed = json!({"id": "evt_1", "type": "payment_intent.payment_failed", "data": {"object": {
            "id": "pi_1", "metadata": {"ct_payment_id": "p-1"}, "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds", "message": "No"}}}});
        let event = read(failed.to_string().as_bytes()).unwrap();
        assert_eq!(event.payment_id.as_deref(), Some("p-1"));
        assert_eq!(event.account, "platform");
        assert_eq!(
            event.effects,
            vec![Effect::IntentFailed {
                intent_id: "pi_1".into(),
                code: Some("insufficient_funds".into()),
                message: Some("No".into())
            }]
        );
        let dispute = json!({"id": "evt_2", "type": "charge.dispute.created", "account": "acct_1", "data": {"object": {
            "id": "dp_1", "amount": 500, "currency": "eur", "payment_intent": "pi_1", "status": "needs_response"}}});
        let event = read(dispute.to_string().as_bytes()).unwrap();
        assert_eq!(event.object_id, "pi_1");
        assert_eq!(event.account, "acct_1");
        assert_eq!(
            event.effects,
            vec![Effect::DisputeOpened {
                intent_id: "pi_1".into(),
                dispute_id: "dp_1".into(),
                amount: 500,
                currency: "EUR".into()
            }]
        );
        let other = json!({"id": "evt_3", "type": "customer.created", "data": {"object": {"id": "cus_1"}}});
        assert!(read(other.to_string().as_bytes()).unwrap().effects.is_empty());
    }
}
