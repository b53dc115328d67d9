//! Actions commercetools has deprecated but still accepts (answered with X-DEPRECATION-NOTICE).

use super::{non_empty, Emitted};
use crate::domain::common::Timestamp;
use crate::domain::money::Money;
use crate::domain::payment::Payment;

pub fn set_external_id(payment: &mut Payment, external_id: Option<String>) -> Emitted {
    payment.external_id = non_empty(external_id);
    Ok(vec![])
}

pub fn set_authorization(payment: &mut Payment, amount: Option<Money>, until: Option<Timestamp>) -> Emitted {
    payment.authorized_until = amount.as_ref().and(until);
    payment.amount_authorized = amount;
    Ok(vec![])
}

pub fn set_amount_paid(payment: &mut Payment, amount: Option<Money>) -> Emitted {
    payment.amount_paid = amount;
    Ok(vec![])
}

pub fn set_amount_refunded(payment: &mut Payment, amount: Option<Money>) -> Emitted {
    payment.amount_refunded = amount;
    Ok(vec![])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::json;

    #[test]
    fn deprecated_fields_set_and_remove() {
        let money = json!({"currencyCode": "EUR", "centAmount": 500});
        let outcome = apply(
            payment(),
            json!([
                {"action": "setExternalId", "externalId": "ext-1"},
                {"action": "setAuthorization", "amount": money, "until": "2030-01-01T00:00:00Z"},
                {"action": "setAmountPaid", "amount": money},
                {"action": "setAmountRefunded", "amount": money},
            ]),
        )
        .unwrap();
        let p = to_json(&outcome.payment);
        assert_eq!(p["externalId"], "ext-1");
        assert_eq!(p["amountAuthorized"]["centAmount"], 500);
        assert_eq!(p["authorizedUntil"], "2030-01-01T00:00:00.000Z");
        assert_eq!(p["amountPaid"]["type"], "centPrecision");
        assert_eq!(p["amountRefunded"]["centAmount"], 500);
        let cleared = apply(
            outcome.payment,
            json!([{"action": "setExternalId"}, {"action": "setAuthorization"}, {"action": "setAmountPaid"}, {"action": "setAmountRefunded"}]),
        )
        .unwrap();
        let p = to_json(&cleared.payment);
        for field in ["externalId", "amountAuthorized", "authorizedUntil", "amountPaid", "amountRefunded"] {
            assert!(p.get(field).is_none(), "{field}");
        }
    }
}
