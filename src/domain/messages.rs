//! The Messages commercetools defines for Payment changes, as payloads. The service adds the
//! envelope (id, sequenceNumber, resource, resourceVersion, timestamps) when it stores them.

use super::common::{CustomFields, LocalizedString, Reference};
use super::payment::{Payment, PaymentMethodToken, Transaction, TransactionState};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum PaymentMessage {
    PaymentCreated {
        payment: Box<Payment>,
    },
    PaymentTransactionAdded {
        transaction: Transaction,
    },
    PaymentTransactionStateChanged {
        transaction_id: String,
        state: TransactionState,
    },
    PaymentTransactionInterfaceIdSet {
        transaction_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        new_interface_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_interface_id: Option<String>,
    },
    PaymentInteractionAdded {
        interaction: CustomFields,
    },
    PaymentStatusStateTransition {
        state: Reference,
        force: bool,
    },
    PaymentStatusInterfaceCodeSet {
        payment_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        interface_code: Option<String>,
    },
    PaymentInterfaceIdSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        interface_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_interface_id: Option<String>,
    },
    PaymentMethodInfoInterfaceSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        interface: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_interface: Option<String>,
    },
    PaymentMethodInfoMethodSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_method: Option<String>,
    },
    PaymentMethodInfoNameSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<LocalizedString>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_name: Option<LocalizedString>,
    },
    /// Token values are masked in Messages.
    PaymentMethodInfoTokenSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        token: Option<PaymentMethodToken>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_token: Option<PaymentMethodToken>,
    },
    PaymentMethodInfoInterfaceAccountSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        interface_account: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_interface_account: Option<String>,
    },
    PaymentMethodInfoCustomTypeSet {
        custom_fields: CustomFields,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_type_id: Option<String>,
    },
    PaymentMethodInfoCustomTypeRemoved {
        #[serde(skip_serializing_if = "Option::is_none")]
        old_type_id: Option<String>,
    },
    PaymentMethodInfoCustomFieldAdded {
        name: String,
        value: Value,
    },
    /// commercetools' payload has no previous value (unlike CustomerCustomFieldChanged's).
    PaymentMethodInfoCustomFieldChanged {
        name: String,
        value: Value,
    },
    PaymentMethodInfoCustomFieldRemoved {
        name: String,
    },
}

/// A Message payload: its fields, and its `type` discriminator.
pub trait MessagePayload: Serialize {
    fn type_name(&self) -> &'static str;
}

/// The payload type of a resource commercetools writes no Messages for (Types, States).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum NoMessage {}

impl MessagePayload for NoMessage {
    fn type_name(&self) -> &'static str {
        match *self {}
    }
}

impl MessagePayload for PaymentMessage {
    fn type_name(&self) -> &'static str {
        match self {
            Self::PaymentCreated { .. } => "PaymentCreated",
            Self::PaymentTransactionAdded { .. } => "PaymentTransactionAdded",
            Self::PaymentTransactionStateChanged { .. } => "PaymentTransactionStateChanged",
            Self::PaymentTransactionInterfaceIdSet { .. } => "PaymentTransactionInterfaceIdSet",
            Self::PaymentInteractionAdded { .. } => "PaymentInteractionAdded",
            Self::PaymentStatusStateTransition { .. } => "PaymentStatusStateTransition",
            Self::PaymentStatusInterfaceCodeSet { .. } => "PaymentStatusInterfaceCodeSet",
            Self::PaymentInterfaceIdSet { .. } => "PaymentInterfaceIdSet",
            Self::PaymentMethodInfoInterfaceSet { .. } => "PaymentMethodInfoInterfaceSet",
            Self::PaymentMethodInfoMethodSet { .. } => "PaymentMethodInfoMethodSet",
            Self::PaymentMethodInfoNameSet { .. } => "PaymentMethodInfoNameSet",
            Self::PaymentMethodInfoTokenSet { .. } => "PaymentMethodInfoTokenSet",
            Self::PaymentMethodInfoInterfaceAccountSet { .. } => "PaymentMethodInfoInterfaceAccountSet",
            Self::PaymentMethodInfoCustomTypeSet { .. } => "PaymentMethodInfoCustomTypeSet",
            Self::PaymentMethodInfoCustomTypeRemoved { .. } => "PaymentMethodInfoCustomTypeRemoved",
            Self::PaymentMethodInfoCustomFieldAdded { .. } => "PaymentMethodInfoCustomFieldAdded",
            Self::PaymentMethodInfoCustomFieldChanged { .. } => "PaymentMethodInfoCustomFieldChanged",
            Self::PaymentMethodInfoCustomFieldRemoved { .. } => "PaymentMethodInfoCustomFieldRemoved",
        }
    }
}
