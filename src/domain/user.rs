//! The people who use the web app: their role, their email, their password (kept as an argon2id
//! hash) and the one-time secrets of set-password links and sessions (kept as their SHA-256).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::ids::{AccountId, UserId};

/// What a user may do. Checked by the pages before they call the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Users, API keys and settings, and everything a buyer does.
    Admin,
    /// Suppliers, warehouses, orders (create, edit drafts, open, cancel, close, shipping
    /// details, documents).
    Buyer,
    /// Sees open and receiving orders, records receipts, sees stock.
    Receiver,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Buyer, Role::Receiver];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Buyer => "buyer",
            Role::Receiver => "receiver",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// Suppliers, warehouses and orders: creating, editing, changing status, documents.
    pub fn buys(self) -> bool {
        matches!(self, Role::Admin | Role::Buyer)
    }

    /// Recording receipts.
    pub fn receives(self) -> bool {
        matches!(self, Role::Admin | Role::Receiver)
    }

    /// Users and API keys.
    pub fn administers(self) -> bool {
        self == Role::Admin
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sign-in name: trimmed, lower-cased, one `@` with text on both sides, at most 254 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Option<Self> {
        let email = raw.trim().to_lowercase();
        let (local, domain) = email.split_once('@')?;
        let plausible = !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        plausible.then_some(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: Email,
    pub role: Role,
    /// Whether the user has set a password (followed its link).
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// What a sign-in attempt is judged on.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: UserId,
    pub password_hash: Option<String>,
    pub throttled_until: Option<DateTime<Utc>>,
    pub disabled: bool,
}

/// The signed-in user a session names.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionUser {
    pub user: UserId,
    pub account: AccountId,
    pub email: Email,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// How long a session lives without a request, and at most in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

impl SessionUser {
    /// Whether the session still holds at `now`.
    pub fn is_live(&self, limits: SessionLimits, now: DateTime<Utc>) -> bool {
        now < self.last_seen_at + limits.idle && now < self.created_at + limits.absolute
    }
}

/// Failed sign-ins in a row before each further failure holds the user back.
pub const FREE_FAILURES: i64 = 5;

/// How long a user is held back after `failures` failed sign-ins in a row: nothing for the first
/// few, then doubling from 2 seconds up to 5 minutes, so that guessing stays slow while the owner
/// is locked out for a moment at most.
pub fn throttle_after(failures: i64) -> Option<Duration> {
    let beyond = failures - FREE_FAILURES;
    if beyond < 0 {
        return None;
    }
    let seconds = 2i64.saturating_pow(u32::try_from(beyond + 1).unwrap_or(u32::MAX));
    Some(Duration::seconds(seconds.min(300)))
}

/// A random secret shown once (in a link or a cookie), stored only as its SHA-256.
pub struct Secret {
    pub text: String,
    pub hash: [u8; 32],
}

impl Secret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let text = hex(&bytes);
        let hash = hash_secret(&text);
        Self { text, hash }
    }
}

pub fn hash_secret(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How long a set-password link may be followed.
pub const LINK_LIFETIME: Duration = Duration::days(7);

/// Shortest password accepted; longer ones are up to the user.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The argon2id hash (PHC string, with its own salt) of a password.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches a stored hash; a hash that cannot be read matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_own_argon2id_hash_only() {
        let hash = hash_password("correct horse battery").expect("a hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn emails_are_compared_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").map(|e| e.to_string()),
            Some("ana@example.com".to_owned())
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "a b@example.com",
            "a@b@c",
        ] {
            assert_eq!(Email::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn roles_allow_what_the_issue_gives_them() {
        assert!(Role::Admin.buys() && Role::Admin.receives() && Role::Admin.administers());
        assert!(Role::Buyer.buys() && !Role::Buyer.receives() && !Role::Buyer.administers());
        assert!(!Role::Receiver.buys() && Role::Receiver.receives());
        assert_eq!(Role::parse("receiver"), Some(Role::Receiver));
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn failed_sign_ins_are_free_at_first_then_slower_up_to_five_minutes() {
        assert_eq!(throttle_after(FREE_FAILURES - 1), None);
        assert_eq!(throttle_after(FREE_FAILURES), Some(Duration::seconds(2)));
        assert_eq!(
            throttle_after(FREE_FAILURES + 1),
            Some(Duration::seconds(4))
        );
        assert_eq!(throttle_after(1000), Some(Duration::seconds(300)));
    }

    #[test]
    fn a_session_ends_when_idle_too_long_or_too_old() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).expect("a time");
        let limits = SessionLimits::default();
        let session = SessionUser {
            user: UserId(1),
            account: AccountId(1),
            email: Email::parse("a@b.c").expect("an email"),
            role: Role::Buyer,
            created_at: start,
            last_seen_at: start + Duration::hours(11),
        };
        assert!(session.is_live(limits, start + Duration::hours(11) + Duration::minutes(29)));
        assert!(!session.is_live(limits, start + Duration::hours(11) + Duration::minutes(31)));
        let busy = SessionUser {
            last_seen_at: start + Duration::hours(12),
            ..session
        };
        assert!(!busy.is_live(limits, start + Duration::hours(12) + Duration::minutes(1)));
    }
}
