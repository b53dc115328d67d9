//! Actions on `paymentStatus`.

use super::{non_empty, Emitted};
use crate::domain::common::StateIdentifier;
use crate::domain::context::ChangeContext;
use crate::domain::messages::PaymentMessage;
use crate::domain::payment::Payment;
use crate::domain::states::StateType;

pub fn set_interface_code(payment: &mut Payment, interface_code: Option<String>) -> Emitted {
    let interface_code = non_empty(interface_code);
    payment.payment_status.interface_code = interface_code.clone();
    Ok(vec![PaymentMessage::PaymentStatusInterfaceCodeSet { payment_id: payment.id.clone(), interface_code }])
}

pub fn set_interface_text(payment: &mut Payment, interface_text: Option<String>) -> Emitted {
    payment.payment_status.interface_text = non_empty(interface_text);
    Ok(vec![])
}

/// Moves the payment to another PaymentState; the State workflow rules are checked unless forced.
pub fn transition_state(
    payment: &mut Payment,
    state: &StateIdentifier,
    force: bool,
    ctx: &ChangeContext,
) -> Emitted {
    let target = state.resolve(ctx.references)?;
    // Forced past the workflow, but a payment's state is still a PaymentState.
    ctx.references.check_state_type(&target, StateType::PaymentState)?;
    if !force {
        ctx.references.check_state_transition(payment.payment_status.state.as_ref(), &target)?;
    }
    payment.payment_status.state = Some(target.clone());
    Ok(vec![PaymentMessage::PaymentStatusStateTransition { state: target, force }])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::json;

    #[test]
    fn interface_code_sets_and_removes_with_a_message() {
        let (set, messages) =
            apply_one(payment(), json!({"action": "setStatusInterfaceCode", "interfaceCode": "20000"}))
                .unwrap();
        assert_eq!(set.payment_status.interface_code.as_deref(), Some("20000"));
        assert_eq!(messages, vec!["PaymentStatusInterfaceCodeSet"]);
        let (removed, _) = apply_one(set, json!({"action": "setStatusInterfaceCode"})).unwrap();
        assert_eq!(removed.payment_status.interface_code, None);
    }

    #[test]
    fn interface_text_sets_and_an_empty_text_removes() {
        let (set, messages) =
            apply_one(payment(), json!({"action": "setStatusInterfaceText", "interfaceText": "Paid"}))
                .unwrap();
        assert_eq!(set.payment_status.interface_text.as_deref(), Some("Paid"));
        assert!(messages.is_empty());
        let (removed, _) =
            apply_one(set, json!({"action": "setStatusInterfaceText", "interfaceText": ""})).unwrap();
        assert_eq!(removed.payment_status.interface_text, None);
    }

    #[test]
    fn transition_state_sets_the_state_reference() {
        let (moved, messages) = apply_one(
            payment(),
            json!({"action": "transitionState", "state": {"typeId": "state", "id": "s-1"}, "force": true}),
        )
        .unwrap();
        assert_eq!(to_json(&moved.payment_status), json!({"state": {"typeId": "state", "id": "s-1"}}));
        assert_eq!(messages, vec!["PaymentStatusStateTransition"]);
    }

    #[test]
    fn transition_state_to_a_state_given_by_unknown_key_fails() {
        let error =
            apply_one(payment(), json!({"action": "transitionState", "state": {"key": "paid"}})).unwrap_err();
        assert!(matches!(error, crate::domain::errors::DomainError::ReferencedResourceNotFound { .. }));
    }
}
