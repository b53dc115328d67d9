//! Money as commercetools models it: drafts carry `{currencyCode, centAmount}` (or a
//! high-precision amount), responses are TypedMoney with the currency's ISO 4217 minor units.

use serde::{Deserialize, Serialize};
use std::fmt;

/// commercetools' non-standard zero-decimal variants of currencies that have minor units in ISO 4217.
const ZERO_DECIMAL_VARIANTS: [&str; 6] = ["CZK0", "HUF0", "ILS0", "KZT0", "TRY0", "TWD0"];
/// CentPrecisionMoney allows at most three fraction digits.
const MAX_CENT_FRACTION_DIGITS: u8 = 3;
/// HighPrecisionMoney allows at most twenty fraction digits.
const MAX_PRECISE_FRACTION_DIGITS: u8 = 20;

/// An ISO 4217 currency code (or one of commercetools' `XXX0` variants) with its minor units.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CurrencyCode {
    code: String,
    fraction_digits: u8,
}

impl CurrencyCode {
    pub fn parse(code: &str) -> Result<Self, String> {
        let invalid = || format!("Invalid currency code '{code}'.");
        if ZERO_DECIMAL_VARIANTS.contains(&code) {
            return Ok(Self { code: code.to_owned(), fraction_digits: 0 });
        }
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid());
        }
        let currency = iso_currency::Currency::from_code(code).ok_or_else(invalid)?;
        let fraction_digits = currency
            .exponent()
            .and_then(|e| u8::try_from(e).ok())
            .filter(|e| *e <= MAX_CENT_FRACTION_DIGITS)
            .ok_or_else(|| format!("The currency '{code}' cannot be used for cent precision amounts."))?;
        Ok(Self { code: code.to_owned(), fraction_digits })
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    pub fn fraction_digits(&self) -> u8 {
        self.fraction_digits
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// A validated money value. Amounts are never negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MoneyDraft", into = "TypedMoney")]
pub enum Money {
    Cent { currency: CurrencyCode, cent_amount: i64 },
    High { currency: CurrencyCode, cent_amount: i64, precise_amount: i64, fraction_digits: u8 },
}

impl Money {
    pub fn cent(currency: CurrencyCode, cent_amount: i64) -> Result<Self, String> {
        if cent_amount < 0 {
            return Err(format!("The amount {cent_amount} must not be negative."));
        }
        Ok(Self::Cent { currency, cent_amount })
    }

    pub fn currency(&self) -> &CurrencyCode {
        match self {
            Self::Cent { currency, .. } | Self::High { currency, .. } => currency,
        }
    }

    pub fn cent_amount(&self) -> i64 {
        match self {
            Self::Cent { cent_amount, .. } | Self::High { cent_amount, .. } => *cent_amount,
        }
    }

    /// The amount as CentPrecisionMoney, which is what commercetools stores for a Payment's
    /// amounts and for Money custom fields: a high-precision draft keeps its rounded centAmount.
    pub fn in_cents(self) -> Self {
        match self {
            Self::High { currency, cent_amount, .. } => Self::Cent { currency, cent_amount },
            cent => cent,
        }
    }
}

/// Every money draft form commercetools accepts: `Money`, `CentPrecisionMoneyDraft` and
/// `HighPrecisionMoneyDraft` (and the stored TypedMoney, which is a valid draft too).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyDraft {
    #[serde(rename = "type")]
    kind: Option<String>,
    currency_code: String,
    cent_amount: Option<i64>,
    fraction_digits: Option<u8>,
    precise_amount: Option<i64>,
}

impl TryFrom<MoneyDraft> for Money {
    type Error = String;

    fn try_from(draft: MoneyDraft) -> Result<Self, String> {
        let currency = CurrencyCode::parse(&draft.currency_code)?;
        match draft.kind.as_deref() {
            None | Some("centPrecision") => {
                let cent_amount = draft.cent_amount.ok_or_else(|| missing("centAmount"))?;
                if let Some(digits) = draft.fraction_digits {
                    if digits != currency.fraction_digits() {
                        return Err(format!(
                            "fractionDigits {digits} does not match the {} default of {}.",
                            currency,
                            currency.fraction_digits()
                        ));
                    }
                }
                Money::cent(currency, cent_amount)
            }
            Some("highPrecision") => high_precision(currency, draft),
            Some(other) => Err(format!(
                "Invalid money type '{other}'. Expected one of: 'centPrecision', 'highPrecision'."
            )),
        }
    }
}

/// Money as a Money custom field holds it: unlike a payment's amounts, commercetools puts no
/// bound on its sign (a fee returned, an adjustment). A negative draft is read as its positive
/// counterpart and negated, so rounding is symmetric.
#[derive(Debug, Deserialize)]
#[serde(try_from = "MoneyDraft")]
pub struct AnySignMoney(pub Money);

impl TryFrom<MoneyDraft> for AnySignMoney {
    type Error = String;

    fn try_from(mut draft: MoneyDraft) -> Result<Self, String> {
        let negative = draft.cent_amount.or(draft.precise_amount).is_some_and(|amount| amount < 0);
        if !negative {
            return Money::try_from(draft).map(Self);
        }
        let negate =
            |amount: i64| amount.checked_neg().ok_or_else(|| format!("The amount {amount} is out of range."));
        draft.cent_amount = draft.cent_amount.map(negate).transpose()?;
        draft.precise_amount = draft.precise_amount.map(negate).transpose()?;
        let negated = match Money::try_from(draft)? {
            Money::Cent { currency, cent_amount } => Money::Cent { currency, cent_amount: -cent_amount },
            Money::High { currency, cent_amount, precise_amount, fraction_digits } => Money::High {
                currency,
                cent_amount: -cent_amount,
                precise_amount: -precise_amount,
                fraction_digits,
            },
        };
        Ok(Self(negated))
    }
}

/// A field the draft's type requires, worded as serde words a missing field, so that the HTTP
/// layer names its path as for any other (`amountPlanned -> centAmount: Missing required value`).
fn missing(field: &str) -> String {
    format!("missing field `{field}`")
}

fn high_precision(currency: CurrencyCode, draft: MoneyDraft) -> Result<Money, String> {
    let precise_amount = draft.precise_amount.ok_or_else(|| missing("preciseAmount"))?;
    let fraction_digits = draft.fraction_digits.ok_or_else(|| missing("fractionDigits"))?;
    if fraction_digits <= currency.fraction_digits() || fraction_digits > MAX_PRECISE_FRACTION_DIGITS {
        return Err(format!(
            "fractionDigits must be greater than {} and at most {MAX_PRECISE_FRACTION_DIGITS} for {currency}.",
            currency.fraction_digits()
        ));
    }
    if precise_amount < 0 {
        return Err(format!("The amount {precise_amount} must not be negative."));
    }
    let scale = 10_i64.pow(u32::from(fraction_digits - currency.fraction_digits()));
    let rounded = round_half_even(precise_amount, scale);
    let cent_amount = match draft.cent_amount {
        None => rounded,
        // Any rounding of the precise amount is acceptable, as in commercetools.
        Some(given) if given == precise_amount / scale || given == precise_amount / scale + 1 => given,
        Some(given) => {
            return Err(format!("centAmount {given} is not a rounding of preciseAmount {precise_amount}."))
        }
    };
    Ok(Money::High { currency, cent_amount, precise_amount, fraction_digits })
}

/// Divides a non-negative `value` by `scale`, rounding ties to the even neighbour.
fn round_half_even(value: i64, scale: i64) -> i64 {
    let quotient = value / scale;
    let remainder = value % scale;
    let doubled = remainder.saturating_mul(2);
    if doubled > scale || (doubled == scale && quotient % 2 == 1) {
        quotient + 1
    } else {
        quotient
    }
}

/// The read model: `centPrecision` or `highPrecision` TypedMoney.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypedMoney {
    #[serde(rename = "type")]
    kind: &'static str,
    currency_code: String,
    cent_amount: i64,
    fraction_digits: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    precise_amount: Option<i64>,
}

impl From<Money> for TypedMoney {
    fn from(money: Money) -> Self {
        match money {
            Money::Cent { currency, cent_amount } => TypedMoney {
                kind: "centPrecision",
                fraction_digits: currency.fraction_digits(),
                currency_code: currency.code,
                cent_amount,
                precise_amount: None,
            },
            Money::High { currency, cent_amount, precise_amount, fraction_digits } => TypedMoney {
                kind: "highPrecision",
                currency_code: currency.code,
                cent_amount,
                fraction_digits,
                precise_amount: Some(precise_amount),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Result<Money, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn fraction_digits_follow_iso_4217() {
        for (code, digits) in
            [("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3), ("HUF", 2), ("HUF0", 0), ("ISK", 0)]
        {
            assert_eq!(CurrencyCode::parse(code).unwrap().fraction_digits(), digits, "{code}");
        }
    }

    #[test]
    fn unknown_or_malformed_currencies_are_refused() {
        for code in ["XYZ", "eur", "EURO", "", "EUR0", "XAU"] {
            assert!(CurrencyCode::parse(code).is_err(), "{code}");
        }
    }

    #[test]
    fn a_money_draft_becomes_cent_precision_typed_money() {
        let money = parse(json!({"currencyCode": "EUR", "centAmount": 1234})).unwrap();
        assert_eq!(
            serde_json::to_value(&money).unwrap(),
            json!({"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1234, "fractionDigits": 2})
        );
    }

    #[test]
    fn stored_typed_money_reads_back_unchanged() {
        let stored =
            json!({"type": "centPrecision", "currencyCode": "JPY", "centAmount": 5, "fractionDigits": 0});
        assert_eq!(serde_json::to_value(parse(stored.clone()).unwrap()).unwrap(), stored);
    }

    #[test]
    fn a_high_precision_draft_in_cents_keeps_its_rounded_cent_amount() {
        let high = json!({"type": "highPrecision", "currencyCode": "EUR", "preciseAmount": 10125, "fractionDigits": 3});
        assert_eq!(
            serde_json::to_value(parse(high).unwrap().in_cents()).unwrap(),
            json!({"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1012, "fractionDigits": 2})
        );
    }

    #[test]
    fn negative_amounts_and_wrong_fraction_digits_are_refused() {
        assert!(parse(json!({"currencyCode": "EUR", "centAmount": -1})).is_err());
        assert!(parse(json!({"currencyCode": "EUR", "centAmount": 1, "fractionDigits": 3})).is_err());
        assert!(parse(json!({"currencyCode": "EUR"})).is_err());
    }

    #[test]
    fn custom_field_money_may_be_negative() {
        let any =
            |value| serde_json::from_value::<AnySignMoney>(value).map(|m| serde_json::to_value(m.0).unwrap());
        assert_eq!(
            any(json!({"currencyCode": "EUR", "centAmount": -5})).unwrap(),
            json!({"type": "centPrecision", "currencyCode": "EUR", "centAmount": -5, "fractionDigits": 2})
        );
        let high = any(
            json!({"type": "highPrecision", "currencyCode": "USD", "preciseAmount": -1015, "fractionDigits": 3}),
        );
        assert_eq!(high.unwrap()["centAmount"], -102, "rounded as its positive counterpart");
        assert!(any(json!({"currencyCode": "EUR", "centAmount": i64::MIN})).is_err());
        assert!(any(json!({"currencyCode": "EUR", "centAmount": -1, "fractionDigits": 3})).is_err());
    }

    #[test]
    fn high_precision_rounds_half_even() {
        let money = parse(json!({"type": "highPrecision", "currencyCode": "USD", "preciseAmount": 1015, "fractionDigits": 3}))
            .unwrap();
        assert_eq!(money.cent_amount(), 102);
        let money = parse(json!({"type": "highPrecision", "currencyCode": "USD", "preciseAmount": 1025, "fractionDigits": 3}))
            .unwrap();
        assert_eq!(money.cent_amount(), 102);
        assert_eq!(
            serde_json::to_value(&money).unwrap(),
            json!({"type": "highPrecision", "currencyCode": "USD", "centAmount": 102, "fractionDigits": 3, "preciseAmount": 1025})
        );
    }

    #[test]
    fn high_precision_checks_digits_and_given_cent_amount() {
        let base = json!({"type": "highPrecision", "currencyCode": "USD", "preciseAmount": 1015});
        let mut two_digits = base.clone();
        two_digits["fractionDigits"] = json!(2);
        assert!(parse(two_digits).is_err());
        let mut bad_cents = base.clone();
        bad_cents["fractionDigits"] = json!(3);
        bad_cents["centAmount"] = json!(100);
        assert!(parse(bad_cents).is_err());
        let mut floor_cents = base;
        floor_cents["fractionDigits"] = json!(3);
        floor_cents["centAmount"] = json!(101);
        assert_eq!(parse(floor_cents).unwrap().cent_amount(), 101);
    }
}
