//! The per-status counts of an account's purchase orders, sharded so that concurrent writers
//! rarely touch the same row, which give a list its total without counting rows.

use sqlx::PgConnection;

use super::db;
use crate::domain::ids::AccountId;
use crate::domain::status::Status;
use crate::store::StoreResult;

/// Shards per (account, status) count; see `migrations/postgres/0003_order_counts.sql`.
const COUNT_SHARDS: i16 = 16;

/// A count shard picked at random, so that concurrent writers rarely wait on the same row.
pub(super) fn count_shard() -> i16 {
    rand::random_range(0..COUNT_SHARDS)
}

/// Moves one order from `from` to `to` in the per-status counts, in the transaction `conn`.
pub(super) async fn count_status(
    conn: &mut PgConnection,
    account: AccountId,
    from: Status,
    to: Status,
) -> StoreResult<()> {
    let (statuses, shards, deltas) = count_moves(from, to);
    sqlx::query(
        "INSERT INTO purchase_order_counts AS c (account_id, status, shard, n)
         SELECT $1, d.status, d.shard, d.n
         FROM UNNEST($2::text[], $3::smallint[], $4::bigint[]) AS d (status, shard, n)
         ORDER BY d.status, d.shard
         ON CONFLICT (account_id, status, shard) DO UPDATE SET n = c.n + excluded.n",
    )
    .bind(account.0)
    .bind(statuses)
    .bind(shards)
    .bind(deltas)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The two count changes of a move from `from` to `to` (statuses, shards, deltas), each on a
/// shard picked at random. They are written in (status, shard) order, so concurrent moves lock
/// the count rows in the same order and cannot deadlock.
pub(super) fn count_moves(from: Status, to: Status) -> ([&'static str; 2], [i16; 2], [i64; 2]) {
    let mut moves = [
        (to.as_str(), count_shard(), 1_i64),
        (from.as_str(), count_shard(), -1),
    ];
    moves.sort_unstable();
    (
        moves.map(|(status, _, _)| status),
        moves.map(|(_, shard, _)| shard),
        moves.map(|(_, _, delta)| delta),
    )
}
