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
    pub interface_id: Option<String>,
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
            interface_id: draft.interface_id,
            state: None,
            custom: draft.custom,
        }
    }
}

impl MyPaymentDraft {
    /// The shopper's payment draft. `paymentMethodInfo.interfaceAccount` is refused: here it
    /// names the Stripe account the money goes to, which is the merchant's to choose.
    pub fn into_payment_draft(self, shopper: &Identity) -> Result<PaymentDraft, DomainError> {
        if self.payment_method_info.as_ref().is_some_and(|info| info.interface_account.is_some()) {
            return Err(merchants_account());
        }
        let (customer, anonymous_id) = match shopper {
            Identity::Customer(id) => (Some(CustomerIdentifier::new(IdOrKey::Id(id.clone()))), None),
            Identity::Anonymous(id) => (None, Some(id.clone())),
        };
        Ok(PaymentDraft {
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
        })
    }
}

fn merchants_account() -> DomainError {
    DomainError::InvalidInput(
        "paymentMethodInfo.interfaceAccount names the account that is paid; only the merchant's systems set it (at /payments).".into(),
    )
}

/// Whether the payment is this shopper's: a customer's by its `customer`, an anonymous
/// session's by its `anonymousId` while no customer has it (a payment the merchant gives to a
/// customer is no longer the session's, which would otherwise see the customer).
pub fn owns(shopper: &Identity, payment: &Payment) -> bool {
    match shopper {
        Identity::Customer(id) => payment.customer.as_ref().is_some_and(|customer| &customer.id == id),
        Identity::Anonymous(id) => payment.anonymous_id.as_ref() == Some(id) && payment.customer.is_none(),
    }
}

/// [`owns`] as a query predicate with the input variable `shopper`, and that variable's value.
pub fn ownership_predicate(shopper: &Identity) -> (&'static str, &str) {
    match shopper {
        Identity::Customer(id) => ("customer(id = :shopper)", id),
        Identity::Anonymous(id) => ("anonymousId = :shopper and customer is not defined", id),
    }
}

/// The references a shopper may expand: their own customer, and the Types of custom fields.
/// Reference values inside custom fields are the shopper's to write, so expanding them could
/// show any resource of the project.
pub fn expandable(path: &str) -> bool {
    ["customer", "custom.type", "paymentMethodInfo.custom.type", "transactions[*].custom.type"]
        .contains(&path)
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
            My::SetMethodInfoCustomType { type_identifier, fields } => {
                Self::SetMethodInfoCustomType { type_identifier, fields }
            }
            My::SetMethodInfoCustomField { name, value } => Self::SetMethodInfoCustomField { name, value },
        }
    }
}

/// What a shopper does to a payment they have.
#[derive(Debug, Clone, Copy)]
pub enum Change {
    Update,
    Delete,
}

/// A shopper may change or delete their payment only while it has no transactions: once one
/// is added, the payment is on its way to the provider and only the merchant's systems act on it.
pub fn check_changeable(payment: &Payment, change: Change) -> Result<(), DomainError> {
    if payment.transactions.is_empty() {
        return Ok(());
    }
    let done = match change {
        Change::Update => "updated",
        Change::Delete => "deleted",
    };
    Err(DomainError::InvalidOperation(format!(
        "A Payment with Transactions cannot be {done} through the My Payments API."
    )))
}

/// The document a shopper is shown: the payment's visible fields only, and of `customer` and
/// `anonymousId` one (a customer's payment is theirs, whatever session started it).
pub fn shopper_view(document: Value) -> Value {
    match document {
        Value::Object(mut fields) => {
            let has_customer = fields.contains_key("customer");
            fields.retain(|name, _| {
                VISIBLE_FIELDS.contains(&name.as_str()) && !(has_customer && name == "anonymousId")
            });
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
        let payment = draft.into_payment_draft(&Identity::Anonymous("session-1".into())).unwrap();
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
        let payment = draft.into_payment_draft(&Identity::Customer("c-1".into())).unwrap();
        assert_eq!(payment.customer.map(|c| c.target), Some(IdOrKey::Id("c-1".into())));
        assert!(payment.anonymous_id.is_none());
    }

    #[test]
    fn the_account_that_is_paid_is_not_the_shoppers_to_name() {
        let draft = draft(json!({
            "amountPlanned": {"currencyCode": "EUR", "centAmount": 1},
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "interfaceAccount": "acct_1"}
        }))
        .unwrap();
        let refused = draft.into_payment_draft(&Identity::Anonymous("s".into()));
        assert!(matches!(refused, Err(DomainError::InvalidInput(_))));
        let action = json!({"action": "setMethodInfoInterfaceAccount", "interfaceAccount": "acct_1"});
        assert!(serde_json::from_value::<MyPaymentUpdateAction>(action).is_err());
    }

    #[test]
    fn ownership_and_its_predicate_name_the_same_field() {
        let payment = |value: Value| -> Payment {
            let mut document = json!({
                "id": "p", "version": 1, "amountPlanned": {"type": "centPrecision", "currencyCode": "EUR",
                "centAmount": 1, "fractionDigits": 2}, "paymentMethodInfo": {}, "paymentStatus": {},
                "transactions": [], "interfaceInteractions": [],
                "createdAt": "2026-01-01T00:00:00.000Z", "lastModifiedAt": "2026-01-01T00:00:00.000Z"
            });
            document.as_object_mut().unwrap().extend(value.as_object().unwrap().clone());
            serde_json::from_value(document).unwrap()
        };
        let anonymous = Identity::Anonymous("s-1".into());
        let customer = Identity::Customer("c-1".into());
        assert!(owns(&anonymous, &payment(json!({"anonymousId": "s-1"}))));
        assert!(!owns(&anonymous, &payment(json!({"anonymousId": "s-2"}))));
        assert!(owns(&customer, &payment(json!({"customer": {"typeId": "customer", "id": "c-1"}}))));
        assert!(!owns(&customer, &payment(json!({"anonymousId": "c-1"}))));
        let given_away =
            payment(json!({"anonymousId": "s-1", "customer": {"typeId": "customer", "id": "c-2"}}));
        assert!(!owns(&anonymous, &given_away), "a customer's payment is not a session's");
        assert_eq!(
            ownership_predicate(&anonymous),
            ("anonymousId = :shopper and customer is not defined", "s-1")
        );
        assert_eq!(ownership_predicate(&customer), ("customer(id = :shopper)", "c-1"));
    }

    #[test]
    fn shoppers_expand_their_customer_and_types_only() {
        assert!(expandable("customer") && expandable("transactions[*].custom.type"));
        assert!(!expandable("custom.fields.buyer") && !expandable("paymentStatus.state"));
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
        let customers = shopper_view(
            json!({"id": "p", "customer": {"typeId": "customer", "id": "c"}, "anonymousId": "a"}),
        );
        assert!(customers.get("anonymousId").is_none());
    }
}
