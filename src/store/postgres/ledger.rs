//! The receipt ledger as read: an order's receipts page by page, and the latest whole receipts
//! that fit a document.

use sqlx::PgConnection;

use super::db;
use crate::domain::ids::{AccountId, PurchaseOrderId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::receipt::Receipt;
use crate::store::rows::statement;
use crate::store::{StoreError, StoreResult, rows};

pub async fn list_receipts(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
    page: &PageRequest,
) -> StoreResult<Page<Receipt>> {
    order_exists(conn, account, id).await?;
    let total = match page.known_total() {
        Some(total) => total,
        None => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM receipts WHERE purchase_order_id = $1",
        )
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)? as u64,
    };
    // Oldest first: the page's receipts by id (one more than asked, to tell whether another page
    // follows), then the lines of the ones kept.
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM receipts WHERE purchase_order_id = $1 AND id > $2 ORDER BY id
         LIMIT $3 OFFSET $4",
    )
    .bind(id.0)
    .bind(page.after_id().unwrap_or(0))
    .bind(page.size as i64 + 1)
    .bind(page.offset() as i64)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let kept = &ids[..ids.len().min(page.size as usize)];
    let (Some(first), Some(last)) = (kept.first(), kept.last()) else {
        return Ok(Page::of(Vec::new(), page, total, None));
    };
    let found = sqlx::query(statement!(
        "SELECT {}
         FROM receipts r
         JOIN receipt_lines l ON l.receipt_id = r.id
         JOIN inventory_locations loc ON loc.id = l.location_id
         WHERE r.purchase_order_id = $1 AND r.id BETWEEN $2 AND $3
         ORDER BY r.id, l.line_no",
        rows::ledger::SQL
    ))
    .bind(id.0)
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let receipts = rows::receipts_of(
        id,
        found
            .iter()
            .map(rows::ledger_row)
            .collect::<StoreResult<Vec<_>>>()?,
    );
    let more = ids.len() > kept.len();
    Ok(Page::of(receipts, page, total, more.then_some(*last)))
}

/// See [`crate::store::Store::latest_receipts`]. One read-only snapshot, so that the counts agree
/// with the receipts listed; `cancelled` is checked before each query.
pub async fn latest_receipts(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
    max_lines: usize,
    cancelled: &std::sync::atomic::AtomicBool,
) -> StoreResult<crate::store::LatestReceipts> {
    use crate::store::LatestReceipts;
    use crate::store::rows::{LedgerRow, whole_receipts};
    use crate::store::still_wanted;
    still_wanted(cancelled)?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(db)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM purchase_orders WHERE account_id = $1 AND id = $2)",
    )
    .bind(account.0)
    .bind(id.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    still_wanted(cancelled)?;
    let limit = i64::try_from(max_lines).unwrap_or(i64::MAX - 1) + 1;
    let found = sqlx::query(statement!(
        "SELECT {}
         FROM receipts r
         JOIN receipt_lines l ON l.receipt_id = r.id
         JOIN inventory_locations loc ON loc.id = l.location_id
         WHERE r.purchase_order_id = $1
         ORDER BY r.id DESC, l.line_no DESC
         LIMIT $2",
        rows::ledger::SQL
    ))
    .bind(id.0)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let newest_first = found
        .iter()
        .map(rows::ledger_row)
        .collect::<StoreResult<Vec<LedgerRow>>>()?;
    let (receipts, cut) = whole_receipts(id, newest_first, max_lines);
    let Some(newest_left_out) = cut else {
        return Ok(LatestReceipts {
            receipts,
            ..LatestReceipts::default()
        });
    };
    still_wanted(cancelled)?;
    let (earlier_receipts, earlier_lines): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(DISTINCT r.id), COUNT(*)
         FROM receipts r JOIN receipt_lines l ON l.receipt_id = r.id
         WHERE r.purchase_order_id = $1 AND r.id <= $2",
    )
    .bind(id.0)
    .bind(newest_left_out)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(LatestReceipts {
        receipts,
        earlier_receipts: u64::try_from(earlier_receipts).unwrap_or_default(),
        earlier_lines: u64::try_from(earlier_lines).unwrap_or_default(),
    })
}

/// `NotFound` unless the order is in the account: a list of an order's records (its receipts,
/// its history) is a 404 for an order the caller cannot see, not an empty page.
pub(super) async fn order_exists(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
) -> StoreResult<()> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM purchase_orders WHERE account_id = $1 AND id = $2)",
    )
    .bind(account.0)
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
