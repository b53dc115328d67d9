//! The ways a change to an aggregate can be refused. Each maps to one commercetools error code.

use super::common::IdOrKey;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// The resource is not in a state that permits the change.
    #[error("{0}")]
    InvalidOperation(String),
    /// A value breaks a constraint of the input.
    #[error("{0}")]
    InvalidInput(String),
    /// The input does not have the shape of the expected JSON.
    #[error("Request body does not contain valid JSON.")]
    InvalidJsonInput { detail: String },
    #[error("The value '{invalid_value}' is not valid for field '{field}'.")]
    InvalidField { field: String, invalid_value: Value, allowed_values: Option<Vec<Value>> },
    #[error("A value is required for field {field}.")]
    RequiredField { field: String },
    #[error("A duplicate value '{duplicate_value}' exists for field '{field}'.")]
    DuplicateField { field: String, duplicate_value: Value },
    /// A DuplicateField in commercetools' own words for the case (see the constructors).
    #[error("{}", wording.message(duplicate_value))]
    DuplicateFieldWorded { field: String, duplicate_value: Value, wording: DuplicateWording },
    /// A resource cannot be deleted while others reference it.
    #[error("Can not delete a {type_id} while it is referenced by at least one {referenced_by}.")]
    ReferenceExists { type_id: String, referenced_by: String },
    /// A sign-in with an unknown email or a wrong password (the two are not told apart).
    #[error("Account with the given credentials not found.")]
    InvalidCredentials,
    /// A password change whose current password is not the customer's.
    #[error("The given current password does not match.")]
    InvalidCurrentPassword,
    #[error("The referenced object of type '{type_id}' {} was not found. It either doesn't exist, or it can't be accessed from this endpoint (e.g., if the endpoint filters by store or customer account).", describe(target))]
    ReferencedResourceNotFound { type_id: String, target: IdOrKey },
}

fn describe(target: &IdOrKey) -> String {
    match target {
        IdOrKey::Id(id) => format!("with id '{id}'"),
        IdOrKey::Key(key) => format!("with key '{key}'"),
    }
}

impl DomainError {
    /// A duplicate `email`, worded as commercetools words it for customers.
    pub fn duplicate_customer_email(duplicate_value: Value) -> Self {
        let wording = DuplicateWording::CustomerEmail;
        Self::DuplicateFieldWorded { field: "email".into(), duplicate_value, wording }
    }

    /// A duplicate payment `interfaceId` where neither payment names its paymentInterface.
    pub fn duplicate_interface_id_without_interface(duplicate_value: Value) -> Self {
        let wording = DuplicateWording::InterfaceIdWithoutInterface;
        Self::DuplicateFieldWorded { field: "interfaceId".into(), duplicate_value, wording }
    }
}

/// The cases commercetools words a DuplicateField its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateWording {
    CustomerEmail,
    /// Connectors retry on this wording (commercetools' connect-payments-sdk).
    InterfaceIdWithoutInterface,
}

impl DuplicateWording {
    fn message(self, duplicate_value: &Value) -> String {
        match self {
            Self::CustomerEmail => "There is already an existing customer with the provided email.".into(),
            Self::InterfaceIdWithoutInterface => {
                format!(
                    "The interfaceId {duplicate_value} is already used without setting a payment interface."
                )
            }
        }
    }
}

/// The most a value the database indexes may hold, in bytes: PostgreSQL refuses index entries
/// over about 2.7 KB, and two such values share the interfaceId index.
pub const MAX_INDEXED_BYTES: usize = 1024;

/// Refuses a value too long to index (an interfaceId, an interactionId, a customer number).
pub fn check_indexed(field: &str, value: Option<&str>) -> Result<(), DomainError> {
    match value {
        Some(text) if text.len() > MAX_INDEXED_BYTES => Err(DomainError::InvalidInput(format!(
            "The value of '{field}' is too long: at most {MAX_INDEXED_BYTES} bytes."
        ))),
        _ => Ok(()),
    }
}
