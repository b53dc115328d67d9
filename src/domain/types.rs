//! Types: the definitions of custom fields, and the check of custom field values against them.

use super::common::{ClientLogging, CustomFields, LocalizedString, ResourceKey, Timestamp};
use super::context::CustomizedResource;
use super::errors::DomainError;
use super::money::AnySignMoney;
use crate::domain::update_actions::update_actions;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The resource type ids a Type may extend.
const RESOURCE_TYPE_IDS: &[&str] = &[
    "address",
    "approval-flow",
    "approval-rule",
    "asset",
    "associate-role",
    "business-unit",
    "cart-discount",
    "category",
    "channel",
    "customer",
    "customer-group",
    "discount-code",
    "inventory-entry",
    "line-item",
    "custom-line-item",
    "order",
    "order-edit",
    "order-delivery",
    "order-parcel",
    "order-return-item",
    "payment",
    "payment-interface-interaction",
    "payment-method",
    "payment-method-info",
    "product-price",
    "product-selection",
    "product-tailoring",
    "quote",
    "recurring-order",
    "reservation",
    "review",
    "shipping",
    "shipping-method",
    "shopping-list",
    "shopping-list-text-line-item",
    "standalone-price",
    "store",
    "transaction",
];

const REFERENCE_TYPE_IDS: &[&str] = &[
    "approval-flow",
    "approval-rule",
    "associate-role",
    "business-unit",
    "cart",
    "cart-discount",
    "category",
    "channel",
    "customer",
    "customer-group",
    "key-value-document",
    "order",
    "product",
    "product-type",
    "review",
    "state",
    "shipping-method",
    "zone",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Type {
    pub id: String,
    pub version: i64,
    pub key: ResourceKey,
    pub name: LocalizedString,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedString>,
    pub resource_type_ids: Vec<String>,
    pub field_definitions: Vec<FieldDefinition>,
    pub created_at: Timestamp,
    pub last_modified_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<ClientLogging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<ClientLogging>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDefinition {
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub name: FieldName,
    pub label: LocalizedString,
    pub required: bool,
    /// commercetools answers `SingleLine` when none was given.
    #[serde(default)]
    pub input_hint: InputHint,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputHint {
    #[default]
    SingleLine,
    MultiLine,
}

/// A field name: 2..36 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldName(String);

impl TryFrom<String> for FieldName {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        let valid = (2..=36).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(Self(name))
        } else {
            Err(format!("Invalid field name '{name}': 2 to 36 characters of [A-Za-z0-9_-]."))
        }
    }
}

impl From<FieldName> for String {
    fn from(name: FieldName) -> String {
        name.0
    }
}

impl FieldName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name")]
pub enum FieldType {
    Boolean,
    String,
    LocalizedString,
    Enum {
        values: Vec<EnumValue>,
    },
    LocalizedEnum {
        values: Vec<LocalizedEnumValue>,
    },
    Number,
    Money,
    Date,
    Time,
    DateTime,
    Reference {
        #[serde(rename = "referenceTypeId")]
        reference_type_id: String,
    },
    Set {
        #[serde(rename = "elementType")]
        element_type: Box<FieldType>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumValue {
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedEnumValue {
    pub key: String,
    pub label: LocalizedString,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeDraft {
    pub key: ResourceKey,
    pub name: LocalizedString,
    pub description: Option<LocalizedString>,
    pub resource_type_ids: Vec<String>,
    pub field_definitions: Option<Vec<FieldDefinitionDraft>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDefinitionDraft {
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub name: FieldName,
    pub label: LocalizedString,
    pub required: bool,
    pub input_hint: Option<InputHint>,
}

impl FieldDefinitionDraft {
    fn into_definition(self) -> Result<FieldDefinition, DomainError> {
        check_field_type(&self.field_type)?;
        Ok(FieldDefinition {
            field_type: self.field_type,
            name: self.name,
            label: self.label,
            required: self.required,
            input_hint: self.input_hint.unwrap_or_default(),
        })
    }
}

/// A value outside one of commercetools' enums is malformed input, as the JSON parser reports
/// an unknown enum value (`path: Invalid enum value 'x'. Expected one of: …`).
fn check_enum(path: &str, value: &str, allowed: &[&str]) -> Result<(), DomainError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    let expected: Vec<String> = allowed.iter().map(|v| format!("'{v}'")).collect();
    Err(DomainError::InvalidJsonInput {
        detail: format!("{path}: Invalid enum value '{value}'. Expected one of: {}", expected.join(", ")),
    })
}

fn check_field_type(field_type: &FieldType) -> Result<(), DomainError> {
    match field_type {
        FieldType::Reference { reference_type_id } => {
            check_enum("referenceTypeId", reference_type_id, REFERENCE_TYPE_IDS)
        }
        FieldType::Set { element_type } if matches!(**element_type, FieldType::Set { .. }) => {
            Err(DomainError::InvalidOperation("A Set cannot hold Sets.".into()))
        }
        FieldType::Set { element_type } => check_field_type(element_type),
        FieldType::Enum { values } => unique_keys(values.iter().map(|v| v.key.as_str())),
        FieldType::LocalizedEnum { values } => unique_keys(values.iter().map(|v| v.key.as_str())),
        _ => Ok(()),
    }
}

/// An enum's keys are unique, in a new definition as for `addEnumValue`.
fn unique_keys<'a>(keys: impl Iterator<Item = &'a str>) -> Result<(), DomainError> {
    let mut seen = std::collections::HashSet::new();
    for key in keys {
        if !seen.insert(key) {
            return Err(duplicate_enum_key(key));
        }
    }
    Ok(())
}

impl Type {
    pub fn create(
        id: String,
        draft: TypeDraft,
        now: Timestamp,
        actor: Option<ClientLogging>,
    ) -> Result<Type, DomainError> {
        if draft.resource_type_ids.is_empty() {
            return Err(DomainError::RequiredField { field: "resourceTypeIds".into() });
        }
        for (index, resource_type_id) in draft.resource_type_ids.iter().enumerate() {
            check_enum(&format!("resourceTypeIds[{index}]"), resource_type_id, RESOURCE_TYPE_IDS)?;
        }
        let mut field_definitions = Vec::new();
        for draft in draft.field_definitions.unwrap_or_default() {
            add_definition(&mut field_definitions, draft)?;
        }
        Ok(Type {
            id,
            version: 1,
            key: draft.key,
            name: draft.name,
            description: draft.description,
            resource_type_ids: draft.resource_type_ids,
            field_definitions,
            created_at: now,
            last_modified_at: now,
            created_by: actor.clone(),
            last_modified_by: actor,
        })
    }

    fn definition_mut(&mut self, name: &str) -> Result<&mut FieldDefinition, DomainError> {
        self.field_definitions.iter_mut().find(|d| d.name.as_str() == name).ok_or_else(|| {
            DomainError::InvalidOperation(format!("The field definition '{name}' does not exist."))
        })
    }

    /// The values of an Enum field (or a Set of Enum).
    fn enum_values(&mut self, field_name: &str) -> Result<&mut Vec<EnumValue>, DomainError> {
        match &mut self.definition_mut(field_name)?.field_type {
            FieldType::Enum { values } => Ok(values),
            FieldType::Set { element_type } => match element_type.as_mut() {
                FieldType::Enum { values } => Ok(values),
                _ => Err(not_enum(field_name)),
            },
            _ => Err(not_enum(field_name)),
        }
    }

    /// The values of a LocalizedEnum field (or a Set of LocalizedEnum).
    fn localized_enum_values(
        &mut self,
        field_name: &str,
    ) -> Result<&mut Vec<LocalizedEnumValue>, DomainError> {
        match &mut self.definition_mut(field_name)?.field_type {
            FieldType::LocalizedEnum { values } => Ok(values),
            FieldType::Set { element_type } => match element_type.as_mut() {
                FieldType::LocalizedEnum { values } => Ok(values),
                _ => Err(not_enum(field_name)),
            },
            _ => Err(not_enum(field_name)),
        }
    }

    /// Whether the Type has a field definition of that name.
    pub fn defines(&self, name: &str) -> bool {
        self.field_definitions.iter().any(|d| d.name.as_str() == name)
    }

    /// Checks custom field values against this Type for the given resource, and brings each
    /// to its stored form (Money as CentPrecisionMoney).
    pub fn check(&self, resource: CustomizedResource, custom: &mut CustomFields) -> Result<(), DomainError> {
        if !self.resource_type_ids.iter().any(|id| id == resource.resource_type_id()) {
            return Err(DomainError::InvalidOperation(format!(
                "The type with key '{}' does not have '{}' as resource type id.",
                self.key.as_str(),
                resource.resource_type_id()
            )));
        }
        for (name, value) in custom.fields.iter_mut() {
            let definition =
                self.field_definitions.iter().find(|d| d.name.as_str() == name).ok_or_else(|| {
                    DomainError::InvalidOperation(format!(
                        "The field '{name}' is not defined in the type with key '{}'.",
                        self.key.as_str()
                    ))
                })?;
            check_value(name, &definition.field_type, value)?;
        }
        if let Some(missing) =
            self.field_definitions.iter().find(|d| d.required && !custom.fields.contains_key(d.name.as_str()))
        {
            return Err(DomainError::RequiredField { field: missing.name.as_str().to_owned() });
        }
        Ok(())
    }
}

/// commercetools: a field defined by two Types for the same resource must have the same type
/// in both, so that a field name means one thing in predicates and sorts.
pub fn check_field_types_agree<'a>(
    resource: &Type,
    others: impl Iterator<Item = &'a Type>,
) -> Result<(), DomainError> {
    for other in others {
        let shares_a_resource =
            other.resource_type_ids.iter().any(|id| resource.resource_type_ids.contains(id));
        if !shares_a_resource {
            continue;
        }
        for definition in &resource.field_definitions {
            let conflicting = other
                .field_definitions
                .iter()
                .find(|d| d.name == definition.name && !same_kind(&d.field_type, &definition.field_type));
            if conflicting.is_some() {
                return Err(DomainError::InvalidOperation(format!(
                    "The field '{}' is defined with another type by the type with key '{}' for the same resource type; a field name has one type per resource type.",
                    definition.name.as_str(),
                    other.key.as_str()
                )));
            }
        }
    }
    Ok(())
}

/// Whether two field types are the same type, whatever values their enums list.
fn same_kind(a: &FieldType, b: &FieldType) -> bool {
    match (a, b) {
        (FieldType::Enum { .. }, FieldType::Enum { .. })
        | (FieldType::LocalizedEnum { .. }, FieldType::LocalizedEnum { .. }) => true,
        (FieldType::Set { element_type: a }, FieldType::Set { element_type: b }) => same_kind(a, b),
        _ => a == b,
    }
}

fn add_definition(
    definitions: &mut Vec<FieldDefinition>,
    draft: FieldDefinitionDraft,
) -> Result<(), DomainError> {
    if definitions.iter().any(|d| d.name == draft.name) {
        return Err(DomainError::DuplicateField {
            field: "fieldDefinitions.name".into(),
            duplicate_value: json!(draft.name.as_str()),
        });
    }
    definitions.push(draft.into_definition()?);
    Ok(())
}

fn invalid(name: &str, value: &Value, allowed: Option<Vec<Value>>) -> DomainError {
    DomainError::InvalidField {
        field: name.to_owned(),
        invalid_value: value.clone(),
        allowed_values: allowed,
    }
}

/// A time of day as commercetools stores a Time field: `hh:mm:ss.sss`.
pub fn canonical_time(text: &str) -> Option<String> {
    let time = chrono::NaiveTime::parse_from_str(text, "%H:%M:%S%.f").ok()?;
    Some(time.format("%H:%M:%S%.3f").to_string())
}

/// Whether `value` is a valid value of `field_type` (the field is called `name`); a Money
/// value is replaced by its CentPrecisionMoney, and a time or date-time by its canonical form,
/// as commercetools stores them.
fn check_value(name: &str, field_type: &FieldType, value: &mut Value) -> Result<(), DomainError> {
    let ok = match field_type {
        FieldType::Boolean => value.is_boolean(),
        FieldType::String => value.is_string(),
        FieldType::Number => {
            super::numbers::stored(value);
            value.is_number()
        }
        FieldType::LocalizedString => value.as_object().is_some_and(|o| o.values().all(Value::is_string)),
        FieldType::Enum { values } => {
            let allowed: Vec<&str> = values.iter().map(|v| v.key.as_str()).collect();
            return enum_key(name, value, &allowed);
        }
        FieldType::LocalizedEnum { values } => {
            let allowed: Vec<&str> = values.iter().map(|v| v.key.as_str()).collect();
            return enum_key(name, value, &allowed);
        }
        FieldType::Money => match serde_json::from_value::<AnySignMoney>(value.clone()) {
            Ok(AnySignMoney(money)) => {
                *value = serde_json::to_value(money.in_cents()).map_err(|_| invalid(name, value, None))?;
                true
            }
            Err(_) => false,
        },
        // Dates, times and date-times are stored as commercetools writes them (YYYY-MM-DD,
        // hh:mm:ss.sss, UTC with milliseconds), so that stored text compares in time order.
        FieldType::Date => value
            .as_str()
            .is_some_and(|s| s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
        FieldType::Time => match value.as_str().and_then(canonical_time) {
            Some(time) => {
                *value = Value::String(time);
                true
            }
            None => false,
        },
        FieldType::DateTime => match value.as_str().map(Timestamp::parse) {
            Some(Ok(timestamp)) => {
                *value = Value::String(timestamp.to_string());
                true
            }
            _ => false,
        },
        FieldType::Reference { reference_type_id } => {
            value.get("typeId").and_then(Value::as_str) == Some(reference_type_id.as_str())
                && value.get("id").is_some_and(Value::is_string)
        }
        FieldType::Set { element_type } => {
            let Some(items) = value.as_array_mut() else { return Err(invalid(name, value, None)) };
            for item in items.iter_mut() {
                check_value(name, element_type, item)?;
            }
            let unique = items
                .iter()
                .enumerate()
                .all(|(i, item)| !items.iter().skip(i + 1).any(|other| same_value(other, item)));
            if !unique {
                return Err(invalid(name, value, Some(vec![])));
            }
            true
        }
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(name, value, None))
    }
}

/// Whether two values of a Set are the same: numbers by value (`1` and `1.0`), the rest as
/// stored (canonical forms make equal dates, times and money compare equal).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => {
            super::numbers::compare(a, b) == Some(std::cmp::Ordering::Equal)
        }
        _ => a == b,
    }
}

fn enum_key(name: &str, value: &Value, allowed: &[&str]) -> Result<(), DomainError> {
    match value.as_str() {
        Some(key) if allowed.contains(&key) => Ok(()),
        _ => Err(invalid(name, value, Some(allowed.iter().map(|k| json!(k)).collect()))),
    }
}

update_actions! {
    /// Type update actions.
    pub enum TypeUpdateAction / NamedTypeUpdateAction {
        ChangeKey {
            key: ResourceKey,
        },
        ChangeName {
            name: LocalizedString,
        },
        SetDescription {
            description: Option<LocalizedString>,
        },
        AddFieldDefinition {
            field_definition: FieldDefinitionDraft,
        },
        RemoveFieldDefinition {
            field_name: String,
        },
        /// `changeFieldDefinitionLabel` is its deprecated name, which commercetools still takes.
        #[serde(alias = "changeFieldDefinitionLabel")]
        ChangeLabel {
            field_name: String,
            label: LocalizedString,
        },
        AddEnumValue {
            field_name: String,
            value: EnumValue,
        },
        AddLocalizedEnumValue {
            field_name: String,
            value: LocalizedEnumValue,
        },
        ChangeEnumValueLabel {
            field_name: String,
            value: EnumValue,
        },
        ChangeLocalizedEnumValueLabel {
            field_name: String,
            value: LocalizedEnumValue,
        },
        ChangeEnumValueOrder {
            field_name: String,
            keys: Vec<String>,
        },
        ChangeLocalizedEnumValueOrder {
            field_name: String,
            keys: Vec<String>,
        },
        ChangeFieldDefinitionOrder {
            field_names: Vec<String>,
        },
        ChangeInputHint {
            field_name: String,
            input_hint: InputHint,
        },
        /// Always allowed: values that use a removed key stay until they are next set (and then
        /// fail the check of the whole custom object, as in commercetools).
        RemoveEnumValues {
            field_name: String,
            keys: Vec<String>,
        },
        RemoveLocalizedEnumValues {
            field_name: String,
            keys: Vec<String>,
        },
    }
}

pub fn apply(resource: &mut Type, action: TypeUpdateAction) -> Result<(), DomainError> {
    use TypeUpdateAction as A;
    match action {
        A::ChangeKey { key } => resource.key = key,
        A::ChangeName { name } => resource.name = name,
        A::SetDescription { description } => resource.description = description.filter(|d| !d.is_empty()),
        A::AddFieldDefinition { field_definition } => {
            add_definition(&mut resource.field_definitions, field_definition)?
        }
        A::RemoveFieldDefinition { field_name } => {
            resource.definition_mut(&field_name)?;
            resource.field_definitions.retain(|d| d.name.as_str() != field_name);
        }
        A::ChangeLabel { field_name, label } => resource.definition_mut(&field_name)?.label = label,
        A::AddEnumValue { field_name, value } => {
            let values = resource.enum_values(&field_name)?;
            if values.iter().any(|v| v.key == value.key) {
                return Err(duplicate_enum_key(&value.key));
            }
            values.push(value);
        }
        A::AddLocalizedEnumValue { field_name, value } => {
            let values = resource.localized_enum_values(&field_name)?;
            if values.iter().any(|v| v.key == value.key) {
                return Err(duplicate_enum_key(&value.key));
            }
            values.push(value);
        }
        A::ChangeEnumValueLabel { field_name, value } => {
            let values = resource.enum_values(&field_name)?;
            let existing = values.iter_mut().find(|v| v.key == value.key);
            existing.ok_or_else(|| unknown_enum_key(&field_name, &value.key))?.label = value.label;
        }
        A::ChangeLocalizedEnumValueLabel { field_name, value } => {
            let values = resource.localized_enum_values(&field_name)?;
            let existing = values.iter_mut().find(|v| v.key == value.key);
            existing.ok_or_else(|| unknown_enum_key(&field_name, &value.key))?.label = value.label;
        }
        A::ChangeEnumValueOrder { field_name, keys } => {
            reorder(resource.enum_values(&field_name)?, &keys, |v| &v.key)?
        }
        A::ChangeLocalizedEnumValueOrder { field_name, keys } => {
            reorder(resource.localized_enum_values(&field_name)?, &keys, |v| &v.key)?
        }
        A::ChangeFieldDefinitionOrder { field_names } => {
            reorder(&mut resource.field_definitions, &field_names, |d| d.name.as_str())?
        }
        A::ChangeInputHint { field_name, input_hint } => {
            let definition = resource.definition_mut(&field_name)?;
            let text = |t: &FieldType| matches!(t, FieldType::String | FieldType::LocalizedString);
            let hinted = match &definition.field_type {
                FieldType::Set { element_type } => text(element_type),
                other => text(other),
            };
            if !hinted {
                return Err(DomainError::InvalidOperation(format!(
                    "The field '{field_name}' is not a String or LocalizedString field (or a Set of them): it takes no inputHint."
                )));
            }
            definition.input_hint = input_hint;
        }
        A::RemoveEnumValues { field_name, keys } => {
            remove_keys(resource.enum_values(&field_name)?, &field_name, &keys, |v| &v.key)?
        }
        A::RemoveLocalizedEnumValues { field_name, keys } => {
            remove_keys(resource.localized_enum_values(&field_name)?, &field_name, &keys, |v| &v.key)?
        }
    }
    Ok(())
}

/// Removes the enum values of `keys`, each of which must exist.
fn remove_keys<T>(
    values: &mut Vec<T>,
    field_name: &str,
    keys: &[String],
    key_of: impl Fn(&T) -> &str,
) -> Result<(), DomainError> {
    if let Some(unknown) = keys.iter().find(|key| !values.iter().any(|v| key_of(v) == key.as_str())) {
        return Err(unknown_enum_key(field_name, unknown));
    }
    values.retain(|v| !keys.iter().any(|key| key_of(v) == key.as_str()));
    Ok(())
}

/// Puts `items` in the order of `keys`, which must name each of them exactly once.
fn reorder<T>(items: &mut [T], keys: &[String], key_of: impl Fn(&T) -> &str) -> Result<(), DomainError> {
    let mut current: Vec<&str> = items.iter().map(&key_of).collect();
    let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
    current.sort_unstable();
    wanted.sort_unstable();
    if current != wanted {
        return Err(DomainError::InvalidOperation(
            "The new order must name every current value exactly once.".into(),
        ));
    }
    items.sort_by_key(|item| keys.iter().position(|k| k == key_of(item)));
    Ok(())
}

fn unknown_enum_key(field_name: &str, key: &str) -> DomainError {
    DomainError::InvalidOperation(format!(
        "The field definition '{field_name}' has no enum value with key '{key}'."
    ))
}

fn not_enum(field_name: &str) -> DomainError {
    DomainError::InvalidOperation(format!("The field definition '{field_name}' is not of that enum type."))
}

fn duplicate_enum_key(key: &str) -> DomainError {
    DomainError::DuplicateField { field: "values.key".into(), duplicate_value: json!(key) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::common::Reference;

    fn a_type() -> Type {
        let draft: TypeDraft = serde_json::from_value(json!({
            "key": "payment-extras",
            "name": {"en": "Extras"},
            "resourceTypeIds": ["payment", "transaction"],
            "fieldDefinitions": [
                {"name": "orderId", "label": {"en": "Order"}, "required": true, "type": {"name": "String"}},
                {"name": "count", "label": {"en": "Count"}, "required": false, "type": {"name": "Number"}},
                {"name": "flag", "label": {"en": "Flag"}, "required": false, "type": {"name": "Boolean"}},
                {"name": "color", "label": {"en": "Color"}, "required": false, "type": {"name": "Enum", "values": [{"key": "red", "label": "Red"}]}},
                {"name": "tags", "label": {"en": "Tags"}, "required": false, "type": {"name": "Set", "elementType": {"name": "String"}}},
                {"name": "due", "label": {"en": "Due"}, "required": false, "type": {"name": "Date"}},
                {"name": "at", "label": {"en": "At"}, "required": false, "type": {"name": "DateTime"}},
                {"name": "clock", "label": {"en": "Clock"}, "required": false, "type": {"name": "Time"}},
                {"name": "price", "label": {"en": "Price"}, "required": false, "type": {"name": "Money"}},
                {"name": "label", "label": {"en": "Label"}, "required": false, "type": {"name": "LocalizedString"}},
                {"name": "size", "label": {"en": "Size"}, "required": false, "type": {"name": "LocalizedEnum", "values": [{"key": "s", "label": {"en": "S"}}]}},
                {"name": "buyer", "label": {"en": "Buyer"}, "required": false, "type": {"name": "Reference", "referenceTypeId": "customer"}}
            ]
        }))
        .unwrap();
        Type::create("t-1".into(), draft, Timestamp::parse("2024-01-01T00:00:00Z").unwrap(), None).unwrap()
    }

    fn custom(fields: Value) -> CustomFields {
        CustomFields {
            type_ref: Reference { type_id: "type".into(), id: "t-1".into() },
            fields: fields.as_object().unwrap().clone(),
        }
    }

    #[test]
    fn every_field_type_accepts_its_values() {
        let fields = json!({
            "orderId": "o-1", "count": 2.5, "flag": true, "color": "red", "tags": ["a", "b"], "due": "2024-02-29",
            "at": "2024-01-01T10:00:00.000Z", "clock": "14:00:00.000", "price": {"currencyCode": "EUR", "centAmount": 5},
            "label": {"en": "x"}, "size": "s", "buyer": {"typeId": "customer", "id": "c-1"}
        });
        assert_eq!(a_type().check(CustomizedResource::Payment, &mut custom(fields)), Ok(()));
    }

    #[test]
    fn money_values_are_stored_as_cent_precision_money() {
        let mut fields =
            custom(json!({"orderId": "o-1", "price": {"currencyCode": "JPY", "centAmount": 5, "extra": 1}}));
        assert_eq!(a_type().check(CustomizedResource::Payment, &mut fields), Ok(()));
        assert_eq!(
            fields.fields["price"],
            json!({"type": "centPrecision", "currencyCode": "JPY", "centAmount": 5, "fractionDigits": 0})
        );
    }

    #[test]
    fn dates_and_times_are_stored_in_canonical_form() {
        let mut fields =
            custom(json!({"orderId": "o-1", "at": "2024-01-01T10:00:00+02:00", "clock": "14:00:00.5"}));
        assert_eq!(a_type().check(CustomizedResource::Payment, &mut fields), Ok(()));
        assert_eq!(fields.fields["at"], "2024-01-01T08:00:00.000Z");
        assert_eq!(fields.fields["clock"], "14:00:00.500");
        let mut sloppy = custom(json!({"orderId": "o-1", "due": "2024-1-2"}));
        assert!(a_type().check(CustomizedResource::Payment, &mut sloppy).is_err(), "Dates are YYYY-MM-DD");
    }

    #[test]
    fn enum_values_are_relabelled_and_reordered() {
        let mut t = a_type();
        let actions: Vec<TypeUpdateAction> = serde_json::from_value(json!([
            {"action": "addEnumValue", "fieldName": "color", "value": {"key": "blue", "label": "Blue"}},
            {"action": "changeEnumValueLabel", "fieldName": "color", "value": {"key": "red", "label": "Crimson"}},
            {"action": "changeEnumValueOrder", "fieldName": "color", "keys": ["blue", "red"]},
            {"action": "addLocalizedEnumValue", "fieldName": "size", "value": {"key": "m", "label": {"en": "M"}}},
            {"action": "changeLocalizedEnumValueLabel", "fieldName": "size", "value": {"key": "s", "label": {"en": "Small"}}},
            {"action": "changeLocalizedEnumValueOrder", "fieldName": "size", "keys": ["m", "s"]}
        ]))
        .unwrap();
        for action in actions {
            apply(&mut t, action).unwrap();
        }
        let color = t.enum_values("color").unwrap();
        assert_eq!(color[0].key, "blue");
        assert_eq!((color[1].key.as_str(), color[1].label.as_str()), ("red", "Crimson"));
        let size = t.localized_enum_values("size").unwrap();
        assert_eq!((size[0].key.as_str(), size[1].label["en"].as_str()), ("m", "Small"));
        for wrong in [
            json!({"action": "changeEnumValueLabel", "fieldName": "color", "value": {"key": "green", "label": "G"}}),
            json!({"action": "changeEnumValueOrder", "fieldName": "color", "keys": ["red"]}),
            json!({"action": "changeEnumValueLabel", "fieldName": "size", "value": {"key": "s", "label": "S"}}),
        ] {
            let action = serde_json::from_value(wrong.clone()).unwrap();
            assert!(apply(&mut t, action).is_err(), "{wrong}");
        }
        assert_eq!(t.field_definitions[0].input_hint, InputHint::SingleLine, "the default hint");
    }

    #[test]
    fn wrong_values_are_invalid_fields() {
        for (name, value) in [
            ("count", json!("two")),
            ("flag", json!("yes")),
            ("color", json!("blue")),
            ("tags", json!(["a", "a"])),
            ("tags", json!("a")),
            ("due", json!("2024-02-30")),
            ("at", json!("noon")),
            ("clock", json!("25:00:00")),
            ("price", json!({"currencyCode": "XYZ", "centAmount": 1})),
            ("label", json!({"en": 1})),
            ("size", json!("xl")),
            ("buyer", json!({"typeId": "order", "id": "o"})),
            ("orderId", json!(1)),
        ] {
            let mut fields = json!({"orderId": "o-1"});
            fields[name] = value.clone();
            let error = a_type().check(CustomizedResource::Payment, &mut custom(fields)).unwrap_err();
            assert!(matches!(error, DomainError::InvalidField { .. }), "{name} = {value}: {error:?}");
        }
    }

    #[test]
    fn unknown_and_missing_fields_and_wrong_resources_are_refused() {
        let t = a_type();
        assert!(matches!(
            t.check(CustomizedResource::Payment, &mut custom(json!({"orderId": "o", "nope": 1}))),
            Err(DomainError::InvalidOperation(_))
        ));
        assert_eq!(
            t.check(CustomizedResource::Payment, &mut custom(json!({"count": 1}))),
            Err(DomainError::RequiredField { field: "orderId".into() })
        );
        assert!(matches!(
            t.check(CustomizedResource::InterfaceInteraction, &mut custom(json!({"orderId": "o"}))),
            Err(DomainError::InvalidOperation(_))
        ));
    }

    #[test]
    fn enum_values_are_removed_and_values_using_them_fail_only_when_next_checked() {
        let mut t = a_type();
        let remove = |action: &str, field: &str, keys: Value| {
            serde_json::from_value::<TypeUpdateAction>(
                json!({"action": action, "fieldName": field, "keys": keys}),
            )
            .unwrap()
        };
        let mut fields = custom(json!({"orderId": "o", "color": "red"}));
        apply(&mut t, remove("removeEnumValues", "color", json!([]))).unwrap();
        assert!(t.check(CustomizedResource::Payment, &mut fields).is_ok(), "an empty list changes nothing");
        apply(&mut t, remove("removeEnumValues", "color", json!(["red"]))).unwrap();
        assert!(matches!(
            t.check(CustomizedResource::Payment, &mut fields),
            Err(DomainError::InvalidField { .. })
        ));
        assert!(apply(&mut t, remove("removeEnumValues", "color", json!(["red"]))).is_err(), "gone already");
        assert!(apply(&mut t, remove("removeEnumValues", "size", json!(["s"]))).is_err(), "not an Enum");
        apply(&mut t, remove("removeLocalizedEnumValues", "size", json!(["s"]))).unwrap();
        let size = t.field_definitions.iter().find(|d| d.name.as_str() == "size").unwrap();
        assert_eq!(size.field_type, FieldType::LocalizedEnum { values: vec![] });
    }

    #[test]
    fn sets_hold_no_value_twice_and_money_may_be_negative() {
        let t = a_type();
        let check = |fields: Value| t.check(CustomizedResource::Payment, &mut custom(fields));
        let mut numbers = a_type();
        let set_of_numbers = json!({"name": "ns", "label": {"en": "N"}, "required": false, "type": {"name": "Set", "elementType": {"name": "Number"}}});
        apply(
            &mut numbers,
            serde_json::from_value(
                json!({"action": "addFieldDefinition", "fieldDefinition": set_of_numbers}),
            )
            .unwrap(),
        )
        .unwrap();
        let mut twice = custom(json!({"orderId": "o", "ns": [1, 1.0]}));
        assert!(numbers.check(CustomizedResource::Payment, &mut twice).is_err(), "1 and 1.0 are one number");
        assert!(check(json!({"orderId": "o", "price": {"currencyCode": "EUR", "centAmount": -5}})).is_ok());
    }

    #[test]
    fn update_actions_change_definitions() {
        let mut t = a_type();
        let actions: Vec<TypeUpdateAction> = serde_json::from_value(json!([
            {"action": "changeName", "name": {"en": "New"}},
            {"action": "setDescription", "description": {"en": "D"}},
            {"action": "addFieldDefinition", "fieldDefinition": {"name": "extra", "label": {"en": "E"}, "required": false, "type": {"name": "String"}}},
            {"action": "changeFieldDefinitionLabel", "fieldName": "extra", "label": {"en": "Old name"}},
            {"action": "changeLabel", "fieldName": "extra", "label": {"en": "Extra"}},
            {"action": "addEnumValue", "fieldName": "color", "value": {"key": "blue", "label": "Blue"}},
            {"action": "removeFieldDefinition", "fieldName": "count"},
            {"action": "changeKey", "key": "renamed"}
        ]))
        .unwrap();
        for action in actions {
            apply(&mut t, action).unwrap();
        }
        assert_eq!(t.key.as_str(), "renamed");
        assert!(t.field_definitions.iter().any(|d| d.name.as_str() == "extra" && d.label["en"] == "Extra"));
        assert!(!t.field_definitions.iter().any(|d| d.name.as_str() == "count"));
        let mut names: Vec<String> = t.field_definitions.iter().map(|d| d.name.as_str().to_owned()).collect();
        names.reverse();
        apply(&mut t, TypeUpdateAction::ChangeFieldDefinitionOrder { field_names: names.clone() }).unwrap();
        assert_eq!(t.field_definitions[0].name.as_str(), names[0]);
        assert!(apply(
            &mut t,
            TypeUpdateAction::ChangeFieldDefinitionOrder { field_names: vec!["extra".into()] }
        )
        .is_err());
        assert!(apply(&mut t, TypeUpdateAction::RemoveFieldDefinition { field_name: "nope".into() }).is_err());
        let duplicate = serde_json::from_value(
            json!({"action": "addEnumValue", "fieldName": "color", "value": {"key": "red", "label": "R"}}),
        )
        .unwrap();
        assert!(matches!(apply(&mut t, duplicate), Err(DomainError::DuplicateField { .. })));
        let hint = |field: &str| {
            serde_json::from_value(
                json!({"action": "changeInputHint", "fieldName": field, "inputHint": "MultiLine"}),
            )
            .unwrap()
        };
        apply(&mut t, hint("extra")).unwrap();
        assert_eq!(
            t.field_definitions.iter().find(|d| d.name.as_str() == "extra").unwrap().input_hint,
            InputHint::MultiLine
        );
        assert!(
            matches!(apply(&mut t, hint("color")), Err(DomainError::InvalidOperation(_))),
            "an enum takes no hint"
        );
    }

    #[test]
    fn a_field_name_has_one_type_per_resource() {
        let mut other = a_type();
        other.id = "t-2".into();
        other.field_definitions.retain(|d| d.name.as_str() == "count" || d.name.as_str() == "color");
        other.enum_values("color").unwrap().clear();
        assert!(
            check_field_types_agree(&a_type(), [&other].into_iter()).is_ok(),
            "same types, other enum values"
        );
        other.field_definitions[0].field_type = FieldType::String;
        assert!(check_field_types_agree(&a_type(), [&other].into_iter()).is_err());
        other.resource_type_ids = vec!["order".into()];
        assert!(check_field_types_agree(&a_type(), [&other].into_iter()).is_ok(), "another resource");
    }

    #[test]
    fn drafts_are_checked() {
        let draft = |value: Value| serde_json::from_value::<TypeDraft>(value);
        assert!(draft(json!({"key": "k1", "name": {"en": "n"}, "resourceTypeIds": ["payment"], "fieldDefinitions": [{"name": "x", "label": {}, "required": false, "type": {"name": "String"}}]})).is_err(), "field names need 2 characters");
        assert!(draft(json!({"key": "k1", "name": {"en": "n"}, "resourceTypeIds": ["payment"], "fieldDefinitions": [{"name": "xx", "label": {}, "required": false, "type": {"name": "Blob"}}]})).is_err());
        let now = Timestamp::parse("2024-01-01T00:00:00Z").unwrap();
        let unknown_resource =
            draft(json!({"key": "k1", "name": {"en": "n"}, "resourceTypeIds": ["spaceship"]})).unwrap();
        assert!(
            matches!(
                Type::create("t".into(), unknown_resource, now, None),
                Err(DomainError::InvalidJsonInput { .. })
            ),
            "an unknown resource type id is outside the enum, as the JSON parser reports it"
        );
        let twice = draft(
            json!({"key": "k1", "name": {"en": "n"}, "resourceTypeIds": ["payment"], "fieldDefinitions": [
            {"name": "xx", "label": {}, "required": false, "type": {"name": "String"}},
            {"name": "xx", "label": {}, "required": false, "type": {"name": "Number"}}]}),
        )
        .unwrap();
        assert!(matches!(
            Type::create("t".into(), twice, now, None),
            Err(DomainError::DuplicateField { .. })
        ));
        let enum_key_twice = draft(json!({"key": "k1", "name": {"en": "n"}, "resourceTypeIds": ["payment"], "fieldDefinitions": [
            {"name": "xx", "label": {}, "required": false, "type": {"name": "Set", "elementType": {"name": "Enum", "values": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}}}]}))
        .unwrap();
        assert!(matches!(
            Type::create("t".into(), enum_key_twice, now, None),
            Err(DomainError::DuplicateField { .. })
        ));
        let variant = draft(json!({"key": "k1", "name": {"en": "n"}, "resourceTypeIds": ["payment"], "fieldDefinitions": [
            {"name": "xx", "label": {}, "required": false, "type": {"name": "Reference", "referenceTypeId": "variant"}}]}))
        .unwrap();
        assert!(matches!(
            Type::create("t".into(), variant, now, None),
            Err(DomainError::InvalidJsonInput { .. })
        ));
    }
}
