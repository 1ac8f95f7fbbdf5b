//! The per-account rate limit (`--rate-limit-per-minute`). It is kept in each process's memory:
//! with several servers, each allows the limit on its own.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::ApiError;
use crate::domain::ids::AccountId;

pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
}

impl RateLimiter {
    /// `None` for 0, which turns the limit off.
    pub fn per_minute(requests: u32) -> Option<Self> {
        let requests = NonZeroU32::new(requests)?;
        Some(Self {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(requests)),
            clock: DefaultClock::default(),
        })
    }

    pub fn check(&self, account: AccountId) -> Result<(), ApiError> {
        self.limiter.check_key(&account.0).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            metrics::counter!("procura_rate_limited_total").increment(1);
            ApiError::rate_limited(wait.as_secs_f64().ceil().max(1.0) as u64)
        })
    }
}
