//! Keyed writes on SQLite: the key's row is read and written in the write's own job, so it
//! commits (or not) with the change, in the same group commit.
//!
//! Every write runs on the one writer thread, so a retry can never find its key in flight: it
//! runs after the first request's job, in the same transaction or a later one, and finds the
//! key's row.

use rusqlite::{Connection, params};

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
    // The job runs first and the key's row is written after it: for a new key, the usual case,
    // that is one statement where a look-up before would be two. A key already used makes the
    // insert change nothing; the job's writes are then undone and the kept answer judged.
    // Cached, as every statement of a write: parsing them anew would cost more than running them.
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    run("SAVEPOINT keyed").map_err(db)?;
    let outcome = job(conn);
    // A refusal's writes are undone, and the refusal is kept.
    if outcome.is_err() {
        run("ROLLBACK TO keyed").map_err(db)?;
    }
    let Some(answer) = kept(once, &outcome) else {
        run("RELEASE keyed").map_err(db)?;
        return outcome.map(Ok);
    };
    let claimed = conn
        .prepare_cached(
            "INSERT INTO idempotency_keys
                 (account_id, idempotency_key, fingerprint, status, headers, body, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (account_id, idempotency_key) DO UPDATE SET
                 fingerprint = excluded.fingerprint, status = excluded.status,
                 headers = excluded.headers, body = excluded.body,
                 created_at = excluded.created_at, expires_at = excluded.expires_at
             WHERE idempotency_keys.expires_at <= excluded.created_at",
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
    if claimed == 1 {
        run("RELEASE keyed").map_err(db)?;
        return Ok(outcome);
    }
    run("ROLLBACK TO keyed")
        .and_then(|_| run("RELEASE keyed"))
        .map_err(db)?;
    let (fingerprint, status, headers, body) = conn
        .prepare_cached(
            "SELECT fingerprint, status, headers, body FROM idempotency_keys
             WHERE account_id = ?1 AND idempotency_key = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![account.0, claim.key], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
        })
        .map_err(db)?;
    let answer = KeptAnswer::from_stored(status, &headers, body)?;
    Ok(Err(verdict(claim, &fingerprint, answer)))
}

/// Deletes up to `limit` keys that expired before `now`. Keys are appended in the order they
/// are written, and with one time to live they expire in that order too, so the oldest rows are
/// read first and the scan stops at the limit; no index on the expiry costs every keyed write.
pub(super) fn purge(conn: &Connection, now: i64, limit: u32) -> StoreResult<u64> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM idempotency_keys WHERE rowid IN
                 (SELECT rowid FROM idempotency_keys WHERE expires_at <= ?1 ORDER BY rowid LIMIT ?2)",
        )
        .and_then(|mut s| s.execute(params![now, limit]))
        .map_err(db)?;
    Ok(deleted as u64)
}
