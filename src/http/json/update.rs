//! Update requests (`{version, actions}`): each action is read through its enum's named twin
//! (see [`crate::domain::update_actions`]), so that a problem inside it is named by its path.

use super::{commercetools_path, detail};
use crate::domain::update_actions::UpdateAction;
use crate::domain::versioning::UpdateRequest;
use crate::error::ApiError;
use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// Parses an update request. Each action is read through its enum's named twin (see
/// [`crate::domain::update_actions`]), so that a problem inside it is named by its path
/// (`actions -> customer -> id: ...`), as commercetools names it. An action's fields are kept
/// as the client wrote them until then, so numbers keep their digits and a field given twice
/// is refused at any depth.
pub fn parse_update<A: UpdateAction>(bytes: &[u8]) -> Result<UpdateRequest<A>, ApiError> {
    let request: UpdateRequest<ActionFields> = super::parse(bytes)?;
    let actions = request.actions.into_iter().map(parse_action).collect::<Result<_, _>>()?;
    Ok(UpdateRequest { version: request.version, actions })
}

fn parse_action<A: UpdateAction>(ActionFields(mut fields): ActionFields) -> Result<A, ApiError> {
    let Some(at) = fields.iter().position(|(key, _)| key == "action") else {
        return Err(ApiError::invalid_json("actions -> action: Missing required value"));
    };
    let (_, name) = fields.remove(at);
    let name: String = serde_json::from_str(name.get())
        .map_err(|_| ApiError::invalid_json("actions -> action: JSON string expected."))?;
    // `{"name": {fields}}`, the twin's form, written from the fields' own text.
    let mut named = serde_json::to_string(&name).map_err(ApiError::internal)?;
    named.insert(0, '{');
    named.push_str(":{");
    for (index, (key, value)) in fields.iter().enumerate() {
        if index > 0 {
            named.push(',');
        }
        named.push_str(&serde_json::to_string(key).map_err(ApiError::internal)?);
        named.push(':');
        named.push_str(value.get());
    }
    named.push_str("}}");
    let mut deserializer = serde_json::Deserializer::from_str(&named);
    serde_path_to_error::deserialize(&mut deserializer).map(A::from_named).map_err(|error| {
        let inside = commercetools_path(error.path());
        let error = error.into_inner();
        // An unknown name is the fault of the `action` field.
        let field = if inside.is_empty() && error.to_string().starts_with("unknown variant") {
            "action".to_owned()
        } else {
            inside
        };
        let path = if field.is_empty() { "actions".to_owned() } else { format!("actions -> {field}") };
        // Written from valid JSON: whatever the parser objects to is a value, not the syntax.
        ApiError::invalid_json(detail(&path, &error, true))
    })
}

/// An update action's fields in the order written, each value as its JSON text; a field given
/// twice is refused, as in any other object of a request.
struct ActionFields(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for ActionFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;

        impl<'de> Visitor<'de> for Fields {
            type Value = ActionFields;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a map")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<ActionFields, M::Error> {
                let mut fields: Vec<(String, Box<RawValue>)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if fields.iter().any(|(seen, _)| *seen == key) {
                        return Err(M::Error::custom(format!("duplicate field `{key}`")));
                    }
                    let value = map.next_value()?;
                    fields.push((key, value));
                }
                Ok(ActionFields(fields))
            }
        }

        deserializer.deserialize_map(Fields)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::invalid_json_detail;
    use super::*;

    fn update_detail(actions: &str) -> String {
        use crate::domain::actions::PaymentUpdateAction;
        let body = format!(r#"{{"version": 1, "actions": {actions}}}"#);
        invalid_json_detail(parse_update::<PaymentUpdateAction>(body.as_bytes()))
    }

    #[test]
    fn a_problem_inside_an_update_action_is_named_by_its_path() {
        let cases = [
            (
                r#"[{"action": "setCustomer", "customer": {"typeId": "customer", "id": 7}}]"#,
                "actions -> customer -> id: JSON string expected.",
            ),
            (
                r#"[{"action": "changeTransactionState", "transactionId": "t"}]"#,
                "actions -> state: Missing required value",
            ),
            (
                r#"[{"action": "changeTransactionState", "transactionId": "t", "state": "Paid"}]"#,
                "actions -> state: Invalid enum value 'Paid'. Expected one of: 'Initial', 'Pending', 'Success', 'Failure'",
            ),
            (
                r#"[{"action": "changeAmountPlanned", "amount": {"currencyCode": "EUR"}}]"#,
                "actions -> amount -> centAmount: Missing required value",
            ),
            (
                r#"[{"action": "addTransaction", "transaction": {"type": "Charge", "amount": {"currencyCode": "EUR", "centAmount": "1"}}}]"#,
                "actions -> transaction -> amount -> centAmount: JSON number expected.",
            ),
            (
                r#"[{"action": "setCustomer", "customer": {"typeId": "cart", "id": "c"}}]"#,
                "actions -> customer -> typeId: Expected 'customer' but got 'cart'.",
            ),
            (
                r#"[{"action": "setTransactionCustomType", "transactionId": "t", "type": {"typeId": "state", "key": "k"}}]"#,
                "actions -> type -> typeId: Expected 'type' but got 'state'.",
            ),
            (r#"[{"action": "setKey", "key": 5}]"#, "actions -> key: JSON string expected."),
            (r#"[{"key": "k"}]"#, "actions -> action: Missing required value"),
            (r#"[{"action": 1}]"#, "actions -> action: JSON string expected."),
            (r#"["setKey"]"#, "actions: JSON object expected."),
            (r#"{"action": "setKey"}"#, "actions: JSON array expected."),
        ];
        for (actions, expected) in cases {
            assert_eq!(update_detail(actions), expected, "{actions}");
        }
        let more = [
            (r#"[{"action": "setKey", "key": "k-1", "key": "k-2"}]"#, "actions -> key: Duplicate field"),
            (r#"[{"action": "setKey", "action": "setAnonymousId"}]"#, "actions -> action: Duplicate field"),
            (
                r#"[{"action": "changeAmountPlanned", "amount": {"currencyCode": "EUR", "centAmount": 1, "centAmount": 2}}]"#,
                "actions -> amount -> centAmount: Duplicate field",
            ),
            (
                r#"[{"action": "changeTransactionState", "transactionId": "t", "state": 1}]"#,
                "actions -> state: JSON string expected.",
            ),
            (
                r#"[{"action": "changeTransactionState", "transactionId": "t", "state": {}}]"#,
                "actions -> state: JSON string expected.",
            ),
            (
                r#"[{"action": "changeAmountPlanned", "amount": {"currencyCode": "EUR", "centAmount": 1.5}}]"#,
                "actions -> amount -> centAmount: JSON integer expected.",
            ),
            (
                r#"[{"action": "changeAmountPlanned", "amount": {"currencyCode": "EUR", "centAmount": 9223372036854775808}}]"#,
                "actions -> amount -> centAmount: Value out of range.",
            ),
            (
                r#"[{"action": "changeAmountPlanned", "amount": {"currencyCode": "EUR", "centAmount": 1e400}}]"#,
                "actions -> amount -> centAmount: Number out of range.",
            ),
        ];
        for (actions, expected) in more {
            assert_eq!(update_detail(actions), expected, "{actions}");
        }
        let unknown = update_detail(r#"[{"action": "setColour"}]"#);
        assert!(
            unknown.starts_with(
                "actions -> action: Invalid enum value 'setColour'. Expected one of: 'setKey', "
            ),
            "{unknown}"
        );
    }

    #[test]
    fn the_other_resources_actions_are_named_by_path_too() {
        use crate::domain::customers::CustomerUpdateAction;
        let body = br#"{"version": 1, "actions": [{"action": "removeAddress", "addressId": 1}]}"#;
        assert_eq!(
            invalid_json_detail(parse_update::<CustomerUpdateAction>(body)),
            "actions -> addressId: JSON string expected."
        );
    }

    #[test]
    fn the_actions_of_an_update_are_read_in_order() {
        use crate::domain::actions::PaymentUpdateAction;
        let body =
            br#"{"version": 3, "actions": [{"key": "key-1", "action": "setKey"}, {"action": "setKey"}]}"#;
        let request = parse_update::<PaymentUpdateAction>(body).unwrap();
        assert_eq!(request.version, 3);
        assert!(matches!(
            request.actions.as_slice(),
            [PaymentUpdateAction::SetKey { key: Some(_) }, PaymentUpdateAction::SetKey { key: None }]
        ));
    }
}
