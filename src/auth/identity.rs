//! Whose shopping session a token is: a signed-in customer's or an anonymous one. A token
//! with an identity reaches the `/me` endpoints, which act on that shopper's resources only.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    Customer(String),
    Anonymous(String),
}

/// The longest anonymous id a session may be started with (commercetools' limit for the
/// `anonymousId` of its resources).
pub const MAX_ANONYMOUS_ID_LENGTH: usize = 256;

impl Identity {
    /// From a token's stored columns; a customer wins should both be set.
    pub fn from_columns(customer_id: Option<String>, anonymous_id: Option<String>) -> Option<Self> {
        customer_id.map(Self::Customer).or(anonymous_id.map(Self::Anonymous))
    }

    /// The stored columns: (customer id, anonymous id).
    pub fn columns(identity: Option<&Self>) -> (Option<String>, Option<String>) {
        match identity {
            Some(Self::Customer(id)) => (Some(id.clone()), None),
            Some(Self::Anonymous(id)) => (None, Some(id.clone())),
            None => (None, None),
        }
    }

    /// Whether an anonymous id may start a session: 1..256 of `[A-Za-z0-9._-]`. The id becomes a
    /// word of the token's scope, which front ends parse (`customer_id:…`), so it may hold
    /// neither spaces nor colons.
    pub fn valid_anonymous_id(id: &str) -> bool {
        (1..=MAX_ANONYMOUS_ID_LENGTH).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    }
}

/// The scope word commercetools adds to a shopper's token: `customer_id:…` or
/// `anonymous_id:…`.
impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Customer(id) => write!(f, "customer_id:{id}"),
            Self::Anonymous(id) => write!(f, "anonymous_id:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_a_scope_word_and_two_columns() {
        let anonymous = Identity::Anonymous("cart-7".into());
        assert_eq!(anonymous.to_string(), "anonymous_id:cart-7");
        assert_eq!(Identity::columns(Some(&anonymous)), (None, Some("cart-7".into())));
        assert_eq!(Identity::from_columns(None, Some("cart-7".into())), Some(anonymous));
        assert_eq!(Identity::Customer("c-1".into()).to_string(), "customer_id:c-1");
        assert_eq!(Identity::from_columns(None, None), None);
    }

    #[test]
    fn anonymous_ids_are_single_printable_words() {
        assert!(Identity::valid_anonymous_id("phone-123"));
        assert!(Identity::valid_anonymous_id("0b4c2a9e-1f3d-4e5a-9c7b-2d8f6a1e3b5c"));
        for bad in ["", "a b", "tab\there", "nul\0", "customer_id:c-1", "é", &"x".repeat(257)] {
            assert!(!Identity::valid_anonymous_id(bad), "{bad:?}");
        }
    }
}
