//! The Customer: who a payment is for, found by email, with the names, numbers and addresses
//! commercetools keeps. Its password is not part of it: the service keeps only a hash, apart
//! (see `service::resources`), for the password flow.

use super::actions::custom::{set_custom_field, set_custom_type, FieldChange};
use super::addresses::{Address, AddressBook, AddressTarget, Role};
use super::common::{
    ClientLogging, CustomFields, CustomFieldsDraft, FieldContainer, IdOrKey, ReferenceTypeId, ResourceKey,
    Timestamp, TypeIdentifier,
};
use super::context::{CustomizedResource, References};
use super::customer_messages::CustomerMessage;
use super::errors::DomainError;
use super::payment::optional_custom_fields;
use super::versioning::Versioned;
use crate::domain::update_actions::update_actions;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    pub version: i64,
    /// The `sequenceNumber` of the customer's latest Message; the service numbers Messages.
    #[serde(default, skip_serializing_if = "super::common::no_message_yet")]
    pub last_message_sequence_number: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<ResourceKey>,
    /// Unique per project; once set, it cannot be changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub email: Email,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salutation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(flatten)]
    pub address_book: AddressBook,
    pub is_email_verified: bool,
    pub authentication_mode: AuthenticationMode,
    pub stores: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
    /// Always empty (no Customer Groups here); present because SDKs type it as required.
    #[serde(default)]
    pub customer_group_assignments: Vec<Value>,
    pub created_at: Timestamp,
    pub last_modified_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<ClientLogging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<ClientLogging>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthenticationMode {
    Password,
    ExternalAuth,
}

/// An email address (validated with the `validator` crate). Uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        if validator::ValidateEmail::validate_email(&text) {
            Ok(Self(text))
        } else {
            Err(format!("Invalid email address '{text}'."))
        }
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is checked in.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A password as a request carries it, never printed: its `Debug` is redacted, so that no
/// stray log line shows one.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no (or an empty) password was given.
    fn missing(password: &Option<Password>) -> bool {
        password.as_ref().is_none_or(|password| password.0.is_empty())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The body of `POST /customers/password`: the customer's current password and a new one.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerChangePassword {
    pub id: String,
    pub version: i64,
    pub current_password: Password,
    pub new_password: Password,
}

/// A CustomerSignin: the email and password of `POST /login`. The anonymous cart fields
/// commercetools also takes have nothing to act on here (there are no carts).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSignin {
    pub email: String,
    pub password: Password,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDraft {
    pub email: Email,
    /// Required in the Password mode. Kept only as a hash, apart from the document, for the
    /// password flow (see [`CustomerDraft::password_to_keep`]).
    pub password: Option<Password>,
    pub key: Option<ResourceKey>,
    pub customer_number: Option<String>,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub title: Option<String>,
    pub salutation: Option<String>,
    #[serde(default, deserialize_with = "super::common::optional_date")]
    pub date_of_birth: Option<NaiveDate>,
    pub company_name: Option<String>,
    pub vat_id: Option<String>,
    pub locale: Option<String>,
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// Indices into `addresses`.
    pub default_shipping_address: Option<usize>,
    pub default_billing_address: Option<usize>,
    #[serde(default)]
    pub shipping_addresses: Vec<usize>,
    #[serde(default)]
    pub billing_addresses: Vec<usize>,
    #[serde(default)]
    pub is_email_verified: bool,
    pub authentication_mode: Option<AuthenticationMode>,
    pub custom: Option<CustomFieldsDraft>,
    /// What this service does not keep; refused when given, rather than dropped.
    pub customer_group: Option<Value>,
    pub customer_group_assignments: Option<Vec<Value>>,
    pub stores: Option<Vec<Value>>,
    pub anonymous_cart: Option<Value>,
    pub anonymous_cart_id: Option<Value>,
}

impl CustomerDraft {
    fn check_supported(&self) -> Result<(), DomainError> {
        let unsupported = [
            ("customerGroup", self.customer_group.as_ref().is_some_and(|v| !v.is_null())),
            (
                "customerGroupAssignments",
                self.customer_group_assignments.as_ref().is_some_and(|v| !v.is_empty()),
            ),
            ("stores", self.stores.as_ref().is_some_and(|v| !v.is_empty())),
            // There are no carts here to assign.
            ("anonymousCart", self.anonymous_cart.as_ref().is_some_and(|v| !v.is_null())),
            ("anonymousCartId", self.anonymous_cart_id.as_ref().is_some_and(|v| !v.is_null())),
        ];
        match unsupported.iter().find(|(_, given)| *given) {
            Some((field, _)) => Err(self::unsupported(field)),
            None => self.addresses.iter().try_for_each(Address::check_supported),
        }
    }
}

impl Customer {
    /// A password change, which commercetools counts as a change of the customer: its version
    /// rises and CustomerPasswordUpdated tells of it. (The password itself is kept apart.)
    pub fn password_changed(
        &mut self,
        new_password: &Password,
        now: Timestamp,
        actor: Option<ClientLogging>,
    ) -> Result<(i64, CustomerMessage), DomainError> {
        if self.authentication_mode != AuthenticationMode::Password {
            return Err(DomainError::InvalidOperation(
                "The customer uses the ExternalAuth authentication mode and has no password here.".into(),
            ));
        }
        if Password::missing(&Some(new_password.clone())) {
            return Err(DomainError::InvalidJsonInput {
                detail: "newPassword: Missing required value".into(),
            });
        }
        let version = self.version + 1;
        self.set_version(version);
        self.touch(now, actor);
        Ok((version, CustomerMessage::CustomerPasswordUpdated { reset: false }))
    }

    pub fn create(
        id: String,
        draft: CustomerDraft,
        now: Timestamp,
        actor: Option<ClientLogging>,
        references: &dyn References,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Customer, DomainError> {
        draft.check_supported()?;
        let locale = checked_locale(draft.locale)?;
        let authentication_mode = draft.authentication_mode.unwrap_or(AuthenticationMode::Password);
        if authentication_mode == AuthenticationMode::Password && Password::missing(&draft.password) {
            return Err(DomainError::InvalidJsonInput { detail: "password: Missing required value".into() });
        }
        let mut customer = Customer {
            id,
            version: 1,
            // CustomerCreated, which embeds the customer, is its first Message.
            last_message_sequence_number: 1,
            key: draft.key,
            customer_number: non_empty(draft.customer_number),
            external_id: non_empty(draft.external_id),
            email: draft.email,
            first_name: non_empty(draft.first_name),
            last_name: non_empty(draft.last_name),
            middle_name: non_empty(draft.middle_name),
            title: non_empty(draft.title),
            salutation: non_empty(draft.salutation),
            date_of_birth: draft.date_of_birth,
            company_name: non_empty(draft.company_name),
            vat_id: non_empty(draft.vat_id),
            locale,
            address_book: AddressBook::default(),
            is_email_verified: draft.is_email_verified,
            authentication_mode,
            stores: vec![],
            custom: optional_custom_fields(draft.custom.as_ref(), CustomizedResource::Customer, references)?,
            customer_group_assignments: vec![],
            created_at: now,
            last_modified_at: now,
            created_by: actor.clone(),
            last_modified_by: actor,
        };
        let book = &mut customer.address_book;
        for address in draft.addresses {
            book.add(address, new_id)?;
        }
        for index in draft.shipping_addresses {
            book.add_role_id(Role::Shipping, book.id_at("shippingAddresses", index)?);
        }
        for index in draft.billing_addresses {
            book.add_role_id(Role::Billing, book.id_at("billingAddresses", index)?);
        }
        if let Some(index) = draft.default_shipping_address {
            book.set_default_id(Role::Shipping, Some(book.id_at("defaultShippingAddress", index)?));
        }
        if let Some(index) = draft.default_billing_address {
            book.set_default_id(Role::Billing, Some(book.id_at("defaultBillingAddress", index)?));
        }
        Ok(customer)
    }
}

update_actions! {
    pub enum CustomerUpdateAction / NamedCustomerUpdateAction {
        ChangeEmail {
            email: Email,
        },
        SetFirstName {
            first_name: Option<String>,
        },
        SetLastName {
            last_name: Option<String>,
        },
        SetMiddleName {
            middle_name: Option<String>,
        },
        SetTitle {
            title: Option<String>,
        },
        SetSalutation {
            salutation: Option<String>,
        },
        SetDateOfBirth {
            #[serde(default, deserialize_with = "super::common::optional_date")]
            date_of_birth: Option<NaiveDate>,
        },
        SetCompanyName {
            company_name: Option<String>,
        },
        SetVatId {
            vat_id: Option<String>,
        },
        SetLocale {
            locale: Option<String>,
        },
        SetKey {
            key: Option<ResourceKey>,
        },
        SetExternalId {
            external_id: Option<String>,
        },
        SetCustomerNumber {
            customer_number: Option<String>,
        },
        AddAddress {
            address: Address,
        },
        ChangeAddress {
            address_id: Option<String>,
            address_key: Option<String>,
            address: Address,
        },
        RemoveAddress {
            address_id: Option<String>,
            address_key: Option<String>,
        },
        SetDefaultShippingAddress {
            address_id: Option<String>,
            address_key: Option<String>,
        },
        SetDefaultBillingAddress {
            address_id: Option<String>,
            address_key: Option<String>,
        },
        AddShippingAddressId {
            address_id: Option<String>,
            address_key: Option<String>,
        },
        RemoveShippingAddressId {
            address_id: Option<String>,
            address_key: Option<String>,
        },
        AddBillingAddressId {
            address_id: Option<String>,
            address_key: Option<String>,
        },
        RemoveBillingAddressId {
            address_id: Option<String>,
            address_key: Option<String>,
        },
        SetAuthenticationMode {
            auth_mode: AuthenticationMode,
            password: Option<Password>,
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
        // Stores, Customer Groups and custom fields on addresses do not exist here: the actions
        // that would set them are known (not an unknown action), take effect when they set
        // nothing, and are refused otherwise, as the drafts are.
        SetStores {
            stores: Option<Vec<Value>>,
        },
        AddStore {
            store: Value,
        },
        RemoveStore {
            store: Value,
        },
        SetCustomerGroup {
            customer_group: Option<Value>,
        },
        SetCustomerGroupAssignments {
            customer_group_assignments: Option<Vec<Value>>,
        },
        AddCustomerGroupAssignment {
            customer_group_assignment: Value,
        },
        RemoveCustomerGroupAssignment {
            customer_group: Value,
        },
        SetAddressCustomType {
            address_id: Option<String>,
            address_key: Option<String>,
            #[serde(rename = "type")]
            type_identifier: Option<Value>,
        },
        SetAddressCustomField {
            address_id: Option<String>,
            address_key: Option<String>,
            name: String,
        },
    }
}

impl CustomerDraft {
    /// The password the customer signs in with, in the Password mode.
    pub fn password_to_keep(&self) -> Option<&str> {
        let mode = self.authentication_mode.unwrap_or(AuthenticationMode::Password);
        self.password.as_ref().map(Password::expose).filter(|_| mode == AuthenticationMode::Password)
    }

    /// The resources the draft names, for loading before it is applied.
    pub fn identifiers(&self) -> Vec<(ReferenceTypeId, IdOrKey)> {
        self.custom.iter().map(|c| c.type_identifier.named()).collect()
    }
}

impl CustomerUpdateAction {
    /// The resources the action names, for loading before it is applied.
    pub fn identifiers(&self) -> Vec<(ReferenceTypeId, IdOrKey)> {
        match self {
            Self::SetCustomType { type_identifier: Some(identifier), .. } => {
                vec![identifier.named()]
            }
            _ => vec![],
        }
    }
}

/// Applies an action, answering the Messages commercetools writes for it (kept only if the
/// customer changed).
pub fn apply(
    customer: &mut Customer,
    action: CustomerUpdateAction,
    references: &dyn References,
    new_id: &mut dyn FnMut() -> String,
) -> Result<Vec<CustomerMessage>, DomainError> {
    use CustomerMessage as M;
    use CustomerUpdateAction as A;
    if let Some(custom) = customer.custom.as_mut() {
        references.prune_custom_fields(custom);
    }
    let book = &mut customer.address_book;
    let message = match action {
        // A new email address is not verified (as in commercetools).
        A::ChangeEmail { email } => {
            if email != customer.email {
                customer.is_email_verified = false;
            }
            let old = std::mem::replace(&mut customer.email, email);
            Some(M::CustomerEmailChanged { email: customer.email.as_str().into(), old_email: old.into() })
        }
        A::SetFirstName { first_name } => {
            customer.first_name = non_empty(first_name);
            Some(M::CustomerFirstNameSet { first_name: customer.first_name.clone() })
        }
        A::SetLastName { last_name } => {
            customer.last_name = non_empty(last_name);
            Some(M::CustomerLastNameSet { last_name: customer.last_name.clone() })
        }
        A::SetMiddleName { middle_name } => {
            customer.middle_name = non_empty(middle_name);
            None
        }
        A::SetTitle { title } => {
            customer.title = non_empty(title);
            Some(M::CustomerTitleSet { title: customer.title.clone() })
        }
        A::SetSalutation { salutation } => {
            customer.salutation = non_empty(salutation);
            None
        }
        A::SetDateOfBirth { date_of_birth } => {
            customer.date_of_birth = date_of_birth;
            Some(M::CustomerDateOfBirthSet { date_of_birth })
        }
        A::SetCompanyName { company_name } => {
            customer.company_name = non_empty(company_name);
            Some(M::CustomerCompanyNameSet { company_name: customer.company_name.clone() })
        }
        A::SetVatId { vat_id } => {
            customer.vat_id = non_empty(vat_id);
            None
        }
        A::SetLocale { locale } => {
            customer.locale = checked_locale(locale)?;
            None
        }
        A::SetKey { key } => {
            customer.key = key;
            None
        }
        A::SetExternalId { external_id } => {
            customer.external_id = non_empty(external_id);
            Some(M::CustomerExternalIdSet { external_id: customer.external_id.clone() })
        }
        A::SetCustomerNumber { customer_number } => {
            if customer.customer_number.is_some() {
                return Err(DomainError::InvalidOperation(
                    "The customer number is set already and cannot be changed.".into(),
                ));
            }
            customer.customer_number = non_empty(customer_number);
            None
        }
        A::AddAddress { address } => Some(M::CustomerAddressAdded { address: book.add(address, new_id)? }),
        A::ChangeAddress { address_id, address_key, address } => {
            let (address, address_roles) =
                book.change(&AddressTarget { address_id, address_key }, address)?;
            Some(M::CustomerAddressChanged { address, address_roles })
        }
        A::RemoveAddress { address_id, address_key } => {
            let (address, address_roles) = book.remove(&AddressTarget { address_id, address_key })?;
            Some(M::CustomerAddressRemoved { address, address_roles })
        }
        A::SetDefaultShippingAddress { address_id, address_key } => {
            Some(M::CustomerDefaultShippingAddressSet {
                address: book.set_default(Role::Shipping, &AddressTarget { address_id, address_key })?,
            })
        }
        A::SetDefaultBillingAddress { address_id, address_key } => {
            Some(M::CustomerDefaultBillingAddressSet {
                address: book.set_default(Role::Billing, &AddressTarget { address_id, address_key })?,
            })
        }
        A::AddShippingAddressId { address_id, address_key } => Some(M::CustomerShippingAddressAdded {
            address: book.add_role(Role::Shipping, &AddressTarget { address_id, address_key })?,
        }),
        A::AddBillingAddressId { address_id, address_key } => Some(M::CustomerBillingAddressAdded {
            address: book.add_role(Role::Billing, &AddressTarget { address_id, address_key })?,
        }),
        A::RemoveShippingAddressId { address_id, address_key } => Some(M::CustomerShippingAddressRemoved {
            address: book.remove_role(Role::Shipping, &AddressTarget { address_id, address_key })?,
        }),
        A::RemoveBillingAddressId { address_id, address_key } => Some(M::CustomerBillingAddressRemoved {
            address: book.remove_role(Role::Billing, &AddressTarget { address_id, address_key })?,
        }),
        A::SetAuthenticationMode { auth_mode, password } => {
            if customer.authentication_mode == auth_mode {
                return Err(DomainError::InvalidInput(format!(
                    "The customer is already using the '{auth_mode:?}' authentication mode."
                )));
            }
            if auth_mode == AuthenticationMode::Password && Password::missing(&password) {
                return Err(DomainError::InvalidInput(
                    "A password is required for the Password authentication mode.".into(),
                ));
            }
            customer.authentication_mode = auth_mode;
            None
        }
        A::SetCustomType { type_identifier, fields } => {
            let previous_type_id = customer.custom.as_ref().map(|custom| custom.type_ref.id.clone());
            set_custom_type(
                &mut customer.custom,
                type_identifier.as_ref(),
                fields,
                CustomizedResource::Customer,
                references,
            )?;
            Some(match &customer.custom {
                Some(custom_fields) => {
                    M::CustomerCustomTypeSet { custom_fields: custom_fields.clone(), previous_type_id }
                }
                None => M::CustomerCustomTypeRemoved { previous_type_id },
            })
        }
        A::SetStores { stores } if stores.as_ref().is_none_or(Vec::is_empty) => None,
        A::SetCustomerGroup { customer_group } if customer_group.as_ref().is_none_or(Value::is_null) => None,
        A::SetCustomerGroupAssignments { customer_group_assignments }
            if customer_group_assignments.as_ref().is_none_or(Vec::is_empty) =>
        {
            None
        }
        A::SetAddressCustomType { address_id, address_key, type_identifier }
            if type_identifier.as_ref().is_none_or(Value::is_null) =>
        {
            // Nothing to remove, but the address must exist.
            book.check_exists(&AddressTarget { address_id, address_key })?;
            None
        }
        A::SetStores { .. } | A::AddStore { .. } | A::RemoveStore { .. } => {
            return Err(unsupported("stores"))
        }
        A::SetCustomerGroup { .. }
        | A::SetCustomerGroupAssignments { .. }
        | A::AddCustomerGroupAssignment { .. }
        | A::RemoveCustomerGroupAssignment { .. } => return Err(unsupported("customerGroup")),
        A::SetAddressCustomType { .. } | A::SetAddressCustomField { .. } => {
            return Err(DomainError::InvalidInput(
                "Custom fields on addresses are not supported by this service.".into(),
            ))
        }
        A::SetCustomField { name, value } => {
            let change = set_custom_field(
                &mut customer.custom,
                name.clone(),
                value,
                CustomizedResource::Customer,
                references,
            )?;
            match change {
                FieldChange::Added(value) => Some(M::CustomerCustomFieldAdded { name, value }),
                FieldChange::Changed { value, old_value } => {
                    Some(M::CustomerCustomFieldChanged { name, value, previous_value: Some(old_value) })
                }
                FieldChange::Removed => Some(M::CustomerCustomFieldRemoved { name }),
                FieldChange::Unchanged => None,
            }
        }
    };
    Ok(message.into_iter().collect())
}

fn unsupported(field: &str) -> DomainError {
    DomainError::InvalidInput(format!("'{field}' on customers is not supported by this service."))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// A language tag: a language, then optionally a script and a region (`de`, `de-DE`,
/// `es-419`, `zh-Hans`, `sr-Latn-RS`); empty removes it.
fn checked_locale(locale: Option<String>) -> Result<Option<String>, DomainError> {
    let Some(locale) = non_empty(locale) else { return Ok(None) };
    let mut parts = locale.split('-').peekable();
    let language = parts.next().unwrap_or_default();
    let language_ok = (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
    let is_script = |p: &str| {
        p.len() == 4
            && p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && p.chars().skip(1).all(|c| c.is_ascii_lowercase())
    };
    if parts.peek().is_some_and(|p| is_script(p)) {
        parts.next();
    }
    let region_ok = match (parts.next(), parts.next()) {
        (None, _) => true,
        (Some(r), None) => {
            (r.len() == 2 && r.chars().all(|c| c.is_ascii_uppercase()))
                || (r.len() == 3 && r.chars().all(|c| c.is_ascii_digit()))
        }
        (Some(_), Some(_)) => false,
    };
    if language_ok && region_ok {
        Ok(Some(locale))
    } else {
        Err(DomainError::InvalidInput(format!(
            "Invalid locale '{locale}'. A locale is a language tag such as 'de' or 'de-DE'."
        )))
    }
}

/// How a request's actions change the password the customer signs in with: a new one
/// (`Some(Some)`), none any more (`Some(None)`, the ExternalAuth mode), or no change. The last
/// change of the mode wins, as the actions apply in order.
pub fn password_change(actions: &[CustomerUpdateAction]) -> Option<Option<&str>> {
    actions.iter().rev().find_map(|action| match action {
        CustomerUpdateAction::SetAuthenticationMode { auth_mode: AuthenticationMode::Password, password } => {
            Some(password.as_ref().map(Password::expose))
        }
        CustomerUpdateAction::SetAuthenticationMode { .. } => Some(None),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::context::UncheckedReferences;
    use crate::domain::messages::MessagePayload;
    use serde_json::json;

    fn at() -> Timestamp {
        Timestamp::parse("2024-01-01T00:00:00Z").unwrap()
    }

    fn create(draft: Value) -> Result<Customer, DomainError> {
        let mut next = 0;
        let mut new_id = || {
            next += 1;
            format!("a{next}")
        };
        Customer::create(
            "c".into(),
            serde_json::from_value(draft).unwrap(),
            at(),
            None,
            &UncheckedReferences,
            &mut new_id,
        )
    }

    /// Applies the actions in turn; answers the types of the Messages they emitted.
    fn apply_all(customer: &mut Customer, actions: Value) -> Result<Vec<&'static str>, DomainError> {
        let mut next = 100;
        let mut new_id = || {
            next += 1;
            format!("a{next}")
        };
        let actions: Vec<CustomerUpdateAction> = serde_json::from_value(actions).unwrap();
        let mut emitted = Vec::new();
        for action in actions {
            let messages = apply(customer, action, &UncheckedReferences, &mut new_id)?;
            emitted.extend(messages.iter().map(|m| m.type_name()));
        }
        Ok(emitted)
    }

    #[test]
    fn store_group_and_address_custom_actions_do_nothing_or_are_refused() {
        let mut customer = create(json!({"email": "s@example.com", "password": "x"})).unwrap();
        apply_all(
            &mut customer,
            json!([{"action": "addAddress", "address": {"key": "home", "country": "DE"}}]),
        )
        .unwrap();
        let before = customer.clone();
        let nothing = apply_all(
            &mut customer,
            json!([
                {"action": "setStores", "stores": []},
                {"action": "setCustomerGroup"},
                {"action": "setCustomerGroupAssignments", "customerGroupAssignments": []},
                {"action": "setAddressCustomType", "addressKey": "home"}
            ]),
        )
        .unwrap();
        assert!(nothing.is_empty());
        assert_eq!(customer, before, "nothing changed");
        for refused in [
            json!({"action": "setStores", "stores": [{"typeId": "store", "key": "s"}]}),
            json!({"action": "addStore", "store": {"typeId": "store", "key": "s"}}),
            json!({"action": "removeStore", "store": {"typeId": "store", "key": "s"}}),
            json!({"action": "setCustomerGroup", "customerGroup": {"typeId": "customer-group", "key": "g"}}),
            json!({"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"typeId": "customer-group", "key": "g"}}}),
            json!({"action": "removeCustomerGroupAssignment", "customerGroup": {"typeId": "customer-group", "key": "g"}}),
            json!({"action": "setAddressCustomType", "addressKey": "home", "type": {"key": "t"}}),
            json!({"action": "setAddressCustomField", "addressKey": "home", "name": "f", "value": 1}),
            json!({"action": "setAddressCustomType", "addressKey": "nowhere"}),
        ] {
            let error = apply_all(&mut customer, json!([refused.clone()])).unwrap_err();
            assert!(matches!(error, DomainError::InvalidInput(_)), "{refused}: {error:?}");
        }
    }

    #[test]
    fn actions_emit_commercetools_customer_messages() {
        let mut customer = create(json!({"email": "jane@example.com", "password": "x"})).unwrap();
        let emitted = apply_all(
            &mut customer,
            json!([
                {"action": "changeEmail", "email": "jane.doe@example.com"},
                {"action": "setFirstName", "firstName": "Jane"},
                {"action": "setMiddleName", "middleName": "Q"},
                {"action": "addAddress", "address": {"key": "home", "country": "DE"}},
                {"action": "addShippingAddressId", "addressKey": "home"},
                {"action": "setDefaultBillingAddress", "addressKey": "home"},
                {"action": "changeAddress", "addressKey": "home", "address": {"key": "home", "country": "AT"}},
                {"action": "removeAddress", "addressKey": "home"},
                {"action": "setKey", "key": "jane"}
            ]),
        )
        .unwrap();
        assert_eq!(
            emitted,
            [
                "CustomerEmailChanged",
                "CustomerFirstNameSet",
                "CustomerAddressAdded",
                "CustomerShippingAddressAdded",
                "CustomerDefaultBillingAddressSet",
                "CustomerAddressChanged",
                "CustomerAddressRemoved"
            ],
            "setMiddleName and setKey have no Message type"
        );
        let mut again = create(json!({"email": "a@example.com", "password": "x"})).unwrap();
        apply_all(&mut again, json!([{"action": "addAddress", "address": {"key": "k", "country": "DE"}}]))
            .unwrap();
        apply_all(&mut again, json!([{"action": "addShippingAddressId", "addressKey": "k"}])).unwrap();
        let mut new_id = || "x".to_owned();
        let target = serde_json::from_value(json!({"action": "removeAddress", "addressKey": "k"})).unwrap();
        let removed = apply(&mut again, target, &UncheckedReferences, &mut new_id).unwrap();
        let removed = serde_json::to_value(&removed[0]).unwrap();
        assert_eq!(removed["type"], "CustomerAddressRemoved");
        assert_eq!(removed["addressRoles"], json!(["Shipping"]));
        assert_eq!(removed["address"]["country"], "DE");
    }

    #[test]
    fn emails_are_validated_and_compared_without_case() {
        assert!(serde_json::from_value::<CustomerDraft>(json!({"email": "not-an-email"})).is_err());
        let customer = create(json!({"email": "Jane@Example.com", "password": "x"})).unwrap();
        assert_eq!(customer.email.normalized(), "jane@example.com");
        assert_eq!(customer.authentication_mode, AuthenticationMode::Password);
        let value = serde_json::to_value(&customer).unwrap();
        assert_eq!(value["addresses"], json!([]));
        assert_eq!(value["isEmailVerified"], false);
        assert!(value.get("password").is_none(), "no password is shown");
    }

    #[test]
    fn the_password_kept_is_the_draft_s_in_the_password_mode_and_the_last_mode_change_s() {
        let draft = |value: Value| serde_json::from_value::<CustomerDraft>(value).unwrap();
        let with_password = draft(json!({"email": "a@b.co", "password": "s3cret"}));
        assert_eq!(with_password.password_to_keep(), Some("s3cret"));
        assert!(!format!("{with_password:?}").contains("s3cret"), "a password never prints");
        let external =
            draft(json!({"email": "a@b.co", "password": "pw", "authenticationMode": "ExternalAuth"}));
        assert_eq!(external.password_to_keep(), None);
        let action = |value: Value| serde_json::from_value::<CustomerUpdateAction>(value).unwrap();
        let to_external = action(json!({"action": "setAuthenticationMode", "authMode": "ExternalAuth"}));
        let to_password =
            action(json!({"action": "setAuthenticationMode", "authMode": "Password", "password": "n"}));
        let other = action(json!({"action": "setFirstName", "firstName": "J"}));
        assert_eq!(password_change(std::slice::from_ref(&other)), None);
        assert_eq!(password_change(&[to_password.clone(), to_external.clone(), other.clone()]), Some(None));
        assert_eq!(password_change(&[to_external, to_password, other]), Some(Some("n")));
    }

    #[test]
    fn the_password_mode_is_the_default_and_needs_a_password() {
        let refused = create(json!({"email": "a@b.co"})).unwrap_err();
        assert_eq!(
            refused,
            DomainError::InvalidJsonInput { detail: "password: Missing required value".into() }
        );
        assert!(create(json!({"email": "a@b.co", "password": ""})).is_err());
        let external = create(json!({"email": "a@b.co", "authenticationMode": "ExternalAuth"})).unwrap();
        assert_eq!(external.authentication_mode, AuthenticationMode::ExternalAuth);
    }

    #[test]
    fn every_draft_field_is_kept_and_address_indices_become_ids() {
        let customer = create(json!({
            "email": "a@b.co", "password": "pw", "customerNumber": "C-1", "middleName": "M",
            "title": "Dr.", "salutation": "Dear", "dateOfBirth": "1990-02-03", "companyName": "ACME",
            "vatId": "DE123", "locale": "de-DE", "isEmailVerified": true,
            "addresses": [{"country": "DE", "city": "Berlin"}, {"key": "office", "country": "AT"}],
            "defaultShippingAddress": 0, "billingAddresses": [1], "defaultBillingAddress": 1
        }))
        .unwrap();
        let value = serde_json::to_value(&customer).unwrap();
        for (field, expected) in [
            ("customerNumber", json!("C-1")),
            ("middleName", json!("M")),
            ("title", json!("Dr.")),
            ("salutation", json!("Dear")),
            ("dateOfBirth", json!("1990-02-03")),
            ("companyName", json!("ACME")),
            ("vatId", json!("DE123")),
            ("locale", json!("de-DE")),
            ("isEmailVerified", json!(true)),
            ("defaultShippingAddressId", json!("a1")),
            ("shippingAddressIds", json!(["a1"])),
            ("defaultBillingAddressId", json!("a2")),
            ("billingAddressIds", json!(["a2"])),
        ] {
            assert_eq!(value[field], expected, "{field}");
        }
        assert_eq!(value["addresses"][1], json!({"id": "a2", "key": "office", "country": "AT"}));
        for unsupported in [
            json!({"email": "a@b.co", "password": "pw", "stores": [{"typeId": "store", "key": "s"}]}),
            json!({"email": "a@b.co", "password": "pw", "customerGroup": {"typeId": "customer-group", "key": "g"}}),
            json!({"email": "a@b.co", "password": "pw", "addresses": [{"country": "DE", "custom": {"type": {"key": "t"}}}]}),
            json!({"email": "a@b.co", "password": "pw", "locale": "xx-invalid-123"}),
        ] {
            assert!(
                matches!(create(unsupported.clone()), Err(DomainError::InvalidInput(_))),
                "{unsupported}"
            );
        }
        for locale in ["es-419", "zh-Hans", "sr-Latn-RS", "de"] {
            let draft =
                json!({"email": "a@b.co", "password": "pw", "stores": [], "custom": null, "locale": locale});
            assert!(create(draft).is_ok(), "{locale}");
        }
        for locale in ["DE", "de-de", "de-DE-x", "zh-hans", "d"] {
            assert!(
                create(json!({"email": "a@b.co", "password": "pw", "locale": locale})).is_err(),
                "{locale}"
            );
        }
        let out_of_range =
            create(json!({"email": "a@b.co", "password": "pw", "addresses": [], "shippingAddresses": [0]}));
        assert!(matches!(out_of_range, Err(DomainError::InvalidInput(_))));
    }

    #[test]
    fn a_date_of_birth_is_a_date() {
        for text in ["1990-13-45", "1990-01-01T00:00:00Z", ""] {
            let error = serde_json::from_value::<CustomerUpdateAction>(
                json!({"action": "setDateOfBirth", "dateOfBirth": text}),
            )
            .unwrap_err();
            assert_eq!(error.to_string(), format!("Invalid date '{text}'. Expected YYYY-MM-DD."));
        }
        let removed: CustomerUpdateAction =
            serde_json::from_value(json!({"action": "setDateOfBirth"})).unwrap();
        assert!(matches!(removed, CustomerUpdateAction::SetDateOfBirth { date_of_birth: None }));
    }

    #[test]
    fn update_actions_set_and_remove() {
        let mut customer = create(json!({"email": "a@b.co", "password": "pw"})).unwrap();
        apply_all(
            &mut customer,
            json!([
                {"action": "changeEmail", "email": "new@b.co"},
                {"action": "setFirstName", "firstName": "Jane"},
                {"action": "setLastName", "lastName": "Doe"},
                {"action": "setKey", "key": "jane"},
                {"action": "setExternalId", "externalId": "ext"},
                {"action": "setFirstName"},
                {"action": "setDateOfBirth", "dateOfBirth": "2000-01-31"},
                {"action": "setCompanyName", "companyName": "ACME"},
                {"action": "setCustomerNumber", "customerNumber": "C-9"}
            ]),
        )
        .unwrap();
        assert_eq!(customer.email.as_str(), "new@b.co");
        assert_eq!(customer.first_name, None);
        assert_eq!(customer.last_name.as_deref(), Some("Doe"));
        assert_eq!(customer.key.as_ref().map(|k| k.as_str()), Some("jane"));
        assert_eq!(customer.date_of_birth, NaiveDate::from_ymd_opt(2000, 1, 31));
        customer.is_email_verified = true;
        apply_all(&mut customer, json!([{"action": "changeEmail", "email": "new@b.co"}])).unwrap();
        assert!(customer.is_email_verified, "the same address stays verified");
        apply_all(&mut customer, json!([{"action": "changeEmail", "email": "other@b.co"}])).unwrap();
        assert!(!customer.is_email_verified, "a new address is not verified");
        let again =
            apply_all(&mut customer, json!([{"action": "setCustomerNumber", "customerNumber": "C-10"}]));
        assert!(matches!(again, Err(DomainError::InvalidOperation(_))), "a customer number is set once");
    }

    #[test]
    fn addresses_are_added_changed_given_roles_and_removed() {
        let mut customer = create(json!({"email": "a@b.co", "password": "pw"})).unwrap();
        apply_all(
            &mut customer,
            json!([
                {"action": "addAddress", "address": {"key": "home", "country": "DE"}},
                {"action": "addAddress", "address": {"key": "work", "country": "DE"}},
                {"action": "setDefaultShippingAddress", "addressKey": "home"},
                {"action": "addBillingAddressId", "addressId": "a102"},
                {"action": "changeAddress", "addressKey": "work", "address": {"key": "work", "country": "FR", "city": "Paris"}}
            ]),
        )
        .unwrap();
        assert_eq!(customer.address_book.default_shipping_address_id.as_deref(), Some("a101"));
        assert_eq!(customer.address_book.shipping_address_ids, vec!["a101"]);
        assert_eq!(customer.address_book.billing_address_ids, vec!["a102"]);
        assert_eq!(
            customer.address_book.addresses[1].id.as_deref(),
            Some("a102"),
            "a changed address keeps its id"
        );
        assert_eq!(customer.address_book.addresses[1].city.as_deref(), Some("Paris"));
        let duplicate = apply_all(
            &mut customer,
            json!([{"action": "addAddress", "address": {"key": "home", "country": "DE"}}]),
        );
        assert!(matches!(duplicate, Err(DomainError::DuplicateField { .. })));
        let mismatched = apply_all(
            &mut customer,
            json!([{"action": "removeAddress", "addressId": "a101", "addressKey": "work"}]),
        );
        assert!(matches!(mismatched, Err(DomainError::InvalidInput(_))), "id and key must name one address");
        let unknown = apply_all(&mut customer, json!([{"action": "removeAddress", "addressId": "nope"}]));
        assert!(matches!(unknown, Err(DomainError::InvalidInput(_))));
        apply_all(&mut customer, json!([{"action": "removeAddress", "addressKey": "home"}])).unwrap();
        assert_eq!(customer.address_book.default_shipping_address_id, None);
        assert!(customer.address_book.shipping_address_ids.is_empty());
        apply_all(&mut customer, json!([{"action": "removeBillingAddressId", "addressKey": "work"}]))
            .unwrap();
        assert!(customer.address_book.billing_address_ids.is_empty());
    }

    #[test]
    fn the_authentication_mode_changes_with_a_password_for_the_password_mode() {
        let mut customer = create(json!({"email": "a@b.co", "authenticationMode": "ExternalAuth"})).unwrap();
        let same = apply_all(
            &mut customer,
            json!([{"action": "setAuthenticationMode", "authMode": "ExternalAuth"}]),
        );
        assert!(same.is_err());
        let no_password =
            apply_all(&mut customer, json!([{"action": "setAuthenticationMode", "authMode": "Password"}]));
        assert!(no_password.is_err());
        apply_all(
            &mut customer,
            json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": "pw"}]),
        )
        .unwrap();
        assert_eq!(customer.authentication_mode, AuthenticationMode::Password);
    }
}
