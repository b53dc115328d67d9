//! Request bodies: read with a size limit and parsed into typed values, every failure answered
//! as commercetools does (InvalidJsonInput with the JSON path of the problem).

use crate::domain::update_actions::UpdateAction;
use crate::domain::versioning::UpdateRequest;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::de::IgnoredAny;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

mod update;
pub use update::parse_update;

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
    // Every request document is an object; serde would read a struct from an array too.
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::invalid_json("JSON object expected."));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = commercetools_path(error.path());
        let error = error.into_inner();
        let well_formed = error.is_data() || serde_json::from_slice::<IgnoredAny>(bytes).is_ok();
        ApiError::invalid_json(detail(&path, &error, well_formed))
    })?;
    deserializer.end().map_err(|e| ApiError::invalid_json(e.to_string()))?;
    refuse_nul(bytes)?;
    Ok(value)
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
/// value`); a document that is not JSON at all (not `well_formed`) keeps the parser's line and
/// column.
fn detail(path: &str, error: &serde_json::Error, well_formed: bool) -> String {
    let message = error.to_string();
    if !error.is_data() && !well_formed {
        return message;
    }
    // In well-formed JSON the parser objects only to a number beyond a double's range, or to
    // a value that is neither a string nor an object where an enum's string belongs.
    if !error.is_data() {
        let problem = if message.starts_with("number out of range") {
            "Number out of range."
        } else {
            "JSON string expected."
        };
        return if path.is_empty() { problem.to_owned() } else { format!("{path}: {problem}") };
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
    if let Some(field) = message.strip_prefix("duplicate field `").and_then(|m| m.strip_suffix('`')) {
        return format!("{}: Duplicate field", at(field));
    }
    let integer = |kind: &str| matches!(kind, "i64" | "u64" | "u8" | "u16" | "i32" | "u32");
    let problem = if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (given, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let expected = expected.trim_start_matches("one of ").replace(" or ", ", ");
        format!("Invalid enum value {}. Expected one of: {}", quoted(given), quoted(&expected))
    } else if let Some((given, expected)) =
        message.strip_prefix("invalid type: ").and_then(|m| m.rsplit_once(", expected "))
    {
        match expected {
            // An enum's value is a string (serde would also take a one-key map).
            "a string" | "a borrowed string" | "string or map" => "JSON string expected.".to_owned(),
            "a boolean" => "JSON boolean expected.".to_owned(),
            "a sequence" => "JSON array expected.".to_owned(),
            e if integer(e) && given.starts_with("floating point") => "JSON integer expected.".to_owned(),
            e if integer(e) || e == "f64" || e == "a number" => "JSON number expected.".to_owned(),
            e if e.starts_with("struct ") || e.starts_with("a map") || e.starts_with("internally tagged") => {
                "JSON object expected.".to_owned()
            }
            _ => message.to_owned(),
        }
    } else if message == "invalid value: map, expected map with a single key" {
        "JSON string expected.".to_owned()
    } else if message
        .strip_prefix("invalid value: integer ")
        .is_some_and(|m| m.rsplit_once(", expected ").is_some_and(|(_, expected)| integer(expected)))
    {
        "Value out of range.".to_owned()
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
        invalid_json_detail(parse::<T>(body.as_bytes()))
    }

    /// The `detailedErrorMessage` of an InvalidJsonInput refusal.
    pub(super) fn invalid_json_detail<T: std::fmt::Debug>(result: Result<T, ApiError>) -> String {
        match result {
            Err(ApiError::BadRequest(crate::domain::errors::DomainError::InvalidJsonInput { detail })) => {
                detail
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_reference_of_the_wrong_kind_is_named_by_its_path() {
        use crate::domain::payment::PaymentDraft;
        let amount = r#""amountPlanned": {"currencyCode": "EUR", "centAmount": 1}"#;
        let cases = [
            (
                r#""customer": {"typeId": "cart", "id": "c"}"#,
                "customer -> typeId: Expected 'customer' but got 'cart'.",
            ),
            (
                r#""paymentStatus": {"state": {"typeId": "type", "key": "k"}}"#,
                "paymentStatus -> state -> typeId: Expected 'state' but got 'type'.",
            ),
            (
                r#""transactions": [{"type": "Charge", "amount": {"currencyCode": "EUR", "centAmount": 1}, "custom": {"type": {"typeId": "customer", "id": "t"}}}]"#,
                "transactions -> custom -> type -> typeId: Expected 'type' but got 'customer'.",
            ),
        ];
        for (field, expected) in cases {
            assert_eq!(detail_as::<PaymentDraft>(&format!("{{{amount}, {field}}}")), expected, "{field}");
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
        assert!(detail_of(r#"{"amountPlanned": tru}"#).contains("line 1"), "also inside a field");
        let body =
            r#"{"amountPlanned": {"currencyCode": "EUR", "centAmount": 1}, "transactions": [{"type": 1}]}"#;
        assert_eq!(detail_of(body), "transactions -> type: JSON string expected.");
        assert_eq!(detail_of(r#"[{"currencyCode": "EUR", "centAmount": 1}]"#), "JSON object expected.");
    }
}
