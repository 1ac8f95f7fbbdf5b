//! Accounts and their API keys. A key is 32 random bytes shown once; only its SHA-256 is stored.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::ids::{AccountId, ApiKeyId};

const PREFIX: &str = "pk_";

/// A freshly generated key: the secret (to show once) and what is stored of it.
pub struct NewApiKey {
    pub secret: String,
    pub hash: [u8; 32],
    /// The first characters, stored in clear so that `keys list` can tell keys apart.
    pub hint: String,
    /// What the key is for, as its creator put it (see [`parse_key_label`]); may be empty.
    pub label: String,
}

impl NewApiKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!("{PREFIX}{}", hex(&bytes));
        let hash = hash_key(&secret);
        let hint = secret[..PREFIX.len() + 6].to_owned();
        Self {
            secret,
            hash,
            hint,
            label: String::new(),
        }
    }

    /// The same key with a label, already checked by [`parse_key_label`].
    pub fn labelled(self, label: String) -> Self {
        Self { label, ..self }
    }
}

/// The longest key label, in characters.
pub const MAX_LABEL: usize = 100;

/// A key label: trimmed, at most [`MAX_LABEL`] characters, no control characters.
pub fn parse_key_label(raw: &str) -> Result<String, String> {
    let label = raw.trim();
    if label.chars().count() > MAX_LABEL {
        return Err(format!("must be at most {MAX_LABEL} characters"));
    }
    if label.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(label.to_owned())
}

/// The stored form of a presented key.
pub fn hash_key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyInfo {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub label: String,
    /// When a request last presented the key, to the minute (see `http::key_uses`).
    pub last_used_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_stored_only_as_their_hash() {
        let a = NewApiKey::generate();
        let b = NewApiKey::generate();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), PREFIX.len() + 64);
        assert_eq!(hash_key(&a.secret), a.hash);
        assert!(a.secret.starts_with(&a.hint));
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(parse_key_label("  shop sync "), Ok("shop sync".to_owned()));
        assert_eq!(parse_key_label(""), Ok(String::new()));
        assert_eq!(
            parse_key_label(&"é".repeat(MAX_LABEL)).map(|l| l.chars().count()),
            Ok(MAX_LABEL)
        );
        assert_eq!(
            parse_key_label(&"x".repeat(MAX_LABEL + 1)),
            Err("must be at most 100 characters".to_owned())
        );
        assert_eq!(
            parse_key_label("a\u{0}b"),
            Err("must not contain control characters".to_owned())
        );
    }
}
