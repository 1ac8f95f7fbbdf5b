//! API keys confirmed in the last millisecond, so that a busy server does not look the same key
//! up again for every request.
//!
//! Every request presents a key, and looking it up is a read of its own: on SQLite a fresh read
//! transaction whenever the writer has committed since (which, under writes, is almost every
//! request), on PostgreSQL a round trip. Under load one key is presented many times a
//! millisecond, so trusting a confirmed key for that long removes nearly all of those reads.
//!
//! Only keys found valid are kept. A key this server revokes is forgotten at once
//! ([`KeyCache::forget_all`]); a key another process revokes (`procura keys revoke`, another
//! server) stops working here within [`TTL`] of the last lookup that confirmed it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::StoreResult;
use crate::domain::ids::{AccountId, ApiKeyId};

/// A key's account and the key's own id.
pub type KeyHolder = (AccountId, ApiKeyId);

/// How long a confirmed key is trusted without looking it up again.
pub const TTL: Duration = Duration::from_millis(1);

/// Past this many entries an insert first drops the expired ones; with a 1 ms lifetime that is
/// nearly all of them.
const PRUNE_AT: usize = 1024;

pub struct KeyCache {
    ttl: Duration,
    inner: Mutex<Inner>,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::with_ttl(TTL)
    }
}

#[derive(Default)]
struct Inner {
    /// Bumped by [`KeyCache::forget_all`], so that a lookup that was under way when a key was
    /// revoked cannot put it back.
    generation: u64,
    entries: HashMap<[u8; 32], Entry>,
}

struct Entry {
    account: KeyHolder,
    /// When the lookup that confirmed the key started.
    confirmed_at: Instant,
}

/// Taken before a lookup and handed back with its result to [`KeyCache::insert`].
struct Lookup {
    generation: u64,
    started: Instant,
}

impl KeyCache {
    fn with_ttl(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::default(),
        }
    }

    /// The account of the key with this hash: from the cache when it was confirmed less than
    /// [`TTL`] ago, else from `look_up`, which is run only then.
    pub async fn account_for(
        &self,
        hash: [u8; 32],
        look_up: impl Future<Output = StoreResult<Option<KeyHolder>>>,
    ) -> StoreResult<Option<KeyHolder>> {
        if let Some(account) = self.get(&hash) {
            return Ok(Some(account));
        }
        let lookup = self.start_lookup();
        let account = look_up.await?;
        if let Some(account) = account {
            self.insert(hash, account, lookup);
        }
        Ok(account)
    }

    /// The account of a key confirmed less than the cache's lifetime ago.
    fn get(&self, hash: &[u8; 32]) -> Option<KeyHolder> {
        let inner = self.lock();
        let entry = inner.entries.get(hash)?;
        (entry.confirmed_at.elapsed() < self.ttl).then_some(entry.account)
    }

    /// Call before looking a key up in the database.
    fn start_lookup(&self) -> Lookup {
        let generation = self.lock().generation;
        Lookup {
            generation,
            started: Instant::now(),
        }
    }

    /// Keeps a key the database has just confirmed, unless keys were revoked since the lookup
    /// started.
    fn insert(&self, hash: [u8; 32], account: KeyHolder, lookup: Lookup) {
        let mut inner = self.lock();
        if inner.generation != lookup.generation {
            return;
        }
        if inner.entries.len() >= PRUNE_AT {
            inner
                .entries
                .retain(|_, entry| entry.confirmed_at.elapsed() < self.ttl);
        }
        inner.entries.insert(
            hash,
            Entry {
                account,
                confirmed_at: lookup.started,
            },
        );
    }

    /// Forgets every key: call once a revocation has committed.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map is valid after any panic inside these short sections.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn a_confirmed_key_is_trusted_for_the_ttl_only() {
        let cache = KeyCache::with_ttl(Duration::from_millis(50));
        assert_eq!(cache.get(&KEY), None);
        cache.insert(KEY, (AccountId(3), ApiKeyId(3)), cache.start_lookup());
        assert_eq!(cache.get(&KEY), Some((AccountId(3), ApiKeyId(3))));
        assert_eq!(cache.get(&[8; 32]), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&KEY), None);
    }

    #[test]
    fn a_revocation_forgets_every_key_and_beats_a_lookup_under_way() {
        let cache = KeyCache::with_ttl(Duration::from_secs(60));
        cache.insert(KEY, (AccountId(3), ApiKeyId(3)), cache.start_lookup());
        let under_way = cache.start_lookup();
        cache.forget_all();
        assert_eq!(cache.get(&KEY), None);
        cache.insert(KEY, (AccountId(3), ApiKeyId(3)), under_way);
        assert_eq!(cache.get(&KEY), None, "a lookup older than the revocation");
        cache.insert(KEY, (AccountId(3), ApiKeyId(3)), cache.start_lookup());
        assert_eq!(cache.get(&KEY), Some((AccountId(3), ApiKeyId(3))));
    }

    #[test]
    fn expired_keys_are_dropped_once_there_are_many() {
        let cache = KeyCache::with_ttl(Duration::from_millis(1));
        for i in 0..PRUNE_AT {
            let mut key = [0; 32];
            key[..8].copy_from_slice(&(i as u64).to_le_bytes());
            cache.insert(key, (AccountId(1), ApiKeyId(1)), cache.start_lookup());
        }
        std::thread::sleep(Duration::from_millis(2));
        cache.insert(KEY, (AccountId(3), ApiKeyId(3)), cache.start_lookup());
        assert_eq!(cache.lock().entries.len(), 1);
    }
}
