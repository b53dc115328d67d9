//! The My Payments API: what a shopper may send about their own payment (a MyPaymentDraft
//! and a few update actions), turned into the Payment's own draft and actions, the rule that
//! a payment with transactions is no longer the shopper's to change, and the view of a
//! payment a shopper is shown.

use super::common::{CustomFieldsDraft, CustomerIdentifier, FieldContainer, IdOrKey, LocalizedString};
use super::common::{Timestamp, TypeIdentifier};
use super::errors::DomainError;
use super::money::Money;
use super::payment::{Payment, PaymentDraft, PaymentMethodInfoDraft, TransactionDraft, TransactionType};
use crate::auth::Identity;
use crate::domain::actions::PaymentUpdateAction;
use crate::domain::update_actions::update_actions;
use serde::Deserialize;
use serde_json::Value;

/// The fields of a Payment a shopper is shown; the rest (key, interfaceId, paymentStatus,
/// interface interactions, audit fields) are for the merchant's systems.
pub const VISIBLE_FIELDS: [&str; 8] = [
    "id",
    "version",
    "customer",
    "anonymousId",
    "amountPlanned",
    "paymentMethodInfo",
    "transactions",
    "custom",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyPaymentDraft {
    pub amount_planned: Money,
    pub payment_method_info: Option<PaymentMethodInfoDraft>,
    pub custom: Option<CustomFieldsDraft>,
    pub transaction: Option<MyTransactionDraft>,
}

/// A transaction a shopper asks for: an authorization or a charge, always `Initial` (what
/// becomes of it is for the merchant's systems, or the payment provider, to say).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyTransactionDraft {
    pub timestamp: Option<Timestamp>,
    #[serde(rename = "type")]
    pub kind: MyTransactionType,
    pub amount: Money,
    pub interaction_id: Option<String>,
    pub custom: Option<CustomFieldsDraft>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum MyTransactionType {
    Authorization,
    Charge,
}

impl From<MyTransactionDraft> for TransactionDraft {
    fn from(draft: MyTransactionDraft) -> Self {
        let kind = match draft.kind {
            MyTransactionType::Authorization => TransactionType::Authorization,
            MyTransactionType::Charge => TransactionType::Charge,
        };
        TransactionDraft {
            timestamp: draft.timestamp,
            kind,
            amount: draft.amount,
            interaction_id: draft.interaction_id,
            interface_id: None,
            state: None,
            custom: draft.custom,
        }
    }
}

impl MyPaymentDraft {
    pub fn into_payment_draft(self, shopper: &Identity) -> PaymentDraft {
        let (customer, anonymous_id) = match shopper {
            Identity::Customer(id) => (Some(CustomerIdentifier::new(IdOrKey::Id(id.clone()))), None),
            Identity::Anonymous(id) => (None, Some(id.clone())),
        };
        PaymentDraft {
            key: None,
            customer,
            anonymous_id,
            external_id: None,
            interface_id: None,
            amount_planned: self.amount_planned,
            amount_authorized: None,
            authorized_until: None,
            amount_paid: None,
            amount_refunded: None,
            payment_method_info: self.payment_method_info,
            payment_status: None,
            transactions: self.transaction.map(|t| vec![t.into()]),
            interface_interactions: None,
            custom: self.custom,
        }
    }
}

/// Whether the payment is this shopper's.
pub fn owns(shopper: &Identity, payment: &Payment) -> bool {
    match shopper {
        Identity::Customer(id) => payment.customer.as_ref().is_some_and(|customer| &customer.id == id),
        Identity::Anonymous(id) => payment.anonymous_id.as_ref() == Some(id),
    }
}

update_actions! {
    /// The update actions of the My Payments API.
    pub enum MyPaymentUpdateAction / NamedMyPaymentUpdateAction {
        AddTransaction {
            transaction: MyTransactionDraft,
        },
        ChangeAmountPlanned {
            amount: Money,
        },
        SetCustomField {
            name: String,
            value: Option<Value>,
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
    }
}

impl From<MyPaymentUpdateAction> for PaymentUpdateAction {
    fn from(action: MyPaymentUpdateAction) -> Self {
        use MyPaymentUpdateAction as My;
        match action {
            My::AddTransaction { transaction } => Self::AddTransaction { transaction: transaction.into() },
            My::ChangeAmountPlanned { amount } => Self::ChangeAmountPlanned { amount },
            My::SetCustomField { name, value } => Self::SetCustomField { name, value },
            My::SetMethodInfoInterface { interface } => Self::SetMethodInfoInterface { interface },
            My::SetMethodInfoMethod { method } => Self::SetMethodInfoMethod { method },
            My::SetMethodInfoName { name } => Self::SetMethodInfoName { name },
            My::SetMethodInfoInterfaceAccount { interface_account } => {
                Self::SetMethodInfoInterfaceAccount { interface_account }
            }
            My::SetMethodInfoCustomType { type_identifier, fields } => {
                Self::SetMethodInfoCustomType { type_identifier, fields }
            }
            My::SetMethodInfoCustomField { name, value } => Self::SetMethodInfoCustomField { name, value },
        }
    }
}

/// A shopper may change or delete their payment only while it has no transactions: once one
/// is added, the payment is on its way to the provider and only the merchant's systems act on it.
pub fn check_changeable(payment: &Payment, change: &str) -> Result<(), DomainError> {
    if payment.transactions.is_empty() {
        return Ok(());
    }
    Err(DomainError::InvalidOperation(format!(
        "A Payment with Transactions cannot be {change} through the My Payments API."
    )))
}

/// The document a shopper is shown: the payment's visible fields only.
pub fn shopper_view(document: Value) -> Value {
    match document {
        Value::Object(mut fields) => {
            fields.retain(|name, _| VISIBLE_FIELDS.contains(&name.as_str()));
            Value::Object(fields)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(value: Value) -> Result<MyPaymentDraft, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn a_draft_becomes_the_shoppers_payment_draft_with_an_initial_transaction() {
        let draft = draft(json!({
            "amountPlanned": {"currencyCode": "EUR", "centAmount": 1200},
            "paymentMethodInfo": {"paymentInterface": "stripe", "method": "card"},
            "transaction": {"type": "Authorization", "amount": {"currencyCode": "EUR", "centAmount": 1200},
                            "state": "Success", "interactionId": "pi_1"}
        }))
        .unwrap();
        let payment = draft.into_payment_draft(&Identity::Anonymous("session-1".into()));
        assert_eq!(payment.anonymous_id.as_deref(), Some("session-1"));
        assert!(payment.customer.is_none() && payment.key.is_none());
        let transactions = payment.transactions.unwrap();
        assert_eq!(transactions.len(), 1);
        assert_eq!(transactions[0].kind, TransactionType::Authorization);
        assert_eq!(transactions[0].state, None, "a shopper cannot say how a transaction went");
        assert_eq!(transactions[0].interaction_id.as_deref(), Some("pi_1"));
    }

    #[test]
    fn a_customer_owns_the_payment_by_reference() {
        let draft = draft(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 1}})).unwrap();
        let payment = draft.into_payment_draft(&Identity::Customer("c-1".into()));
        assert_eq!(payment.customer.map(|c| c.target), Some(IdOrKey::Id("c-1".into())));
        assert!(payment.anonymous_id.is_none());
    }

    #[test]
    fn shoppers_ask_only_for_authorizations_and_charges() {
        for kind in ["Refund", "CancelAuthorization", "Chargeback"] {
            let refused = draft(json!({
                "amountPlanned": {"currencyCode": "EUR", "centAmount": 1},
                "transaction": {"type": kind, "amount": {"currencyCode": "EUR", "centAmount": 1}}
            }));
            assert!(refused.is_err(), "{kind}");
        }
    }

    #[test]
    fn actions_outside_my_payments_are_unknown() {
        let parse = |value: Value| serde_json::from_value::<MyPaymentUpdateAction>(value);
        assert!(parse(json!({"action": "setKey", "key": "k"})).is_err());
        assert!(parse(json!({"action": "changeTransactionState", "transactionId": "t", "state": "Success"}))
            .is_err());
        let action = parse(json!({"action": "setMethodInfoMethod", "method": "card"})).unwrap();
        assert!(matches!(
            PaymentUpdateAction::from(action),
            PaymentUpdateAction::SetMethodInfoMethod { method: Some(m) } if m == "card"
        ));
    }

    #[test]
    fn the_shopper_sees_the_documented_fields_only() {
        let shown = shopper_view(json!({
            "id": "p", "version": 2, "key": "k", "interfaceId": "i", "paymentStatus": {},
            "createdBy": {"clientId": "c"}, "anonymousId": "a", "transactions": [],
            "amountPlanned": {}, "paymentMethodInfo": {}, "interfaceInteractions": []
        }));
        let mut names: Vec<&String> = shown.as_object().unwrap().keys().collect();
        names.sort();
        assert_eq!(
            names,
            ["amountPlanned", "anonymousId", "id", "paymentMethodInfo", "transactions", "version"]
        );
    }
}
