//! Any text given as `where`: parsing, checking, compiling and evaluating never panic, and
//! the compiled SQL has exactly one placeholder per parameter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payments_api::query::{eval, schema, sql};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut variables = schema::Variables::new();
    variables.insert("p".into(), vec!["1".into(), "x".into()]);
    let Ok(Some(checked)) = payments_api::query::predicate(&[text], &schema::PAYMENT_FIELDS, &variables) else {
        return;
    };
    for dialect in [sql::Dialect::Sqlite, sql::Dialect::Postgres] {
        let fragment = sql::compile(&checked, dialect, "payments");
        assert_eq!(fragment.sql.matches('?').count(), fragment.params.len());
    }
    let document = serde_json::json!({"id": "p", "version": 1, "transactions": [{"state": "Initial"}], "custom": {"fields": {"a": [1, "x"]}}});
    let _ = eval::matches(&checked, &document);
});
