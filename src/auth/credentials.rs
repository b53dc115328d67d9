//! Client ids, client secrets and access tokens: random, stored only as SHA-256 hashes, and
//! compared in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// A secret value that never shows itself in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The plain value, for the one place that must hand it out or check it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hash(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

fn random_text(bytes: usize) -> String {
    let buffer: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(buffer)
}

/// A new client id: 24 URL-safe characters.
pub fn new_client_id() -> String {
    random_text(18)
}

/// A new client secret: 32 URL-safe characters (192 random bits).
pub fn new_client_secret() -> Secret {
    Secret(random_text(24))
}

/// A new access token: 43 URL-safe characters (256 random bits).
pub fn new_access_token() -> Secret {
    Secret(random_text(32))
}

/// SHA-256, hex. The values hashed are long random strings, so a fast hash is enough.
pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Whether `candidate` hashes to `stored_hash`, compared in constant time.
pub fn verify(candidate: &str, stored_hash: &str) -> bool {
    hash(candidate).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_long_random_and_url_safe() {
        let a = new_access_token();
        let b = new_access_token();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(new_client_id().len(), 24);
        assert_eq!(new_client_secret().expose().len(), 32);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn verification_matches_only_the_hashed_value() {
        let secret = new_client_secret();
        let stored = secret.hash();
        assert!(verify(secret.expose(), &stored));
        assert!(!verify("something else", &stored));
        assert!(!stored.contains(secret.expose()));
    }

    #[test]
    fn secrets_do_not_debug_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2".into())), "Secret(***)");
    }
}
