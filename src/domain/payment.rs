//! The Payment aggregate as commercetools represents it, and its creation from a PaymentDraft.

use super::common::{
    ClientLogging, CustomFields, CustomFieldsDraft, CustomerIdentifier, IdOrKey, LocalizedString, Reference,
    ReferenceTypeId, ResourceKey, StateIdentifier, Timestamp,
};
use super::context::{ChangeContext, CustomizedResource, References};
use super::errors::DomainError;
use super::messages::PaymentMessage;
use super::money::Money;
use crate::domain::states::StateType;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub id: String,
    pub version: i64,
    /// The `sequenceNumber` of the payment's latest Message; the service numbers Messages.
    #[serde(default, skip_serializing_if = "super::common::no_message_yet")]
    pub last_message_sequence_number: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<ResourceKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// Deprecated by commercetools, still accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_id: Option<String>,
    /// CentPrecisionMoney, as commercetools answers (a high-precision draft is rounded).
    pub amount_planned: Money,
    /// Deprecated by commercetools, still accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_authorized: Option<Money>,
    /// Deprecated by commercetools, still accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized_until: Option<Timestamp>,
    /// Deprecated by commercetools, still accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_paid: Option<Money>,
    /// Deprecated by commercetools, still accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_refunded: Option<Money>,
    pub payment_method_info: PaymentMethodInfo,
    pub payment_status: PaymentStatus,
    pub transactions: Vec<Transaction>,
    pub interface_interactions: Vec<CustomFields>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
    pub created_at: Timestamp,
    pub last_modified_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<ClientLogging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<ClientLogging>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_interface: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<LocalizedString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<PaymentMethodToken>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMethodToken {
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Reference>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    #[serde(rename = "type")]
    pub kind: TransactionType,
    /// CentPrecisionMoney, as commercetools answers (a high-precision draft is rounded).
    pub amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_id: Option<String>,
    pub state: TransactionState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransactionType {
    Authorization,
    CancelAuthorization,
    Charge,
    Refund,
    Chargeback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransactionState {
    Initial,
    Pending,
    Success,
    Failure,
}

impl TransactionState {
    /// Not settled yet: still to be sent, or waiting for its outcome.
    pub fn is_unsettled(self) -> bool {
        matches!(self, Self::Initial | Self::Pending)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDraft {
    pub key: Option<ResourceKey>,
    pub customer: Option<CustomerIdentifier>,
    pub anonymous_id: Option<String>,
    pub external_id: Option<String>,
    pub interface_id: Option<String>,
    pub amount_planned: Money,
    pub amount_authorized: Option<Money>,
    pub authorized_until: Option<Timestamp>,
    pub amount_paid: Option<Money>,
    pub amount_refunded: Option<Money>,
    pub payment_method_info: Option<PaymentMethodInfoDraft>,
    pub payment_status: Option<PaymentStatusDraft>,
    pub transactions: Option<Vec<TransactionDraft>>,
    pub interface_interactions: Option<Vec<CustomFieldsDraft>>,
    pub custom: Option<CustomFieldsDraft>,
}

impl PaymentDraft {
    /// The resources this draft names, for the service to load before creating the payment.
    pub fn identifiers(&self) -> Vec<(ReferenceTypeId, IdOrKey)> {
        let mut identifiers = Vec::new();
        identifiers.extend(self.customer.iter().map(CustomerIdentifier::named));
        identifiers.extend(self.payment_status.iter().flat_map(|s| &s.state).map(StateIdentifier::named));
        let customs = self
            .custom
            .iter()
            .chain(self.payment_method_info.iter().flat_map(|m| &m.custom))
            .chain(self.transactions.iter().flatten().flat_map(|t| &t.custom))
            .chain(self.interface_interactions.iter().flatten());
        identifiers.extend(customs.map(|c| c.type_identifier.named()));
        identifiers
    }

    /// Whether the draft uses a field commercetools has deprecated.
    pub fn uses_deprecated_fields(&self) -> bool {
        self.external_id.is_some()
            || self.amount_authorized.is_some()
            || self.authorized_until.is_some()
            || self.amount_paid.is_some()
            || self.amount_refunded.is_some()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodInfoDraft {
    pub payment_interface: Option<String>,
    pub method: Option<String>,
    pub name: Option<LocalizedString>,
    pub token: Option<PaymentMethodToken>,
    pub interface_account: Option<String>,
    pub custom: Option<CustomFieldsDraft>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStatusDraft {
    pub interface_code: Option<String>,
    pub interface_text: Option<String>,
    pub state: Option<StateIdentifier>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionDraft {
    pub timestamp: Option<Timestamp>,
    #[serde(rename = "type")]
    pub kind: TransactionType,
    pub amount: Money,
    pub interaction_id: Option<String>,
    pub interface_id: Option<String>,
    pub state: Option<TransactionState>,
    pub custom: Option<CustomFieldsDraft>,
}

impl Payment {
    /// Builds version 1 of a Payment from a draft, with the `PaymentCreated` message.
    pub fn create(
        draft: PaymentDraft,
        ctx: &mut ChangeContext,
    ) -> Result<(Payment, PaymentMessage), DomainError> {
        let customer =
            draft.customer.as_ref().map(|customer| customer.resolve(ctx.references)).transpose()?;
        let method_info = draft.payment_method_info.unwrap_or_default();
        let status = draft.payment_status.unwrap_or_default();
        let mut transactions = Vec::new();
        for transaction in draft.transactions.unwrap_or_default() {
            transactions.push(new_transaction(transaction, ctx)?);
        }
        check_transaction_interface_ids_unique(&transactions)?;
        let mut interface_interactions = Vec::new();
        for interaction in draft.interface_interactions.unwrap_or_default() {
            interface_interactions.push(custom_fields(
                &interaction,
                CustomizedResource::InterfaceInteraction,
                ctx.references,
            )?);
        }
        let payment = Payment {
            id: (ctx.new_id)(),
            version: 1,
            // PaymentCreated, which embeds the payment, is its first Message.
            last_message_sequence_number: 1,
            key: draft.key,
            customer,
            anonymous_id: draft.anonymous_id,
            external_id: draft.external_id,
            interface_id: draft.interface_id,
            amount_planned: draft.amount_planned.in_cents(),
            amount_authorized: draft.amount_authorized,
            authorized_until: draft.authorized_until,
            amount_paid: draft.amount_paid,
            amount_refunded: draft.amount_refunded,
            payment_method_info: PaymentMethodInfo {
                payment_interface: method_info.payment_interface,
                method: method_info.method,
                name: method_info.name,
                token: method_info.token,
                interface_account: method_info.interface_account,
                custom: optional_custom_fields(
                    method_info.custom.as_ref(),
                    CustomizedResource::PaymentMethodInfo,
                    ctx.references,
                )?,
            },
            payment_status: PaymentStatus {
                interface_code: status.interface_code,
                interface_text: status.interface_text,
                state: match &status.state {
                    Some(state) => {
                        let state = state.resolve(ctx.references)?;
                        ctx.references.check_state_type(&state, StateType::PaymentState)?;
                        Some(state)
                    }
                    None => None,
                },
            },
            transactions,
            interface_interactions,
            custom: optional_custom_fields(
                draft.custom.as_ref(),
                CustomizedResource::Payment,
                ctx.references,
            )?,
            created_at: ctx.now,
            last_modified_at: ctx.now,
            created_by: ctx.actor.clone(),
            last_modified_by: ctx.actor.clone(),
        };
        let message = PaymentMessage::PaymentCreated { payment: Box::new(payment.masked()) };
        Ok((payment, message))
    }

    /// Every resource this payment references: its customer, state and custom Types.
    /// Drops custom field values whose definitions were removed from their Types, everywhere
    /// the payment carries custom fields.
    pub fn prune_removed_custom_fields(&mut self, references: &dyn References) {
        let customs = self
            .custom
            .iter_mut()
            .chain(&mut self.payment_method_info.custom)
            .chain(self.transactions.iter_mut().flat_map(|t| &mut t.custom))
            .chain(&mut self.interface_interactions);
        for custom in customs {
            references.prune_custom_fields(custom);
        }
    }

    pub fn referenced(&self) -> Vec<(ReferenceTypeId, String)> {
        let mut referenced = Vec::new();
        referenced.extend(self.customer.iter().map(|c| (ReferenceTypeId::Customer, c.id.clone())));
        referenced.extend(self.payment_status.state.iter().map(|s| (ReferenceTypeId::State, s.id.clone())));
        let customs = self
            .custom
            .iter()
            .chain(&self.payment_method_info.custom)
            .chain(self.transactions.iter().flat_map(|t| &t.custom))
            .chain(&self.interface_interactions);
        referenced.extend(customs.map(|c| (ReferenceTypeId::Type, c.type_ref.id.clone())));
        referenced.sort_by(|a, b| a.1.cmp(&b.1));
        referenced.dedup();
        referenced
    }

    /// The values the database indexes (lookups and uniqueness) are short enough to index.
    pub fn check_indexed_values(&self) -> Result<(), DomainError> {
        use super::errors::check_indexed;
        check_indexed("interfaceId", self.interface_id.as_deref())?;
        check_indexed(
            "paymentMethodInfo.paymentInterface",
            self.payment_method_info.payment_interface.as_deref(),
        )?;
        for transaction in &self.transactions {
            check_indexed("transactions.interactionId", transaction.interaction_id.as_deref())?;
        }
        Ok(())
    }

    pub fn transaction(&self, transaction_id: &str) -> Result<&Transaction, DomainError> {
        self.transactions
            .iter()
            .find(|t| t.id == transaction_id)
            .ok_or_else(|| unknown_transaction(transaction_id))
    }

    pub fn transaction_mut(&mut self, transaction_id: &str) -> Result<&mut Transaction, DomainError> {
        self.transactions
            .iter_mut()
            .find(|t| t.id == transaction_id)
            .ok_or_else(|| unknown_transaction(transaction_id))
    }

    /// The copy of the Payment that Messages carry: the method token's value is masked.
    pub fn masked(&self) -> Payment {
        let mut copy = self.clone();
        copy.payment_method_info.token =
            copy.payment_method_info.token.as_ref().map(PaymentMethodToken::masked);
        copy
    }
}

impl PaymentMethodToken {
    pub fn masked(&self) -> PaymentMethodToken {
        PaymentMethodToken { value: "***".into() }
    }
}

fn unknown_transaction(transaction_id: &str) -> DomainError {
    DomainError::InvalidOperation(format!("The transaction with id '{transaction_id}' does not exist."))
}

/// Builds a Transaction from its draft; `state` defaults to `Initial`.
pub fn new_transaction(draft: TransactionDraft, ctx: &mut ChangeContext) -> Result<Transaction, DomainError> {
    Ok(Transaction {
        id: (ctx.new_id)(),
        timestamp: draft.timestamp,
        kind: draft.kind,
        amount: draft.amount.in_cents(),
        interaction_id: draft.interaction_id,
        interface_id: draft.interface_id,
        state: draft.state.unwrap_or(TransactionState::Initial),
        custom: optional_custom_fields(
            draft.custom.as_ref(),
            CustomizedResource::Transaction,
            ctx.references,
        )?,
    })
}

/// Transaction `interfaceId`s identify transactions at the PSP, so they are unique within a Payment.
pub fn check_transaction_interface_ids_unique(transactions: &[Transaction]) -> Result<(), DomainError> {
    let mut seen = std::collections::HashSet::new();
    for interface_id in transactions.iter().filter_map(|t| t.interface_id.as_deref()) {
        if !seen.insert(interface_id) {
            return Err(DomainError::DuplicateField {
                field: "transactions.interfaceId".into(),
                duplicate_value: interface_id.into(),
            });
        }
    }
    Ok(())
}

/// Resolves a CustomFieldsDraft into stored CustomFields, checked against its Type.
pub fn custom_fields(
    draft: &CustomFieldsDraft,
    resource: CustomizedResource,
    references: &dyn References,
) -> Result<CustomFields, DomainError> {
    let mut custom = CustomFields {
        type_ref: draft.type_identifier.resolve(references)?,
        fields: draft.fields.clone().unwrap_or_default(),
    };
    references.check_custom_fields(resource, &mut custom)?;
    Ok(custom)
}

pub fn optional_custom_fields(
    draft: Option<&CustomFieldsDraft>,
    resource: CustomizedResource,
    references: &dyn References,
) -> Result<Option<CustomFields>, DomainError> {
    draft.map(|draft| custom_fields(draft, resource, references)).transpose()
}
