//! How many documents render at once. A render is CPU work on a blocking thread; without a bound,
//! a burst of requests for long documents would take every core and the blocking pool with it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits for a render to finish before it is told to come back: long enough
/// to ride out a burst of ordinary documents, short enough not to pile requests up.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct RenderSlots {
    slots: Arc<Semaphore>,
    wait: Duration,
}

/// The right to render one document; the slot is free again when this is dropped.
#[derive(Debug)]
pub struct RenderSlot(#[expect(dead_code, reason = "held for its Drop")] OwnedSemaphorePermit);

impl RenderSlots {
    /// `at_once` renders (at least one) at a time; a request waits up to `wait` for a slot.
    pub fn new(at_once: usize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(at_once.max(1))),
            wait,
        }
    }

    /// One render per core: a render keeps one core busy from start to end.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Self::new(cores, DEFAULT_WAIT)
    }

    /// A slot, or `None` when none came free within the wait.
    pub async fn start(&self) -> Option<RenderSlot> {
        let acquire = Arc::clone(&self.slots).acquire_owned();
        match tokio::time::timeout(self.wait, acquire).await {
            Ok(Ok(permit)) => Some(RenderSlot(permit)),
            // The semaphore is never closed; a timeout is the only ordinary way here.
            Ok(Err(_)) | Err(_) => None,
        }
    }

    /// Seconds a refused client should wait before it retries.
    pub fn retry_after(&self) -> u64 {
        self.wait.as_secs().max(1)
    }

    /// Slots free right now.
    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }
}
