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
}

impl NewApiKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!("{PREFIX}{}", hex(&bytes));
        let hash = hash_key(&secret);
        let hint = secret[..PREFIX.len() + 6].to_owned();
        Self { secret, hash, hint }
    }
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
}
