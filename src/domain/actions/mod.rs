//! Payment update actions. Each action is a pure function on the aggregate, grouped by family;
//! [`apply_actions`] applies a request's list all-or-nothing and owns the versioning rule.

pub mod custom;
mod deprecated;
mod identity;
mod method_info;
mod status;
mod transactions;

use super::common::{
    CustomerIdentifier, FieldContainer, IdOrKey, LocalizedString, ReferenceTypeId, ResourceKey,
    StateIdentifier, Timestamp, TypeIdentifier,
};
use super::context::ChangeContext;
use super::errors::DomainError;
use super::messages::PaymentMessage;
use super::money::Money;
use super::payment::{Payment, PaymentMethodToken, TransactionDraft, TransactionState};
use super::versioning::apply_all;
use crate::domain::update_actions::update_actions;
use serde_json::Value;

pub use crate::domain::versioning::MAX_ACTIONS_PER_REQUEST;

update_actions! {
    /// Every update action commercetools accepts on a Payment, deprecated ones included.
    /// In `set*` actions an absent (or null) value removes the current one.
    pub enum PaymentUpdateAction / NamedPaymentUpdateAction {
        SetKey {
            key: Option<ResourceKey>,
        },
        ChangeAmountPlanned {
            amount: Money,
        },
        SetCustomer {
            customer: Option<CustomerIdentifier>,
        },
        SetAnonymousId {
            anonymous_id: Option<String>,
        },
        SetInterfaceId {
            interface_id: String,
        },
        SetMethodInfo {
            payment_interface: Option<String>,
            method: Option<String>,
            name: Option<LocalizedString>,
            token: Option<PaymentMethodToken>,
            interface_account: Option<String>,
            custom: Option<super::common::CustomFieldsDraft>,
        },
        SetMethodInfoInterface {
            interface: String,
        },
        SetMethodInfoMethod {
            method: Option<String>,
        },
        SetMethodInfoName {
            name: Option<LocalizedString>,
        },
        SetMethodInfoToken {
            token: Option<PaymentMethodToken>,
        },
        SetMethodInfoInterfaceAccount {
            interface_account: Option<String>,
        },
        SetMethodInfoCustomType {
            #[serde(rename = "type")]
            type_identifier: Option<TypeIdentifier>,
            fields: Option<FieldContainer>,
        },
        SetMethodInfoCustomField {
            name: String,
            value: Option<Value>,
        },
        SetStatusInterfaceCode {
            interface_code: Option<String>,
        },
        SetStatusInterfaceText {
            interface_text: Option<String>,
        },
        TransitionState {
            state: StateIdentifier,
            #[serde(default)]
            force: bool,
        },
        AddTransaction {
            transaction: TransactionDraft,
        },
        ChangeTransactionState {
            transaction_id: String,
            state: TransactionState,
        },
        ChangeTransactionTimestamp {
            transaction_id: String,
            timestamp: Timestamp,
        },
        ChangeTransactionInteractionId {
            transaction_id: String,
            interaction_id: String,
        },
        SetTransactionInterfaceId {
            transaction_id: String,
            interface_id: Option<String>,
        },
        AddInterfaceInteraction {
            #[serde(rename = "type")]
            type_identifier: TypeIdentifier,
            fields: Option<FieldContainer>,
        },
        SetCustomType {
            #[serde(rename = "type")]
            type_identifier: Option<TypeIdentifier>,
            fields: Option<FieldContainer>,
        },
        SetCustomField {
            name: String,
            value: Option<Value>,
        },
        SetTransactionCustomType {
            transaction_id: String,
            #[serde(rename = "type")]
            type_identifier: Option<TypeIdentifier>,
            fields: Option<FieldContainer>,
        },
        SetTransactionCustomField {
            transaction_id: String,
            name: String,
            value: Option<Value>,
        },
        /// Deprecated by commercetools.
        SetExternalId {
            external_id: Option<String>,
        },
        /// Deprecated by commercetools.
        SetAuthorization {
            amount: Option<Money>,
            until: Option<Timestamp>,
        },
        /// Deprecated by commercetools.
        SetAmountPaid {
            amount: Option<Money>,
        },
        /// Deprecated by commercetools.
        SetAmountRefunded {
            amount: Option<Money>,
        },
    }
}

impl PaymentUpdateAction {
    /// The resources this action names, for the service to load before applying it.
    pub fn identifiers(&self) -> Vec<(ReferenceTypeId, IdOrKey)> {
        use PaymentUpdateAction as A;
        match self {
            A::SetCustomer { customer: Some(customer) } => vec![customer.named()],
            A::TransitionState { state, .. } => vec![state.named()],
            A::AddTransaction { transaction } => {
                transaction.custom.iter().map(|c| c.type_identifier.named()).collect()
            }
            A::SetMethodInfo { custom: Some(custom), .. } => {
                vec![custom.type_identifier.named()]
            }
            A::AddInterfaceInteraction { type_identifier, .. }
            | A::SetMethodInfoCustomType { type_identifier: Some(type_identifier), .. }
            | A::SetCustomType { type_identifier: Some(type_identifier), .. }
            | A::SetTransactionCustomType { type_identifier: Some(type_identifier), .. } => {
                vec![type_identifier.named()]
            }
            _ => vec![],
        }
    }

    /// Whether commercetools answers this action with an `X-DEPRECATION-NOTICE`.
    pub fn is_deprecated(&self) -> bool {
        matches!(
            self,
            Self::SetExternalId { .. }
                | Self::SetAuthorization { .. }
                | Self::SetAmountPaid { .. }
                | Self::SetAmountRefunded { .. }
        )
    }
}

/// A Message together with the Payment version its change produced.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionedMessage {
    pub resource_version: i64,
    pub message: PaymentMessage,
}

/// The outcome of a request's actions.
#[derive(Debug)]
pub struct AppliedChange {
    pub payment: Payment,
    pub messages: Vec<VersionedMessage>,
}

impl AppliedChange {
    pub fn changed(&self, original_version: i64) -> bool {
        self.payment.version != original_version
    }
}

/// Applies the actions in order, all or none, by the versioning rule of [`apply_all`].
pub fn apply_actions(
    payment: Payment,
    actions: Vec<PaymentUpdateAction>,
    ctx: &mut ChangeContext,
) -> Result<AppliedChange, DomainError> {
    let (now, actor) = (ctx.now, ctx.actor.clone());
    let mut payment = payment;
    payment.prune_removed_custom_fields(ctx.references);
    let applied =
        apply_all(payment, actions, now, actor, |payment, action| apply_action(payment, action, ctx))?;
    let messages = applied
        .emitted
        .into_iter()
        .map(|(resource_version, message)| VersionedMessage { resource_version, message })
        .collect();
    Ok(AppliedChange { payment: applied.resource, messages })
}

type Emitted = Result<Vec<PaymentMessage>, DomainError>;

fn apply_action(payment: &mut Payment, action: PaymentUpdateAction, ctx: &mut ChangeContext) -> Emitted {
    use PaymentUpdateAction as A;
    match action {
        A::SetKey { key } => identity::set_key(payment, key),
        A::ChangeAmountPlanned { amount } => identity::change_amount_planned(payment, amount),
        A::SetCustomer { customer } => identity::set_customer(payment, customer.as_ref(), ctx),
        A::SetAnonymousId { anonymous_id } => identity::set_anonymous_id(payment, anonymous_id),
        A::SetInterfaceId { interface_id } => identity::set_interface_id(payment, interface_id),
        A::SetMethodInfo { payment_interface, method, name, token, interface_account, custom } => {
            method_info::set_method_info(
                payment,
                method_info::MethodInfoChanges {
                    payment_interface,
                    method,
                    name,
                    token,
                    interface_account,
                    custom,
                },
                ctx,
            )
        }
        A::SetMethodInfoInterface { interface } => method_info::set_interface(payment, interface),
        A::SetMethodInfoMethod { method } => method_info::set_method(payment, method),
        A::SetMethodInfoName { name } => method_info::set_name(payment, name),
        A::SetMethodInfoToken { token } => method_info::set_token(payment, token),
        A::SetMethodInfoInterfaceAccount { interface_account } => {
            method_info::set_interface_account(payment, interface_account)
        }
        A::SetMethodInfoCustomType { type_identifier, fields } => {
            method_info::set_custom_type(payment, type_identifier.as_ref(), fields, ctx)
        }
        A::SetMethodInfoCustomField { name, value } => {
            method_info::set_custom_field(payment, name, value, ctx)
        }
        A::SetStatusInterfaceCode { interface_code } => status::set_interface_code(payment, interface_code),
        A::SetStatusInterfaceText { interface_text } => status::set_interface_text(payment, interface_text),
        A::TransitionState { state, force } => status::transition_state(payment, &state, force, ctx),
        A::AddTransaction { transaction } => transactions::add(payment, transaction, ctx),
        A::ChangeTransactionState { transaction_id, state } => {
            transactions::change_state(payment, &transaction_id, state)
        }
        A::ChangeTransactionTimestamp { transaction_id, timestamp } => {
            transactions::change_timestamp(payment, &transaction_id, timestamp)
        }
        A::ChangeTransactionInteractionId { transaction_id, interaction_id } => {
            transactions::change_interaction_id(payment, &transaction_id, interaction_id)
        }
        A::SetTransactionInterfaceId { transaction_id, interface_id } => {
            transactions::set_interface_id(payment, &transaction_id, interface_id)
        }
        A::AddInterfaceInteraction { type_identifier, fields } => {
            custom::add_interface_interaction(payment, &type_identifier, fields, ctx)
        }
        A::SetCustomType { type_identifier, fields } => {
            custom::set_payment_custom_type(payment, type_identifier.as_ref(), fields, ctx)
        }
        A::SetCustomField { name, value } => custom::set_payment_custom_field(payment, name, value, ctx),
        A::SetTransactionCustomType { transaction_id, type_identifier, fields } => {
            custom::set_transaction_custom_type(
                payment,
                &transaction_id,
                type_identifier.as_ref(),
                fields,
                ctx,
            )
        }
        A::SetTransactionCustomField { transaction_id, name, value } => {
            custom::set_transaction_custom_field(payment, &transaction_id, name, value, ctx)
        }
        A::SetExternalId { external_id } => deprecated::set_external_id(payment, external_id),
        A::SetAuthorization { amount, until } => deprecated::set_authorization(payment, amount, until),
        A::SetAmountPaid { amount } => deprecated::set_amount_paid(payment, amount),
        A::SetAmountRefunded { amount } => deprecated::set_amount_refunded(payment, amount),
    }
}

/// Treats an empty string like an absent value, as commercetools does for optional strings.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn each_changing_action_raises_the_version_by_one() {
        let outcome = apply(
            payment(),
            json!([
                {"action": "setKey", "key": "k-1"},
                {"action": "setAnonymousId", "anonymousId": "anon"},
            ]),
        )
        .unwrap();
        assert_eq!(outcome.payment.version, 3);
        assert_eq!(outcome.payment.last_modified_at, later());
    }

    #[test]
    fn an_action_that_changes_nothing_raises_nothing() {
        let mut original = payment();
        original.key = Some(ResourceKey::parse("same".into()).unwrap());
        let outcome = apply(original.clone(), json!([{"action": "setKey", "key": "same"}])).unwrap();
        assert_eq!(outcome.payment, original);
        assert!(outcome.messages.is_empty());
    }

    #[test]
    fn a_failing_action_fails_the_whole_list() {
        let error = apply(
            payment(),
            json!([
                {"action": "setKey", "key": "k-1"},
                {"action": "changeTransactionState", "transactionId": "nope", "state": "Success"},
            ]),
        )
        .unwrap_err();
        assert!(matches!(error, DomainError::InvalidOperation(_)));
    }

    #[test]
    fn messages_carry_the_version_their_action_produced() {
        let outcome = apply(
            payment(),
            json!([
                {"action": "setKey", "key": "k-1"},
                {"action": "setStatusInterfaceCode", "interfaceCode": "20000"},
            ]),
        )
        .unwrap();
        assert_eq!(outcome.messages.len(), 1);
        assert_eq!(outcome.messages[0].resource_version, 3);
    }

    #[test]
    fn more_than_500_actions_are_refused() {
        let actions: Vec<_> = (0..501).map(|_| json!({"action": "setAnonymousId"})).collect();
        assert!(matches!(apply(payment(), json!(actions)), Err(DomainError::InvalidInput(_))));
    }

    #[test]
    fn deprecated_actions_are_recognised() {
        let actions = parse_actions(json!([{"action": "setAmountPaid"}, {"action": "setKey"}]));
        assert!(actions[0].is_deprecated());
        assert!(!actions[1].is_deprecated());
    }
}
