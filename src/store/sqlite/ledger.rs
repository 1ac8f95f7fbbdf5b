//! The receipt ledger as read: an order's receipts page by page, and the latest whole receipts
//! that fit a document.

use rusqlite::{Connection, params};

use super::{db, opt_time, parse_text, time};
use crate::domain::ids::{AccountId, LocationId, PurchaseOrderId, ReceiptId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::Sku;
use crate::domain::receipt::{Receipt, ReceiptLine};
use crate::store::{StoreError, StoreResult};

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
    let rows = conn
        .prepare_cached(
            "SELECT r.id, r.request_id, r.received_at, l.sku, l.location_id, loc.name, l.received_quantity,
                    l.rejected_quantity, l.lot, l.expiration_date
             FROM receipts r
             JOIN receipt_lines l ON l.receipt_id = r.id
             JOIN inventory_locations loc ON loc.id = l.location_id
             WHERE r.purchase_order_id = ?1 AND r.id BETWEEN ?2 AND ?3
             ORDER BY r.id, l.line_no",
        )
        .and_then(|mut s| {
            s.query_map(params![id.0, first, last], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    parse_text(r, 3, "sku", Sku::parse)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(db)?;
    let mut receipts: Vec<Receipt> = Vec::new();
    for (
        receipt,
        request_id,
        at,
        sku,
        location,
        location_name,
        received,
        rejected,
        lot,
        expiration,
    ) in rows
    {
        if receipts.last().is_none_or(|r| r.id.0 != receipt) {
            receipts.push(Receipt {
                id: ReceiptId(receipt),
                purchase_order_id: id,
                request_id,
                received_at: time(at)?,
                lines: Vec::new(),
            });
        }
        let line = ReceiptLine {
            sku,
            location_id: LocationId(location),
            location_name,
            received_quantity: received,
            rejected_quantity: rejected,
            lot,
            expiration_date: opt_time(expiration)?,
        };
        if let Some(last) = receipts.last_mut() {
            last.lines.push(line);
        }
    }
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
    use crate::store::{LatestReceipts, LedgerRow, whole_receipts};
    let check = || {
        if cancelled.load(std::sync::atomic::Ordering::Relaxed) {
            Err(StoreError::Unavailable(
                "the ledger read was abandoned".into(),
            ))
        } else {
            Ok(())
        }
    };
    check()?;
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
        .prepare_cached(
            "SELECT r.id, r.request_id, r.received_at, l.sku, l.location_id, loc.name, l.received_quantity,
                    l.rejected_quantity, l.lot, l.expiration_date
             FROM receipts r
             JOIN receipt_lines l ON l.receipt_id = r.id
             JOIN inventory_locations loc ON loc.id = l.location_id
             WHERE r.purchase_order_id = ?1
             ORDER BY r.id DESC, l.line_no DESC
             LIMIT ?2",
        )
        .map_err(db)?;
    let limit = i64::try_from(max_lines).unwrap_or(i64::MAX - 1) + 1;
    let mut rows = statement.query(params![id.0, limit]).map_err(db)?;
    let mut newest_first: Vec<LedgerRow> = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        check()?;
        let line = ReceiptLine {
            sku: parse_text(r, 3, "sku", Sku::parse).map_err(db)?,
            location_id: LocationId(r.get(4).map_err(db)?),
            location_name: r.get(5).map_err(db)?,
            received_quantity: r.get(6).map_err(db)?,
            rejected_quantity: r.get(7).map_err(db)?,
            lot: r.get(8).map_err(db)?,
            expiration_date: opt_time(r.get(9).map_err(db)?)?,
        };
        newest_first.push((
            ReceiptId(r.get(0).map_err(db)?),
            r.get(1).map_err(db)?,
            time(r.get(2).map_err(db)?)?,
            line,
        ));
    }
    let (receipts, cut) = whole_receipts(id, newest_first, max_lines);
    let Some(newest_left_out) = cut else {
        return Ok(LatestReceipts {
            receipts,
            ..LatestReceipts::default()
        });
    };
    check()?;
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
