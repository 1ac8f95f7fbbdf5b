//! Keyed writes on SQLite: the key's row is read and written in the write's own job, so it
//! commits (or not) with the change, in the same group commit.
//!
//! Every write runs on the one writer thread, so a retry can never find its key in flight: it
//! runs after the first request's job, in the same transaction or a later one, and finds the
//! key's row.

use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, db, micros};
use crate::domain::ids::AccountId;
use crate::store::StoreResult;
use crate::store::write::{KeptAnswer, Once, kept, verdict};

impl SqliteStore {
    /// Runs `job` as one write; with `once`, under its idempotency key.
    pub(super) async fn write_once<T, F>(
        &self,
        account: AccountId,
        once: Option<Once<T>>,
        mut job: F,
    ) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> StoreResult<T> + Send + 'static,
    {
        match once {
            None => self.engine.write(job).await,
            // The job answers `Ok` whenever the key's row is to be committed, even with a
            // refusal inside: the writer undoes a job that fails.
            Some(once) => {
                self.engine
                    .write(move |c| keyed(c, account, &once, &mut job))
                    .await?
            }
        }
    }
}

fn keyed<T>(
    conn: &Connection,
    account: AccountId,
    once: &Once<T>,
    job: &mut impl FnMut(&Connection) -> StoreResult<T>,
) -> StoreResult<StoreResult<T>> {
    let claim = &once.claim;
    let now = micros(crate::store::now());
    let stored = conn
        .prepare_cached(
            "SELECT fingerprint, status, headers, body FROM idempotency_keys
             WHERE account_id = ?1 AND idempotency_key = ?2 AND expires_at > ?3",
        )
        .and_then(|mut s| {
            s.query_row(params![account.0, claim.key, now], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .optional()
        })
        .map_err(db)?;
    if let Some((fingerprint, status, headers, body)) = stored {
        let answer = KeptAnswer::from_stored(status, &headers, body)?;
        return Ok(Err(verdict(claim, &fingerprint, answer)));
    }

    // The job's own writes are undone when it refuses, and the refusal is kept.
    // Cached, as every statement of a write: parsing them anew would cost more than running them.
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    run("SAVEPOINT keyed").map_err(db)?;
    let outcome = job(conn);
    let undo = if outcome.is_err() {
        run("ROLLBACK TO keyed").map(drop)
    } else {
        Ok(())
    };
    undo.and_then(|()| run("RELEASE keyed")).map_err(db)?;
    let Some(answer) = kept(once, &outcome) else {
        return outcome.map(Ok);
    };
    conn.prepare_cached(
        "INSERT INTO idempotency_keys
             (account_id, idempotency_key, fingerprint, status, headers, body, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (account_id, idempotency_key) DO UPDATE SET
             fingerprint = excluded.fingerprint, status = excluded.status,
             headers = excluded.headers, body = excluded.body,
             created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            claim.key,
            &claim.fingerprint[..],
            i64::from(answer.status),
            answer.header_lines(),
            answer.body,
            now,
            micros(claim.expires_at),
        ])
    })
    .map_err(db)?;
    Ok(outcome)
}

/// Deletes up to `limit` keys that expired before `now`.
pub(super) fn purge(conn: &Connection, now: i64, limit: u32) -> StoreResult<u64> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM idempotency_keys WHERE rowid IN
                 (SELECT rowid FROM idempotency_keys WHERE expires_at <= ?1 LIMIT ?2)",
        )
        .and_then(|mut s| s.execute(params![now, limit]))
        .map_err(db)?;
    Ok(deleted as u64)
}
