//! The receipt ledger as read: an order's receipts page by page, and the latest whole receipts
//! that fit a document.

use rusqlite::{Connection, params};

use super::db;
use super::rows::all;
use crate::domain::ids::{AccountId, PurchaseOrderId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::receipt::Receipt;
use crate::store::rows::statement;
use crate::store::{StoreError, StoreResult, rows};

pub fn list_receipts(
    conn: &Connection,
    account: AccountId,
    id: PurchaseOrderId,
    page: &PageRequest,
) -> StoreResult<Page<Receipt>> {
    let exists: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM purchase_orders WHERE account_id = ?1 AND id = ?2)",
        )
        .and_then(|mut s| s.query_row(params![account.0, id.0], |r| r.get(0)))
        .map_err(db)?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    let total = match page.known_total() {
        Some(total) => total,
        None => conn
            .prepare_cached("SELECT COUNT(*) FROM receipts WHERE purchase_order_id = ?1")
            .and_then(|mut s| s.query_row([id.0], |r| r.get::<_, i64>(0)))
            .map_err(db)? as u64,
    };
    // Oldest first: the page's receipts by id (one more than asked, to tell whether another page
    // follows), then the lines of the ones kept.
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM receipts WHERE purchase_order_id = ?1 AND id > ?2 ORDER BY id
             LIMIT ?3 OFFSET ?4",
        )
        .and_then(|mut s| {
            s.query_map(
                params![
                    id.0,
                    page.after_id().unwrap_or(0),
                    page.size as i64 + 1,
                    page.offset() as i64
                ],
                |r| r.get(0),
            )?
            .collect()
        })
        .map_err(db)?;
    let kept = &ids[..ids.len().min(page.size as usize)];
    let (Some(first), Some(last)) = (kept.first(), kept.last()) else {
        return Ok(Page::of(Vec::new(), page, total, None));
    };
    let found = all(
        conn,
        statement!(
            "SELECT {}
             FROM receipts r
             JOIN receipt_lines l ON l.receipt_id = r.id
             JOIN inventory_locations loc ON loc.id = l.location_id
             WHERE r.purchase_order_id = ?1 AND r.id BETWEEN ?2 AND ?3
             ORDER BY r.id, l.line_no",
            rows::ledger::SQL
        ),
        params![id.0, first, last],
        |row| rows::ledger_row(row),
    )?;
    let receipts = rows::receipts_of(id, found);
    let more = ids.len() > kept.len();
    Ok(Page::of(receipts, page, total, more.then_some(*last)))
}

/// See [`crate::store::Store::latest_receipts`]. Runs on a reader thread: `cancelled` is checked
/// before each query and each row, so an abandoned read ends within a row.
pub fn latest_receipts(
    conn: &Connection,
    account: AccountId,
    id: PurchaseOrderId,
    max_lines: usize,
    cancelled: &std::sync::atomic::AtomicBool,
) -> StoreResult<crate::store::LatestReceipts> {
    use crate::store::LatestReceipts;
    use crate::store::rows::{LedgerRow, whole_receipts};
    use crate::store::still_wanted;
    still_wanted(cancelled)?;
    let exists: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM purchase_orders WHERE account_id = ?1 AND id = ?2)",
        )
        .and_then(|mut s| s.query_row(params![account.0, id.0], |r| r.get(0)))
        .map_err(db)?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    let mut statement = conn
        .prepare_cached(statement!(
            "SELECT {}
             FROM receipts r
             JOIN receipt_lines l ON l.receipt_id = r.id
             JOIN inventory_locations loc ON loc.id = l.location_id
             WHERE r.purchase_order_id = ?1
             ORDER BY r.id DESC, l.line_no DESC
             LIMIT ?2",
            rows::ledger::SQL
        ))
        .map_err(db)?;
    let limit = i64::try_from(max_lines).unwrap_or(i64::MAX - 1) + 1;
    let mut matched = statement.query(params![id.0, limit]).map_err(db)?;
    let mut newest_first: Vec<LedgerRow> = Vec::new();
    while let Some(r) = matched.next().map_err(db)? {
        still_wanted(cancelled)?;
        newest_first.push(rows::ledger_row(r)?);
    }
    let (receipts, cut) = whole_receipts(id, newest_first, max_lines);
    let Some(newest_left_out) = cut else {
        return Ok(LatestReceipts {
            receipts,
            ..LatestReceipts::default()
        });
    };
    still_wanted(cancelled)?;
    let (earlier_receipts, earlier_lines): (i64, i64) = conn
        .prepare_cached(
            "SELECT COUNT(DISTINCT r.id), COUNT(*)
             FROM receipts r JOIN receipt_lines l ON l.receipt_id = r.id
             WHERE r.purchase_order_id = ?1 AND r.id <= ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![id.0, newest_left_out], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
        .map_err(db)?;
    Ok(LatestReceipts {
        receipts,
        earlier_receipts: u64::try_from(earlier_receipts).unwrap_or_default(),
        earlier_lines: u64::try_from(earlier_lines).unwrap_or_default(),
    })
}
