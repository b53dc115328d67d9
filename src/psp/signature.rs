//! Stripe-Signature: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">[,v1=...]`, checked on the
//! raw body before anything is parsed. Any `v1` made with any current secret (two during a
//! rotation) passes, within a tolerance of the timestamp.

use crate::auth::credentials::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How old (or how far in the future) a signature's timestamp may be, in seconds.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("The Stripe-Signature header is missing or malformed.")]
    Malformed,
    #[error("The Stripe-Signature timestamp is outside the tolerance.")]
    Stale,
    #[error("No signature matches the payload.")]
    Mismatch,
}

fn mac(secret: &Secret, timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

pub fn verify(header: Option<&str>, body: &[u8], secrets: &[Secret], now: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    let seconds: i64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now.abs_diff(seconds) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        for signature in &signatures {
            let Ok(expected) = hex::decode(signature) else { continue };
            // verify_slice compares in constant time.
            if mac(secret, timestamp, body).is_some_and(|m| m.verify_slice(&expected).is_ok()) {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// Signs a payload as Stripe does (for tests and tools).
pub fn sign(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    let signature = mac(secret, &timestamp.to_string(), body).map(|m| hex::encode(m.finalize().into_bytes()));
    format!("t={timestamp},v1={}", signature.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(value: &str) -> Secret {
        Secret::new(value.into())
    }

    #[test]
    fn a_signature_of_any_current_secret_passes() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(&secret("whsec_old"), 1_000, body);
        assert_eq!(verify(Some(&header), body, &[secret("whsec_new"), secret("whsec_old")], 1_010), Ok(()));
        let two = format!("{},v1=00ff", header);
        assert_eq!(verify(Some(&two), body, &[secret("whsec_old")], 1_000), Ok(()));
    }

    #[test]
    fn tampering_staleness_and_malformed_headers_fail() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(&secret("whsec"), 1_000, body);
        let secrets = [secret("whsec")];
        assert_eq!(
            verify(Some(&header), br#"{"id":"evt_2"}"#, &secrets, 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(Some(&header), body, &[secret("other")], 1_000), Err(SignatureError::Mismatch));
        assert_eq!(
            verify(Some(&header), body, &secrets, 1_000 + TOLERANCE_SECONDS + 1),
            Err(SignatureError::Stale)
        );
        let extreme = format!("t={},v1=00", i64::MIN);
        assert_eq!(verify(Some(&extreme), body, &secrets, 1_000), Err(SignatureError::Stale));
        for bad in [None, Some(""), Some("t=abc,v1=00"), Some("v1=00"), Some("t=1000")] {
            assert_eq!(verify(bad, body, &secrets, 1_000), Err(SignatureError::Malformed), "{bad:?}");
        }
    }
}
