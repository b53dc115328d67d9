//! Compiles a checked predicate (and sort paths) to a SQL boolean expression for SQLite or
//! PostgreSQL. Every value, JSON path included, is a bound parameter (`?` placeholders; the
//! PostgreSQL caller numbers them); only our own column and alias names are SQL text.
//!
//! Each test is wrapped in COALESCE(..., false) so that SQL's unknown never leaks: the result
//! is the two-valued logic of [`super::eval`].

use super::parser::Comparison;
use super::schema::{Checked, CheckedTest, Column, Path, Scalar, ValueType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    Text(String),
    Integer(i64),
    /// A number literal in its canonical spelling (`domain::numbers`); SQLite binds it as an
    /// integer where it is one, else as a double; PostgreSQL casts it to numeric.
    Number(String),
}

/// SQL text with `?` placeholders and the parameters in the order they appear.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlFragment {
    pub sql: String,
    pub params: Vec<SqlParam>,
    /// Whether the SQL reads the JSON document (PostgreSQL then needs its jsonb form).
    pub uses_document: bool,
}

/// The jsonb form of the document that PostgreSQL queries read (a lateral alias).
pub const PG_DOCUMENT: &str = "d.doc";

/// Compiles a predicate on the documents of `table` (which has `id` and `document` columns).
pub fn compile(predicate: &Checked, dialect: Dialect, table: &'static str) -> SqlFragment {
    let mut compiler = Compiler { dialect, table, out: SqlFragment::default(), aliases: 0 };
    let root = compiler.root();
    compiler.predicate(predicate, &Scope { json: root, root: true });
    compiler.out
}

/// ORDER BY terms for a scalar path: values first, missing ones last, in both directions. A
/// custom field's value (`ValueType::Any`) sorts as a number, else as text, else as a boolean.
pub fn sort_term(
    path: &Path,
    value_type: ValueType,
    descending: bool,
    dialect: Dialect,
    table: &'static str,
) -> SqlFragment {
    let direction = if descending { "DESC" } else { "ASC" };
    let value_types: &[ValueType] = match value_type {
        ValueType::Any => &[ValueType::Number, ValueType::Text, ValueType::Bool],
        _ => std::slice::from_ref(&value_type),
    };
    let mut out = SqlFragment::default();
    for value_type in value_types {
        let expression = sortable(path, *value_type, dialect, table);
        if !out.sql.is_empty() {
            out.sql.push_str(", ");
        }
        out.sql.push_str(&format!("({0}) IS NULL ASC, {0} {direction}", expression.sql));
        // The expression appears twice, so its parameters do too.
        out.params.extend(expression.params.iter().cloned());
        out.params.extend(expression.params);
    }
    out
}

/// The value at `path` where it has the JSON type `value_type`, else NULL.
fn sortable(path: &Path, value_type: ValueType, dialect: Dialect, table: &'static str) -> SqlFragment {
    let mut compiler = Compiler { dialect, table, out: SqlFragment::default(), aliases: 0 };
    let root = compiler.root();
    let scope = Scope { json: root, root: true };
    let expression = match (path.column, dialect) {
        (Some(column), _) => format!("{table}.{}", column_name(column)),
        (None, Dialect::Sqlite) => {
            let json_type = compiler.sqlite_type(&scope, path);
            let extract = compiler.sqlite_extract(&scope, path);
            format!("(CASE WHEN {json_type} IN ({}) THEN {extract} END)", sqlite_types(value_type))
        }
        (None, Dialect::Postgres) => {
            let json = compiler.pg_json(&scope, path);
            let text = compiler.pg_text(&scope, path);
            match value_type {
                ValueType::Number => {
                    format!("(CASE WHEN jsonb_typeof({json}) = 'number' THEN ({text})::numeric END)")
                }
                ValueType::Bool => {
                    format!("(CASE WHEN jsonb_typeof({json}) = 'boolean' THEN ({text})::boolean END)")
                }
                _ => format!("(CASE WHEN jsonb_typeof({json}) = 'string' THEN ({text}) END) COLLATE \"C\""),
            }
        }
    };
    let mut out = compiler.out;
    out.sql = expression;
    out
}

fn column_name(column: Column) -> &'static str {
    match column {
        Column::Text(name) | Column::Integer(name) | Column::Millis(name) => name,
    }
}

fn sqlite_types(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::Number => "'integer', 'real'",
        ValueType::Bool => "'true', 'false'",
        ValueType::Text | ValueType::Any => "'text'",
    }
}

struct Scope {
    /// SQL of the JSON value the paths start from.
    json: String,
    /// Whether this is the resource itself (columns apply) or an array element.
    root: bool,
}

struct Compiler {
    dialect: Dialect,
    table: &'static str,
    out: SqlFragment,
    aliases: usize,
}

impl Compiler {
    fn root(&self) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("{}.document", self.table),
            Dialect::Postgres => PG_DOCUMENT.to_owned(),
        }
    }

    fn push(&mut self, sql: &str) {
        self.out.sql.push_str(sql);
    }

    fn param(&mut self, param: SqlParam) -> String {
        self.out.params.push(param);
        "?".into()
    }

    fn predicate(&mut self, predicate: &Checked, scope: &Scope) {
        match predicate {
            Checked::And(a, b) | Checked::Or(a, b) => {
                let joiner = if matches!(predicate, Checked::And(..)) { " AND " } else { " OR " };
                self.push("(");
                self.predicate(a, scope);
                self.push(joiner);
                self.predicate(b, scope);
                self.push(")");
            }
            Checked::Not(inner) => {
                self.push("(NOT ");
                self.predicate(inner, scope);
                self.push(")");
            }
            Checked::AnyElement { path, predicate, or_object } => {
                self.any_element(path, predicate, *or_object, scope)
            }
            Checked::Value { path, test, .. } => match (path.column.filter(|_| scope.root), test) {
                // Column tests stay bare so that indexes serve them; they are two-valued on
                // their own (see `column_test`).
                (Some(column), test)
                    if !matches!(test, CheckedTest::IsEmpty { .. } | CheckedTest::Contains { .. }) =>
                {
                    self.push("(");
                    self.column_test(column, test);
                    self.push(")");
                }
                _ => {
                    self.push("COALESCE((");
                    self.json_test(scope, path, test);
                    let falsy = self.falsy();
                    self.push(&format!("), {falsy})"));
                }
            },
        }
    }

    /// See [`Checked::AnyElement`]. Elements that are not objects never match: the predicate
    /// tests their fields (and SQLite's JSON functions refuse a bare string element).
    fn any_element(&mut self, path: &Path, predicate: &Checked, or_object: bool, scope: &Scope) {
        self.out.uses_document = true;
        self.aliases += 1;
        let alias = format!("e{}", self.aliases);
        self.push("(");
        if scope.root && self.table == "payments" && path.segments == ["transactions"] {
            // An index serves lookups by interaction id; the JSON test below stays the truth.
            if let Some(interaction_id) = interaction_id_equality(predicate) {
                let p = self.param(SqlParam::Text(interaction_id));
                self.push(&format!(
                    "payments.id IN (SELECT payment_id FROM payment_transactions WHERE interaction_id = {p}) AND "
                ));
            }
        }
        let element = Scope { json: format!("{alias}.value"), root: false };
        match self.dialect {
            Dialect::Sqlite => {
                let json_type = self.sqlite_type(scope, path);
                let source = self.sqlite_path(path);
                self.push(&format!(
                    "CASE {json_type} WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each({}, {source}) AS {alias} \
                     WHERE CASE WHEN {alias}.type = 'object' THEN ",
                    scope.json
                ));
                self.predicate(predicate, &element);
                self.push(" ELSE 0 END)");
            }
            Dialect::Postgres => {
                let value = self.pg_json(scope, path);
                let array = self.pg_array(scope, path);
                self.push(&format!(
                    "CASE jsonb_typeof({value}) WHEN 'array' THEN EXISTS (SELECT 1 FROM \
                     jsonb_array_elements({array}) AS {alias}(value) WHERE jsonb_typeof({alias}.value) = 'object' AND "
                ));
                self.predicate(predicate, &element);
                self.push(")");
            }
        }
        if or_object {
            // The path is written out rather than bound: the object's SQL is repeated in every
            // test of the predicate, and segments are identifiers (`[-_A-Za-z0-9]`).
            let object = match self.dialect {
                Dialect::Sqlite => {
                    let segments: Vec<String> = path.segments.iter().map(|s| format!(".\"{s}\"")).collect();
                    format!("json_extract({}, '${}')", scope.json, segments.concat())
                }
                Dialect::Postgres => format!("({} #> '{{{}}}'::text[])", scope.json, path.segments.join(",")),
            };
            self.push(" WHEN 'object' THEN ");
            self.predicate(predicate, &Scope { json: object, root: false });
        }
        let falsy = self.falsy();
        self.push(&format!(" ELSE {falsy} END)"));
    }

    fn column_test(&mut self, column: Column, test: &CheckedTest) {
        let name = format!("{}.{}", self.table, column_name(column));
        match test {
            CheckedTest::IsDefined { negated } => {
                self.push(&format!("{name} IS {}NULL", if *negated { "" } else { "NOT " }))
            }
            // `IS NOT NULL` keeps the test two-valued (a missing key is not "different").
            CheckedTest::Compare(op, scalar) => {
                let value = self.column_value(column, scalar);
                // Byte order for ranges, as in the evaluator. Equality needs no collation, and
                // without one the column's index serves it.
                let ordering = !matches!(op, Comparison::Eq | Comparison::Ne);
                let collate =
                    if self.dialect == Dialect::Postgres && ordering && matches!(column, Column::Text(_)) {
                        " COLLATE \"C\""
                    } else {
                        ""
                    };
                self.push(&format!("{name} IS NOT NULL AND {name}{collate} {} {value}", operator(*op)));
            }
            CheckedTest::In { negated, values } => {
                let placeholders: Vec<String> = values.iter().map(|v| self.column_value(column, v)).collect();
                let not = if *negated { "NOT " } else { "" };
                self.push(&format!("{name} IS NOT NULL AND {name} {not}IN ({})", placeholders.join(", ")));
            }
            CheckedTest::IsEmpty { .. } | CheckedTest::Contains { .. } => self.push("1 = 0"),
        }
    }

    /// A literal in the column's own representation (DateTimes as epoch milliseconds).
    fn column_value(&mut self, column: Column, scalar: &Scalar) -> String {
        let param = match (column, scalar) {
            (Column::Millis(_), Scalar::Text(text)) => crate::domain::common::Timestamp::parse(text)
                .map(|t| SqlParam::Integer(t.millis()))
                .unwrap_or(SqlParam::Integer(i64::MIN)),
            (Column::Integer(_), Scalar::Number(number)) => match number.parse::<i64>() {
                Ok(integer) => SqlParam::Integer(integer),
                Err(_) => SqlParam::Number(number.clone()),
            },
            (_, Scalar::Text(text)) => SqlParam::Text(text.clone()),
            (_, Scalar::Number(number)) => SqlParam::Number(number.clone()),
            (_, Scalar::Bool(flag)) => SqlParam::Text(flag.to_string()),
        };
        let cast = match (&param, self.dialect) {
            (SqlParam::Integer(_), Dialect::Postgres) => "::bigint",
            (SqlParam::Number(_), Dialect::Postgres) => "::numeric",
            _ => "",
        };
        format!("{}{cast}", self.param(param))
    }

    fn json_test(&mut self, scope: &Scope, path: &Path, test: &CheckedTest) {
        self.out.uses_document = true;
        match test {
            CheckedTest::IsDefined { negated } => {
                let defined = self.defined(scope, path);
                if *negated {
                    self.push(&format!("NOT ({defined})"));
                } else {
                    self.push(&defined);
                }
            }
            CheckedTest::IsEmpty { negated } => {
                let comparison = if *negated { "> 0" } else { "= 0" };
                let sql = match self.dialect {
                    Dialect::Sqlite => {
                        let json_type = self.sqlite_type(scope, path);
                        let p = self.sqlite_path(path);
                        format!(
                            "{json_type} = 'array' AND json_array_length({}, {p}) {comparison}",
                            scope.json
                        )
                    }
                    Dialect::Postgres => {
                        let json = self.pg_json(scope, path);
                        let array = self.pg_array(scope, path);
                        format!("jsonb_typeof({json}) = 'array' AND jsonb_array_length({array}) {comparison}")
                    }
                };
                self.push(&sql);
            }
            // On PostgreSQL each use of the document parses it again (the lateral cast is inlined),
            // so (in)equality reads the value once and compares it as jsonb, which is type-strict.
            CheckedTest::Compare(op @ (Comparison::Eq | Comparison::Ne), scalar)
                if self.dialect == Dialect::Postgres =>
            {
                let sql = self.pg_among(scope, path, *op == Comparison::Ne, std::slice::from_ref(scalar));
                self.push(&sql);
            }
            CheckedTest::In { negated, values } if self.dialect == Dialect::Postgres => {
                let sql = self.pg_among(scope, path, *negated, values);
                self.push(&sql);
            }
            CheckedTest::Compare(Comparison::Ne, scalar) => {
                let defined = self.defined(scope, path);
                let equal = self.typed_compare(scope, path, Comparison::Eq, scalar);
                self.push(&format!("{defined} AND NOT COALESCE(({equal}), {})", self.falsy()));
            }
            CheckedTest::Compare(op, scalar) => {
                let sql = self.typed_compare(scope, path, *op, scalar);
                self.push(&sql);
            }
            CheckedTest::In { negated, values } => {
                // Parameters are pushed in the order their SQL appears.
                let defined = if *negated { Some(self.defined(scope, path)) } else { None };
                let equalities: Vec<String> = values
                    .iter()
                    .map(|v| {
                        format!(
                            "COALESCE(({}), {})",
                            self.typed_compare(scope, path, Comparison::Eq, v),
                            self.falsy()
                        )
                    })
                    .collect();
                let any = format!("({})", equalities.join(" OR "));
                match defined {
                    Some(defined) => self.push(&format!("{defined} AND NOT {any}")),
                    None => self.push(&any),
                }
            }
            CheckedTest::Contains { all, values } => {
                let tests: Vec<String> = values.iter().map(|v| self.array_contains(scope, path, v)).collect();
                let joiner = if *all { " AND " } else { " OR " };
                self.push(&format!("({})", tests.join(joiner)));
            }
        }
    }

    fn falsy(&self) -> &'static str {
        if self.dialect == Dialect::Sqlite {
            "0"
        } else {
            "FALSE"
        }
    }

    fn defined(&mut self, scope: &Scope, path: &Path) -> String {
        match self.dialect {
            Dialect::Sqlite => {
                let json_type = self.sqlite_type(scope, path);
                format!("COALESCE({json_type} <> 'null', 0)")
            }
            Dialect::Postgres => {
                let json = self.pg_json(scope, path);
                format!("COALESCE(jsonb_typeof({json}) <> 'null', FALSE)")
            }
        }
    }

    /// Whether the value equals one of `values` (JSON types must match); negated, whether it is
    /// there (not null) and equals none.
    fn pg_among(&mut self, scope: &Scope, path: &Path, negated: bool, values: &[Scalar]) -> String {
        let json = self.pg_json(scope, path);
        let mut literals: Vec<String> = values
            .iter()
            .map(|scalar| match scalar {
                Scalar::Bool(flag) => format!("'{flag}'::jsonb"),
                Scalar::Text(text) => format!("to_jsonb({}::text)", self.param(SqlParam::Text(text.clone()))),
                Scalar::Number(number) => {
                    format!("to_jsonb({}::numeric)", self.param(SqlParam::Number(number.clone())))
                }
            })
            .collect();
        if negated {
            literals.insert(0, "'null'::jsonb".into());
            format!("{json} NOT IN ({})", literals.join(", "))
        } else {
            format!("{json} IN ({})", literals.join(", "))
        }
    }

    /// `value <op> literal` where the value has the literal's JSON type.
    fn typed_compare(&mut self, scope: &Scope, path: &Path, op: Comparison, scalar: &Scalar) -> String {
        let op = operator(op);
        match self.dialect {
            Dialect::Sqlite => {
                let json_type = self.sqlite_type(scope, path);
                match scalar {
                    Scalar::Bool(flag) => {
                        // Each use of a path is its own parameter.
                        let json_type_again = self.sqlite_type(scope, path);
                        format!("{json_type} IN ('true', 'false') AND ({json_type_again} = '{flag}') {op} 1")
                    }
                    Scalar::Text(text) => {
                        let extract = self.sqlite_extract(scope, path);
                        let value = self.param(SqlParam::Text(text.clone()));
                        format!("{json_type} = 'text' AND {extract} {op} {value}")
                    }
                    Scalar::Number(number) => {
                        let extract = self.sqlite_extract(scope, path);
                        let value = self.param(SqlParam::Number(number.clone()));
                        format!("{json_type} IN ('integer', 'real') AND {extract} {op} {value}")
                    }
                }
            }
            // An ordering reads the value once through a jsonpath, whose comparisons are
            // type-strict and order strings by code point (byte-wise in UTF-8), as ours do.
            Dialect::Postgres
                if matches!(op, "<" | "<=" | ">" | ">=") && !matches!(scalar, Scalar::Bool(_)) =>
            {
                let jsonpath = self.param(SqlParam::Text(format!("strict {} ? (@ {op} $v)", jsonpath(path))));
                let value = match scalar {
                    Scalar::Number(number) => {
                        format!("{}::numeric", self.param(SqlParam::Number(number.clone())))
                    }
                    Scalar::Text(text) => format!("{}::text", self.param(SqlParam::Text(text.clone()))),
                    Scalar::Bool(flag) => flag.to_string(),
                };
                format!(
                    "jsonb_path_exists({}, {jsonpath}::jsonpath, jsonb_build_object('v', {value}), true)",
                    scope.json
                )
            }
            Dialect::Postgres => {
                let json = self.pg_json(scope, path);
                let text = self.pg_text(scope, path);
                match scalar {
                    Scalar::Bool(flag) => {
                        format!("jsonb_typeof({json}) = 'boolean' AND ({text} = '{flag}') {op} TRUE")
                    }
                    Scalar::Text(value) => {
                        let value = self.param(SqlParam::Text(value.clone()));
                        format!("jsonb_typeof({json}) = 'string' AND ({text}) COLLATE \"C\" {op} {value}")
                    }
                    Scalar::Number(number) => {
                        let value = self.param(SqlParam::Number(number.clone()));
                        format!(
                            "(CASE WHEN jsonb_typeof({json}) = 'number' THEN ({text})::numeric END) {op} {value}::numeric"
                        )
                    }
                }
            }
        }
    }

    fn array_contains(&mut self, scope: &Scope, path: &Path, scalar: &Scalar) -> String {
        self.aliases += 1;
        let alias = format!("c{}", self.aliases);
        match self.dialect {
            Dialect::Sqlite => {
                let json_type = self.sqlite_type(scope, path);
                let source = self.sqlite_path(path);
                // json_each gives scalars as SQL values with their JSON type beside them.
                let test = match scalar {
                    Scalar::Text(text) => format!(
                        "{alias}.type = 'text' AND {alias}.value = {}",
                        self.param(SqlParam::Text(text.clone()))
                    ),
                    Scalar::Number(number) => {
                        format!(
                            "{alias}.type IN ('integer', 'real') AND {alias}.value = {}",
                            self.param(SqlParam::Number(number.clone()))
                        )
                    }
                    Scalar::Bool(flag) => format!("{alias}.type = '{flag}'"),
                };
                format!("{json_type} = 'array' AND EXISTS (SELECT 1 FROM json_each({}, {source}) AS {alias} WHERE {test})", scope.json)
            }
            Dialect::Postgres => {
                let array = self.pg_array(scope, path);
                let element = Scope { json: format!("{alias}.value"), root: false };
                let whole = Path { segments: vec![], column: None };
                let test = self.typed_compare(&element, &whole, Comparison::Eq, scalar);
                format!("EXISTS (SELECT 1 FROM jsonb_array_elements({array}) AS {alias}(value) WHERE {test})")
            }
        }
    }

    fn sqlite_path(&mut self, path: &Path) -> String {
        let mut json_path = String::from("$");
        for segment in &path.segments {
            json_path.push_str(&format!(".\"{segment}\""));
        }
        self.param(SqlParam::Text(json_path))
    }

    fn sqlite_extract(&mut self, scope: &Scope, path: &Path) -> String {
        if path.segments.is_empty() {
            return scope.json.clone();
        }
        let p = self.sqlite_path(path);
        format!("json_extract({}, {p})", scope.json)
    }

    fn sqlite_type(&mut self, scope: &Scope, path: &Path) -> String {
        let p = self.sqlite_path(path);
        format!("json_type({}, {p})", scope.json)
    }

    fn pg_path(&mut self, path: &Path) -> String {
        // Path segments are identifiers ([-_A-Za-z0-9]), so the array literal needs no quoting.
        let p = self.param(SqlParam::Text(format!("{{{}}}", path.segments.join(","))));
        format!("{p}::text[]")
    }

    fn pg_json(&mut self, scope: &Scope, path: &Path) -> String {
        if path.segments.is_empty() {
            return scope.json.clone();
        }
        let p = self.pg_path(path);
        format!("({} #> {p})", scope.json)
    }

    fn pg_text(&mut self, scope: &Scope, path: &Path) -> String {
        let p = self.pg_path(path);
        format!("({} #>> {p})", scope.json)
    }

    /// The array at `path`, or an empty one (jsonb_array_elements fails on anything else).
    fn pg_array(&mut self, scope: &Scope, path: &Path) -> String {
        let json = self.pg_json(scope, path);
        let again = self.pg_json(scope, path);
        format!("(CASE WHEN jsonb_typeof({json}) = 'array' THEN {again} ELSE '[]'::jsonb END)")
    }
}

/// A path as a jsonpath from the value it starts at: `$."amountPlanned"."centAmount"`.
fn jsonpath(path: &Path) -> String {
    let mut text = String::from("$");
    for segment in &path.segments {
        text.push_str(&format!(".{}", serde_json::Value::String(segment.clone())));
    }
    text
}

fn operator(op: Comparison) -> &'static str {
    match op {
        Comparison::Eq => "=",
        Comparison::Ne => "<>",
        Comparison::Lt => "<",
        Comparison::Le => "<=",
        Comparison::Gt => ">",
        Comparison::Ge => ">=",
    }
}

/// `interactionId = "x"` among the top-level conjuncts of an element predicate.
fn interaction_id_equality(predicate: &Checked) -> Option<String> {
    match predicate {
        Checked::And(a, b) => interaction_id_equality(a).or_else(|| interaction_id_equality(b)),
        Checked::Value { path, test: CheckedTest::Compare(Comparison::Eq, Scalar::Text(value)), .. }
            if path.segments == ["interactionId"] =>
        {
            Some(value.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parser::parse;
    use crate::query::schema::{check, payment, Variables};

    fn sql(predicate: &str, dialect: Dialect) -> SqlFragment {
        compile(
            &check(&parse(predicate).unwrap(), &payment(), &Variables::new()).unwrap(),
            dialect,
            "payments",
        )
    }

    #[test]
    fn columns_serve_indexed_fields() {
        let fragment = sql(r#"key = "k" and createdAt > "2024-01-01T00:00:00Z""#, Dialect::Sqlite);
        assert!(fragment.sql.contains("payments.key = ?"), "{}", fragment.sql);
        assert!(fragment.sql.contains("payments.created_at > ?"));
        assert_eq!(fragment.params, vec![SqlParam::Text("k".into()), SqlParam::Integer(1_704_067_200_000)]);
        assert!(!fragment.uses_document);
    }

    #[test]
    fn values_never_appear_in_the_sql_text() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let fragment = sql(
                r#"anonymousId = "x'; DROP TABLE payments; --" and custom(fields(evil-field = "y")) and transactions(interactionId = "z")"#,
                dialect,
            );
            assert!(!fragment.sql.contains("DROP"), "{}", fragment.sql);
            assert!(!fragment.sql.contains("evil-field"), "{}", fragment.sql);
            assert_eq!(fragment.sql.matches('?').count(), fragment.params.len());
        }
    }

    #[test]
    fn interaction_ids_use_the_transactions_index() {
        let fragment =
            sql(r#"transactions(interactionId = "pi_1" and state = "Success")"#, Dialect::Postgres);
        assert!(fragment.sql.contains("payment_transactions WHERE interaction_id = ?"), "{}", fragment.sql);
        assert_eq!(fragment.params[0], SqlParam::Text("pi_1".into()));
    }
}
