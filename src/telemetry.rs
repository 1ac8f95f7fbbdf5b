//! Logs: readable lines on standard error, or JSON with `PROCURA_LOG_FORMAT=json`.
//! The level comes from `RUST_LOG` (default `info`). Readable lines are coloured only when
//! standard error is a terminal and `NO_COLOR` is unset: a log file or journal gets plain text.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_wanted());
    let result = if std::env::var("PROCURA_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A subscriber already set (tests) is fine.
    drop(result);
}

/// Colour codes in a file or a pipe are noise for whoever reads or searches it.
fn colour_wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Lets one log line through per period and counts the ones it holds back, for faults that hit
/// every request alike (a full disk, a database gone away): a line per request would bury the
/// log, and the first line already says what is wrong.
///
/// Written by hand: `governor` (already a dependency) limits rates but cannot report how many
/// were refused between two permits, which is what the line that gets through must say.
pub struct Throttle {
    period_ms: u64,
    /// When the next line may be written, in milliseconds since the Unix epoch.
    next_ms: AtomicU64,
    held_back: AtomicU64,
}

impl Throttle {
    pub const fn new(period: Duration) -> Self {
        Self {
            period_ms: period.as_millis() as u64,
            next_ms: AtomicU64::new(0),
            held_back: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when a line may be written now, `n` being how many were held back since the
    /// last one; `None` when this one is to be held back.
    pub fn admit(&self) -> Option<u64> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let next = self.next_ms.load(Ordering::Relaxed);
        if now >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now + self.period_ms,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            Some(self.held_back.swap(0, Ordering::Relaxed))
        } else {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_admits_one_line_per_period_and_counts_the_rest() {
        let throttle = Throttle::new(Duration::from_millis(200));
        assert_eq!(throttle.admit(), Some(0));
        assert_eq!(throttle.admit(), None);
        assert_eq!(throttle.admit(), None);
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(throttle.admit(), Some(2));
        assert_eq!(throttle.admit(), None);
    }
}
