//! Evaluates a checked predicate on a resource's JSON document, in memory. The SQL compiler
//! must agree with it on every document; the differential tests hold them to that.
//!
//! Semantics: a test on an absent (or null) value is false, so `!=` and `not in` need the value
//! to be there; `not(...)` is the plain negation. Ordering comparisons need the value to have
//! the literal's JSON type; strings compare byte-wise.

use super::parser::Comparison;
use super::schema::{Checked, CheckedTest, Path, Scalar, ValueType};
use crate::domain::numbers;
use serde_json::Value;
use std::cmp::Ordering;

pub fn matches(predicate: &Checked, scope: &Value) -> bool {
    match predicate {
        Checked::And(a, b) => matches(a, scope) && matches(b, scope),
        Checked::Or(a, b) => matches(a, scope) || matches(b, scope),
        Checked::Not(a) => !matches(a, scope),
        Checked::AnyElement { path, predicate, or_object } => match lookup(scope, path) {
            Some(Value::Array(elements)) => {
                elements.iter().any(|element| element.is_object() && matches(predicate, element))
            }
            Some(object @ Value::Object(_)) if *or_object => matches(predicate, object),
            _ => false,
        },
        Checked::Value { path, value_type, test } => test_value(lookup(scope, path), *value_type, test),
    }
}

/// How two documents order by the sort keys, as the SQL `ORDER BY` of the list endpoints does:
/// values before missing ones in either direction, numbers numerically, strings byte-wise,
/// remaining ties by id.
pub fn order(a: &Value, b: &Value, keys: &[super::SortKey]) -> Ordering {
    for key in keys {
        let ordering = match (sortable(a, &key.path), sortable(b, &key.path)) {
            // Types keep their order (numbers, strings, booleans) in either direction, as the
            // SQL's one term per type does; the direction orders the values of a type.
            (Some(x), Some(y)) => match (type_rank(x).cmp(&type_rank(y)), compare_values(x, y)) {
                (Ordering::Equal, ordering) if key.descending => ordering.reverse(),
                (Ordering::Equal, ordering) => ordering,
                (by_type, _) => by_type,
            },
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    let id = |document: &Value| document.get("id").and_then(Value::as_str).map(str::to_owned);
    id(a).cmp(&id(b))
}

fn sortable<'a>(document: &'a Value, path: &Path) -> Option<&'a Value> {
    lookup(document, path).filter(|value| value.is_number() || value.is_string() || value.is_boolean())
}

/// Numbers before strings before booleans.
fn type_rank(value: &Value) -> u8 {
    match value {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        _ => 2,
    }
}

/// Two values of one type in their order (numbers numerically, strings byte-wise).
fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers::compare(x, y).unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

fn lookup<'a>(scope: &'a Value, path: &Path) -> Option<&'a Value> {
    let mut value = scope;
    for segment in &path.segments {
        value = value.as_object()?.get(segment)?;
    }
    (!value.is_null()).then_some(value)
}

fn test_value(value: Option<&Value>, value_type: ValueType, test: &CheckedTest) -> bool {
    match test {
        CheckedTest::IsDefined { negated } => value.is_some() != *negated,
        CheckedTest::IsEmpty { negated } => match value {
            Some(Value::Array(elements)) => elements.is_empty() != *negated,
            _ => false,
        },
        CheckedTest::Compare(Comparison::Ne, scalar) => value.is_some_and(|v| !equals(v, scalar)),
        CheckedTest::Compare(op, scalar) => {
            value.and_then(|v| compare(v, scalar, value_type)).is_some_and(|ordering| match op {
                Comparison::Eq => ordering == Ordering::Equal,
                Comparison::Lt => ordering == Ordering::Less,
                Comparison::Le => ordering != Ordering::Greater,
                Comparison::Gt => ordering == Ordering::Greater,
                Comparison::Ge => ordering != Ordering::Less,
                Comparison::Ne => ordering != Ordering::Equal,
            })
        }
        CheckedTest::In { negated, values } => {
            value.is_some_and(|v| values.iter().any(|scalar| equals(v, scalar)) != *negated)
        }
        CheckedTest::Contains { all, values } => match value {
            Some(Value::Array(elements)) => {
                let contains = |scalar: &Scalar| elements.iter().any(|element| equals(element, scalar));
                if *all {
                    values.iter().all(contains)
                } else {
                    values.iter().any(contains)
                }
            }
            _ => false,
        },
    }
}

/// Equality that respects JSON types: `1` is not `"1"`.
fn equals(value: &Value, scalar: &Scalar) -> bool {
    compare(value, scalar, ValueType::Any) == Some(Ordering::Equal)
}

/// How `value` orders against the literal, if they are of the same JSON type.
fn compare(value: &Value, scalar: &Scalar, _value_type: ValueType) -> Option<Ordering> {
    match (value, scalar) {
        (Value::String(text), Scalar::Text(literal)) => Some(text.as_bytes().cmp(literal.as_bytes())),
        (Value::Bool(flag), Scalar::Bool(literal)) => Some(flag.cmp(literal)),
        (Value::Number(number), Scalar::Number(literal)) => numbers::compare_to_literal(number, literal),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parser::parse;
    use crate::query::schema::{check, payment, Variables};
    use serde_json::json;

    fn eval(predicate: &str, document: &Value) -> bool {
        matches(&check(&parse(predicate).unwrap(), &payment(), &Variables::new()).unwrap(), document)
    }

    #[test]
    fn documents_order_as_the_sql_sorts_them() {
        let key = |text: &str| crate::query::sort_key(text, &payment()).unwrap();
        let mut documents = vec![
            json!({"id": "d", "custom": {"fields": {"n": "text"}}}),
            json!({"id": "c"}),
            json!({"id": "b", "custom": {"fields": {"n": 10}}}),
            json!({"id": "a", "custom": {"fields": {"n": 9}}}),
            json!({"id": "e", "custom": {"fields": {"n": true}}}),
        ];
        let ids = |documents: &[Value]| {
            documents.iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };
        documents.sort_by(|a, b| order(a, b, &[key("custom.fields.n asc")]));
        assert_eq!(
            ids(&documents),
            ["a", "b", "d", "e", "c"],
            "numbers, then text, then booleans; missing last"
        );
        documents.sort_by(|a, b| order(a, b, &[key("custom.fields.n desc")]));
        assert_eq!(ids(&documents), ["b", "a", "d", "e", "c"], "types keep their order; missing last");
        documents.sort_by(|a, b| order(a, b, &[]));
        assert_eq!(ids(&documents), ["a", "b", "c", "d", "e"], "ties by id");
    }

    fn document() -> Value {
        json!({
            "id": "p-1", "version": 3, "key": "order-1",
            "amountPlanned": {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1500, "fractionDigits": 2},
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "name": {"en": "Card"}},
            "paymentStatus": {},
            "transactions": [
                {"id": "t-1", "type": "Authorization", "state": "Success", "amount": {"currencyCode": "EUR", "centAmount": 1500}},
                {"id": "t-2", "type": "Charge", "state": "Pending", "interactionId": "ch_1", "amount": {"currencyCode": "EUR", "centAmount": 500}}
            ],
            "interfaceInteractions": [],
            "custom": {"type": {"typeId": "type", "id": "t"}, "fields": {"n": 5, "s": "x", "b": true, "set": ["a", "b"],
                "fee": {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 99, "fractionDigits": 2},
                "buyer": {"typeId": "customer", "id": "c-1"}, "note": {"de": "hallo"}}},
            "createdAt": "2024-01-01T00:00:00.000Z", "lastModifiedAt": "2024-01-02T00:00:00.000Z"
        })
    }

    #[test]
    fn comparisons_and_logic() {
        let d = document();
        assert!(eval(r#"amountPlanned(centAmount > 500 and currencyCode = "EUR")"#, &d));
        assert!(!eval(r#"amountPlanned(centAmount > 1500)"#, &d));
        assert!(eval(r#"key = "order-1" or key = "other""#, &d));
        assert!(eval(r#"not(key = "other")"#, &d));
        assert!(eval(
            r#"createdAt >= "2024-01-01T00:00:00Z" and createdAt < "2024-01-01T00:00:00.001Z""#,
            &d
        ));
        assert!(eval(r#"version in (1, 3)"#, &d));
        assert!(eval(r#"key not in ("a", "b")"#, &d));
    }

    #[test]
    fn one_element_must_match_the_whole_inner_predicate() {
        let d = document();
        assert!(eval(r#"transactions(type = "Charge" and state = "Pending")"#, &d));
        assert!(!eval(r#"transactions(type = "Charge" and state = "Success")"#, &d));
        assert!(eval(r#"transactions(interactionId = "ch_1")"#, &d));
        assert!(eval("interfaceInteractions is empty and transactions is not empty", &d));
    }

    #[test]
    fn absent_values_fail_every_test_but_is_not_defined() {
        let d = document();
        assert!(!eval(r#"anonymousId = "a""#, &d));
        assert!(!eval(r#"anonymousId != "a""#, &d));
        assert!(!eval(r#"anonymousId not in ("a")"#, &d));
        assert!(eval("anonymousId is not defined", &d));
        assert!(eval(r#"not(anonymousId = "a")"#, &d));
        assert!(eval("paymentStatus(state is not defined)", &d));
    }

    #[test]
    fn custom_fields_compare_by_the_literals_type() {
        let d = document();
        assert!(eval("custom(fields(n > 4 and n = 5 and b = true))", &d));
        assert!(!eval(r#"custom(fields(n = "5"))"#, &d));
        assert!(eval(r#"custom(fields(s != 5))"#, &d), "a string is not the number 5");
        assert!(eval(r#"custom(fields(set contains all ("a", "b") and set contains any ("z", "a")))"#, &d));
        assert!(!eval(r#"custom(fields(set contains all ("a", "z")))"#, &d));
        assert!(eval(r#"paymentMethodInfo(name(en = "Card"))"#, &d));
    }

    #[test]
    fn custom_fields_holding_objects_are_queried_by_their_fields() {
        let d = document();
        assert!(eval(r#"custom(fields(fee(centAmount > 50 and currencyCode = "EUR")))"#, &d));
        assert!(!eval(r#"custom(fields(fee(centAmount > 99)))"#, &d));
        assert!(eval(r#"custom(fields(buyer(id = "c-1") and note(de = "hallo")))"#, &d));
        assert!(!eval(r#"custom(fields(note(en = "hallo")))"#, &d));
        assert!(!eval(r#"custom(fields(n(x = 1)))"#, &d), "a number has no fields");
    }
}
