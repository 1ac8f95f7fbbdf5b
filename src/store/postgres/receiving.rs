//! Receiving: the receipt ledger, the per-line counters and the stock they raise, in one
//! transaction. The order row and its lines are locked (`FOR UPDATE`) before anything is checked,
//! so concurrent receipts of one order, from any process, queue up and each is checked against
//! what the previous ones left: an order is never over-received.

use std::collections::HashMap;

use sqlx::{PgConnection, Row};

use super::PgStore;
use super::db;
use super::events::append_event;
use super::ledger;
use crate::domain::event::NewEvent;
use chrono::{DateTime, Utc};

use crate::domain::ids::{AccountId, LocationId, PurchaseOrderId, ReceiptId, WarehouseId};
use crate::domain::money::Money;
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::Sku;
use crate::domain::receipt::{Receipt, ReceiveLine};
use crate::domain::receiving::{self, Order, OrderLine, Plan, Referenced};
use crate::domain::refusal::Refusal;
use crate::domain::refusal::{Action, ensure_allowed};
use crate::domain::status::Status;
use crate::domain::stock::StockValue;
use crate::domain::version::{Precondition, Tag, Version};
use crate::store::write::check;
use crate::store::{Origin, Receiving, StoreError, StoreResult, Tagged, Write, now};
use async_trait::async_trait;

pub async fn receive(
    conn: &mut PgConnection,
    origin: &Origin,
    id: PurchaseOrderId,
    lines: &[ReceiveLine],
    request_id: &str,
    precondition: Option<&Precondition>,
) -> StoreResult<Tagged<Status>> {
    let account = origin.account;
    let order = lock_order(conn, account, id).await?;
    let status = order.status;
    check(precondition, order.tag)?;
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

    let referenced = Referenced {
        locations: location_warehouses(conn, account, lines).await?,
        on_hand: warehouse_on_hand(conn, account, order.warehouse, lines).await?,
    };
    let stored = Order {
        id,
        warehouse: order.warehouse,
        lines: order_lines,
    };
    let plan = receiving::plan(stored, lines, &referenced)?;
    let next = plan.next;
    let (version, receipt_id) = write_receipt(
        conn,
        account,
        &order,
        lines,
        request_id,
        origin.actor.as_text(),
        &plan,
    )
    .await?;
    if next != status {
        super::order_counts::count_status(conn, account, status, next).await?;
    }
    // Last, after every lock of the order's: see `events`.
    let receipt = NewEvent::products_received(id, receipt_id, lines, next);
    append_event(conn, origin, &receipt).await?;
    if next != status {
        append_event(conn, origin, &NewEvent::status_changed(id, status, next)).await?;
    }
    Ok(Tagged {
        value: next,
        tag: order.tag.with_version(version),
    })
}

pub async fn reverse(
    conn: &mut PgConnection,
    origin: &Origin,
    id: PurchaseOrderId,
    receipt: ReceiptId,
    request_id: &str,
    precondition: Option<&Precondition>,
) -> StoreResult<Tagged<Status>> {
    let account = origin.account;
    // The order first, as a receipt locks it: reversals and receipts of one order queue up.
    let order = lock_order(conn, account, id).await?;
    let status = order.status;
    check(precondition, order.tag)?;
    ensure_allowed(id, status, Action::ReverseReceipt)?;
    let reversed: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT reversed_at FROM receipts
         WHERE id = $1 AND purchase_order_id = $2 AND account_id = $3 FOR UPDATE",
    )
    .bind(receipt.0)
    .bind(id.0)
    .bind(account.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(Refusal::UnknownReceipt { order: id, receipt })?;
    if let Some(at) = reversed {
        return Err(Refusal::ReceiptReversed { receipt, at }.into());
    }
    let rows = sqlx::query(
        "SELECT rl.sku, rl.location_id, rl.received_quantity, rl.rejected_quantity, rl.lot,
                rl.expiration_date, pol.cost_micros
         FROM receipt_lines rl
         JOIN purchase_order_lines pol ON pol.purchase_order_id = $2 AND pol.sku = rl.sku
         WHERE rl.receipt_id = $1 ORDER BY rl.line_no",
    )
    .bind(receipt.0)
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        let sku: String = r.try_get(0).map_err(db)?;
        lines.push((
            ReceiveLine {
                sku: Sku::parse(&sku).map_err(|e| {
                    StoreError::Internal(format!("bad sku '{sku}' in the database: {e}").into())
                })?,
                location_id: LocationId(r.try_get(1).map_err(db)?),
                received_quantity: r.try_get(2).map_err(db)?,
                rejected_quantity: r.try_get(3).map_err(db)?,
                lot: r.try_get(4).map_err(db)?,
                expiration_date: r.try_get(5).map_err(db)?,
            },
            r.try_get::<Option<i64>, _>(6).map_err(db)?,
        ));
    }
    for (line, _) in &lines {
        sqlx::query(
            "UPDATE purchase_order_lines
             SET received_quantity = received_quantity - $3, rejected_quantity = rejected_quantity - $4
             WHERE purchase_order_id = $1 AND sku = $2",
        )
        .bind(id.0)
        .bind(line.sku.as_str())
        .bind(line.received_quantity)
        .bind(line.rejected_quantity)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    // Stock rows in key order, as receipts write them, so that the two never wait in a circle.
    let mut stocked: Vec<&(ReceiveLine, Option<i64>)> = lines
        .iter()
        .filter(|(l, _)| l.received_quantity > 0)
        .collect();
    stocked.sort_by(|(a, _), (b, _)| {
        (
            a.location_id,
            a.sku.as_str(),
            a.lot.as_deref().unwrap_or(""),
        )
            .cmp(&(
                b.location_id,
                b.sku.as_str(),
                b.lot.as_deref().unwrap_or(""),
            ))
    });
    for (line, cost) in stocked {
        let units = line.received_quantity;
        // Checked first, so that a refusal is a refusal and not a failed CHECK.
        let on_hand: i64 = sqlx::query_scalar(
            "SELECT on_hand FROM inventory_levels
             WHERE account_id = $1 AND location_id = $2 AND sku = $3 AND lot = $4 FOR UPDATE",
        )
        .bind(account.0)
        .bind(line.location_id.0)
        .bind(line.sku.as_str())
        .bind(line.lot.as_deref().unwrap_or(""))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .unwrap_or(0);
        if on_hand < units {
            return Err(Refusal::StockGone {
                sku: line.sku.clone(),
                location: line.location_id,
                on_hand,
                units,
            }
            .into());
        }
        let (cost_units, value) = match cost {
            Some(micros) => (
                units,
                StockValue::of(units, Money::from_micros(*micros)).to_string(),
            ),
            None => (0, "0".to_owned()),
        };
        let left: Option<(i64, i64, bool)> = sqlx::query_as(
            "UPDATE inventory_levels
             SET on_hand = on_hand - $5, cost_units = cost_units - $6,
                 cost_total_micros = cost_total_micros - $7::numeric
             WHERE account_id = $1 AND location_id = $2 AND sku = $3 AND lot = $4
             RETURNING on_hand, cost_units, cost_total_micros >= 0",
        )
        .bind(account.0)
        .bind(line.location_id.0)
        .bind(line.sku.as_str())
        .bind(line.lot.as_deref().unwrap_or(""))
        .bind(units)
        .bind(cost_units)
        .bind(value)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        if !matches!(left, Some((on_hand, units, true)) if on_hand >= 0 && units >= 0) {
            return Err(StoreError::Internal(
                format!(
                    "stock of '{}' at {} holds less than the receipt brought",
                    line.sku.as_str(),
                    line.location_id
                )
                .into(),
            ));
        }
    }
    let done: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(received_quantity + rejected_quantity), 0)::BIGINT
         FROM purchase_order_lines WHERE purchase_order_id = $1",
    )
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let next = receiving::after_reversal(done);
    let now = now();
    sqlx::query("UPDATE receipts SET reversed_at = $2, reversal_request_id = $3 WHERE id = $1")
        .bind(receipt.0)
        .bind(now)
        .bind(request_id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let version: i64 = sqlx::query_scalar(
        "UPDATE purchase_orders SET status = $2, updated_at = $3, version = version + 1
         WHERE id = $1 RETURNING version",
    )
    .bind(id.0)
    .bind(next.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if next != status {
        super::order_counts::count_status(conn, account, status, next).await?;
    }
    // Last, after every lock of the order's: see `events`.
    let taken: Vec<ReceiveLine> = lines.into_iter().map(|(line, _)| line).collect();
    append_event(
        conn,
        origin,
        &NewEvent::receipt_reversed(id, receipt, &taken, next),
    )
    .await?;
    if next != status {
        append_event(conn, origin, &NewEvent::status_changed(id, status, next)).await?;
    }
    Ok(Tagged {
        value: next,
        tag: order.tag.with_version(Version(version)),
    })
}

/// The order a receipt is for, locked (`FOR UPDATE`) until the transaction ends.
struct LockedOrder {
    id: PurchaseOrderId,
    status: Status,
    warehouse: WarehouseId,
    currency: String,
    tag: Tag,
}

async fn lock_order(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
) -> StoreResult<LockedOrder> {
    let row = sqlx::query(
        "SELECT po.status, po.warehouse_id, po.currency_code, po.version, s.version
         FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
         WHERE po.account_id = $1 AND po.id = $2
         FOR UPDATE OF po",
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
        status: super::rows::parse_status(&status)?,
        warehouse: WarehouseId(row.try_get(1).map_err(db)?),
        currency: row.try_get(2).map_err(db)?,
        tag: Tag::of_order(
            Version(row.try_get(3).map_err(db)?),
            Version(row.try_get(4).map_err(db)?),
        ),
    })
}

/// Writes a checked receipt in one statement: the receipt and its entries, the order lines'
/// counters, the stock at each (location, SKU, lot), and the order's new status. Entries of one
/// SKU, or of one stock row, are summed first, since one statement may change a row only once;
/// stock rows are written in key order, so concurrent receipts lock them in the same order.
/// Returns the order's new version and the receipt's id.
async fn write_receipt(
    conn: &mut PgConnection,
    account: AccountId,
    order: &LockedOrder,
    lines: &[ReceiveLine],
    request_id: &str,
    recorded_by: String,
    plan: &Plan,
) -> StoreResult<(Version, i64)> {
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
    let (version, receipt): (i64, i64) = sqlx::query_as(
        "WITH receipt AS (
             INSERT INTO receipts (account_id, purchase_order_id, request_id, received_at, recorded_by)
             VALUES ($1, $2, $3, $4, $16)
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
         UPDATE purchase_orders SET status = $15, updated_at = $4, version = version + 1 WHERE id = $2
         RETURNING version, (SELECT id FROM receipt)",
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
    .bind(recorded_by)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok((Version(version), receipt))
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

#[async_trait]
impl Receiving for PgStore {
    #[tracing::instrument(name = "store.receive", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn receive(
        &self,
        w: Write<Tagged<Status>>,
        id: PurchaseOrderId,
        lines: Vec<ReceiveLine>,
        request_id: String,
    ) -> StoreResult<Tagged<Status>> {
        let origin = w.origin();
        let Write {
            account,
            precondition,
            once,
            ..
        } = w;
        write_once!(self, account, once, |tx| receive(
            &mut tx,
            &origin,
            id,
            &lines,
            &request_id,
            precondition.as_ref()
        )
        .await)
    }

    #[tracing::instrument(name = "store.reverse_receipt", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn reverse_receipt(
        &self,
        w: Write<Tagged<Status>>,
        id: PurchaseOrderId,
        receipt: ReceiptId,
        request_id: String,
    ) -> StoreResult<Tagged<Status>> {
        let origin = w.origin();
        let Write {
            account,
            precondition,
            once,
            ..
        } = w;
        write_once!(self, account, once, |tx| reverse(
            &mut tx,
            &origin,
            id,
            receipt,
            &request_id,
            precondition.as_ref()
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
        read!(self, |conn| ledger::list_receipts(
            &mut conn, account, id, &page
        )
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
        read!(self, |conn| ledger::latest_receipts(
            &mut conn, account, id, max_lines, &cancelled
        )
        .await)
    }
}
