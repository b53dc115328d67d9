//! commercetools' Address: postal lines around a required country, with an id the owning
//! resource gives it and an optional key unique within that resource.

use serde::{Deserialize, Serialize};

/// A two-letter ISO 3166-1 country code such as `DE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(String);

impl TryFrom<String> for Country {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        if text.len() == 2 && text.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Self(text))
        } else {
            Err(format!(
                "Invalid country code '{text}'. A country is a two-letter ISO 3166-1 code such as 'DE'."
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
        let text =
            json!({"country": "DE", "city": "Berlin", "pOBox": "12", "streetName": "Unter den Linden"});
        let address: Address = serde_json::from_value(text.clone()).unwrap();
        assert_eq!(address.po_box.as_deref(), Some("12"));
        assert_eq!(serde_json::to_value(&address).unwrap(), text);
    }
}
