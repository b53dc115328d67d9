//! Value types shared by every commercetools resource: timestamps, keys, localized strings,
//! references, resource identifiers and custom fields.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// A UTC instant with millisecond precision, written as `2015-10-20T08:54:24.000Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Self(at.trunc_subsecs(3))
    }

    /// Accepts any RFC 3339 / ISO-8601 date-time with an offset; sub-millisecond digits are dropped.
    pub fn parse(text: &str) -> Result<Self, String> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| Self::from_datetime(at.with_timezone(&Utc)))
            .map_err(|_| format!("Invalid date-time '{text}'. Expected ISO-8601 with a time zone offset."))
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<Timestamp> for String {
    fn from(at: Timestamp) -> String {
        at.to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

/// Reads an optional date written `YYYY-MM-DD` (a Customer's `dateOfBirth`), refusing anything
/// else in commercetools' words rather than the date library's.
pub fn optional_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<chrono::NaiveDate>, D::Error> {
    let Some(text) = Option::<String>::deserialize(deserializer)? else { return Ok(None) };
    chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("Invalid date '{text}'. Expected YYYY-MM-DD.")))
}

/// A user-defined key: 2..256 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceKey(String);

impl ResourceKey {
    pub fn parse(text: String) -> Result<Self, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if !validator::ValidateLength::validate_length(&text, Some(2), Some(256), None) {
            return Err(format!("Invalid key '{text}'. A key must have between 2 and 256 characters."));
        }
        if !text.chars().all(allowed) {
            return Err(format!("Invalid key '{text}'. A key may only contain [A-Za-z0-9_-]."));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ResourceKey {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(text)
    }
}

impl From<ResourceKey> for String {
    fn from(key: ResourceKey) -> String {
        key.0
    }
}

/// `{"en": "Credit Card", "de": "Kreditkarte"}`.
pub type LocalizedString = BTreeMap<String, String>;

/// A stored reference to another resource: `{"typeId": "customer", "id": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    pub type_id: String,
    pub id: String,
}

/// The kinds of resources a Payment references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceTypeId {
    Customer,
    State,
    Type,
}

impl ReferenceTypeId {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::State => "state",
            Self::Type => "type",
        }
    }
}

/// The kind of resource a field names, fixed by the field: a wrong `typeId` is malformed
/// input, reported with the field's path as the parser reports it.
pub trait ReferenceKind {
    const TYPE_ID: ReferenceTypeId;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToCustomer;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToState;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToType;

impl ReferenceKind for ToCustomer {
    const TYPE_ID: ReferenceTypeId = ReferenceTypeId::Customer;
}
impl ReferenceKind for ToState {
    const TYPE_ID: ReferenceTypeId = ReferenceTypeId::State;
}
impl ReferenceKind for ToType {
    const TYPE_ID: ReferenceTypeId = ReferenceTypeId::Type;
}

pub type CustomerIdentifier = ResourceIdentifier<ToCustomer>;
pub type StateIdentifier = ResourceIdentifier<ToState>;
pub type TypeIdentifier = ResourceIdentifier<ToType>;

/// How a draft or an action names another resource of kind `K`: by `id` or by `key`, never both.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ResourceIdentifierWire<K>", bound = "K: ReferenceKind")]
pub struct ResourceIdentifier<K: ReferenceKind> {
    pub target: IdOrKey,
    kind: PhantomData<K>,
}

impl<K: ReferenceKind> ResourceIdentifier<K> {
    pub fn new(target: IdOrKey) -> Self {
        Self { target, kind: PhantomData }
    }

    /// The resource named, for the service to load before a change is applied.
    pub fn named(&self) -> (ReferenceTypeId, IdOrKey) {
        (K::TYPE_ID, self.target.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdOrKey {
    Id(String),
    Key(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", bound = "K: ReferenceKind")]
struct ResourceIdentifierWire<K: ReferenceKind> {
    /// Only checked: the field decides the kind.
    #[serde(rename = "typeId", default)]
    _type_id: Option<ExpectedTypeId<K>>,
    id: Option<String>,
    key: Option<String>,
}

impl<K: ReferenceKind> TryFrom<ResourceIdentifierWire<K>> for ResourceIdentifier<K> {
    type Error = &'static str;
    fn try_from(wire: ResourceIdentifierWire<K>) -> Result<Self, Self::Error> {
        let target = match (wire.id, wire.key) {
            (Some(id), None) => IdOrKey::Id(id),
            (None, Some(key)) => IdOrKey::Key(key),
            _ => return Err("ResourceIdentifier requires an 'id' xor a 'key'."),
        };
        Ok(Self::new(target))
    }
}

/// A `typeId` that must name `K`.
struct ExpectedTypeId<K>(PhantomData<K>);

impl<'de, K: ReferenceKind> Deserialize<'de> for ExpectedTypeId<K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let given = std::borrow::Cow::<str>::deserialize(deserializer)?;
        let expected = K::TYPE_ID.as_str();
        if given != expected {
            return Err(serde::de::Error::custom(format!("Expected '{expected}' but got '{given}'.")));
        }
        Ok(Self(PhantomData))
    }
}

/// For `skip_serializing_if`: no Message numbered yet (a resource as its creation Message
/// embeds it).
pub fn no_message_yet(sequence_number: &i64) -> bool {
    *sequence_number == 0
}

/// Custom field values by field name.
pub type FieldContainer = serde_json::Map<String, serde_json::Value>;

/// Stored custom fields: the Type reference and the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFields {
    #[serde(rename = "type")]
    pub type_ref: Reference,
    #[serde(default)]
    pub fields: FieldContainer,
}

/// Custom fields as a client sends them: a Type identifier and optional values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CustomFieldsDraft {
    #[serde(rename = "type")]
    pub type_identifier: TypeIdentifier,
    #[serde(default)]
    pub fields: Option<FieldContainer>,
}

/// Who made a change (`createdBy` / `lastModifiedBy`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientLogging {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
    /// The signed-in customer who made the change (a password-flow token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// Whether the Merchant Center made the change; never here, but commercetools always
    /// writes the field.
    #[serde(default)]
    pub is_platform_client: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_accept_offsets_and_write_utc_millis() {
        let at = Timestamp::parse("2015-10-20T10:54:24.123456+02:00").unwrap();
        assert_eq!(at.to_string(), "2015-10-20T08:54:24.123Z");
        assert_eq!(Timestamp::parse("2015-10-20T08:54:24Z").unwrap().to_string(), "2015-10-20T08:54:24.000Z");
        assert!(Timestamp::parse("2015-10-20").is_err());
        assert!(Timestamp::parse("2015-10-20T08:54:24").is_err());
    }

    #[test]
    fn keys_follow_the_pattern_and_length() {
        assert!(ResourceKey::parse("ab".into()).is_ok());
        assert!(ResourceKey::parse("a-B_9".into()).is_ok());
        assert!(ResourceKey::parse("a".into()).is_err());
        assert!(ResourceKey::parse("a b".into()).is_err());
        assert!(ResourceKey::parse("x".repeat(257)).is_err());
        assert!(ResourceKey::parse("x".repeat(256)).is_ok());
    }

    #[test]
    fn resource_identifiers_need_exactly_one_of_id_and_key() {
        let by_key: TypeIdentifier = serde_json::from_value(json!({"typeId": "type", "key": "k"})).unwrap();
        assert_eq!(by_key.target, IdOrKey::Key("k".into()));
        let by_id: TypeIdentifier = serde_json::from_value(json!({"id": "i"})).unwrap();
        assert_eq!(by_id.target, IdOrKey::Id("i".into()));
        assert!(serde_json::from_value::<TypeIdentifier>(json!({"id": "i", "key": "k"})).is_err());
        assert!(serde_json::from_value::<TypeIdentifier>(json!({"typeId": "type"})).is_err());
    }

    #[test]
    fn a_resource_identifier_names_the_kind_its_field_holds() {
        let error = serde_json::from_value::<CustomerIdentifier>(json!({"typeId": "cart", "id": "c"}))
            .unwrap_err()
            .to_string();
        assert_eq!(error, "Expected 'customer' but got 'cart'.");
        let state: StateIdentifier = serde_json::from_value(json!({"typeId": "state", "id": "s"})).unwrap();
        assert_eq!(state.named(), (ReferenceTypeId::State, IdOrKey::Id("s".into())));
    }
}
