//! Keyed writes on PostgreSQL: the key's row is claimed, the write runs and its answer is kept,
//! all in one transaction, so that there is never a change without its key nor a key without
//! its change.
//!
//! The claim inserts the key's row first. A concurrent request with the same key, on this server
//! or another, waits at the primary key until the first transaction ends, then finds the kept
//! answer (or, when the first rolled back, claims the key itself). A retry in flight therefore
//! waits for the first request and gets its answer; it is never refused.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::db;
use crate::domain::ids::AccountId;
use crate::store::write::{Claim, KeptAnswer, Once, kept, verdict};
use crate::store::{StoreError, StoreResult};

/// Runs `$body` in one transaction on `$self`'s pool; with `$once`, under its idempotency key.
/// `$body` uses `$tx` (a `&mut PgConnection` inside the transaction).
macro_rules! write_once {
    ($self:ident, $account:expr, $once:expr, |$tx:ident| $body:expr) => {{
        match $once {
            None => write_tx!($self, |$tx| $body),
            Some(once) => {
                let mut conn = $self
                    .pool
                    .acquire()
                    .await
                    .map_err($crate::store::postgres::db)?;
                keyed!(&mut *conn, $account, once, |$tx| $body)
            }
        }
    }};
}

/// Runs `$body` under `$once`'s key in a transaction on the connection `$conn`.
macro_rules! keyed {
    ($conn:expr, $account:expr, $once:expr, |$tx:ident| $body:expr) => {{
        let once = $once;
        let account = $account;
        match $crate::store::postgres::once::replayed(&mut *$conn, account, &once.claim).await {
            Err(err) => Err(err),
            Ok(Some(verdict)) => Err(verdict),
            Ok(None) => {
                let mut $tx = sqlx::Connection::begin(&mut *$conn)
                    .await
                    .map_err($crate::store::postgres::db)?;
                match $crate::store::postgres::once::claim(&mut $tx, account, &once.claim).await? {
                    Some(verdict) => Err(verdict),
                    None => {
                        let result = $body;
                        $crate::store::postgres::once::settle($tx, account, &once, result).await
                    }
                }
            }
        }
    }};
}

/// The verdict on a key that an earlier request already used, read without a transaction: a
/// sequential retry (the usual one) is answered here without starting its write.
pub(super) async fn replayed(
    conn: &mut PgConnection,
    account: AccountId,
    claim: &Claim,
) -> StoreResult<Option<StoreError>> {
    let row = sqlx::query(
        "SELECT fingerprint, status, headers, body FROM idempotency_keys
         WHERE account_id = $1 AND idempotency_key = $2 AND expires_at > $3",
    )
    .bind(account.0)
    .bind(&claim.key)
    .bind(crate::store::now())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.map(|row| judge(claim, &row)).transpose()
}

/// Claims the key inside the write's transaction, before the write. `None`: the key is this
/// request's, and the write goes ahead; `Some`: the verdict of the request that holds it.
pub(super) async fn claim(
    tx: &mut PgConnection,
    account: AccountId,
    claim: &Claim,
) -> StoreResult<Option<StoreError>> {
    let now = crate::store::now();
    // An expired key is taken over; a live one is left alone, and a concurrent claim of it waits
    // here until the transaction holding it ends.
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys
             (account_id, idempotency_key, fingerprint, status, headers, body, created_at, expires_at)
         VALUES ($1, $2, $3, 0, '', '', $4, $5)
         ON CONFLICT (account_id, idempotency_key) DO UPDATE SET
             fingerprint = excluded.fingerprint, status = 0, headers = '', body = '',
             created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= excluded.created_at
         RETURNING 1",
    )
    .bind(account.0)
    .bind(&claim.key)
    .bind(&claim.fingerprint[..])
    .bind(now)
    .bind(claim.expires_at)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    .is_some();
    if claimed {
        // The write's own changes are undone when it refuses, so that only its refusal is kept.
        sqlx::query("SAVEPOINT keyed")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        return Ok(None);
    }
    // Another transaction committed the key while this one waited for it.
    let row = sqlx::query(
        "SELECT fingerprint, status, headers, body FROM idempotency_keys
         WHERE account_id = $1 AND idempotency_key = $2",
    )
    .bind(account.0)
    .bind(&claim.key)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    match row {
        Some(row) => judge(claim, &row).map(Some),
        // Purged between the two statements, which only an expired key can be.
        None => Err(StoreError::Unavailable(
            "an idempotency key expired while it was being claimed; retry".into(),
        )),
    }
}

/// Keeps the answer to `result` with the key and commits, or, for an outcome that is not kept
/// (the database failed), rolls everything back so that a retry runs the write again.
pub(super) async fn settle<T>(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    account: AccountId,
    once: &Once<T>,
    result: StoreResult<T>,
) -> StoreResult<T> {
    let Some(answer) = kept(once, &result) else {
        return result;
    };
    if result.is_err() {
        sqlx::query("ROLLBACK TO SAVEPOINT keyed")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5
         WHERE account_id = $1 AND idempotency_key = $2",
    )
    .bind(account.0)
    .bind(&once.claim.key)
    .bind(i64::from(answer.status))
    .bind(answer.header_lines())
    .bind(&answer.body)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    result
}

fn judge(claim: &Claim, row: &sqlx::postgres::PgRow) -> StoreResult<StoreError> {
    let fingerprint: Vec<u8> = row.try_get(0).map_err(db)?;
    let answer = KeptAnswer::from_stored(
        row.try_get(1).map_err(db)?,
        &row.try_get::<String, _>(2).map_err(db)?,
        row.try_get(3).map_err(db)?,
    )?;
    Ok(verdict(claim, &fingerprint, answer))
}

/// Deletes up to `limit` keys that expired before `now`.
pub(super) async fn purge(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> StoreResult<u64> {
    let deleted = sqlx::query(
        "DELETE FROM idempotency_keys WHERE ctid IN
             (SELECT ctid FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2)",
    )
    .bind(now)
    .bind(i64::from(limit))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(deleted.rows_affected())
}
