//! Receiving: the receipt ledger, the per-line counters and the stock they raise, all in one
//! write job so that a request applies completely or not at all.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::events::append_event;
use super::ledger;
use super::{db, micros, parse_text};
use crate::domain::event::NewEvent;
use crate::domain::ids::{AccountId, LocationId, PurchaseOrderId, ReceiptId, WarehouseId};
use crate::domain::money::Money;
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::Sku;
use crate::domain::receipt::{Receipt, ReceiveLine};
use crate::domain::receiving::{self, Order, OrderLine, Referenced};
use crate::domain::refusal::Refusal;
use crate::domain::refusal::{Action, ensure_allowed};
use crate::domain::status::Status;
use crate::domain::stock::Stock;
use crate::domain::version::{Precondition, Tag, Version};
use crate::store::write::check;
use crate::store::{Origin, Tagged, Write};
use crate::store::{Receiving, StoreError, StoreResult};
use async_trait::async_trait;

pub fn receive(
    conn: &Connection,
    origin: &Origin,
    id: PurchaseOrderId,
    lines: &[ReceiveLine],
    request_id: &str,
    precondition: Option<&Precondition>,
) -> StoreResult<Tagged<Status>> {
    let account = origin.account;
    let (status, warehouse, currency, tag) = order_row(conn, account, id)?;
    check(precondition, tag)?;
    ensure_allowed(id, status, Action::Receive)?;

    let order_lines: HashMap<String, OrderLine> = conn
        .prepare_cached(
            "SELECT sku, quantity, received_quantity + rejected_quantity, cost_micros
             FROM purchase_order_lines WHERE purchase_order_id = ?1",
        )
        .and_then(|mut s| {
            s.query_map([id.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    OrderLine {
                        quantity: r.get(1)?,
                        done: r.get(2)?,
                        cost_micros: r.get(3)?,
                    },
                ))
            })?
            .collect()
        })
        .map_err(db)?;

    let warehouse = WarehouseId(warehouse);
    let referenced = Referenced {
        locations: location_warehouses(conn, account, lines)?,
        on_hand: warehouse_on_hand(conn, account, warehouse, lines)?,
    };
    let stored = Order {
        id,
        warehouse,
        lines: order_lines,
    };
    let plan = receiving::plan(stored, lines, &referenced)?;

    let now = crate::store::now();
    conn.prepare_cached(
        "INSERT INTO receipts (account_id, purchase_order_id, request_id, received_at, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            id.0,
            request_id,
            micros(now),
            origin.actor.as_text()
        ])
    })
    .map_err(db)?;
    let receipt = conn.last_insert_rowid();

    for (line_no, line) in lines.iter().enumerate() {
        conn.prepare_cached(
            "INSERT INTO receipt_lines (receipt_id, line_no, sku, location_id, received_quantity, rejected_quantity,
                                        lot, expiration_date)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                receipt,
                line_no as i64,
                line.sku.as_str(),
                line.location_id.0,
                line.received_quantity,
                line.rejected_quantity,
                line.lot,
                line.expiration_date.map(micros),
            ])
        })
        .map_err(db)?;
        conn.prepare_cached(
            "UPDATE purchase_order_lines
             SET received_quantity = received_quantity + ?3, rejected_quantity = rejected_quantity + ?4
             WHERE purchase_order_id = ?1 AND sku = ?2",
        )
        .and_then(|mut s| s.execute(params![id.0, line.sku.as_str(), line.received_quantity, line.rejected_quantity]))
        .map_err(db)?;
        if line.received_quantity > 0 {
            add_stock(
                conn,
                account,
                warehouse.0,
                line,
                plan.unit_costs[line_no],
                &currency,
            )?;
        }
    }

    let next = plan.next;
    let version: i64 = conn
        .prepare_cached(
            "UPDATE purchase_orders SET status = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1
             RETURNING version",
        )
        .and_then(|mut s| s.query_row(params![id.0, next.as_str(), micros(now)], |r| r.get(0)))
        .map_err(db)?;
    append_event(
        conn,
        origin,
        &NewEvent::products_received(id, receipt, lines, next),
    )?;
    if next != status {
        super::order_counts::count_status(conn, account, Some(status), next)?;
        append_event(conn, origin, &NewEvent::status_changed(id, status, next))?;
    }
    Ok(Tagged {
        value: next,
        tag: tag.with_version(Version(version)),
    })
}

pub fn reverse(
    conn: &Connection,
    origin: &Origin,
    id: PurchaseOrderId,
    receipt: ReceiptId,
    request_id: &str,
    precondition: Option<&Precondition>,
) -> StoreResult<Tagged<Status>> {
    let account = origin.account;
    let (status, _, _, tag) = order_row(conn, account, id)?;
    check(precondition, tag)?;
    ensure_allowed(id, status, Action::ReverseReceipt)?;
    let reversed: Option<i64> = conn
        .prepare_cached(
            "SELECT reversed_at FROM receipts WHERE id = ?1 AND purchase_order_id = ?2 AND account_id = ?3",
        )
        .and_then(|mut s| {
            s.query_row(params![receipt.0, id.0, account.0], |r| r.get(0))
                .optional()
        })
        .map_err(db)?
        .ok_or(Refusal::UnknownReceipt { order: id, receipt })?;
    if let Some(at) = reversed {
        return Err(Refusal::ReceiptReversed {
            receipt,
            at: super::time(at)?,
        }
        .into());
    }
    let lines: Vec<(ReceiveLine, Option<i64>)> = conn
        .prepare_cached(
            "SELECT rl.sku, rl.location_id, rl.received_quantity, rl.rejected_quantity, rl.lot,
                    rl.expiration_date, pol.cost_micros
             FROM receipt_lines rl
             JOIN purchase_order_lines pol ON pol.purchase_order_id = ?2 AND pol.sku = rl.sku
             WHERE rl.receipt_id = ?1 ORDER BY rl.line_no",
        )
        .and_then(|mut s| {
            s.query_map(params![receipt.0, id.0], |r| {
                Ok((
                    ReceiveLine {
                        sku: parse_text(r, 0, "sku", Sku::parse)?,
                        location_id: LocationId(r.get(1)?),
                        received_quantity: r.get(2)?,
                        rejected_quantity: r.get(3)?,
                        lot: r.get(4)?,
                        expiration_date: r
                            .get::<_, Option<i64>>(5)?
                            .and_then(|m| super::time(m).ok()),
                    },
                    r.get(6)?,
                ))
            })?
            .collect()
        })
        .map_err(db)?;
    for (line, cost) in &lines {
        conn.prepare_cached(
            "UPDATE purchase_order_lines
             SET received_quantity = received_quantity - ?3, rejected_quantity = rejected_quantity - ?4
             WHERE purchase_order_id = ?1 AND sku = ?2",
        )
        .and_then(|mut s| {
            s.execute(params![
                id.0,
                line.sku.as_str(),
                line.received_quantity,
                line.rejected_quantity
            ])
        })
        .map_err(db)?;
        if line.received_quantity > 0 {
            take_back_stock(conn, account, line, cost.map(Money::from_micros))?;
        }
    }
    let done: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(received_quantity + rejected_quantity), 0)
             FROM purchase_order_lines WHERE purchase_order_id = ?1",
        )
        .and_then(|mut s| s.query_row([id.0], |r| r.get(0)))
        .map_err(db)?;
    let next = receiving::after_reversal(done);
    let now = crate::store::now();
    conn.prepare_cached(
        "UPDATE receipts SET reversed_at = ?2, reversal_request_id = ?3 WHERE id = ?1",
    )
    .and_then(|mut s| s.execute(params![receipt.0, micros(now), request_id]))
    .map_err(db)?;
    let version: i64 = conn
        .prepare_cached(
            "UPDATE purchase_orders SET status = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1
             RETURNING version",
        )
        .and_then(|mut s| s.query_row(params![id.0, next.as_str(), micros(now)], |r| r.get(0)))
        .map_err(db)?;
    let taken: Vec<ReceiveLine> = lines.into_iter().map(|(line, _)| line).collect();
    append_event(
        conn,
        origin,
        &NewEvent::receipt_reversed(id, receipt, &taken, next),
    )?;
    if next != status {
        super::order_counts::count_status(conn, account, Some(status), next)?;
        append_event(conn, origin, &NewEvent::status_changed(id, status, next))?;
    }
    Ok(Tagged {
        value: next,
        tag: tag.with_version(Version(version)),
    })
}

/// The order a receipt or a reversal is for: status, warehouse, currency and tag.
fn order_row(
    conn: &Connection,
    account: AccountId,
    id: PurchaseOrderId,
) -> StoreResult<(Status, i64, String, Tag)> {
    conn.prepare_cached(
        "SELECT po.status, po.warehouse_id, po.currency_code, po.version, s.version
         FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
         WHERE po.account_id = ?1 AND po.id = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![account.0, id.0], |r| {
            Ok((
                parse_text(r, 0, "status", str::parse)?,
                r.get(1)?,
                r.get(2)?,
                Tag::of_order(Version(r.get(3)?), Version(r.get(4)?)),
            ))
        })
        .optional()
    })
    .map_err(db)?
    .ok_or(StoreError::NotFound)
}

/// The stock row an entry's units go to (or come back from); empty when there is none yet.
fn held_stock(conn: &Connection, account: AccountId, line: &ReceiveLine) -> StoreResult<Stock> {
    let lot = line.lot.as_deref().unwrap_or("");
    conn.prepare_cached(
        "SELECT on_hand, cost_units, cost_total_micros FROM inventory_levels
         WHERE account_id = ?1 AND location_id = ?2 AND sku = ?3 AND lot = ?4",
    )
    .and_then(|mut s| {
        s.query_row(
            params![account.0, line.location_id.0, line.sku.as_str(), lot],
            |r| {
                Ok(Stock {
                    on_hand: r.get(0)?,
                    cost_units: r.get(1)?,
                    cost_total: parse_text(r, 2, "stock value", str::parse)?,
                })
            },
        )
        .optional()
    })
    .map_err(db)
    .map(Option::unwrap_or_default)
}

/// Takes a reversed entry's received units back from the stock row it raised.
fn take_back_stock(
    conn: &Connection,
    account: AccountId,
    line: &ReceiveLine,
    cost: Option<Money>,
) -> StoreResult<()> {
    let lot = line.lot.as_deref().unwrap_or("");
    let held = held_stock(conn, account, line)?;
    if held.on_hand < line.received_quantity {
        return Err(Refusal::StockGone {
            sku: line.sku.clone(),
            location: line.location_id,
            on_hand: held.on_hand,
            units: line.received_quantity,
        }
        .into());
    }
    let left = held.take_back(line.received_quantity, cost).map_err(|_| {
        StoreError::Internal(
            format!(
                "the stock value of '{}' at {} is less than the receipt brought",
                line.sku.as_str(),
                line.location_id
            )
            .into(),
        )
    })?;
    conn.prepare_cached(
        "UPDATE inventory_levels SET on_hand = ?5, cost_units = ?6, cost_total_micros = ?7
         WHERE account_id = ?1 AND location_id = ?2 AND sku = ?3 AND lot = ?4",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            line.location_id.0,
            line.sku.as_str(),
            lot,
            left.on_hand,
            left.cost_units,
            left.cost_total.to_string(),
        ])
    })
    .map_err(db)?;
    Ok(())
}

/// The warehouse of each entry's location (`None` when it is not a location of the account).
fn location_warehouses(
    conn: &Connection,
    account: AccountId,
    lines: &[ReceiveLine],
) -> StoreResult<Vec<Option<WarehouseId>>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT warehouse_id FROM inventory_locations WHERE account_id = ?1 AND id = ?2",
        )
        .map_err(db)?;
    lines
        .iter()
        .map(|line| {
            stmt.query_row(params![account.0, line.location_id.0], |r| r.get(0))
                .optional()
                .map(|w| w.map(WarehouseId))
                .map_err(db)
        })
        .collect()
}

/// Units of each SKU of `lines` on hand in `warehouse`, over all its locations and lots.
fn warehouse_on_hand(
    conn: &Connection,
    account: AccountId,
    warehouse: WarehouseId,
    lines: &[ReceiveLine],
) -> StoreResult<HashMap<String, i64>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT on_hand FROM inventory_levels WHERE account_id = ?1 AND sku = ?2 AND warehouse_id = ?3",
        )
        .map_err(db)?;
    let mut on_hand = HashMap::new();
    for line in lines {
        let sku = line.sku.as_str();
        if on_hand.contains_key(sku) {
            continue;
        }
        let rows = stmt
            .query_map(params![account.0, sku, warehouse.0], |r| r.get::<_, i64>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(db)?;
        let total = rows
            .into_iter()
            .try_fold(0i64, |total, n| total.checked_add(n))
            .ok_or_else(|| StoreError::Internal(format!("stock of '{sku}' past i64").into()))?;
        on_hand.insert(sku.to_owned(), total);
    }
    Ok(on_hand)
}

/// Adds a checked entry's received units to its stock row. The new figures are computed in Rust
/// (`Stock::receive`), not by SQL `+`: SQLite turns an integer sum that overflows into an
/// inexact REAL, and the stock value is a decimal text it cannot add at all.
fn add_stock(
    conn: &Connection,
    account: AccountId,
    warehouse: i64,
    line: &ReceiveLine,
    cost: Option<Money>,
    currency: &str,
) -> StoreResult<()> {
    let lot = line.lot.as_deref().unwrap_or("");
    let held = held_stock(conn, account, line)?;
    let stock = held.receive(line.received_quantity, cost).map_err(|e| {
        StoreError::Internal(format!("stock of '{}': {e}", line.sku.as_str()).into())
    })?;
    conn.prepare_cached(
        "INSERT INTO inventory_levels (account_id, sku, warehouse_id, location_id, lot, on_hand, cost_units,
                                       cost_total_micros, currency_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN ?10 THEN ?9 END)
         ON CONFLICT (account_id, location_id, sku, lot) DO UPDATE SET
             on_hand = excluded.on_hand,
             cost_units = excluded.cost_units,
             cost_total_micros = excluded.cost_total_micros,
             currency_code = CASE
                 WHEN excluded.currency_code IS NULL THEN currency_code
                 WHEN currency_code IS NULL OR currency_code = excluded.currency_code THEN excluded.currency_code
                 ELSE '*' END",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            line.sku.as_str(),
            warehouse,
            line.location_id.0,
            lot,
            stock.on_hand,
            stock.cost_units,
            stock.cost_total.to_string(),
            currency,
            cost.is_some(),
        ])
    })
    .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Receiving for SqliteStore {
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
        self.write_once(account, once, move |c| {
            receive(c, &origin, id, &lines, &request_id, precondition.as_ref())
        })
        .await
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
        self.write_once(account, once, move |c| {
            reverse(c, &origin, id, receipt, &request_id, precondition.as_ref())
        })
        .await
    }

    #[tracing::instrument(name = "store.list_receipts", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn list_receipts(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        page: PageRequest,
    ) -> StoreResult<Page<Receipt>> {
        self.engine
            .read_now(move |c| ledger::list_receipts(c, account, id, &page))
    }

    #[tracing::instrument(name = "store.latest_receipts", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn latest_receipts(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        max_lines: usize,
        cancelled: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> StoreResult<crate::store::LatestReceipts> {
        // On a reader thread: reading up to `max_lines` rows is more than a lookup.
        self.engine
            .read(move |c| ledger::latest_receipts(c, account, id, max_lines, &cancelled))
            .await
    }
}

#[cfg(test)]
#[path = "receiving_migration_tests.rs"]
mod migration_tests;
