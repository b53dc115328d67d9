//! Custom fields on the Payment, its transactions and its interface interactions. The same
//! two operations (set the Type, set one field) serve every place that carries custom fields.

use super::Emitted;
use crate::domain::common::{CustomFields, CustomFieldsDraft, FieldContainer, TypeIdentifier};
use crate::domain::context::{ChangeContext, CustomizedResource, References};
use crate::domain::errors::DomainError;
use crate::domain::messages::PaymentMessage;
use crate::domain::payment::{custom_fields, Payment};
use serde_json::Value;

/// What setting one custom field did, for the Messages that report it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    Added(Value),
    Changed { value: Value, old_value: Value },
    Removed,
    Unchanged,
}

/// Replaces the Type and values, or removes the custom fields when no Type is given.
pub fn set_custom_type(
    slot: &mut Option<CustomFields>,
    type_identifier: Option<&TypeIdentifier>,
    fields: Option<FieldContainer>,
    resource: CustomizedResource,
    references: &dyn References,
) -> Result<(), DomainError> {
    *slot = type_identifier
        .map(|type_identifier| {
            let draft = CustomFieldsDraft { type_identifier: type_identifier.clone(), fields };
            custom_fields(&draft, resource, references)
        })
        .transpose()?;
    Ok(())
}

/// Sets one field; an absent or null value removes it, and removing a field that is not set fails.
pub fn set_custom_field(
    slot: &mut Option<CustomFields>,
    name: String,
    value: Option<Value>,
    resource: CustomizedResource,
    references: &dyn References,
) -> Result<FieldChange, DomainError> {
    let custom = slot.as_mut().ok_or_else(|| {
        DomainError::InvalidOperation(
            "This resource has no custom type set - please use setCustomType first to set the type of the custom fields."
                .into(),
        )
    })?;
    let old_value = custom.fields.get(&name).cloned();
    match value {
        None if old_value.is_none() => {
            return Err(DomainError::InvalidOperation(format!(
                "The custom field '{name}' cannot be removed because it is not set."
            )))
        }
        None => {
            custom.fields.remove(&name);
        }
        Some(value) => {
            custom.fields.insert(name.clone(), value);
        }
    }
    // Checking stores values in their canonical form (Money as CentPrecisionMoney), so the
    // change is judged on what is stored, not on how the client wrote it.
    references.check_custom_fields(resource, custom)?;
    let change = match (custom.fields.get(&name), old_value) {
        (None, _) => FieldChange::Removed,
        (Some(value), Some(old_value)) if *value == old_value => FieldChange::Unchanged,
        (Some(value), Some(old_value)) => FieldChange::Changed { value: value.clone(), old_value },
        (Some(value), None) => FieldChange::Added(value.clone()),
    };
    Ok(change)
}

pub fn set_payment_custom_type(
    payment: &mut Payment,
    type_identifier: Option<&TypeIdentifier>,
    fields: Option<FieldContainer>,
    ctx: &ChangeContext,
) -> Emitted {
    set_custom_type(
        &mut payment.custom,
        type_identifier,
        fields,
        CustomizedResource::Payment,
        ctx.references,
    )?;
    Ok(vec![])
}

pub fn set_payment_custom_field(
    payment: &mut Payment,
    name: String,
    value: Option<Value>,
    ctx: &ChangeContext,
) -> Emitted {
    set_custom_field(&mut payment.custom, name, value, CustomizedResource::Payment, ctx.references)?;
    Ok(vec![])
}

pub fn set_transaction_custom_type(
    payment: &mut Payment,
    transaction_id: &str,
    type_identifier: Option<&TypeIdentifier>,
    fields: Option<FieldContainer>,
    ctx: &ChangeContext,
) -> Emitted {
    let transaction = payment.transaction_mut(transaction_id)?;
    set_custom_type(
        &mut transaction.custom,
        type_identifier,
        fields,
        CustomizedResource::Transaction,
        ctx.references,
    )?;
    Ok(vec![])
}

pub fn set_transaction_custom_field(
    payment: &mut Payment,
    transaction_id: &str,
    name: String,
    value: Option<Value>,
    ctx: &ChangeContext,
) -> Emitted {
    let transaction = payment.transaction_mut(transaction_id)?;
    set_custom_field(&mut transaction.custom, name, value, CustomizedResource::Transaction, ctx.references)?;
    Ok(vec![])
}

pub fn add_interface_interaction(
    payment: &mut Payment,
    type_identifier: &TypeIdentifier,
    fields: Option<FieldContainer>,
    ctx: &ChangeContext,
) -> Emitted {
    let draft = CustomFieldsDraft { type_identifier: type_identifier.clone(), fields };
    let interaction = custom_fields(&draft, CustomizedResource::InterfaceInteraction, ctx.references)?;
    payment.interface_interactions.push(interaction.clone());
    Ok(vec![PaymentMessage::PaymentInteractionAdded { interaction }])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::domain::errors::DomainError;
    use serde_json::json;

    fn with_custom_type() -> crate::domain::payment::Payment {
        apply_one(
            payment(),
            json!({"action": "setCustomType", "type": {"typeId": "type", "id": "t-1"}, "fields": {"orderId": "o-1"}}),
        )
        .unwrap()
        .0
    }

    #[test]
    fn set_custom_type_sets_type_and_fields_and_removes_without_type() {
        let with = with_custom_type();
        assert_eq!(
            to_json(&with.custom),
            json!({"type": {"typeId": "type", "id": "t-1"}, "fields": {"orderId": "o-1"}})
        );
        let (without, _) = apply_one(with, json!({"action": "setCustomType"})).unwrap();
        assert_eq!(without.custom, None);
    }

    #[test]
    fn set_custom_type_by_unknown_key_is_a_missing_reference() {
        let error =
            apply_one(payment(), json!({"action": "setCustomType", "type": {"key": "nope"}})).unwrap_err();
        assert!(matches!(error, DomainError::ReferencedResourceNotFound { .. }));
    }

    #[test]
    fn set_custom_field_adds_changes_and_removes() {
        let (added, _) =
            apply_one(with_custom_type(), json!({"action": "setCustomField", "name": "n", "value": 1}))
                .unwrap();
        assert_eq!(added.custom.as_ref().unwrap().fields["n"], json!(1));
        let (changed, _) =
            apply_one(added, json!({"action": "setCustomField", "name": "n", "value": 2})).unwrap();
        assert_eq!(changed.custom.as_ref().unwrap().fields["n"], json!(2));
        let (removed, _) =
            apply_one(changed, json!({"action": "setCustomField", "name": "n", "value": null})).unwrap();
        assert!(!removed.custom.as_ref().unwrap().fields.contains_key("n"));
    }

    #[test]
    fn removing_a_field_that_is_not_set_fails() {
        let error =
            apply_one(with_custom_type(), json!({"action": "setCustomField", "name": "absent"})).unwrap_err();
        assert!(matches!(error, DomainError::InvalidOperation(_)));
    }

    #[test]
    fn set_custom_field_without_a_type_fails() {
        let error =
            apply_one(payment(), json!({"action": "setCustomField", "name": "n", "value": 1})).unwrap_err();
        assert!(matches!(error, DomainError::InvalidOperation(_)));
    }

    #[test]
    fn transaction_custom_type_and_field() {
        let p = payment();
        let tx = p.transactions[0].id.clone();
        let (typed, _) = apply_one(
            p,
            json!({"action": "setTransactionCustomType", "transactionId": tx, "type": {"id": "t-1"}, "fields": {"a": "b"}}),
        )
        .unwrap();
        assert_eq!(typed.transactions[0].custom.as_ref().unwrap().fields["a"], json!("b"));
        let (set, _) = apply_one(
            typed,
            json!({"action": "setTransactionCustomField", "transactionId": tx, "name": "a", "value": "c"}),
        )
        .unwrap();
        assert_eq!(set.transactions[0].custom.as_ref().unwrap().fields["a"], json!("c"));
        let (removed, _) =
            apply_one(set, json!({"action": "setTransactionCustomField", "transactionId": tx, "name": "a"}))
                .unwrap();
        assert!(removed.transactions[0].custom.as_ref().unwrap().fields.is_empty());
        let (untyped, _) =
            apply_one(removed, json!({"action": "setTransactionCustomType", "transactionId": tx})).unwrap();
        assert_eq!(untyped.transactions[0].custom, None);
    }

    #[test]
    fn transaction_custom_actions_need_a_known_transaction() {
        for action in [
            json!({"action": "setTransactionCustomType", "transactionId": "nope", "type": {"id": "t-1"}}),
            json!({"action": "setTransactionCustomField", "transactionId": "nope", "name": "a", "value": 1}),
        ] {
            assert!(matches!(apply_one(payment(), action), Err(DomainError::InvalidOperation(_))));
        }
    }

    #[test]
    fn add_interface_interaction_appends_with_a_message() {
        let (added, messages) = apply_one(
            payment(),
            json!({"action": "addInterfaceInteraction", "type": {"typeId": "type", "id": "t-1"}, "fields": {"code": "200"}}),
        )
        .unwrap();
        assert_eq!(
            to_json(&added.interface_interactions),
            json!([{"type": {"typeId": "type", "id": "t-1"}, "fields": {"code": "200"}}])
        );
        assert_eq!(messages, vec!["PaymentInteractionAdded"]);
    }
}
