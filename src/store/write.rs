//! What a write takes from its request besides its input: the `If-Match` precondition it must
//! meet, and, for a request with an `Idempotency-Key`, the claim and how its answer is kept.
//!
//! A keyed write stores its answer in the transaction of its change, so that there is never a
//! change without its key nor a key without its change. The store cannot word an answer itself:
//! the HTTP layer hands it [`Once::keep`], which renders the write's outcome into the answer that
//! is both sent and kept. A retry with the same key and the same request gets
//! [`StoreError::Replayed`] with that answer; with another request, [`StoreError::KeyReused`].

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{StoreError, StoreResult};
use crate::domain::event::Actor;
use crate::domain::ids::AccountId;
use crate::domain::version::{Precondition, Tag};

/// A write's request context.
pub struct Write<T> {
    pub account: AccountId,
    /// `If-Match`: the write goes ahead only from one of these tags.
    pub precondition: Option<Precondition>,
    /// `Idempotency-Key`: the key's claim and how the answer is kept.
    pub once: Option<Once<T>>,
    /// Who asks, for the events the write appends.
    pub actor: Actor,
    /// The request's `X-Request-Id`, for the events the write appends.
    pub request_id: Option<String>,
}

/// Who made a change and in which request: what every event of the change records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub account: AccountId,
    pub actor: Actor,
    pub request_id: Option<String>,
}

impl Origin {
    /// The origin kept with deferred work (a queued mail), for the events it appends later; an
    /// actor that no longer reads back is recorded as `system`.
    pub fn stored(account: AccountId, actor: &str, request_id: Option<String>) -> Self {
        Self {
            account,
            actor: Actor::parse(actor).unwrap_or(Actor::System),
            request_id,
        }
    }
}

impl<T> From<AccountId> for Write<T> {
    /// A write with no precondition and no key, made by no request.
    fn from(account: AccountId) -> Self {
        Self {
            account,
            precondition: None,
            once: None,
            actor: Actor::System,
            request_id: None,
        }
    }
}

impl<T> Write<T> {
    pub fn account(&self) -> AccountId {
        self.account
    }

    pub fn origin(&self) -> Origin {
        Origin {
            account: self.account,
            actor: self.actor,
            request_id: self.request_id.clone(),
        }
    }
}

/// Renders a keyed write's outcome into the answer to keep; `None` for an outcome that is not
/// kept (the database failed, so a retry must run the write again).
pub type Keep<T> = Arc<dyn Fn(&StoreResult<T>) -> Option<KeptAnswer> + Send + Sync>;

pub struct Once<T> {
    pub claim: Claim,
    pub keep: Keep<T>,
}

impl<T> Clone for Once<T> {
    fn clone(&self) -> Self {
        Self {
            claim: self.claim.clone(),
            keep: Arc::clone(&self.keep),
        }
    }
}

/// An `Idempotency-Key` and what it is claimed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    /// SHA-256 of the request (method, path, body): a retry must send the same.
    pub fingerprint: [u8; 32],
    pub expires_at: DateTime<Utc>,
}

/// An answer as it is kept for replay: status, the headers that matter, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl KeptAnswer {
    /// The headers as stored: one `name: value` line each.
    pub fn header_lines(&self) -> String {
        let mut lines = String::new();
        for (name, value) in &self.headers {
            lines.push_str(name);
            lines.push_str(": ");
            lines.push_str(value);
            lines.push('\n');
        }
        lines
    }

    pub fn from_stored(status: i64, header_lines: &str, body: Vec<u8>) -> StoreResult<Self> {
        let status = u16::try_from(status)
            .map_err(|_| StoreError::Internal(format!("stored answer status {status}").into()))?;
        let headers = header_lines
            .lines()
            .map(|line| {
                line.split_once(": ")
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .ok_or_else(|| {
                        StoreError::Internal(format!("stored answer header {line:?}").into())
                    })
            })
            .collect::<StoreResult<_>>()?;
        Ok(Self {
            status,
            headers,
            body,
        })
    }
}

/// What a key's row says about a new request with that key.
pub(crate) fn verdict(claim: &Claim, stored_fingerprint: &[u8], answer: KeptAnswer) -> StoreError {
    if stored_fingerprint == claim.fingerprint {
        StoreError::Replayed(Arc::new(answer))
    } else {
        StoreError::KeyReused
    }
}

/// The answer `once` keeps for `outcome`, unless the outcome must not be kept.
pub(crate) fn kept<T>(once: &Once<T>, outcome: &StoreResult<T>) -> Option<KeptAnswer> {
    match outcome {
        Ok(_) | Err(StoreError::Rejected(_) | StoreError::NotFound | StoreError::Stale(_)) => {
            (once.keep)(outcome)
        }
        // The database failed (a retry must run the write again), or the key's own verdicts.
        Err(_) => None,
    }
}

/// Fails with [`StoreError::Stale`] unless `precondition` admits the object's current tag.
pub(crate) fn check(precondition: Option<&Precondition>, current: Tag) -> StoreResult<()> {
    match precondition {
        Some(pre) if !pre.admits(current) => Err(StoreError::Stale(current)),
        _ => Ok(()),
    }
}

/// A value a write produced, with the entity tag of the object it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tagged<T> {
    pub value: T,
    pub tag: Tag,
}
