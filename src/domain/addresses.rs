//! commercetools' Address: postal lines around a required country, with an id the owning
//! resource gives it and an optional key unique within that resource.

use super::errors::DomainError;
use serde::{Deserialize, Serialize};

/// The officially assigned ISO 3166-1 alpha-2 codes, sorted.
const ASSIGNED_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN \
BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES \
ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR \
IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO \
MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE \
RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW \
TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// A two-letter ISO 3166-1 country code such as `DE`, one that is assigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(String);

impl TryFrom<String> for Country {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        if text.len() == 2 && ASSIGNED_COUNTRIES.split_ascii_whitespace().any(|code| code == text) {
            Ok(Self(text))
        } else {
            Err(format!(
                "Invalid country code '{text}'. A country is an ISO 3166-1 alpha-2 code such as 'DE'."
            ))
        }
    }
}

impl From<Country> for String {
    fn from(country: Country) -> String {
        country.0
    }
}

/// An address as drafts give it (`id` ignored: the owner assigns it) and as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub country: Country,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_street_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apartment: Option<String>,
    #[serde(default, rename = "pOBox", skip_serializing_if = "Option::is_none")]
    pub po_box: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_address_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Refused when given (see `Address::check_supported`), so never stored.
    #[serde(default, skip_serializing)]
    pub custom: Option<serde_json::Value>,
}

impl Address {
    /// Custom fields on addresses are refused rather than dropped: a client must not believe
    /// they were kept.
    pub fn check_supported(&self) -> Result<(), DomainError> {
        match &self.custom {
            Some(custom) if !custom.is_null() => Err(DomainError::InvalidInput(
                "Custom fields on addresses are not supported by this service.".into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addresses_need_a_two_letter_country_and_keep_their_lines() {
        assert!(serde_json::from_value::<Address>(json!({"city": "Berlin"})).is_err());
        assert!(serde_json::from_value::<Address>(json!({"country": "Germany"})).is_err());
        assert!(serde_json::from_value::<Address>(json!({"country": "de"})).is_err());
        assert!(serde_json::from_value::<Address>(json!({"country": "XX"})).is_err(), "not assigned");
        let text =
            json!({"country": "DE", "city": "Berlin", "pOBox": "12", "streetName": "Unter den Linden"});
        let address: Address = serde_json::from_value(text.clone()).unwrap();
        assert_eq!(address.po_box.as_deref(), Some("12"));
        assert_eq!(serde_json::to_value(&address).unwrap(), text);
    }
}
