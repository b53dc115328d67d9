//! Amounts as Stripe counts them. Our amounts are in ISO 4217 minor units (and commercetools'
//! `HUF0`-style variants count whole units); Stripe has its own list: zero-decimal currencies
//! (some of which ISO gives decimals, such as MGA), ISK written with two decimals that are
//! always 00, and three-decimal currencies whose amounts must end in 0.

use crate::domain::money::CurrencyCode;

/// Currencies Stripe counts in whole units.
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF",
    "XPF",
];
/// Currencies Stripe counts in thousandths, in steps of ten.
const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// Stripe's currency code (lower case) and its number of decimals.
fn stripe_currency(currency: &CurrencyCode) -> (String, u32) {
    // commercetools' zero-decimal variants (HUF0, TWD0, …) are the base currency at Stripe.
    let base = currency.as_str().get(..3).unwrap_or(currency.as_str());
    let decimals = if ZERO_DECIMAL.contains(&base) {
        0
    } else if THREE_DECIMAL.contains(&base) {
        3
    } else {
        2
    };
    (base.to_lowercase(), decimals)
}

/// The currency and amount to send to Stripe for `amount` minor units of `currency`, or why
/// Stripe cannot be asked for exactly that amount.
pub fn to_stripe(currency: &CurrencyCode, amount: i64) -> Result<(String, i64), String> {
    let (code, decimals) = stripe_currency(currency);
    let ours = u32::from(currency.fraction_digits());
    let unrepresentable = || {
        format!("Stripe cannot take exactly {amount} minor units of {currency}: it counts {} with {decimals} decimals{}.",
            code.to_uppercase(), if decimals == 3 { " in steps of 10" } else { "" })
    };
    let stripe_amount = if decimals >= ours {
        amount.checked_mul(10_i64.pow(decimals - ours)).ok_or_else(unrepresentable)?
    } else {
        let divisor = 10_i64.pow(ours - decimals);
        if amount % divisor != 0 {
            return Err(unrepresentable());
        }
        amount / divisor
    };
    if decimals == 3 && stripe_amount % 10 != 0 {
        return Err(unrepresentable());
    }
    Ok((code, stripe_amount))
}

/// An amount Stripe reports in `stripe_currency` (its lower-case code), in minor units of our
/// `currency`; None when it is another currency or not a whole number of our units.
pub fn from_stripe(currency: &CurrencyCode, stripe_currency_code: &str, amount: i64) -> Option<i64> {
    let (code, decimals) = self::stripe_currency(currency);
    if !code.eq_ignore_ascii_case(stripe_currency_code) {
        return None;
    }
    let ours = u32::from(currency.fraction_digits());
    if decimals >= ours {
        let divisor = 10_i64.pow(decimals - ours);
        (amount % divisor == 0).then(|| amount / divisor)
    } else {
        amount.checked_mul(10_i64.pow(ours - decimals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe(code: &str, amount: i64) -> Result<(String, i64), String> {
        to_stripe(&CurrencyCode::parse(code).unwrap(), amount)
    }

    #[test]
    fn amounts_are_scaled_to_stripes_decimals() {
        assert_eq!(stripe("EUR", 1234), Ok(("eur".into(), 1234)));
        assert_eq!(stripe("JPY", 500), Ok(("jpy".into(), 500)));
        assert_eq!(stripe("ISK", 500), Ok(("isk".into(), 50_000)), "ISK has two decimals, always 00");
        assert_eq!(stripe("HUF0", 500), Ok(("huf".into(), 50_000)), "commercetools' whole-forint variant");
        assert_eq!(stripe("MGA", 50_000), Ok(("mga".into(), 500)), "ISO gives MGA decimals, Stripe none");
        assert_eq!(stripe("KWD", 1230), Ok(("kwd".into(), 1230)));
    }

    #[test]
    fn amounts_stripe_cannot_take_exactly_are_refused() {
        assert!(stripe("MGA", 50_050).is_err(), "a fraction of an ariary");
        assert!(stripe("KWD", 1235).is_err(), "three-decimal amounts end in 0");
    }

    #[test]
    fn reported_amounts_come_back_in_our_units() {
        let isk = CurrencyCode::parse("ISK").unwrap();
        assert_eq!(from_stripe(&isk, "isk", 50_000), Some(500));
        let mga = CurrencyCode::parse("MGA").unwrap();
        assert_eq!(from_stripe(&mga, "mga", 500), Some(50_000));
        let eur = CurrencyCode::parse("EUR").unwrap();
        assert_eq!(from_stripe(&eur, "usd", 500), None, "another currency");
    }
}
