//! Receiving: the receipt ledger, the per-line counters and the stock they raise, in one
//! transaction. The order row and its lines are locked (`FOR UPDATE`) before anything is checked,
//! so concurrent receipts of one order, from any process, queue up and each is checked against
//! what the previous ones left: an order is never over-received.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::PgStore;
use super::db;
use crate::domain::ids::{AccountId, LocationId, PurchaseOrderId, ReceiptId, WarehouseId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::Sku;
use crate::domain::receipt::{Receipt, ReceiptLine, ReceiveLine};
use crate::domain::receiving::{self, Found, Order, OrderLine, Plan};
use crate::domain::refusal::{Action, ensure_allowed};
use crate::domain::status::Status;
use crate::domain::stock::StockValue;
use crate::store::{Receiving, StoreError, StoreResult, now};
use async_trait::async_trait;

pub async fn receive(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
    lines: &[ReceiveLine],
    request_id: &str,
) -> StoreResult<Status> {
    let order = lock_order(conn, account, id).await?;
    let status = order.status;
    ensure_allowed(id, status, Action::Receive)?;

    let order_lines: HashMap<String, OrderLine> = sqlx::query(
        "SELECT sku, quantity, received_quantity + rejected_quantity, cost_micros
         FROM purchase_order_lines WHERE purchase_order_id = $1 ORDER BY line_no FOR UPDATE",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok((
            r.try_get::<String, _>(0)?,
            OrderLine {
                quantity: r.try_get(1)?,
                done: r.try_get(2)?,
                cost_micros: r.try_get(3)?,
            },
        ))
    })
    .collect::<Result<_, sqlx::Error>>()
    .map_err(db)?;

    let found = Found {
        locations: location_warehouses(conn, account, lines).await?,
        on_hand: warehouse_on_hand(conn, account, order.warehouse, lines).await?,
    };
    let stored = Order {
        id,
        warehouse: order.warehouse,
        lines: order_lines,
    };
    let plan = receiving::plan(stored, lines, &found)?;
    let next = plan.next;
    write_receipt(conn, account, &order, lines, request_id, &plan).await?;
    if next != status {
        super::order_counts::count_status(conn, account, status, next).await?;
    }
    Ok(next)
}

/// The order a receipt is for, locked (`FOR UPDATE`) until the transaction ends.
struct LockedOrder {
    id: PurchaseOrderId,
    status: Status,
    warehouse: WarehouseId,
    currency: String,
}

async fn lock_order(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
) -> StoreResult<LockedOrder> {
    let row = sqlx::query(
        "SELECT status, warehouse_id, currency_code FROM purchase_orders WHERE account_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let status: String = row.try_get(0).map_err(db)?;
    Ok(LockedOrder {
        id,
        status: super::order_rows::parse_status(&status)?,
        warehouse: WarehouseId(row.try_get(1).map_err(db)?),
        currency: row.try_get(2).map_err(db)?,
    })
}

/// Writes a checked receipt in one statement: the receipt and its entries, the order lines'
/// counters, the stock at each (location, SKU, lot), and the order's new status. Entries of one
/// SKU, or of one stock row, are summed first, since one statement may change a row only once;
/// stock rows are written in key order, so concurrent receipts lock them in the same order.
async fn write_receipt(
    conn: &mut PgConnection,
    account: AccountId,
    order: &LockedOrder,
    lines: &[ReceiveLine],
    request_id: &str,
    plan: &Plan,
) -> StoreResult<()> {
    // The units of an entry that count toward the stock's average cost: those with a unit cost.
    // Their value is exact in the domain's 128 bits and goes over as text into NUMERIC, which
    // BIGINT (and a bigint array) could not hold.
    let (cost_units, cost_totals): (Vec<i64>, Vec<String>) = lines
        .iter()
        .zip(&plan.unit_costs)
        .map(|(line, cost)| match cost {
            Some(unit) => (
                line.received_quantity,
                StockValue::of(line.received_quantity, *unit).to_string(),
            ),
            None => (0, "0".to_owned()),
        })
        .unzip();
    sqlx::query(
        "WITH receipt AS (
             INSERT INTO receipts (account_id, purchase_order_id, request_id, received_at)
             VALUES ($1, $2, $3, $4)
             RETURNING id),
         entry AS (
             SELECT * FROM UNNEST($5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[],
                 $10::timestamptz[], $11::bigint[], $12::text[])
                 WITH ORDINALITY AS e (sku, location_id, received, rejected, lot, expiration_date, cost_units,
                     cost_total, n)),
         entries AS (
             INSERT INTO receipt_lines (receipt_id, line_no, sku, location_id, received_quantity,
                 rejected_quantity, lot, expiration_date)
             SELECT receipt.id, e.n - 1, e.sku, e.location_id, e.received, e.rejected, e.lot, e.expiration_date
             FROM receipt, entry e),
         counters AS (
             UPDATE purchase_order_lines l
             SET received_quantity = l.received_quantity + t.received,
                 rejected_quantity = l.rejected_quantity + t.rejected
             FROM (SELECT sku, SUM(received) AS received, SUM(rejected) AS rejected FROM entry GROUP BY sku) t
             WHERE l.purchase_order_id = $2 AND l.sku = t.sku),
         stock AS (
             INSERT INTO inventory_levels AS il (account_id, sku, warehouse_id, location_id, lot, on_hand,
                 cost_units, cost_total_micros, currency_code)
             SELECT $1, sku, $13, location_id, COALESCE(lot, ''), SUM(received), SUM(cost_units),
                 SUM(cost_total::numeric), CASE WHEN SUM(cost_units) > 0 THEN $14::text END
             FROM entry
             WHERE received > 0
             GROUP BY location_id, sku, COALESCE(lot, '')
             ORDER BY location_id, sku, COALESCE(lot, '')
             ON CONFLICT (account_id, location_id, sku, lot) DO UPDATE SET
                 on_hand = il.on_hand + excluded.on_hand,
                 cost_units = il.cost_units + excluded.cost_units,
                 cost_total_micros = il.cost_total_micros + excluded.cost_total_micros,
                 currency_code = CASE
                     WHEN excluded.currency_code IS NULL THEN il.currency_code
                     WHEN il.currency_code IS NULL OR il.currency_code = excluded.currency_code
                         THEN excluded.currency_code
                     ELSE '*' END)
         UPDATE purchase_orders SET status = $15, updated_at = $4 WHERE id = $2",
    )
    .bind(account.0)
    .bind(order.id.0)
    .bind(request_id)
    .bind(now())
    .bind(lines.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.location_id.0).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.received_quantity).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.rejected_quantity).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.lot.as_deref()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.expiration_date).collect::<Vec<_>>())
    .bind(cost_units)
    .bind(cost_totals)
    .bind(order.warehouse.0)
    .bind(&order.currency)
    .bind(plan.next.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The warehouse of each entry's location (`None` when it is not a location of the account), in
/// one statement. Each location is key-share locked, so it cannot be deleted before this receipt
/// commits.
async fn location_warehouses(
    conn: &mut PgConnection,
    account: AccountId,
    lines: &[ReceiveLine],
) -> StoreResult<Vec<Option<WarehouseId>>> {
    let ids: Vec<i64> = lines.iter().map(|line| line.location_id.0).collect();
    let found: HashMap<i64, i64> = sqlx::query_as(
        "SELECT id, warehouse_id FROM inventory_locations WHERE account_id = $1 AND id = ANY($2)
         ORDER BY id FOR KEY SHARE",
    )
    .bind(account.0)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .collect();
    Ok(ids
        .iter()
        .map(|id| found.get(id).copied().map(WarehouseId))
        .collect())
}

/// Units of each SKU of `lines` on hand in `warehouse`, over all its locations and lots.
///
/// The limit is on the warehouse's total, which receipts of other orders (locked by no row this
/// one holds) may raise at the same time, even in rows that do not exist yet. So each (account,
/// warehouse, SKU) is first locked for the rest of the transaction (an advisory lock, taken in
/// key order so that receipts never wait on each other in a circle), and the sums are read in a
/// statement of their own, whose snapshot sees what the previous holder committed.
async fn warehouse_on_hand(
    conn: &mut PgConnection,
    account: AccountId,
    warehouse: WarehouseId,
    lines: &[ReceiveLine],
) -> StoreResult<HashMap<String, i64>> {
    let skus: Vec<&str> = lines.iter().map(|line| line.sku.as_str()).collect();
    // ORDER BY applies before the select list (PostgreSQL 9.6 and later), so the locks are taken
    // in key order.
    sqlx::query(
        "SELECT pg_advisory_xact_lock(k) FROM (
             SELECT DISTINCT hashtextextended('procura stock ' || $1 || ' ' || $2 || ' ' || sku, 0) AS k
             FROM UNNEST($3::text[]) AS s (sku)) AS keys
         ORDER BY k",
    )
    .bind(account.0)
    .bind(warehouse.0)
    .bind(&skus)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    // SUM of a BIGINT is a NUMERIC: read as text, so that no cast can fail in SQL.
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT sku, SUM(on_hand)::text FROM inventory_levels
         WHERE account_id = $1 AND warehouse_id = $2 AND sku = ANY($3) GROUP BY sku",
    )
    .bind(account.0)
    .bind(warehouse.0)
    .bind(&skus)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|(sku, on_hand)| match on_hand.parse() {
            Ok(n) => Ok((sku, n)),
            Err(_) => Err(StoreError::Internal(
                format!("stock of '{sku}' is {on_hand}").into(),
            )),
        })
        .collect()
}

pub async fn list_receipts(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
    page: &PageRequest,
) -> StoreResult<Page<Receipt>> {
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
    let rows = sqlx::query(
        "SELECT r.id, r.request_id, r.received_at, l.sku, l.location_id, loc.name, l.received_quantity,
                l.rejected_quantity, l.lot, l.expiration_date
         FROM receipts r
         JOIN receipt_lines l ON l.receipt_id = r.id
         JOIN inventory_locations loc ON loc.id = l.location_id
         WHERE r.purchase_order_id = $1 AND r.id BETWEEN $2 AND $3
         ORDER BY r.id, l.line_no",
    )
    .bind(id.0)
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut receipts: Vec<Receipt> = Vec::new();
    for r in &rows {
        let receipt: i64 = r.try_get(0).map_err(db)?;
        if receipts.last().is_none_or(|last| last.id.0 != receipt) {
            receipts.push(Receipt {
                id: ReceiptId(receipt),
                purchase_order_id: id,
                request_id: r.try_get(1).map_err(db)?,
                received_at: r.try_get(2).map_err(db)?,
                lines: Vec::new(),
            });
        }
        let sku: String = r.try_get(3).map_err(db)?;
        let line = ReceiptLine {
            sku: Sku::parse(&sku)
                .map_err(|_| StoreError::Internal(format!("bad sku '{sku}'").into()))?,
            location_id: LocationId(r.try_get(4).map_err(db)?),
            location_name: r.try_get(5).map_err(db)?,
            received_quantity: r.try_get(6).map_err(db)?,
            rejected_quantity: r.try_get(7).map_err(db)?,
            lot: r.try_get(8).map_err(db)?,
            expiration_date: r.try_get::<Option<DateTime<Utc>>, _>(9).map_err(db)?,
        };
        if let Some(last) = receipts.last_mut() {
            last.lines.push(line);
        }
    }
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
    check()?;
    let limit = i64::try_from(max_lines).unwrap_or(i64::MAX - 1) + 1;
    let rows = sqlx::query(
        "SELECT r.id, r.request_id, r.received_at, l.sku, l.location_id, loc.name, l.received_quantity,
                l.rejected_quantity, l.lot, l.expiration_date
         FROM receipts r
         JOIN receipt_lines l ON l.receipt_id = r.id
         JOIN inventory_locations loc ON loc.id = l.location_id
         WHERE r.purchase_order_id = $1
         ORDER BY r.id DESC, l.line_no DESC
         LIMIT $2",
    )
    .bind(id.0)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let mut newest_first: Vec<LedgerRow> = Vec::with_capacity(rows.len());
    for r in &rows {
        let sku: String = r.try_get(3).map_err(db)?;
        let line = ReceiptLine {
            sku: Sku::parse(&sku)
                .map_err(|_| StoreError::Internal(format!("bad sku '{sku}'").into()))?,
            location_id: LocationId(r.try_get(4).map_err(db)?),
            location_name: r.try_get(5).map_err(db)?,
            received_quantity: r.try_get(6).map_err(db)?,
            rejected_quantity: r.try_get(7).map_err(db)?,
            lot: r.try_get(8).map_err(db)?,
            expiration_date: r.try_get::<Option<DateTime<Utc>>, _>(9).map_err(db)?,
        };
        newest_first.push((
            ReceiptId(r.try_get(0).map_err(db)?),
            r.try_get(1).map_err(db)?,
            r.try_get(2).map_err(db)?,
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

#[async_trait]
impl Receiving for PgStore {
    #[tracing::instrument(name = "store.receive", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn receive(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        lines: Vec<ReceiveLine>,
        request_id: String,
    ) -> StoreResult<Status> {
        write_tx!(self, |tx| receive(
            &mut tx,
            account,
            id,
            &lines,
            &request_id
        )
        .await)
    }

    #[tracing::instrument(name = "store.list_receipts", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn list_receipts(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        page: PageRequest,
    ) -> StoreResult<Page<Receipt>> {
        read!(self, |conn| list_receipts(&mut conn, account, id, &page)
            .await)
    }

    #[tracing::instrument(name = "store.latest_receipts", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn latest_receipts(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        max_lines: usize,
        cancelled: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> StoreResult<crate::store::LatestReceipts> {
        read!(self, |conn| latest_receipts(
            &mut conn, account, id, max_lines, &cancelled
        )
        .await)
    }
}
