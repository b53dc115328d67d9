//! The Messages commercetools defines for Customer changes, as payloads (the envelope is the
//! service's, as for Payments). Actions without a Message type of commercetools' (setKey,
//! setLocale, setVatId, setSalutation, setMiddleName, setCustomerNumber,
//! setAuthenticationMode) write none.

use super::addresses::{Address, Role};
use super::common::CustomFields;
use super::customers::Customer;
use super::messages::MessagePayload;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum CustomerMessage {
    CustomerCreated {
        customer: Box<Customer>,
    },
    CustomerDeleted {
        email: String,
    },
    CustomerEmailChanged {
        email: String,
        old_email: String,
    },
    CustomerFirstNameSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        first_name: Option<String>,
    },
    CustomerLastNameSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        last_name: Option<String>,
    },
    CustomerTitleSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    CustomerDateOfBirthSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        date_of_birth: Option<NaiveDate>,
    },
    CustomerCompanyNameSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        company_name: Option<String>,
    },
    CustomerExternalIdSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
    },
    /// The password changed (`reset`: by a reset token, which this service does not serve).
    CustomerPasswordUpdated {
        reset: bool,
    },
    CustomerAddressAdded {
        address: Address,
    },
    CustomerAddressChanged {
        address: Address,
        address_roles: Vec<Role>,
    },
    CustomerAddressRemoved {
        address: Address,
        address_roles: Vec<Role>,
    },
    CustomerDefaultShippingAddressSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<Address>,
    },
    CustomerDefaultBillingAddressSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<Address>,
    },
    CustomerShippingAddressAdded {
        address: Address,
    },
    CustomerShippingAddressRemoved {
        address: Address,
    },
    CustomerBillingAddressAdded {
        address: Address,
    },
    CustomerBillingAddressRemoved {
        address: Address,
    },
    CustomerCustomTypeSet {
        custom_fields: CustomFields,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_type_id: Option<String>,
    },
    CustomerCustomTypeRemoved {
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_type_id: Option<String>,
    },
    CustomerCustomFieldAdded {
        name: String,
        value: Value,
    },
    CustomerCustomFieldChanged {
        name: String,
        value: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_value: Option<Value>,
    },
    CustomerCustomFieldRemoved {
        name: String,
    },
}

impl MessagePayload for CustomerMessage {
    fn type_name(&self) -> &'static str {
        match self {
            Self::CustomerCreated { .. } => "CustomerCreated",
            Self::CustomerDeleted { .. } => "CustomerDeleted",
            Self::CustomerEmailChanged { .. } => "CustomerEmailChanged",
            Self::CustomerFirstNameSet { .. } => "CustomerFirstNameSet",
            Self::CustomerLastNameSet { .. } => "CustomerLastNameSet",
            Self::CustomerTitleSet { .. } => "CustomerTitleSet",
            Self::CustomerDateOfBirthSet { .. } => "CustomerDateOfBirthSet",
            Self::CustomerCompanyNameSet { .. } => "CustomerCompanyNameSet",
            Self::CustomerExternalIdSet { .. } => "CustomerExternalIdSet",
            Self::CustomerPasswordUpdated { .. } => "CustomerPasswordUpdated",
            Self::CustomerAddressAdded { .. } => "CustomerAddressAdded",
            Self::CustomerAddressChanged { .. } => "CustomerAddressChanged",
            Self::CustomerAddressRemoved { .. } => "CustomerAddressRemoved",
            Self::CustomerDefaultShippingAddressSet { .. } => "CustomerDefaultShippingAddressSet",
            Self::CustomerDefaultBillingAddressSet { .. } => "CustomerDefaultBillingAddressSet",
            Self::CustomerShippingAddressAdded { .. } => "CustomerShippingAddressAdded",
            Self::CustomerShippingAddressRemoved { .. } => "CustomerShippingAddressRemoved",
            Self::CustomerBillingAddressAdded { .. } => "CustomerBillingAddressAdded",
            Self::CustomerBillingAddressRemoved { .. } => "CustomerBillingAddressRemoved",
            Self::CustomerCustomTypeSet { .. } => "CustomerCustomTypeSet",
            Self::CustomerCustomTypeRemoved { .. } => "CustomerCustomTypeRemoved",
            Self::CustomerCustomFieldAdded { .. } => "CustomerCustomFieldAdded",
            Self::CustomerCustomFieldChanged { .. } => "CustomerCustomFieldChanged",
            Self::CustomerCustomFieldRemoved { .. } => "CustomerCustomFieldRemoved",
        }
    }
}
