//! The loop both outboxes (webhook deliveries, mails) are worked off by: lease what is due, send
//! each leased item at once on its own task, wait for them all, and look again; when nothing is
//! due, wait `poll`; when the store fails, wait a second.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::StoreResult;

/// Works an outbox until `stop`. `lease(now, until)` leases the due items until `until`;
/// `send(item)` sends one and records how it went.
pub async fn work<T, L, LF, S, SF>(
    what: &'static str,
    lease_for: Duration,
    poll: Duration,
    lease: L,
    send: S,
    stop: impl Future<Output = ()>,
) where
    T: Send + 'static,
    L: Fn(DateTime<Utc>, DateTime<Utc>) -> LF,
    LF: Future<Output = StoreResult<Vec<T>>>,
    S: Fn(T) -> SF,
    SF: Future<Output = ()> + Send + 'static,
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
                    for sent in sends {
                        let _ = sent.await;
                    }
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
