//! Keyed writes on SQLite: the key's row is written in the write's own job, so it commits (or
//! not) with the change, in the same group commit.
//!
//! Every write runs on the one writer thread, so a retry can never find its key in flight: it
//! runs after the first request's job, in the same transaction or a later one, and finds the
//! key's row.
//!
//! The key's row is written after the job, with no savepoint: a savepoint makes SQLite copy every
//! page the job changes into a statement journal, which cost a keyed create about a fifth more
//! work. A job that does not go ahead (refused, or its key already used) fails instead, and the
//! writer undoes it as it undoes any failed job; a refusal is then kept by a second, small job.
//! That one commits a little later than the refusal was decided, which is safe: a refusal
//! changed nothing, so a crash in between only means that a retry is judged again.

use rusqlite::{Connection, params};

use super::{SqliteStore, db, micros};
use crate::domain::ids::AccountId;
use crate::store::write::{Claim, KeptAnswer, Once, kept, verdict};
use crate::store::{StoreError, StoreResult};

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
        let Some(once) = once else {
            return self.engine.write(job).await;
        };
        let written = {
            let once = once.clone();
            self.engine
                .write(move |c| keyed(c, account, &once, &mut job))
                .await
        };
        let refused = match written {
            Err(refused) => Err(refused),
            done => return done,
        };
        let Some(answer) = kept(&once, &refused) else {
            return refused;
        };
        let claim = once.claim;
        self.engine
            .write(move |c| match claim_key(c, account, &claim, &answer)? {
                true => Ok(()),
                false => Err(stored_verdict(c, account, &claim)?),
            })
            .await
            .and(refused)
    }
}

/// The job, then the key's row with its answer; fails (so that the writer undoes the job) with
/// the key's verdict when the key was used before.
fn keyed<T>(
    conn: &Connection,
    account: AccountId,
    once: &Once<T>,
    job: &mut impl FnMut(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    let outcome = Ok(job(conn)?);
    let Some(answer) = kept(once, &outcome) else {
        return outcome;
    };
    if claim_key(conn, account, &once.claim, &answer)? {
        return outcome;
    }
    Err(stored_verdict(conn, account, &once.claim)?)
}

/// Writes the key's row with `answer`, unless the key is taken and has not expired; whether it
/// was written.
fn claim_key(
    conn: &Connection,
    account: AccountId,
    claim: &Claim,
    answer: &KeptAnswer,
) -> StoreResult<bool> {
    let now = micros(crate::store::now());
    let written = conn
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
    Ok(written == 1)
}

/// What the key's kept row says about a request with `claim`.
fn stored_verdict(conn: &Connection, account: AccountId, claim: &Claim) -> StoreResult<StoreError> {
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
    Ok(verdict(claim, &fingerprint, answer))
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
