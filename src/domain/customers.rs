//! A lean Customer, so that payments reference real customers and shops find theirs by email.

use super::common::{ClientLogging, ResourceKey, Timestamp};
use super::errors::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<ResourceKey>,
    pub email: Email,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub addresses: Vec<Value>,
    pub shipping_address_ids: Vec<String>,
    pub billing_address_ids: Vec<String>,
    pub is_email_verified: bool,
    pub authentication_mode: AuthenticationMode,
    pub stores: Vec<Value>,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDraft {
    pub email: Email,
    /// Accepted for compatibility; this service does not sign customers in and keeps no password.
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub key: Option<ResourceKey>,
    pub external_id: Option<String>,
    pub authentication_mode: Option<AuthenticationMode>,
}

impl Customer {
    pub fn create(
        id: String,
        draft: CustomerDraft,
        now: Timestamp,
        actor: Option<ClientLogging>,
    ) -> Result<Customer, DomainError> {
        let authentication_mode = draft.authentication_mode.unwrap_or(if draft.password.is_some() {
            AuthenticationMode::Password
        } else {
            AuthenticationMode::ExternalAuth
        });
        Ok(Customer {
            id,
            version: 1,
            key: draft.key,
            email: draft.email,
            first_name: draft.first_name,
            last_name: draft.last_name,
            external_id: draft.external_id,
            addresses: vec![],
            shipping_address_ids: vec![],
            billing_address_ids: vec![],
            is_email_verified: false,
            authentication_mode,
            stores: vec![],
            customer_group_assignments: vec![],
            created_at: now,
            last_modified_at: now,
            created_by: actor.clone(),
            last_modified_by: actor,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum CustomerUpdateAction {
    ChangeEmail { email: Email },
    SetFirstName { first_name: Option<String> },
    SetLastName { last_name: Option<String> },
    SetKey { key: Option<ResourceKey> },
    SetExternalId { external_id: Option<String> },
}

pub fn apply(customer: &mut Customer, action: CustomerUpdateAction) -> Result<(), DomainError> {
    let non_empty = |value: Option<String>| value.filter(|v| !v.is_empty());
    match action {
        CustomerUpdateAction::ChangeEmail { email } => customer.email = email,
        CustomerUpdateAction::SetFirstName { first_name } => customer.first_name = non_empty(first_name),
        CustomerUpdateAction::SetLastName { last_name } => customer.last_name = non_empty(last_name),
        CustomerUpdateAction::SetKey { key } => customer.key = key,
        CustomerUpdateAction::SetExternalId { external_id } => customer.external_id = non_empty(external_id),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_are_validated_and_compared_without_case() {
        assert!(serde_json::from_value::<CustomerDraft>(json!({"email": "not-an-email"})).is_err());
        let draft: CustomerDraft =
            serde_json::from_value(json!({"email": "Jane@Example.com", "password": "x"})).unwrap();
        let customer =
            Customer::create("c".into(), draft, Timestamp::parse("2024-01-01T00:00:00Z").unwrap(), None)
                .unwrap();
        assert_eq!(customer.email.normalized(), "jane@example.com");
        assert_eq!(customer.authentication_mode, AuthenticationMode::Password);
        let value = serde_json::to_value(&customer).unwrap();
        assert_eq!(value["addresses"], json!([]));
        assert_eq!(value["isEmailVerified"], false);
        assert!(value.get("password").is_none(), "no password is kept or shown");
    }

    #[test]
    fn update_actions_set_and_remove() {
        let draft: CustomerDraft = serde_json::from_value(json!({"email": "a@b.co"})).unwrap();
        let mut customer =
            Customer::create("c".into(), draft, Timestamp::parse("2024-01-01T00:00:00Z").unwrap(), None)
                .unwrap();
        let actions: Vec<CustomerUpdateAction> = serde_json::from_value(json!([
            {"action": "changeEmail", "email": "new@b.co"},
            {"action": "setFirstName", "firstName": "Jane"},
            {"action": "setLastName", "lastName": "Doe"},
            {"action": "setKey", "key": "jane"},
            {"action": "setExternalId", "externalId": "ext"},
            {"action": "setFirstName"}
        ]))
        .unwrap();
        for action in actions {
            apply(&mut customer, action).unwrap();
        }
        assert_eq!(customer.email.as_str(), "new@b.co");
        assert_eq!(customer.first_name, None);
        assert_eq!(customer.last_name.as_deref(), Some("Doe"));
        assert_eq!(customer.key.as_ref().map(|k| k.as_str()), Some("jane"));
    }
}
