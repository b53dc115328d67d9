//! commercetools' Address (postal lines around a required country, with an id the owner gives
//! it and an optional key unique within the owner) and a Customer's book of them, with their
//! shipping and billing roles.

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

/// Names one of the owner's addresses, by id or by key (both must name the same one).
#[derive(Debug, Clone, Default)]
pub struct AddressTarget {
    pub address_id: Option<String>,
    pub address_key: Option<String>,
}

impl AddressTarget {
    fn is_empty(&self) -> bool {
        self.address_id.is_none() && self.address_key.is_none()
    }
}

/// What an address is used for (commercetools' AddressRole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Role {
    Shipping,
    Billing,
}

/// A Customer's addresses, and which of them are for shipping and billing, with a default of
/// each (a default address also has its role).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressBook {
    pub addresses: Vec<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_shipping_address_id: Option<String>,
    #[serde(default)]
    pub shipping_address_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_billing_address_id: Option<String>,
    #[serde(default)]
    pub billing_address_ids: Vec<String>,
}

impl AddressBook {
    /// Adds an address under a new id; its key must be free. Answers the address added.
    pub fn add(
        &mut self,
        mut address: Address,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Address, DomainError> {
        address.check_supported()?;
        self.check_key_free(&address, None)?;
        address.id = Some(new_id());
        self.addresses.push(address.clone());
        Ok(address)
    }

    /// Replaces an address, keeping its id (and so its roles). Answers the address as it is
    /// now, with its roles.
    pub fn change(
        &mut self,
        target: &AddressTarget,
        mut address: Address,
    ) -> Result<(Address, Vec<Role>), DomainError> {
        address.check_supported()?;
        let index = self.index_of(target)?;
        self.check_key_free(&address, Some(index))?;
        if let Some(slot) = self.addresses.get_mut(index) {
            address.id = slot.id.take();
            *slot = address.clone();
        }
        let roles = self.roles_of(address.id.as_deref());
        Ok((address, roles))
    }

    /// Removes an address, and its roles. Answers the address removed, with the roles it had.
    pub fn remove(&mut self, target: &AddressTarget) -> Result<(Address, Vec<Role>), DomainError> {
        let index = self.index_of(target)?;
        let removed = self.addresses.remove(index);
        let roles = self.roles_of(removed.id.as_deref());
        self.shipping_address_ids.retain(|id| Some(id) != removed.id.as_ref());
        self.billing_address_ids.retain(|id| Some(id) != removed.id.as_ref());
        for default in [&mut self.default_shipping_address_id, &mut self.default_billing_address_id] {
            if *default == removed.id {
                *default = None;
            }
        }
        Ok((removed, roles))
    }

    /// Sets the default address of a role (which gets the role too); no target unsets it.
    /// Answers the new default address.
    pub fn set_default(
        &mut self,
        role: Role,
        target: &AddressTarget,
    ) -> Result<Option<Address>, DomainError> {
        let address = if target.is_empty() { None } else { Some(self.address(target)?) };
        self.set_default_id(role, address.as_ref().and_then(|a| a.id.clone()));
        Ok(address)
    }

    /// Gives an address a role; answers the address.
    pub fn add_role(&mut self, role: Role, target: &AddressTarget) -> Result<Address, DomainError> {
        let address = self.address(target)?;
        add_once(self.role_mut(role).1, address.id.clone().unwrap_or_default());
        Ok(address)
    }

    /// Takes the role from an address (and the default, if it was); InvalidInput if it had none.
    /// Answers the address.
    pub fn remove_role(&mut self, role: Role, target: &AddressTarget) -> Result<Address, DomainError> {
        let address = self.address(target)?;
        let id = address.id.clone().unwrap_or_default();
        let (default, ids) = self.role_mut(role);
        if !ids.contains(&id) {
            return Err(DomainError::InvalidInput(format!("The address '{id}' does not have this role.")));
        }
        ids.retain(|i| *i != id);
        if default.as_deref() == Some(id.as_str()) {
            *default = None;
        }
        Ok(address)
    }

    /// Checks that the target names an address, changing nothing.
    pub fn check_exists(&self, target: &AddressTarget) -> Result<(), DomainError> {
        self.index_of(target).map(|_| ())
    }

    /// The roles the address with this id has.
    fn roles_of(&self, id: Option<&str>) -> Vec<Role> {
        let has = |ids: &[String]| id.is_some_and(|id| ids.iter().any(|i| i == id));
        let mut roles = Vec::new();
        if has(&self.shipping_address_ids) {
            roles.push(Role::Shipping);
        }
        if has(&self.billing_address_ids) {
            roles.push(Role::Billing);
        }
        roles
    }

    fn address(&self, target: &AddressTarget) -> Result<Address, DomainError> {
        let index = self.index_of(target)?;
        self.addresses.get(index).cloned().ok_or_else(|| DomainError::InvalidInput("No such address.".into()))
    }

    /// The id of the address at `index`, for a draft's indices (`field` names the draft field).
    pub fn id_at(&self, field: &str, index: usize) -> Result<String, DomainError> {
        self.addresses.get(index).and_then(|a| a.id.clone()).ok_or_else(|| {
            DomainError::InvalidInput(format!(
                "The value {index} of '{field}' is not an index of 'addresses' ({} given).",
                self.addresses.len()
            ))
        })
    }

    /// Gives the address (by id) a role, as a draft's indices do.
    pub fn add_role_id(&mut self, role: Role, id: String) {
        add_once(self.role_mut(role).1, id);
    }

    pub fn set_default_id(&mut self, role: Role, id: Option<String>) {
        let (default, ids) = self.role_mut(role);
        if let Some(id) = &id {
            add_once(ids, id.clone());
        }
        *default = id;
    }

    fn role_mut(&mut self, role: Role) -> (&mut Option<String>, &mut Vec<String>) {
        match role {
            Role::Shipping => (&mut self.default_shipping_address_id, &mut self.shipping_address_ids),
            Role::Billing => (&mut self.default_billing_address_id, &mut self.billing_address_ids),
        }
    }

    fn index_of(&self, target: &AddressTarget) -> Result<usize, DomainError> {
        let has_id = |a: &Address, id: &String| a.id.as_ref() == Some(id);
        let has_key = |a: &Address, key: &String| a.key.as_ref() == Some(key);
        let (found, described) = match (&target.address_id, &target.address_key) {
            (Some(id), Some(key)) => (
                self.addresses.iter().position(|a| has_id(a, id) && has_key(a, key)),
                format!("id '{id}' and key '{key}'"),
            ),
            (Some(id), None) => (self.addresses.iter().position(|a| has_id(a, id)), format!("id '{id}'")),
            (None, Some(key)) => {
                (self.addresses.iter().position(|a| has_key(a, key)), format!("key '{key}'"))
            }
            (None, None) => {
                return Err(DomainError::InvalidInput(
                    "Either 'addressId' or 'addressKey' is required.".into(),
                ))
            }
        };
        found.ok_or_else(|| {
            DomainError::InvalidInput(format!("The customer has no address with {described}."))
        })
    }

    /// Address keys are unique within the book.
    fn check_key_free(&self, address: &Address, except: Option<usize>) -> Result<(), DomainError> {
        let Some(key) = &address.key else { return Ok(()) };
        let taken =
            self.addresses.iter().enumerate().any(|(i, a)| Some(i) != except && a.key.as_ref() == Some(key));
        if taken {
            return Err(DomainError::DuplicateField {
                field: "addresses.key".into(),
                duplicate_value: serde_json::Value::from(key.clone()),
            });
        }
        Ok(())
    }
}

fn add_once(ids: &mut Vec<String>, id: String) {
    if !ids.contains(&id) {
        ids.push(id);
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
