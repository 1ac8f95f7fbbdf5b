//! The per-status counts of an account's purchase orders, which give a list its total without
//! counting rows.

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

use super::db;
use crate::domain::ids::AccountId;
use crate::domain::purchase_order::PurchaseOrderFilter;
use crate::domain::status::Status;
use crate::store::StoreResult;

/// Moves one order from `from` (none for a new order) to `to` in the per-status counts.
pub(super) fn count_status(
    conn: &Connection,
    account: AccountId,
    from: Option<Status>,
    to: Status,
) -> StoreResult<()> {
    if let Some(from) = from {
        conn.prepare_cached(
            "UPDATE purchase_order_counts SET n = n - 1 WHERE account_id = ?1 AND status = ?2",
        )
        .and_then(|mut s| s.execute(params![account.0, from.as_str()]))
        .map_err(db)?;
    }
    conn.prepare_cached(
        "INSERT INTO purchase_order_counts (account_id, status, n) VALUES (?1, ?2, 1)
         ON CONFLICT (account_id, status) DO UPDATE SET n = n + 1",
    )
    .and_then(|mut s| s.execute(params![account.0, to.as_str()]))
    .map_err(db)?;
    Ok(())
}

/// The total of a list: from the per-status counts when the filter is at most a status,
/// otherwise by counting the matching rows.
pub(super) fn total(
    conn: &Connection,
    account: AccountId,
    filter: &PurchaseOrderFilter,
    filter_sql: &str,
    values: &[Value],
) -> StoreResult<u64> {
    let only_status = PurchaseOrderFilter {
        status: None,
        ..filter.clone()
    } == PurchaseOrderFilter::default();
    let n: i64 = if only_status {
        conn.prepare_cached(
            "SELECT COALESCE(SUM(n), 0) FROM purchase_order_counts WHERE account_id = ?1 AND (?2 IS NULL OR status = ?2)",
        )
        .and_then(|mut s| s.query_row(params![account.0, filter.status.map(Status::as_str)], |r| r.get(0)))
        .map_err(db)?
    } else {
        conn.prepare_cached(&format!(
            "SELECT COUNT(*) FROM purchase_orders po WHERE {filter_sql}"
        ))
        .and_then(|mut s| s.query_row(params_from_iter(values.iter()), |r| r.get(0)))
        .map_err(db)?
    };
    Ok(n as u64)
}
