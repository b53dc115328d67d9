//! Actions on `paymentMethodInfo`. Each emits its PaymentMethodInfo* Message; `setMethodInfo`
//! changes only the fields it is given and emits the Messages of the single-field actions.

use super::custom::{set_custom_field as set_field, set_custom_type as set_type, FieldChange};
use super::{non_empty, Emitted};
use crate::domain::common::{CustomFieldsDraft, FieldContainer, LocalizedString, TypeIdentifier};
use crate::domain::context::{ChangeContext, CustomizedResource};
use crate::domain::errors::DomainError;
use crate::domain::messages::PaymentMessage;
use crate::domain::payment::{Payment, PaymentMethodToken};
use serde_json::Value;

/// The fields a `setMethodInfo` action carries; `None` leaves a field as it is.
pub struct MethodInfoChanges {
    pub payment_interface: Option<String>,
    pub method: Option<String>,
    pub name: Option<LocalizedString>,
    pub token: Option<PaymentMethodToken>,
    pub interface_account: Option<String>,
    pub custom: Option<CustomFieldsDraft>,
}

pub fn set_method_info(payment: &mut Payment, changes: MethodInfoChanges, ctx: &ChangeContext) -> Emitted {
    let mut messages = Vec::new();
    let mut record = |payment: &Payment, emitted: Emitted, before: &Payment| -> Result<(), DomainError> {
        let emitted = emitted?;
        if payment != before {
            messages.extend(emitted);
        }
        Ok(())
    };
    if let Some(interface) = changes.payment_interface {
        let before = payment.clone();
        let emitted = set_interface(payment, interface);
        record(payment, emitted, &before)?;
    }
    if let Some(method) = changes.method {
        let before = payment.clone();
        let emitted = set_method(payment, Some(method));
        record(payment, emitted, &before)?;
    }
    if let Some(name) = changes.name {
        let before = payment.clone();
        let emitted = set_name(payment, Some(name));
        record(payment, emitted, &before)?;
    }
    if let Some(token) = changes.token {
        let before = payment.clone();
        let emitted = set_token(payment, Some(token));
        record(payment, emitted, &before)?;
    }
    if let Some(account) = changes.interface_account {
        let before = payment.clone();
        let emitted = set_interface_account(payment, Some(account));
        record(payment, emitted, &before)?;
    }
    if let Some(custom) = changes.custom {
        let before = payment.clone();
        let emitted = set_custom_type(payment, Some(&custom.type_identifier), custom.fields, ctx);
        record(payment, emitted, &before)?;
    }
    Ok(messages)
}

/// `paymentInterface` cannot be changed once set; setting the same value again changes nothing.
pub fn set_interface(payment: &mut Payment, interface: String) -> Emitted {
    let info = &mut payment.payment_method_info;
    match &info.payment_interface {
        Some(current) if *current == interface => Ok(vec![]),
        Some(current) => Err(DomainError::InvalidOperation(format!(
            "The paymentInterface '{current}' of the payment cannot be changed once set."
        ))),
        None => {
            info.payment_interface = Some(interface.clone());
            Ok(vec![PaymentMessage::PaymentMethodInfoInterfaceSet {
                interface: Some(interface),
                old_interface: None,
            }])
        }
    }
}

pub fn set_method(payment: &mut Payment, method: Option<String>) -> Emitted {
    let method = non_empty(method);
    let old_method = std::mem::replace(&mut payment.payment_method_info.method, method.clone());
    Ok(vec![PaymentMessage::PaymentMethodInfoMethodSet { method, old_method }])
}

pub fn set_name(payment: &mut Payment, name: Option<LocalizedString>) -> Emitted {
    let name = name.filter(|n| !n.is_empty());
    let old_name = std::mem::replace(&mut payment.payment_method_info.name, name.clone());
    Ok(vec![PaymentMessage::PaymentMethodInfoNameSet { name, old_name }])
}

pub fn set_token(payment: &mut Payment, token: Option<PaymentMethodToken>) -> Emitted {
    let old_token = std::mem::replace(&mut payment.payment_method_info.token, token.clone());
    Ok(vec![PaymentMessage::PaymentMethodInfoTokenSet {
        token: token.as_ref().map(PaymentMethodToken::masked),
        old_token: old_token.as_ref().map(PaymentMethodToken::masked),
    }])
}

pub fn set_interface_account(payment: &mut Payment, interface_account: Option<String>) -> Emitted {
    let interface_account = non_empty(interface_account);
    let old_interface_account =
        std::mem::replace(&mut payment.payment_method_info.interface_account, interface_account.clone());
    Ok(vec![PaymentMessage::PaymentMethodInfoInterfaceAccountSet {
        interface_account,
        old_interface_account,
    }])
}

pub fn set_custom_type(
    payment: &mut Payment,
    type_identifier: Option<&TypeIdentifier>,
    fields: Option<FieldContainer>,
    ctx: &ChangeContext,
) -> Emitted {
    let slot = &mut payment.payment_method_info.custom;
    let old_type_id = slot.as_ref().map(|custom| custom.type_ref.id.clone());
    set_type(slot, type_identifier, fields, CustomizedResource::PaymentMethodInfo, ctx.references)?;
    Ok(vec![match slot {
        Some(custom_fields) => PaymentMessage::PaymentMethodInfoCustomTypeSet {
            custom_fields: custom_fields.clone(),
            old_type_id,
        },
        None => PaymentMessage::PaymentMethodInfoCustomTypeRemoved { old_type_id },
    }])
}

pub fn set_custom_field(
    payment: &mut Payment,
    name: String,
    value: Option<Value>,
    ctx: &ChangeContext,
) -> Emitted {
    let slot = &mut payment.payment_method_info.custom;
    let change = set_field(slot, name.clone(), value, CustomizedResource::PaymentMethodInfo, ctx.references)?;
    Ok(match change {
        FieldChange::Added(value) => vec![PaymentMessage::PaymentMethodInfoCustomFieldAdded { name, value }],
        FieldChange::Changed { value, .. } => {
            vec![PaymentMessage::PaymentMethodInfoCustomFieldChanged { name, value }]
        }
        FieldChange::Removed => vec![PaymentMessage::PaymentMethodInfoCustomFieldRemoved { name }],
        FieldChange::Unchanged => vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::domain::errors::DomainError;
    use serde_json::json;

    #[test]
    fn set_method_info_interface_sets_once() {
        let (set, messages) =
            apply_one(payment(), json!({"action": "setMethodInfoInterface", "interface": "STRIPE"})).unwrap();
        assert_eq!(set.payment_method_info.payment_interface.as_deref(), Some("STRIPE"));
        assert_eq!(messages, vec!["PaymentMethodInfoInterfaceSet"]);
        let error =
            apply_one(set, json!({"action": "setMethodInfoInterface", "interface": "ADYEN"})).unwrap_err();
        assert!(matches!(error, DomainError::InvalidOperation(_)));
    }

    #[test]
    fn single_field_actions_set_and_remove() {
        let cases = [
            (
                json!({"action": "setMethodInfoMethod", "method": "CREDIT_CARD"}),
                "method",
                json!("CREDIT_CARD"),
                "PaymentMethodInfoMethodSet",
            ),
            (
                json!({"action": "setMethodInfoName", "name": {"en": "Card"}}),
                "name",
                json!({"en": "Card"}),
                "PaymentMethodInfoNameSet",
            ),
            (
                json!({"action": "setMethodInfoToken", "token": {"value": "pm_1"}}),
                "token",
                json!({"value": "pm_1"}),
                "PaymentMethodInfoTokenSet",
            ),
            (
                json!({"action": "setMethodInfoInterfaceAccount", "interfaceAccount": "acct_1"}),
                "interfaceAccount",
                json!("acct_1"),
                "PaymentMethodInfoInterfaceAccountSet",
            ),
        ];
        for (action, field, expected, message) in cases {
            let (set, messages) = apply_one(payment(), action.clone()).unwrap();
            assert_eq!(to_json(&set.payment_method_info)[field], expected, "{action}");
            assert_eq!(messages, vec![message]);
            let removal = json!({"action": action["action"]});
            let (removed, _) = apply_one(set, removal).unwrap();
            assert!(to_json(&removed.payment_method_info).get(field).is_none(), "{action}");
        }
    }

    #[test]
    fn token_messages_mask_the_value() {
        let outcome =
            apply(payment(), json!([{"action": "setMethodInfoToken", "token": {"value": "pm_secret"}}]))
                .unwrap();
        let message = to_json(&outcome.messages[0].message);
        assert_eq!(message["token"], json!({"value": "***"}));
    }

    #[test]
    fn set_method_info_changes_only_given_fields() {
        let (base, _) =
            apply_one(payment(), json!({"action": "setMethodInfoMethod", "method": "SEPA"})).unwrap();
        let (set, messages) = apply_one(
            base,
            json!({"action": "setMethodInfo", "paymentInterface": "STRIPE", "interfaceAccount": "acct_1"}),
        )
        .unwrap();
        let info = to_json(&set.payment_method_info);
        assert_eq!(
            info,
            json!({"paymentInterface": "STRIPE", "method": "SEPA", "interfaceAccount": "acct_1"})
        );
        assert_eq!(messages, vec!["PaymentMethodInfoInterfaceSet", "PaymentMethodInfoInterfaceAccountSet"]);
    }

    #[test]
    fn method_info_custom_type_and_fields_emit_messages() {
        let (typed, messages) = apply_one(
            payment(),
            json!({"action": "setMethodInfoCustomType", "type": {"id": "t-1"}, "fields": {"last4": "4242"}}),
        )
        .unwrap();
        assert_eq!(messages, vec!["PaymentMethodInfoCustomTypeSet"]);
        let (added, messages) =
            apply_one(typed, json!({"action": "setMethodInfoCustomField", "name": "brand", "value": "visa"}))
                .unwrap();
        assert_eq!(messages, vec!["PaymentMethodInfoCustomFieldAdded"]);
        let (changed, messages) =
            apply_one(added, json!({"action": "setMethodInfoCustomField", "name": "brand", "value": "amex"}))
                .unwrap();
        assert_eq!(messages, vec!["PaymentMethodInfoCustomFieldChanged"]);
        let (removed, messages) =
            apply_one(changed, json!({"action": "setMethodInfoCustomField", "name": "brand"})).unwrap();
        assert_eq!(messages, vec!["PaymentMethodInfoCustomFieldRemoved"]);
        let error =
            apply_one(removed.clone(), json!({"action": "setMethodInfoCustomField", "name": "brand"}))
                .unwrap_err();
        assert!(matches!(error, DomainError::InvalidOperation(_)));
        let (untyped, messages) = apply_one(removed, json!({"action": "setMethodInfoCustomType"})).unwrap();
        assert_eq!(untyped.payment_method_info.custom, None);
        assert_eq!(messages, vec!["PaymentMethodInfoCustomTypeRemoved"]);
    }
}
