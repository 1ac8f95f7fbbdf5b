//! Who an event's or a receipt's actor is, in words a person reads: a user by their email, an API
//! key by its label (or its first characters), `Procura` for a change no request made.

use super::{Store, StoreResult};
use crate::domain::account::ApiKeyInfo;
use crate::domain::ids::AccountId;
use crate::domain::user::User;

/// The account's users and keys, read once for naming many actors.
pub struct ActorNames {
    users: Vec<User>,
    keys: Vec<ApiKeyInfo>,
}

impl ActorNames {
    /// Reads what naming `actors` needs: users only if one is a user, keys only if one is a key.
    pub async fn for_actors<'a>(
        store: &dyn Store,
        account: AccountId,
        actors: impl Iterator<Item = &'a str> + Clone,
    ) -> StoreResult<Self> {
        let users = if actors.clone().any(|a| a.starts_with("user:")) {
            store.list_users(Some(account)).await?
        } else {
            Vec::new()
        };
        let keys = if actors.clone().any(|a| a.starts_with("api_key:")) {
            store.list_keys(Some(account)).await?
        } else {
            Vec::new()
        };
        Ok(Self { users, keys })
    }

    /// `actor` in words; the stored form itself when it names nobody known (a deleted key).
    pub fn name(&self, actor: &str) -> String {
        if let Some(id) = actor.strip_prefix("user:") {
            if let Some(user) = self.users.iter().find(|u| u.id.to_string() == id) {
                return user.email.as_str().to_owned();
            }
        } else if let Some(id) = actor.strip_prefix("api_key:") {
            if let Some(key) = self.keys.iter().find(|k| k.id.to_string() == id) {
                return if key.label.is_empty() {
                    format!("API key {}…", key.hint)
                } else {
                    format!("API key {}", key.label)
                };
            }
        } else if actor == "system" {
            return "Procura".to_owned();
        }
        actor.to_owned()
    }
}
