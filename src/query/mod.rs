//! commercetools query predicates and sort expressions: parsed with positions, checked against
//! a resource's schema, compiled to SQL for either backend, and evaluated in memory (the
//! evaluator is the reference the SQL is tested against).

pub mod eval;
pub mod parser;
pub mod schema;
pub mod sql;

use crate::error::ApiError;
use schema::{Checked, Field, Kind, Path, ValueType, Variables};

/// The predicates of all `where` parameters, ANDed; None when there are none.
pub fn predicate(
    wheres: &[&str],
    fields: &[Field],
    variables: &Variables,
) -> Result<Option<Checked>, ApiError> {
    let mut combined: Option<Checked> = None;
    for text in wheres {
        let parsed = parser::parse(text).map_err(|error| {
            ApiError::invalid_input(format!(
                "Malformed parameter: where: Syntax error while parsing 'where'. {error}:\n{text}\n{}^",
                " ".repeat(error.position.column.saturating_sub(1))
            ))
        })?;
        let checked = schema::check(&parsed, fields, variables).map_err(|error| {
            ApiError::invalid_input(format!(
                "Malformed parameter: where: {} ({})",
                error.message, error.position
            ))
        })?;
        combined = Some(match combined {
            None => checked,
            Some(previous) => Checked::And(Box::new(previous), Box::new(checked)),
        });
    }
    Ok(combined)
}

/// One `sort` parameter: a dotted path to a scalar field and a direction.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub path: Path,
    pub value_type: ValueType,
    pub descending: bool,
}

/// Parses `createdAt desc`, `amountPlanned.centAmount asc`, `paymentMethodInfo.name.en`.
pub fn sort_key(text: &str, fields: &[Field]) -> Result<SortKey, ApiError> {
    let malformed =
        |problem: String| ApiError::invalid_input(format!("Malformed parameter: sort: {problem}"));
    let mut words = text.split_whitespace();
    let path_text = words.next().ok_or_else(|| malformed("A sort expression needs a field.".into()))?;
    let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => return Err(malformed(format!("Invalid sort direction '{other}' in '{text}'."))),
    };
    if words.next().is_some() {
        return Err(malformed(format!("Invalid sort expression '{text}'.")));
    }
    let mut current: &[Field] = fields;
    let mut kind: Option<&Kind> = None;
    let mut column = None;
    let mut segments = Vec::new();
    for segment in path_text.split('.') {
        let next = match kind {
            None => current.iter().find(|f| f.name == segment),
            Some(Kind::Object(children)) => {
                current = children;
                current.iter().find(|f| f.name == segment)
            }
            Some(Kind::Map(value_kind)) => {
                kind = Some(value_kind);
                segments.push(segment.to_owned());
                column = None;
                continue;
            }
            // Inside a custom field (a LocalizedString's locale, a Money's centAmount, a
            // Reference's id): its type is not known here, so what it holds decides.
            Some(Kind::Any) => {
                segments.push(segment.to_owned());
                continue;
            }
            Some(_) => None,
        };
        let field = next.ok_or_else(|| malformed(format!("The field '{path_text}' cannot be sorted by.")))?;
        segments.push(segment.to_owned());
        column = field.column;
        kind = Some(&field.kind);
    }
    let value_type = match kind {
        Some(Kind::Number) => ValueType::Number,
        Some(Kind::String | Kind::DateTime | Kind::Enum(..)) => ValueType::Text,
        Some(Kind::Boolean) => ValueType::Bool,
        Some(Kind::Any) => ValueType::Any,
        _ => return Err(malformed(format!("The field '{path_text}' cannot be sorted by."))),
    };
    Ok(SortKey { path: Path { segments, column }, value_type, descending })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_resolve_dotted_paths() {
        let fields = schema::payment();
        let key = sort_key("amountPlanned.centAmount desc", &fields).unwrap();
        assert_eq!(key.path.segments, vec!["amountPlanned", "centAmount"]);
        assert_eq!(key.value_type, ValueType::Number);
        assert!(key.descending);
        assert_eq!(
            sort_key("createdAt", &fields).unwrap().path.column,
            Some(schema::Column::Millis("created_at"))
        );
        assert!(sort_key("paymentMethodInfo.name.en asc", &fields).is_ok());
        let within_custom = sort_key("custom.fields.fee.centAmount desc", &fields).unwrap();
        assert_eq!(within_custom.path.segments, vec!["custom", "fields", "fee", "centAmount"]);
        assert_eq!(within_custom.value_type, ValueType::Any);
        for bad in ["transactions.state", "amountPlanned", "nope asc", "key sideways", "key asc more", ""] {
            assert!(sort_key(bad, &fields).is_err(), "{bad}");
        }
    }

    /// A stable stand-in for the cargo-fuzz target (fuzz/): mutated predicates never panic
    /// anywhere between parsing and SQL, and placeholders match parameters.
    #[test]
    fn mutated_predicates_never_panic() {
        use rand::{Rng, SeedableRng};
        let seeds = [
            r#"amountPlanned(centAmount > 500 and currencyCode = "EUR") or not(key in ("a", "b"))"#,
            r#"transactions(type = "Charge" and state = "Success" and amount(centAmount >= 10))"#,
            r#"custom(fields(a contains all (1, "x") and b is not empty)) and createdAt < "2024-01-01T00:00:00Z""#,
            r#"paymentMethodInfo(name(en = "a\"b")) and key in :p and version = :p"#,
        ];
        let alphabet: Vec<char> =
            "()=!<>,:\"\\ aAzZ09-_.eE+notandoriscontainsanyallemptydefined\u{e9}".chars().collect();
        let mut variables = schema::Variables::new();
        variables.insert("p".into(), vec!["1".into()]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for round in 0..20_000 {
            let mut text: Vec<char> = seeds[round % seeds.len()].chars().collect();
            for _ in 0..rng.random_range(1..6) {
                let at = rng.random_range(0..=text.len());
                let c = alphabet[rng.random_range(0..alphabet.len())];
                match rng.random_range(0..3) {
                    0 => text.insert(at, c),
                    1 if at < text.len() => {
                        text.remove(at);
                    }
                    _ if at < text.len() => text[at] = c,
                    _ => {}
                }
            }
            let text: String = text.into_iter().collect();
            if let Ok(Some(checked)) = predicate(&[text.as_str()], &schema::PAYMENT_FIELDS, &variables) {
                for dialect in [sql::Dialect::Sqlite, sql::Dialect::Postgres] {
                    let fragment = sql::compile(&checked, dialect, "payments");
                    assert_eq!(fragment.sql.matches('?').count(), fragment.params.len(), "{text}");
                }
                let _ = eval::matches(
                    &checked,
                    &serde_json::json!({"transactions": [{}], "custom": {"fields": {"a": [1]}}}),
                );
            }
        }
    }

    #[test]
    fn where_errors_name_the_problem_and_position() {
        let fields = schema::payment();
        let Err(ApiError::BadRequest(error)) = predicate(&["key = "], &fields, &Variables::new()) else {
            panic!()
        };
        assert!(error.to_string().starts_with("Malformed parameter: where: Syntax error"), "{error}");
        let Err(ApiError::BadRequest(error)) = predicate(&["nope = 1"], &fields, &Variables::new()) else {
            panic!()
        };
        assert_eq!(
            error.to_string(),
            "Malformed parameter: where: The field 'nope' does not exist. (line 1, column 1)"
        );
    }
}
