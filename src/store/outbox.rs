//! The loop both outboxes (webhook deliveries, mails) are worked off by: lease what is due, send
//! each leased item at once on its own task, wait for them all, record how they went together, and
//! look again; when nothing is due, wait `poll`; when the store fails, wait a second.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::StoreResult;

/// Works an outbox until `stop`. `lease(now, until)` leases the due items until `until`;
/// `send(item)` sends one and says how it went; `settle(outcomes)` records a batch's outcomes, in
/// one write where the store can (on SQLite a write per delivery took the one writer's time from
/// the requests).
pub async fn work<T, R, L, LF, S, SF, D, DF>(
    what: &'static str,
    lease_for: Duration,
    poll: Duration,
    lease: L,
    send: S,
    settle: D,
    stop: impl Future<Output = ()>,
) where
    T: Send + 'static,
    R: Send + 'static,
    L: Fn(DateTime<Utc>, DateTime<Utc>) -> LF,
    LF: Future<Output = StoreResult<Vec<T>>>,
    S: Fn(T) -> SF,
    SF: Future<Output = R> + Send + 'static,
    D: Fn(Vec<R>) -> DF,
    DF: Future<Output = ()>,
{
    let work = async {
        loop {
            let now = super::now();
            let until = now + chrono::Duration::from_std(lease_for).unwrap_or_default();
            match lease(now, until).await {
                Ok(due) if due.is_empty() => tokio::time::sleep(poll).await,
                Ok(due) => {
                    let sends: Vec<_> = due
                        .into_iter()
                        .map(|item| tokio::spawn(send(item)))
                        .collect();
                    let mut outcomes = Vec::with_capacity(sends.len());
                    for sent in sends {
                        // A send that panicked has no outcome: its lease runs out and it is
                        // sent again.
                        if let Ok(outcome) = sent.await {
                            outcomes.push(outcome);
                        }
                    }
                    settle(outcomes).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot lease {what}; will retry");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    };
    tokio::select! {
        () = work => {},
        () = stop => {},
    }
}
