//! Client ids, client secrets and access tokens: random, stored only as SHA-256 hashes, and
//! compared in constant time. Customers' passwords, which are not random, get a slow salted hash.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
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

/// A new refresh token: the project key, a colon and 43 URL-safe characters, in
/// commercetools' form.
pub fn new_refresh_token(project_key: &str) -> Secret {
    Secret(format!("{project_key}:{}", random_text(32)))
}

/// SHA-256, hex. The values hashed are long random strings, so a fast hash is enough.
pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Whether `candidate` hashes to `stored_hash`, compared in constant time.
pub fn verify(candidate: &str, stored_hash: &str) -> bool {
    hash(candidate).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// Argon2id with 7 MiB and five passes (one of OWASP's equivalent settings): a guessed
/// password costs an attacker with the stored hash milliseconds, and a sign-in little memory.
fn password_hasher() -> Argon2<'static> {
    const MEMORY_KIB: u32 = 7 * 1024;
    const PASSES: u32 = 5;
    let params = Params::new(MEMORY_KIB, PASSES, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A customer's password, hashed with a random salt into a PHC string; None should hashing
/// fail (it does not for any password a request can carry).
pub fn hash_password(password: &str) -> Option<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).ok()?;
    password_hasher().hash_password(password.as_bytes(), &salt).ok().map(|hash| hash.to_string())
}

/// Whether `password` is the one `stored` was made from. Without a stored hash (no such
/// customer) a hash is computed anyway, so that the answer takes as long either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    match stored.and_then(|stored| PasswordHash::new(stored).ok()) {
        Some(hash) => password_hasher().verify_password(password.as_bytes(), &hash).is_ok(),
        None => {
            hash_password(password);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_salted_and_checked() {
        let stored = hash_password("s3cret!").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert_ne!(hash_password("s3cret!").unwrap(), stored, "salted");
        assert!(verify_password("s3cret!", Some(&stored)));
        assert!(!verify_password("S3cret!", Some(&stored)));
        assert!(!verify_password("s3cret!", None));
        assert!(!verify_password("s3cret!", Some("not a hash")));
    }

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
