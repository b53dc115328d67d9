//! The shape of a queryable resource, and the checker that turns a parsed predicate into a
//! typed one: unknown fields, wrong value types and unknown enum values are refused here, with
//! the position of the problem.

use super::parser::{Comparison, Condition, Expr, List, Literal, LiteralValue, Position, Test};
use crate::domain::common::Timestamp;
use crate::domain::numbers::canonical_literal;
use std::collections::HashMap;

/// What a field holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    String,
    Number,
    Boolean,
    /// An ISO-8601 instant; stored in canonical UTC millisecond form.
    DateTime,
    Enum(&'static str, &'static [&'static str]),
    Object(Vec<Field>),
    Array(Box<Kind>),
    /// A map with user-defined keys (LocalizedString, custom field values).
    Map(Box<Kind>),
    /// A value of any JSON type (custom field values); typed by the literal it is compared to.
    Any,
}

/// A named field, optionally backed by a column of the resource's table at the top level.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub column: Option<Column>,
}

/// A table column that holds a top-level field, so that predicates on it can use an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Text(&'static str),
    Integer(&'static str),
    /// Epoch milliseconds of a DateTime field.
    Millis(&'static str),
}

fn field(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, column: None }
}

fn column(name: &'static str, kind: Kind, column: Column) -> Field {
    Field { name, kind, column: Some(column) }
}

fn money() -> Kind {
    Kind::Object(vec![
        field("type", Kind::Enum("MoneyType", &["centPrecision", "highPrecision"])),
        field("currencyCode", Kind::String),
        field("centAmount", Kind::Number),
        field("fractionDigits", Kind::Number),
        field("preciseAmount", Kind::Number),
    ])
}

fn reference(id_column: Option<Column>) -> Kind {
    Kind::Object(vec![
        field("typeId", Kind::String),
        Field { name: "id", kind: Kind::String, column: id_column },
    ])
}

fn custom_fields() -> Kind {
    Kind::Object(vec![field("type", reference(None)), field("fields", Kind::Map(Box::new(Kind::Any)))])
}

fn client_logging() -> Kind {
    Kind::Object(vec![
        field("clientId", Kind::String),
        field("externalUserId", Kind::String),
        field("customer", reference(None)),
        field("anonymousId", Kind::String),
        field("isPlatformClient", Kind::Boolean),
    ])
}

const TRANSACTION_TYPES: &[&str] =
    &["Authorization", "CancelAuthorization", "Charge", "Refund", "Chargeback"];
const TRANSACTION_STATES: &[&str] = &["Initial", "Pending", "Success", "Failure"];

/// The queryable fields of each resource, built once.
pub static PAYMENT_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(payment);
/// The fields a shopper queries at /me/payments: those of a MyPayment, which they are shown,
/// and the timestamps every resource is sorted by.
pub static MY_PAYMENT_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| {
    let visible = crate::domain::my_payments::VISIBLE_FIELDS;
    let queried = |name: &str| visible.contains(&name) || matches!(name, "createdAt" | "lastModifiedAt");
    payment().into_iter().filter(|field| queried(field.name)).collect()
});
pub static TYPE_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(custom_type);
pub static STATE_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(state);
pub static CUSTOMER_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(customer);
pub static MESSAGE_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(message);
pub static API_CLIENT_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(api_client);

/// API clients are few per project: they are filtered and sorted in memory.
pub fn api_client() -> Vec<Field> {
    vec![
        field("id", Kind::String),
        field("name", Kind::String),
        field("scope", Kind::String),
        field("createdAt", Kind::DateTime),
        field("deleteAt", Kind::DateTime),
        field("lastUsedAt", Kind::String),
        field("accessTokenValiditySeconds", Kind::Number),
        field("refreshTokenValiditySeconds", Kind::Number),
    ]
}

/// The fields every stored resource has, backed by columns.
fn resource_basics() -> Vec<Field> {
    vec![
        column("id", Kind::String, Column::Text("id")),
        column("version", Kind::Number, Column::Integer("version")),
        column("createdAt", Kind::DateTime, Column::Millis("created_at")),
        column("lastModifiedAt", Kind::DateTime, Column::Millis("last_modified_at")),
        field("createdBy", client_logging()),
        field("lastModifiedBy", client_logging()),
    ]
}

fn localized() -> Kind {
    Kind::Map(Box::new(Kind::String))
}

/// Every queryable field of a Type.
pub fn custom_type() -> Vec<Field> {
    let mut fields = resource_basics();
    fields.extend([
        column("key", Kind::String, Column::Text("key")),
        field("name", localized()),
        field("description", localized()),
        field("resourceTypeIds", Kind::Array(Box::new(Kind::String))),
        field(
            "fieldDefinitions",
            Kind::Array(Box::new(Kind::Object(vec![
                field("name", Kind::String),
                field("label", localized()),
                field("required", Kind::Boolean),
                field("inputHint", Kind::String),
                field("type", Kind::Any),
            ]))),
        ),
    ]);
    fields
}

const STATE_ROLES: &[&str] = &["ReviewIncludedInStatistics", "Return"];
const STATE_TYPES: &[&str] = &[
    "OrderState",
    "LineItemState",
    "ProductState",
    "ReviewState",
    "PaymentState",
    "QuoteRequestState",
    "StagedQuoteState",
    "QuoteState",
    "RecurringOrderState",
];

/// Every queryable field of a State.
pub fn state() -> Vec<Field> {
    let mut fields = resource_basics();
    fields.extend([
        column("key", Kind::String, Column::Text("key")),
        field("type", Kind::Enum("StateTypeEnum", STATE_TYPES)),
        field("name", localized()),
        field("description", localized()),
        field("initial", Kind::Boolean),
        field("builtIn", Kind::Boolean),
        field("roles", Kind::Array(Box::new(Kind::Enum("StateRoleEnum", STATE_ROLES)))),
        field("transitions", Kind::Array(Box::new(reference(None)))),
    ]);
    fields
}

fn address() -> Kind {
    let lines = [
        "id",
        "key",
        "country",
        "title",
        "salutation",
        "firstName",
        "lastName",
        "streetName",
        "streetNumber",
        "additionalStreetInfo",
        "postalCode",
        "city",
        "region",
        "state",
        "company",
        "department",
        "building",
        "apartment",
        "pOBox",
        "phone",
        "mobile",
        "email",
        "fax",
        "additionalAddressInfo",
        "externalId",
    ];
    Kind::Object(lines.into_iter().map(|name| field(name, Kind::String)).collect())
}

/// Every queryable field of a Customer.
pub fn customer() -> Vec<Field> {
    let mut fields = resource_basics();
    fields.extend([
        column("key", Kind::String, Column::Text("key")),
        field("email", Kind::String),
        // Not in the document: the lower-cased email that uniqueness is checked on, for
        // finding a customer by email regardless of case.
        column("lowercaseEmail", Kind::String, Column::Text("unique_value")),
        field("firstName", Kind::String),
        field("lastName", Kind::String),
        field("externalId", Kind::String),
        field("customerNumber", Kind::String),
        field("middleName", Kind::String),
        field("title", Kind::String),
        field("salutation", Kind::String),
        field("dateOfBirth", Kind::String),
        field("companyName", Kind::String),
        field("vatId", Kind::String),
        field("locale", Kind::String),
        field("defaultShippingAddressId", Kind::String),
        field("defaultBillingAddressId", Kind::String),
        field("shippingAddressIds", Kind::Array(Box::new(Kind::String))),
        field("billingAddressIds", Kind::Array(Box::new(Kind::String))),
        field("isEmailVerified", Kind::Boolean),
        field("authenticationMode", Kind::Enum("AuthenticationMode", &["Password", "ExternalAuth"])),
        field("addresses", Kind::Array(Box::new(address()))),
        field(
            "stores",
            Kind::Array(Box::new(Kind::Object(vec![
                field("typeId", Kind::String),
                field("key", Kind::String),
            ]))),
        ),
        // Never set here (there are no Customer Groups), but queryable as in commercetools.
        field("customerGroup", reference(None)),
        field("customerGroupAssignments", Kind::Array(Box::new(Kind::Any))),
        field("custom", custom_fields()),
    ]);
    fields
}

/// Every queryable field of a Message: the envelope, and the payload fields of the Payment
/// messages (of any shape where they differ between message types).
pub fn message() -> Vec<Field> {
    let mut fields = vec![
        column("id", Kind::String, Column::Text("id")),
        field("version", Kind::Number),
        column("sequenceNumber", Kind::Number, Column::Integer("sequence_number")),
        field(
            "resource",
            Kind::Object(vec![
                field("typeId", Kind::String),
                column("id", Kind::String, Column::Text("resource_id")),
            ]),
        ),
        column("resourceVersion", Kind::Number, Column::Integer("resource_version")),
        field("resourceUserProvidedIdentifiers", Kind::Any),
        column("type", Kind::String, Column::Text("type")),
        column("createdAt", Kind::DateTime, Column::Millis("created_at")),
        field("lastModifiedAt", Kind::DateTime),
        field("createdBy", client_logging()),
        field("lastModifiedBy", client_logging()),
        field("force", Kind::Boolean),
    ];
    for name in [
        "payment",
        "transaction",
        "transactionId",
        "state",
        "interaction",
        "interfaceCode",
        "paymentId",
        "interfaceId",
        "oldInterfaceId",
        "newInterfaceId",
        "interface",
        "oldInterface",
        "method",
        "oldMethod",
        "name",
        "oldName",
        "token",
        "oldToken",
        "interfaceAccount",
        "oldInterfaceAccount",
        "customFields",
        "oldTypeId",
        "value",
    ] {
        fields.push(field(name, Kind::Any));
    }
    fields
}

/// Every queryable field of a Payment.
pub fn payment() -> Vec<Field> {
    vec![
        column("id", Kind::String, Column::Text("id")),
        column("version", Kind::Number, Column::Integer("version")),
        column("key", Kind::String, Column::Text("key")),
        field("customer", reference(Some(Column::Text("customer_id")))),
        column("anonymousId", Kind::String, Column::Text("anonymous_id")),
        field("externalId", Kind::String),
        column("interfaceId", Kind::String, Column::Text("interface_id")),
        field("amountPlanned", money()),
        field("amountAuthorized", money()),
        field("authorizedUntil", Kind::DateTime),
        field("amountPaid", money()),
        field("amountRefunded", money()),
        field(
            "paymentMethodInfo",
            Kind::Object(vec![
                column("paymentInterface", Kind::String, Column::Text("payment_interface")),
                field("method", Kind::String),
                field("name", Kind::Map(Box::new(Kind::String))),
                field("token", Kind::Object(vec![field("value", Kind::String)])),
                field("interfaceAccount", Kind::String),
                field("custom", custom_fields()),
            ]),
        ),
        field(
            "paymentStatus",
            Kind::Object(vec![
                field("interfaceCode", Kind::String),
                field("interfaceText", Kind::String),
                field("state", reference(None)),
            ]),
        ),
        field(
            "transactions",
            Kind::Array(Box::new(Kind::Object(vec![
                field("id", Kind::String),
                field("timestamp", Kind::DateTime),
                field("type", Kind::Enum("TransactionType", TRANSACTION_TYPES)),
                field("amount", money()),
                field("interactionId", Kind::String),
                field("interfaceId", Kind::String),
                field("state", Kind::Enum("TransactionState", TRANSACTION_STATES)),
                field("custom", custom_fields()),
            ]))),
        ),
        field("interfaceInteractions", Kind::Array(Box::new(custom_fields()))),
        field("custom", custom_fields()),
        column("createdAt", Kind::DateTime, Column::Millis("created_at")),
        column("lastModifiedAt", Kind::DateTime, Column::Millis("last_modified_at")),
        field("createdBy", client_logging()),
        field("lastModifiedBy", client_logging()),
    ]
}

/// A literal checked against its field: the type the comparison is made in.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    /// A JSON number in its canonical spelling (see [`canonical_literal`]).
    Number(String),
    Bool(bool),
}

/// How values of a path compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Text,
    Number,
    Bool,
    /// Typed by the literal (custom field values): the JSON type must match too.
    Any,
}

/// A path from the current scope (the resource, or an array element) to a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub segments: Vec<String>,
    /// The column holding this value, when the scope is the resource itself.
    pub column: Option<Column>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckedTest {
    Compare(Comparison, Scalar),
    In { negated: bool, values: Vec<Scalar> },
    Contains { all: bool, values: Vec<Scalar> },
    IsEmpty { negated: bool },
    IsDefined { negated: bool },
}

/// A predicate whose fields exist and whose values have the fields' types.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    And(Box<Checked>, Box<Checked>),
    Or(Box<Checked>, Box<Checked>),
    Not(Box<Checked>),
    Value {
        path: Path,
        value_type: ValueType,
        test: CheckedTest,
    },
    /// Some object element of the array at `path` matches `predicate` (evaluated on the
    /// element); with `or_object`, an object at `path` may match it too (a custom field holds
    /// one Money, say, or a Set of them).
    AnyElement {
        path: Path,
        predicate: Box<Checked>,
        or_object: bool,
    },
}

/// A predicate that parses but does not fit the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckError {
    pub message: String,
    pub position: Position,
}

/// Values of `var.<name>` parameters; a name given several times is a list.
pub type Variables = HashMap<String, Vec<String>>;

/// Checks a parsed predicate against the fields of a resource.
pub fn check(expr: &Expr, fields: &[Field], variables: &Variables) -> Result<Checked, CheckError> {
    Checker { variables }.expr(expr, fields, &[], true)
}

struct Checker<'a> {
    variables: &'a Variables,
}

fn error(message: impl Into<String>, position: Position) -> CheckError {
    CheckError { message: message.into(), position }
}

impl Checker<'_> {
    /// `prefix` is the object path inside the current scope; `at_root` tells whether the scope
    /// is the resource (where columns apply) rather than an array element.
    fn expr(
        &self,
        expr: &Expr,
        fields: &[Field],
        prefix: &[String],
        at_root: bool,
    ) -> Result<Checked, CheckError> {
        Ok(match expr {
            Expr::And(a, b) => Checked::And(
                Box::new(self.expr(a, fields, prefix, at_root)?),
                Box::new(self.expr(b, fields, prefix, at_root)?),
            ),
            Expr::Or(a, b) => Checked::Or(
                Box::new(self.expr(a, fields, prefix, at_root)?),
                Box::new(self.expr(b, fields, prefix, at_root)?),
            ),
            Expr::Not(a) => Checked::Not(Box::new(self.expr(a, fields, prefix, at_root)?)),
            Expr::Condition(condition) => {
                let field = fields.iter().find(|f| f.name == condition.field).ok_or_else(|| {
                    error(format!("The field '{}' does not exist.", condition.field), condition.position)
                })?;
                let mut segments = prefix.to_vec();
                segments.push(field.name.to_owned());
                let column = if at_root { field.column } else { None };
                self.condition(condition, &field.kind, Path { segments, column }, at_root)?
            }
        })
    }

    fn condition(
        &self,
        condition: &Condition,
        kind: &Kind,
        path: Path,
        at_root: bool,
    ) -> Result<Checked, CheckError> {
        let position = condition.position;
        match (&condition.test, kind) {
            (Test::Nested(inner), Kind::Object(fields)) => self.expr(inner, fields, &path.segments, at_root),
            (Test::Nested(inner), Kind::Array(element)) => {
                let predicate = match element.as_ref() {
                    Kind::Object(fields) => self.expr(inner, fields, &[], false)?,
                    _ => {
                        return Err(error(
                            format!("The field '{}' holds no objects.", condition.field),
                            position,
                        ))
                    }
                };
                Ok(Checked::AnyElement {
                    path: Path { column: None, ..path },
                    predicate: Box::new(predicate),
                    or_object: false,
                })
            }
            (Test::Nested(inner), Kind::Map(value_kind)) => {
                self.map_entries(inner, value_kind, &path, at_root)
            }
            // A value of any shape (a custom field holding Money, a Reference or a
            // LocalizedString, or a Set of them): its fields are whatever the stored object, or
            // some object of the stored array, has.
            (Test::Nested(inner), Kind::Any) => {
                let within = Path { segments: Vec::new(), column: None };
                Ok(Checked::AnyElement {
                    path: Path { column: None, ..path },
                    predicate: Box::new(self.map_entries(inner, &Kind::Any, &within, false)?),
                    or_object: true,
                })
            }
            (Test::Nested(_), _) => {
                Err(error(format!("The field '{}' has no fields to query.", condition.field), position))
            }
            (Test::IsDefined { negated }, _) => Ok(Checked::Value {
                path,
                value_type: ValueType::Any,
                test: CheckedTest::IsDefined { negated: *negated },
            }),
            (Test::IsEmpty { negated }, Kind::Array(_) | Kind::Any) => Ok(Checked::Value {
                path,
                value_type: ValueType::Any,
                test: CheckedTest::IsEmpty { negated: *negated },
            }),
            (Test::IsEmpty { .. }, _) => Err(error(
                format!("The field '{}' is not an array: 'is empty' does not apply.", condition.field),
                position,
            )),
            (Test::Contains { all, values }, Kind::Array(element)) if is_scalar(element) => {
                let values = self.list(values, element)?;
                Ok(Checked::Value {
                    path,
                    value_type: value_type(element),
                    test: CheckedTest::Contains { all: *all, values },
                })
            }
            (Test::Contains { all, values }, Kind::Any) => {
                let test = |values| Checked::Value {
                    path: path.clone(),
                    value_type: ValueType::Any,
                    test: CheckedTest::Contains { all: *all, values },
                };
                let listed = test(self.list(values, &Kind::Any)?);
                Ok(match self.retyped(values)? {
                    Some(typed) => either_type(false, listed, test(typed)),
                    None => listed,
                })
            }
            (Test::Contains { .. }, _) => Err(error(
                format!(
                    "The field '{}' is not an array of values: 'contains' does not apply.",
                    condition.field
                ),
                position,
            )),
            (Test::Compare(op, literal), kind) if is_scalar(kind) => {
                let value = self.scalar(literal, kind)?;
                if matches!(kind, Kind::Boolean | Kind::Enum(..))
                    && !matches!(op, Comparison::Eq | Comparison::Ne)
                {
                    return Err(error(
                        "Only '=' and '!=' compare booleans and enum values.",
                        literal.position,
                    ));
                }
                if *kind == Kind::Any {
                    return self.custom_compare(path, *op, literal, value);
                }
                Ok(Checked::Value {
                    path,
                    value_type: value_type(kind),
                    test: CheckedTest::Compare(*op, value),
                })
            }
            (Test::In { negated, values }, Kind::Any) => self.custom_in(path, *negated, values),
            (Test::In { negated, values }, kind) if is_scalar(kind) => {
                let values = self.list(values, kind)?;
                Ok(Checked::Value {
                    path,
                    value_type: value_type(kind),
                    test: CheckedTest::In { negated: *negated, values },
                })
            }
            (Test::Compare(..) | Test::In { .. }, _) => Err(error(
                format!(
                    "The field '{}' is not a value: compare its fields with '{}(...)'.",
                    condition.field, condition.field
                ),
                position,
            )),
        }
    }

    /// `name(en = "x")` or `fields(myField > 3)`: the keys of a map are the field names.
    fn map_entries(
        &self,
        inner: &Expr,
        value_kind: &Kind,
        path: &Path,
        at_root: bool,
    ) -> Result<Checked, CheckError> {
        Ok(match inner {
            Expr::And(a, b) => Checked::And(
                Box::new(self.map_entries(a, value_kind, path, at_root)?),
                Box::new(self.map_entries(b, value_kind, path, at_root)?),
            ),
            Expr::Or(a, b) => Checked::Or(
                Box::new(self.map_entries(a, value_kind, path, at_root)?),
                Box::new(self.map_entries(b, value_kind, path, at_root)?),
            ),
            Expr::Not(a) => Checked::Not(Box::new(self.map_entries(a, value_kind, path, at_root)?)),
            Expr::Condition(condition) => {
                let mut segments = path.segments.clone();
                segments.push(condition.field.clone());
                self.condition(condition, value_kind, Path { segments, column: None }, at_root)?
            }
        })
    }

    fn list(&self, list: &List, kind: &Kind) -> Result<Vec<Scalar>, CheckError> {
        match list {
            List::Values(values) => values.iter().map(|literal| self.scalar(literal, kind)).collect(),
            // Values of a list parameter arrive as strings and take the field's type.
            List::Param(name, position) => self
                .variable(name, *position)?
                .iter()
                .map(|value| from_variable(value, kind, *position))
                .collect(),
        }
    }

    /// A comparison with a custom field, whose type the predicate does not know. A date-time or
    /// time literal is compared in the canonical form such fields are stored in, and with `=` or
    /// `!=` also as written (a String field may hold that text); a `var.*` value, which arrives
    /// as text, is also tried as the number or boolean it reads as.
    fn custom_compare(
        &self,
        path: Path,
        op: Comparison,
        literal: &Literal,
        value: Scalar,
    ) -> Result<Checked, CheckError> {
        let negated = op == Comparison::Ne;
        let as_text = match (op, self.as_written(literal)?) {
            (Comparison::Eq | Comparison::Ne, Some(written)) if Scalar::Text(written.clone()) != value => {
                CheckedTest::In { negated, values: vec![value.clone(), Scalar::Text(written)] }
            }
            _ => CheckedTest::Compare(op, value.clone()),
        };
        let retyped = self.retyped(&List::Values(vec![literal.clone()]))?;
        let as_text = Checked::Value { path: path.clone(), value_type: any_type(&value), test: as_text };
        Ok(match retyped.and_then(|values| values.into_iter().next()) {
            Some(typed) => {
                let test = CheckedTest::Compare(op, typed.clone());
                either_type(negated, as_text, Checked::Value { path, value_type: any_type(&typed), test })
            }
            None => as_text,
        })
    }

    /// `in` on a custom field, as [`Self::custom_compare`] does `=`.
    fn custom_in(&self, path: Path, negated: bool, values: &List) -> Result<Checked, CheckError> {
        let mut listed = self.list(values, &Kind::Any)?;
        for written in self.as_written_list(values)? {
            let written = Scalar::Text(written);
            if !listed.contains(&written) {
                listed.push(written);
            }
        }
        let test = |values: Vec<Scalar>| Checked::Value {
            path: path.clone(),
            value_type: values.first().map_or(ValueType::Any, any_type),
            test: CheckedTest::In { negated, values },
        };
        Ok(match self.retyped(values)? {
            Some(typed) => either_type(negated, test(listed), test(typed)),
            None => test(listed),
        })
    }

    /// The list with each `var.*` value that reads as a number (or else as a boolean) as that
    /// type: a value arrives as text, and a custom field's type is not known here, so `:n`
    /// with `var.n=3` matches a Number field holding 3 as well as a String holding "3". None
    /// when no value reads so.
    fn retyped(&self, list: &List) -> Result<Option<Vec<Scalar>>, CheckError> {
        let retype = |text: &str, position| {
            from_variable(text, &Kind::Number, position)
                .or_else(|_| from_variable(text, &Kind::Boolean, position))
                .ok()
        };
        let mut changed = false;
        let mut typed = Vec::new();
        let mut push = |value: Scalar, variable: Option<(&str, Position)>| match variable
            .and_then(|(text, position)| retype(text, position))
        {
            Some(retyped) => {
                changed = true;
                typed.push(retyped);
            }
            None => typed.push(value),
        };
        match list {
            List::Values(literals) => {
                for literal in literals {
                    let value = self.scalar(literal, &Kind::Any)?;
                    match &literal.value {
                        LiteralValue::Param(name) => {
                            let text = self.variable(name, literal.position)?.first().cloned();
                            push(value, text.as_deref().map(|text| (text, literal.position)));
                        }
                        _ => push(value, None),
                    }
                }
            }
            List::Param(name, position) => {
                for text in self.variable(name, *position)? {
                    push(from_variable(text, &Kind::Any, *position)?, Some((text, *position)));
                }
            }
        }
        Ok(changed.then_some(typed))
    }

    /// The text of a string literal or parameter as written (before a date-time or time in it
    /// is put in canonical form).
    fn as_written(&self, literal: &Literal) -> Result<Option<String>, CheckError> {
        Ok(match &literal.value {
            LiteralValue::String(text) => Some(text.clone()),
            LiteralValue::Param(name) => self.variable(name, literal.position)?.first().cloned(),
            _ => None,
        })
    }

    /// [`Self::as_written`] for each value of a list.
    fn as_written_list(&self, list: &List) -> Result<Vec<String>, CheckError> {
        Ok(match list {
            List::Values(values) => values
                .iter()
                .map(|literal| self.as_written(literal))
                .filter_map(Result::transpose)
                .collect::<Result<_, _>>()?,
            List::Param(name, position) => self.variable(name, *position)?.clone(),
        })
    }

    fn variable(&self, name: &str, position: Position) -> Result<&Vec<String>, CheckError> {
        self.variables.get(name).filter(|values| !values.is_empty()).ok_or_else(|| {
            error(format!("Missing value for input parameter ':{name}' (give it as var.{name})."), position)
        })
    }

    fn scalar(&self, literal: &Literal, kind: &Kind) -> Result<Scalar, CheckError> {
        match &literal.value {
            LiteralValue::Param(name) => {
                let values = self.variable(name, literal.position)?;
                let [value] = values.as_slice() else {
                    return Err(error(
                        format!("The input parameter ':{name}' has several values."),
                        literal.position,
                    ));
                };
                from_variable(value, kind, literal.position)
            }
            value => typed(value, kind, literal.position),
        }
    }
}

fn is_scalar(kind: &Kind) -> bool {
    matches!(kind, Kind::String | Kind::Number | Kind::Boolean | Kind::DateTime | Kind::Enum(..) | Kind::Any)
}

fn value_type(kind: &Kind) -> ValueType {
    match kind {
        Kind::Number => ValueType::Number,
        Kind::Boolean => ValueType::Bool,
        Kind::Any => ValueType::Any,
        _ => ValueType::Text,
    }
}

fn any_type(value: &Scalar) -> ValueType {
    match value {
        Scalar::Text(_) => ValueType::Text,
        Scalar::Number(_) => ValueType::Number,
        Scalar::Bool(_) => ValueType::Bool,
    }
}

/// A literal as the field's type, or an error naming the mismatch.
fn typed(value: &LiteralValue, kind: &Kind, position: Position) -> Result<Scalar, CheckError> {
    let mismatch = |expected: &str| error(format!("Invalid value {value}: expected {expected}."), position);
    match (kind, value) {
        (Kind::String, LiteralValue::String(s)) => Ok(Scalar::Text(s.clone())),
        (Kind::Number, LiteralValue::Number(n)) => Ok(Scalar::Number(canonical_literal(n))),
        (Kind::Boolean, LiteralValue::Bool(b)) => Ok(Scalar::Bool(*b)),
        (Kind::DateTime, LiteralValue::String(s)) => {
            Timestamp::parse(s).map(|t| Scalar::Text(t.to_string())).map_err(|_| {
                error(format!("Invalid date-time \"{s}\": expected ISO-8601 with a time zone."), position)
            })
        }
        (Kind::Enum(name, values), LiteralValue::String(s)) => {
            if values.contains(&s.as_str()) {
                Ok(Scalar::Text(s.clone()))
            } else {
                Err(error(format!("Invalid enum value for {name}: {s}"), position))
            }
        }
        // Custom DateTime and Time values are stored in canonical form; a literal that reads as
        // one is written the same way, so that it compares in time order whatever the offset.
        (Kind::Any, LiteralValue::String(s)) => {
            Ok(Scalar::Text(canonical_time(s).unwrap_or_else(|| s.clone())))
        }
        (Kind::Any, LiteralValue::Number(n)) => Ok(Scalar::Number(canonical_literal(n))),
        (Kind::Any, LiteralValue::Bool(b)) => Ok(Scalar::Bool(*b)),
        (Kind::String | Kind::DateTime | Kind::Enum(..), _) => Err(mismatch("a string")),
        (Kind::Number, _) => Err(mismatch("a number")),
        (Kind::Boolean, _) => Err(mismatch("true or false")),
        _ => Err(mismatch("a value")),
    }
}

/// A date-time or a time as custom fields store it: UTC with milliseconds, `hh:mm:ss.sss`.
fn canonical_time(text: &str) -> Option<String> {
    match Timestamp::parse(text) {
        Ok(timestamp) => Some(timestamp.to_string()),
        Err(_) => crate::domain::types::canonical_time(text),
    }
}

/// A test of a value as text or as another type. A value of the other type is unequal to every
/// literal, so a negated test (`!=`, `not in`) holds only where both do.
fn either_type(negated: bool, as_text: Checked, as_typed: Checked) -> Checked {
    if negated {
        Checked::And(Box::new(as_text), Box::new(as_typed))
    } else {
        Checked::Or(Box::new(as_text), Box::new(as_typed))
    }
}

/// A `var.*` value (always text on the wire) as the field's type.
fn from_variable(text: &str, kind: &Kind, position: Position) -> Result<Scalar, CheckError> {
    if text.contains('\0') {
        return Err(error("Input parameters cannot contain NUL.", position));
    }
    let value = match kind {
        Kind::Number => {
            let number = text.trim();
            if number.parse::<f64>().is_err() || super::parser::parse(&format!("x = {number}")).is_err() {
                return Err(error(format!("Invalid value \"{text}\" for a number parameter."), position));
            }
            LiteralValue::Number(number.to_owned())
        }
        // Any case, as the literals `true` and `false` are.
        Kind::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => LiteralValue::Bool(true),
            "false" => LiteralValue::Bool(false),
            _ => return Err(error(format!("Invalid value \"{text}\" for a boolean parameter."), position)),
        },
        _ => LiteralValue::String(text.to_owned()),
    };
    typed(&value, kind, position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parser::parse;

    fn checked(text: &str) -> Result<Checked, CheckError> {
        check(&parse(text).unwrap(), &payment(), &Variables::new())
    }

    #[test]
    fn known_fields_check_and_columns_are_found() {
        let Checked::Value { path, value_type, .. } = checked(r#"interfaceId = "x""#).unwrap() else {
            panic!()
        };
        assert_eq!(path.column, Some(Column::Text("interface_id")));
        assert_eq!(value_type, ValueType::Text);
        let Checked::Value { path, .. } = checked(r#"customer(id = "c")"#).unwrap() else { panic!() };
        assert_eq!(path.segments, vec!["customer", "id"]);
        assert_eq!(path.column, Some(Column::Text("customer_id")));
        let Checked::Value { path, test, .. } =
            checked(r#"createdAt > "2024-01-01T00:00:00+01:00""#).unwrap()
        else {
            panic!()
        };
        assert_eq!(path.column, Some(Column::Millis("created_at")));
        assert_eq!(
            test,
            CheckedTest::Compare(Comparison::Gt, Scalar::Text("2023-12-31T23:00:00.000Z".into()))
        );
    }

    #[test]
    fn arrays_match_per_element_without_columns() {
        let Checked::AnyElement { path, predicate, or_object: false } =
            checked(r#"transactions(type = "Charge" and state = "Success")"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(path.segments, vec!["transactions"]);
        assert!(matches!(*predicate, Checked::And(..)));
    }

    #[test]
    fn a_custom_value_matches_as_an_object_or_by_its_elements() {
        let Checked::AnyElement { path, predicate, or_object: true } =
            checked(r#"custom(fields(prices(centAmount > 7)))"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(path.segments, vec!["custom", "fields", "prices"]);
        let Checked::Value { path, .. } = *predicate else { panic!() };
        assert_eq!(path.segments, vec!["centAmount"], "relative to the object or element");
    }

    #[test]
    fn maps_take_any_key() {
        assert!(checked(r#"paymentMethodInfo(name(en = "Card" or de-DE = "Karte"))"#).is_ok());
        assert!(checked(r#"custom(fields(orderId = "o-1" and count > 3 and flag = true))"#).is_ok());
        assert!(checked(r#"paymentMethodInfo(name(en = 3))"#).is_err(), "localized strings hold strings");
    }

    #[test]
    fn mistakes_are_refused_with_positions() {
        let error = checked(r#"key = "a" and limit = 5"#).unwrap_err();
        assert_eq!(error.message, "The field 'limit' does not exist.");
        assert_eq!(error.position.column, 15);
        for bad in [
            r#"amountPlanned(centAmount = "ten")"#,
            "key = 5",
            r#"transactions(state = "Done")"#,
            r#"createdAt > "yesterday""#,
            r#"amountPlanned = 5"#,
            r#"key(x = 1)"#,
            r#"key is empty"#,
            r#"transactions(type > "Charge")"#,
            r#"key contains any ("a")"#,
            r#"key = :missing"#,
        ] {
            assert!(checked(bad).is_err(), "{bad}");
        }
        let message = |text| checked(text).err().map(|e| e.message);
        assert_eq!(message("key = 5").as_deref(), Some("Invalid value 5: expected a string."));
        assert_eq!(
            message(r#"amountPlanned(centAmount = "ten")"#).as_deref(),
            Some(r#"Invalid value "ten": expected a number."#)
        );
    }

    #[test]
    fn variables_take_the_fields_type() {
        let mut variables = Variables::new();
        variables.insert("min".into(), vec!["500".into()]);
        variables.insert("keys".into(), vec!["a".into(), "b".into()]);
        let expr = parse("amountPlanned(centAmount >= :min) and key in :keys").unwrap();
        let Checked::And(left, right) = check(&expr, &payment(), &variables).unwrap() else { panic!() };
        let Checked::Value { test, .. } = *left else { panic!() };
        assert_eq!(test, CheckedTest::Compare(Comparison::Ge, Scalar::Number("500".into())));
        let Checked::Value { test, .. } = *right else { panic!() };
        assert_eq!(
            test,
            CheckedTest::In {
                negated: false,
                values: vec![Scalar::Text("a".into()), Scalar::Text("b".into())]
            }
        );
        variables.insert("min".into(), vec!["lots".into()]);
        assert!(check(&parse("amountPlanned(centAmount >= :min)").unwrap(), &payment(), &variables).is_err());
    }
}
