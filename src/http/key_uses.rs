//! When each API key was last used, kept to the minute: recording every request's key would
//! put a write behind every read, so a server records a key's use only when it has not recorded
//! it in the last [`EVERY`], in the background, off the request's path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::domain::ids::ApiKeyId;
use crate::store::Store;

/// How often one server records the use of one key at most.
pub const EVERY: Duration = Duration::from_secs(60);

/// Past this many keys, an insert first drops those not recorded within [`EVERY`].
const PRUNE_AT: usize = 4096;

#[derive(Default)]
pub struct KeyUses {
    recorded: Mutex<HashMap<ApiKeyId, Instant>>,
}

impl KeyUses {
    /// Notes that a request presented `key`; records it in the store when it is due.
    pub fn note(&self, store: &Arc<dyn Store>, key: ApiKeyId) {
        if !self.due(key, Instant::now()) {
            return;
        }
        let store = Arc::clone(store);
        let at = crate::store::now();
        tokio::spawn(async move {
            if let Err(err) = store.note_key_use(key, at).await {
                tracing::warn!(key = %key, error = %err, "recording an API key's use failed");
            }
        });
    }

    /// Whether `key`'s use is to be recorded now, and if so marks it recorded.
    fn due(&self, key: ApiKeyId, now: Instant) -> bool {
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        if recorded
            .get(&key)
            .is_some_and(|at| now.duration_since(*at) < EVERY)
        {
            return false;
        }
        if recorded.len() >= PRUNE_AT {
            recorded.retain(|_, at| now.duration_since(*at) < EVERY);
        }
        recorded.insert(key, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_due_once_a_minute() {
        let uses = KeyUses::default();
        let start = Instant::now();
        assert!(uses.due(ApiKeyId(1), start));
        assert!(!uses.due(ApiKeyId(1), start + Duration::from_secs(59)));
        assert!(uses.due(ApiKeyId(2), start + Duration::from_secs(1)));
        assert!(uses.due(ApiKeyId(1), start + EVERY));
    }
}
