//! CSRF tokens: every form carries the HMAC of a secret only its browser holds in an `HttpOnly`
//! cookie (the session token once signed in, a random seed before), under a key the servers of a
//! database share. Another site can make the browser post, but cannot read the page to learn the
//! token.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::user::hex;

/// The name of the hidden field every form carries.
pub const FIELD: &str = "csrf";

#[derive(Clone)]
pub struct CsrfKey(Hmac<Sha256>);

impl CsrfKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(Hmac::new_from_slice(secret).expect("HMAC takes a key of any length"))
    }

    /// The token of the forms of a browser holding `seed`.
    pub fn token(&self, seed: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(b"csrf\0");
        mac.update(seed.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// Whether `presented` is the token of `seed`, compared in constant time.
    pub fn check(&self, seed: &str, presented: &str) -> bool {
        let Some(bytes) = unhex(presented) else {
            return false;
        };
        let mut mac = self.0.clone();
        mac.update(b"csrf\0");
        mac.update(seed.as_bytes());
        mac.verify_slice(&bytes).is_ok()
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_checks_only_against_its_own_seed_and_key() {
        let key = CsrfKey::new(b"key");
        let token = key.token("seed");
        assert!(key.check("seed", &token));
        assert!(!key.check("other seed", &token));
        assert!(!CsrfKey::new(b"other key").check("seed", &token));
        assert!(!key.check("seed", "not hex"));
        assert!(!key.check("seed", ""));
    }
}
