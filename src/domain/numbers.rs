//! JSON numbers as custom fields store them and predicates compare them: a whole number that
//! i64 holds is an exact integer, anything else the nearest double. SQLite (INTEGER and REAL,
//! compared exactly with each other), PostgreSQL (numeric, read from the same text) and the
//! in-memory evaluator then agree beyond 2^53 too: a double is written in its shortest
//! spelling, which PostgreSQL reads as a slightly different value, but no integer lies between
//! the two once whole doubles within i64 are written as integers. (Documents stored before
//! keep their spelling.)

use num_traits::ToPrimitive;
use serde_json::{Number, Value};
use std::cmp::Ordering;

/// A number as stored: integers beyond i64 become the nearest double (as SQLite reads them),
/// whole doubles within i64 the integer (`144115188075855872.0` would be written
/// `1.4411518807585587e17`).
pub fn stored(value: &mut Value) {
    if let Some(big) = value.as_u64().filter(|u| i64::try_from(*u).is_err()) {
        // Rounded to the nearest double, which is always finite.
        if let Some(number) = big.to_f64().and_then(Number::from_f64) {
            *value = Value::Number(number);
        }
    } else if let Some(integer) = value.as_f64().and_then(whole_within_i64) {
        *value = Value::from(integer);
    }
}

/// The integer a whole double at or beyond 2^53 (where doubles are spelled inexactly) stands
/// for, if i64 holds it.
fn whole_within_i64(double: f64) -> Option<i64> {
    const EXACT_BELOW: f64 = 9_007_199_254_740_992.0; // 2^53
    (double.abs() >= EXACT_BELOW && double.fract() == 0.0).then(|| double.to_i64()).flatten()
}

/// A literal (`-?digits(.digits)?(e±digits)?`, range-checked by the parser) as the value it
/// stands for, in one canonical spelling: the integer where it is an integer that i64 holds
/// (`1e3`, `42.0`), else the nearest double, written as an integer where that is a whole
/// number i64 holds, else in full (`0.30000000000000004`); zero is `0`.
pub fn canonical_literal(text: &str) -> String {
    if let Some(integer) = exact_integer(text) {
        return integer.to_string();
    }
    match text.parse::<f64>() {
        Ok(0.0) => "0".into(),
        Ok(value) => match whole_within_i64(value) {
            Some(integer) => integer.to_string(),
            None => format!("{value}"),
        },
        Err(_) => text.to_owned(),
    }
}

/// The integer a decimal literal denotes exactly, if i64 holds it.
fn exact_integer(text: &str) -> Option<i64> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The value is digits × 10^scale.
    let mut digits = format!("{whole}{fraction}");
    let mut scale = exponent.checked_sub(i64::try_from(fraction.len()).ok()?)?;
    while scale < 0 && digits.ends_with('0') {
        digits.pop();
        scale += 1;
    }
    if scale < 0 {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0);
    }
    let scale = usize::try_from(scale).ok()?;
    if digits.len().saturating_add(scale) > 19 {
        return None;
    }
    let magnitude: i128 = format!("{digits}{}", "0".repeat(scale)).parse().ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// A number's exact value, as far as JSON numbers here have one.
#[derive(Clone, Copy)]
enum Exact {
    Integer(i128),
    Double(f64),
}

fn exact(number: &Number) -> Option<Exact> {
    match (number.as_i64(), number.as_u64()) {
        (Some(integer), _) => Some(Exact::Integer(integer.into())),
        (None, Some(integer)) => Some(Exact::Integer(integer.into())),
        _ => number.as_f64().map(Exact::Double),
    }
}

/// How two numbers order by their exact values (an integer and a double are not rounded to
/// each other); None for NaN.
pub fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    compare_exact(exact(a)?, exact(b)?)
}

/// How a stored number orders against a canonical literal (see [`canonical_literal`]).
pub fn compare_to_literal(number: &Number, literal: &str) -> Option<Ordering> {
    let literal = match literal.parse::<i64>() {
        Ok(integer) => Exact::Integer(integer.into()),
        Err(_) => Exact::Double(literal.parse().ok()?),
    };
    compare_exact(exact(number)?, literal)
}

fn compare_exact(a: Exact, b: Exact) -> Option<Ordering> {
    match (a, b) {
        (Exact::Integer(a), Exact::Integer(b)) => Some(a.cmp(&b)),
        (Exact::Double(a), Exact::Double(b)) => a.partial_cmp(&b),
        (Exact::Integer(a), Exact::Double(b)) => integer_to_double(a, b),
        (Exact::Double(a), Exact::Integer(b)) => integer_to_double(b, a).map(Ordering::reverse),
    }
}

/// An integer (|a| < 2^64) against a double, exactly.
fn integer_to_double(a: i128, b: f64) -> Option<Ordering> {
    if b.is_nan() {
        return None;
    }
    const BEYOND: f64 = 36_893_488_147_419_103_232.0; // 2^65
    if b >= BEYOND {
        return Some(Ordering::Less);
    }
    if b <= -BEYOND {
        return Some(Ordering::Greater);
    }
    let whole = b.trunc();
    // Exact: |whole| < 2^65 is an integer that i128 holds.
    match a.cmp(&whole.to_i128()?) {
        Ordering::Equal => whole.partial_cmp(&b),
        unequal => Some(unequal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_are_written_as_the_value_they_stand_for() {
        for (literal, canonical) in [
            ("42", "42"),
            ("42.000", "42"),
            ("1e3", "1000"),
            ("1.50e1", "15"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("1e-400", "0"),
            ("9007199254740993.0", "9007199254740993"),
            ("9223372036854775807.0", "9223372036854775807"),
            ("18446744073709551614", "18446744073709552000"),
            ("0.3000000000000000444", "0.30000000000000004"),
            ("0.5", "0.5"),
            ("-2.5e-1", "-0.25"),
            ("-9223372036854775809", "-9223372036854775808"),
            ("144115188075855871.5", "144115188075855872"),
        ] {
            assert_eq!(canonical_literal(literal), canonical, "{literal}");
        }
    }

    #[test]
    fn integers_and_doubles_compare_exactly() {
        let n = |value: Value| match value {
            Value::Number(number) => number,
            _ => unreachable!(),
        };
        let big = n(json!(9_007_199_254_740_993_i64));
        assert_eq!(compare_to_literal(&big, "9007199254740993"), Some(Ordering::Equal));
        assert_eq!(compare_to_literal(&big, "9007199254740992"), Some(Ordering::Greater));
        let two_to_63 = n(json!(9_223_372_036_854_775_808.0_f64));
        assert_eq!(compare_to_literal(&two_to_63, "9223372036854775807"), Some(Ordering::Greater));
        assert_eq!(
            compare(&n(json!(u64::MAX)), &n(json!(18_446_744_073_709_551_616.0_f64))),
            Some(Ordering::Less)
        );
        assert_eq!(compare_to_literal(&n(json!(-0.0)), "0"), Some(Ordering::Equal));
        assert_eq!(compare_to_literal(&n(json!(2)), "2.5"), Some(Ordering::Less));
        assert_eq!(compare_to_literal(&n(json!(-3)), "-2.5"), Some(Ordering::Less));
        assert_eq!(compare_to_literal(&n(json!(0.5)), "0.5"), Some(Ordering::Equal));
    }

    #[test]
    fn integers_beyond_i64_are_stored_as_doubles() {
        let mut big = json!(u64::MAX);
        stored(&mut big);
        assert_eq!(big, json!(18_446_744_073_709_551_616.0_f64));
        let mut fits = json!(i64::MAX);
        stored(&mut fits);
        assert_eq!(fits, json!(i64::MAX));
        let mut whole = json!(144_115_188_075_855_872.0_f64);
        stored(&mut whole);
        assert_eq!(whole, json!(144_115_188_075_855_872_i64));
        let mut small = json!(2.0);
        stored(&mut small);
        assert_eq!(small, json!(2.0), "exact below 2^53: kept as written");
    }
}
