//! Request bodies: read with a size limit and parsed into typed values, every failure answered
//! as commercetools does (InvalidJsonInput with the JSON path of the problem).

use crate::domain::update_actions::UpdateAction;
use crate::domain::versioning::UpdateRequest;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

/// A JSON request body parsed into `T` (by `How`: [`AsJson`], or [`AsUpdate`] for update
/// requests). What is wrong with it is answered only when the handler takes it
/// ([`Body::parsed`]), after the token and scope were checked: actix answers whichever extractor
/// fails first, and the token check may wait on the database, so a bad body must not overtake a
/// bad token (commercetools answers 401 or 403 there).
pub struct Body<T, How>(Result<T, ApiError>, PhantomData<How>);

pub type JsonBody<T> = Body<T, AsJson>;
pub type UpdateBody<A> = Body<UpdateRequest<A>, AsUpdate>;

impl<T, How> Body<T, How> {
    pub fn parsed(self) -> Result<T, ApiError> {
        self.0
    }
}

/// How a body becomes a `T`.
pub trait ParseBody<T> {
    fn parse(bytes: &[u8]) -> Result<T, ApiError>;
}

/// Any document, by [`parse`].
pub struct AsJson;

impl<T: DeserializeOwned> ParseBody<T> for AsJson {
    fn parse(bytes: &[u8]) -> Result<T, ApiError> {
        parse(bytes)
    }
}

/// An update request, by [`parse_update`].
pub struct AsUpdate;

impl<A: UpdateAction> ParseBody<UpdateRequest<A>> for AsUpdate {
    fn parse(bytes: &[u8]) -> Result<UpdateRequest<A>, ApiError> {
        parse_update(bytes)
    }
}

impl<T: 'static, How: ParseBody<T> + 'static> FromRequest for Body<T, How> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let parsed = bytes.await.map_err(unreadable).and_then(|bytes| How::parse(&bytes));
            Ok(Body(parsed, PhantomData))
        })
    }
}

/// A request body as it came (a form, a signed webhook), read with the same size limit and
/// answered in commercetools' error format when it cannot be read.
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move { bytes.await.map(RawBody).map_err(unreadable) })
    }
}

/// Why a body could not be read: too large (commercetools' document limit), or cut off.
fn unreadable(error: actix_web::Error) -> ApiError {
    if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::ResourceSizeLimitExceeded
    } else {
        ApiError::invalid_json(error.to_string())
    }
}

/// Parses JSON, naming where in the document a problem is (`actions -> amount: ...`).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = commercetools_path(error.path());
        ApiError::invalid_json(detail(&path, &error.into_inner()))
    })?;
    deserializer.end().map_err(|e| ApiError::invalid_json(e.to_string()))?;
    refuse_nul(bytes)?;
    Ok(value)
}

/// Parses an update request. Each action is read through its enum's named twin (see
/// [`crate::domain::update_actions`]), so that a problem inside it is named by its path
/// (`actions -> customer -> id: ...`), as commercetools names it.
pub fn parse_update<A: UpdateAction>(bytes: &[u8]) -> Result<UpdateRequest<A>, ApiError> {
    let request: UpdateRequest<Map<String, Value>> = parse(bytes)?;
    let actions = request.actions.into_iter().map(parse_action).collect::<Result<_, _>>()?;
    Ok(UpdateRequest { version: request.version, actions })
}

fn parse_action<A: UpdateAction>(mut fields: Map<String, Value>) -> Result<A, ApiError> {
    let name = match fields.remove("action") {
        Some(Value::String(name)) => name,
        Some(_) => return Err(ApiError::invalid_json("actions -> action: JSON string expected.")),
        None => return Err(ApiError::invalid_json("actions -> action: Missing required value")),
    };
    let named = Value::Object(Map::from_iter([(name, Value::Object(fields))]));
    serde_path_to_error::deserialize(named).map(A::from_named).map_err(|error| {
        let inside = commercetools_path(error.path());
        let error = error.into_inner();
        // An unknown name is the fault of the `action` field.
        let field = if inside.is_empty() && error.to_string().starts_with("unknown variant") {
            "action".to_owned()
        } else {
            inside
        };
        let path = if field.is_empty() { "actions".to_owned() } else { format!("actions -> {field}") };
        ApiError::invalid_json(detail(&path, &error))
    })
}

/// Refuses a JSON document in which a string or key holds NUL, which PostgreSQL cannot store.
pub fn refuse_nul(bytes: &[u8]) -> Result<(), ApiError> {
    if may_contain_nul(bytes)
        && contains_nul(&serde_json::from_slice(bytes).map_err(|e| ApiError::invalid_json(e.to_string()))?)
    {
        return Err(ApiError::invalid_json("Strings cannot contain the NUL character (\\u0000)."));
    }
    Ok(())
}

/// A JSON path as commercetools writes it: field names joined by ` -> `, array positions left
/// out (`actions -> customerId`); empty for the document itself. An enum's variant is no field
/// (the documents' enums are strings, or update actions read through their named twin).
fn commercetools_path(path: &serde_path_to_error::Path) -> String {
    let names: Vec<String> = path
        .iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            serde_path_to_error::Segment::Enum { .. }
            | serde_path_to_error::Segment::Seq { .. }
            | serde_path_to_error::Segment::Unknown => None,
        })
        .collect();
    names.join(" -> ")
}

/// What is wrong where, worded as commercetools words it (`amountPlanned: Missing required
/// value`); a document that is not JSON at all keeps the parser's line and column.
fn detail(path: &str, error: &serde_json::Error) -> String {
    let message = error.to_string();
    if !error.is_data() {
        return message;
    }
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => &message,
    };
    let quoted = |text: &str| text.replace('`', "'");
    let at = |inner: &str| if path.is_empty() { inner.to_owned() } else { format!("{path} -> {inner}") };
    if let Some(field) = message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
        return format!("{}: Missing required value", at(field));
    }
    let problem = if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (given, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let expected = expected.trim_start_matches("one of ").replace(" or ", ", ");
        format!("Invalid enum value {}. Expected one of: {}", quoted(given), quoted(&expected))
    } else if let Some((_, expected)) =
        message.strip_prefix("invalid type: ").and_then(|m| m.rsplit_once(", expected "))
    {
        match expected {
            "a string" | "a borrowed string" => "JSON string expected.".to_owned(),
            "a boolean" => "JSON boolean expected.".to_owned(),
            "a sequence" => "JSON array expected.".to_owned(),
            "i64" | "u64" | "u8" | "i32" | "u32" | "f64" | "a number" => "JSON number expected.".to_owned(),
            e if e.starts_with("struct ") || e.starts_with("a map") || e.starts_with("internally tagged") => {
                "JSON object expected.".to_owned()
            }
            _ => message.to_owned(),
        }
    } else {
        message.to_owned()
    };
    if path.is_empty() {
        problem
    } else {
        format!("{path}: {problem}")
    }
}

/// Whether the text has a `\u0000` escape, the only way JSON carries NUL: a cheap scan that
/// decides whether the exact check is needed.
fn may_contain_nul(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

/// Whether any string or key holds NUL, which PostgreSQL cannot store.
fn contains_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(contains_nul),
        serde_json::Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Draft {
        amount_planned: Amount,
        #[serde(default)]
        transactions: Vec<Transaction>,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Amount {
        currency_code: String,
        cent_amount: i64,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    struct Transaction {
        #[serde(rename = "type")]
        kind: Kind,
        express: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    enum Kind {
        Charge,
        Refund,
    }

    fn detail_of(body: &str) -> String {
        detail_as::<Draft>(body)
    }

    fn detail_as<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        match parse::<T>(body.as_bytes()) {
            Err(ApiError::BadRequest(crate::domain::errors::DomainError::InvalidJsonInput { detail })) => {
                detail
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_money_draft_names_the_amount_it_misses_like_any_missing_field() {
        use crate::domain::payment::PaymentDraft;
        assert_eq!(
            detail_as::<PaymentDraft>(r#"{"amountPlanned": {"currencyCode": "EUR"}}"#),
            "amountPlanned -> centAmount: Missing required value"
        );
        assert_eq!(
            detail_as::<PaymentDraft>(
                r#"{"amountPlanned": {"type": "highPrecision", "currencyCode": "EUR", "fractionDigits": 4}}"#
            ),
            "amountPlanned -> preciseAmount: Missing required value"
        );
    }

    #[test]
    fn data_errors_are_worded_as_commercetools_words_them() {
        assert_eq!(detail_of("{}"), "amountPlanned: Missing required value");
        assert_eq!(
            detail_of(r#"{"amountPlanned": {"currencyCode": "EUR"}}"#),
            "amountPlanned -> centAmount: Missing required value"
        );
        assert_eq!(
            detail_of(r#"{"amountPlanned": {"currencyCode": "EUR", "centAmount": "ten"}}"#),
            "amountPlanned -> centAmount: JSON number expected."
        );
        let body = r#"{"amountPlanned": {"currencyCode": "EUR", "centAmount": 1}, "transactions": [{"type": "Payout"}]}"#;
        assert_eq!(
            detail_of(body),
            "transactions -> type: Invalid enum value 'Payout'. Expected one of: 'Charge', 'Refund'"
        );
        let body = r#"{"amountPlanned": {"currencyCode": "EUR", "centAmount": 1}, "transactions": [{"type": "Charge", "express": 1}]}"#;
        assert_eq!(detail_of(body), "transactions -> express: JSON boolean expected.");
        assert_eq!(detail_of(r#"{"amountPlanned": 5}"#), "amountPlanned: JSON object expected.");
        assert!(detail_of("{").contains("line 1"), "a syntax error keeps its position");
    }

    fn update_detail(actions: &str) -> String {
        use crate::domain::actions::PaymentUpdateAction;
        let body = format!(r#"{{"version": 1, "actions": {actions}}}"#);
        match parse_update::<PaymentUpdateAction>(body.as_bytes()) {
            Err(ApiError::BadRequest(crate::domain::errors::DomainError::InvalidJsonInput { detail })) => {
                detail
            }
            other => panic!("{other:?}"),
        }
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
            (r#"[{"action": "setKey", "key": 5}]"#, "actions -> key: JSON string expected."),
            (r#"[{"key": "k"}]"#, "actions -> action: Missing required value"),
            (r#"[{"action": 1}]"#, "actions -> action: JSON string expected."),
            (r#"["setKey"]"#, "actions: JSON object expected."),
            (r#"{"action": "setKey"}"#, "actions: JSON array expected."),
        ];
        for (actions, expected) in cases {
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
