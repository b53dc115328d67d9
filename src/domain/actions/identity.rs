//! Actions on the Payment's own identifiers and planned amount.

use super::{non_empty, Emitted};
use crate::domain::common::{CustomerIdentifier, ResourceKey};
use crate::domain::context::ChangeContext;
use crate::domain::errors::DomainError;
use crate::domain::messages::PaymentMessage;
use crate::domain::money::Money;
use crate::domain::payment::Payment;

pub fn set_key(payment: &mut Payment, key: Option<ResourceKey>) -> Emitted {
    payment.key = key;
    Ok(vec![])
}

pub fn change_amount_planned(payment: &mut Payment, amount: Money) -> Emitted {
    payment.amount_planned = amount.in_cents();
    Ok(vec![])
}

pub fn set_customer(
    payment: &mut Payment,
    customer: Option<&CustomerIdentifier>,
    ctx: &ChangeContext,
) -> Emitted {
    payment.customer = customer.map(|c| c.resolve(ctx.references)).transpose()?;
    Ok(vec![])
}

pub fn set_anonymous_id(payment: &mut Payment, anonymous_id: Option<String>) -> Emitted {
    let anonymous_id = non_empty(anonymous_id);
    if anonymous_id.is_some() && payment.customer.is_some() {
        return Err(DomainError::InvalidOperation(
            "An anonymousId cannot be set on a payment that references a customer.".into(),
        ));
    }
    payment.anonymous_id = anonymous_id;
    Ok(vec![])
}

/// `interfaceId` cannot be changed once set; setting the same value again changes nothing.
pub fn set_interface_id(payment: &mut Payment, interface_id: String) -> Emitted {
    match &payment.interface_id {
        Some(current) if *current == interface_id => Ok(vec![]),
        Some(current) => Err(DomainError::InvalidOperation(format!(
            "The interfaceId '{current}' of the payment cannot be changed once set."
        ))),
        None => {
            payment.interface_id = Some(interface_id.clone());
            Ok(vec![PaymentMessage::PaymentInterfaceIdSet {
                interface_id: Some(interface_id),
                old_interface_id: None,
            }])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::domain::errors::DomainError;
    use serde_json::json;

    #[test]
    fn set_key_sets_and_an_absent_key_removes() {
        let (with_key, _) = apply_one(payment(), json!({"action": "setKey", "key": "order-1"})).unwrap();
        assert_eq!(with_key.key.as_ref().unwrap().as_str(), "order-1");
        let (without, _) = apply_one(with_key, json!({"action": "setKey"})).unwrap();
        assert_eq!(without.key, None);
    }

    #[test]
    fn set_key_refuses_an_invalid_key_when_parsing() {
        let parsed: Result<Vec<super::super::PaymentUpdateAction>, _> =
            serde_json::from_value(json!([{"action": "setKey", "key": "no spaces"}]));
        assert!(parsed.is_err());
    }

    #[test]
    fn change_amount_planned_replaces_the_amount() {
        let (changed, _) = apply_one(
            payment(),
            json!({"action": "changeAmountPlanned", "amount": {"currencyCode": "EUR", "centAmount": 4000}}),
        )
        .unwrap();
        assert_eq!(changed.amount_planned.cent_amount(), 4000);
    }

    #[test]
    fn set_customer_sets_a_reference_and_removes_without_one() {
        let (with, _) = apply_one(
            payment(),
            json!({"action": "setCustomer", "customer": {"typeId": "customer", "id": "c-1"}}),
        )
        .unwrap();
        assert_eq!(to_json(&with.customer), json!({"typeId": "customer", "id": "c-1"}));
        let (without, _) = apply_one(with, json!({"action": "setCustomer"})).unwrap();
        assert_eq!(without.customer, None);
    }

    #[test]
    fn set_anonymous_id_sets_and_removes() {
        let (with, _) =
            apply_one(payment(), json!({"action": "setAnonymousId", "anonymousId": "a-1"})).unwrap();
        assert_eq!(with.anonymous_id.as_deref(), Some("a-1"));
        let (without, _) = apply_one(with, json!({"action": "setAnonymousId"})).unwrap();
        assert_eq!(without.anonymous_id, None);
    }

    #[test]
    fn set_anonymous_id_is_refused_while_a_customer_is_set() {
        let (with_customer, _) =
            apply_one(payment(), json!({"action": "setCustomer", "customer": {"id": "c-1"}})).unwrap();
        let error =
            apply_one(with_customer, json!({"action": "setAnonymousId", "anonymousId": "a-1"})).unwrap_err();
        assert!(matches!(error, DomainError::InvalidOperation(_)));
    }

    #[test]
    fn set_interface_id_sets_once_and_never_changes() {
        let (with, messages) =
            apply_one(payment(), json!({"action": "setInterfaceId", "interfaceId": "psp-1"})).unwrap();
        assert_eq!(with.interface_id.as_deref(), Some("psp-1"));
        assert_eq!(messages, vec!["PaymentInterfaceIdSet"]);
        let (same, messages) =
            apply_one(with.clone(), json!({"action": "setInterfaceId", "interfaceId": "psp-1"})).unwrap();
        assert_eq!(same, with);
        assert!(messages.is_empty());
        let error = apply_one(with, json!({"action": "setInterfaceId", "interfaceId": "psp-2"})).unwrap_err();
        assert!(matches!(error, DomainError::InvalidOperation(_)));
    }

    #[test]
    fn set_interface_id_requires_a_value() {
        let parsed: Result<Vec<super::super::PaymentUpdateAction>, _> =
            serde_json::from_value(json!([{"action": "setInterfaceId"}]));
        assert!(parsed.is_err());
    }
}
