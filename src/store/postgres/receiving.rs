//! Receiving: the receipt ledger, the per-line counters and the stock they raise, in one
//! transaction. The order row and its lines are locked (`FOR UPDATE`) before anything is checked,
//! so concurrent receipts of one order, from any process, queue up and each is checked against
//! what the previous ones left: an order is never over-received.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::{db, page_bounds};
use crate::domain::ids::{AccountId, LocationId, PurchaseOrderId, ReceiptId, WarehouseId};
use crate::domain::money::{CurrencyCode, Money};
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::Sku;
use crate::domain::receipt::{
    GroupBy, InventoryFilter, InventoryLevel, Receipt, ReceiptLine, ReceiveLine,
};
use crate::domain::status::Status;
use crate::store::receiving_rules::{self, OrderLine};
use crate::store::{Rule, StoreError, StoreResult, now};

pub async fn receive(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
    lines: &[ReceiveLine],
    request_id: &str,
) -> StoreResult<Status> {
    let header = sqlx::query(
        "SELECT status, warehouse_id, currency_code FROM purchase_orders WHERE account_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let status: String = header.try_get(0).map_err(db)?;
    let warehouse: i64 = header.try_get(1).map_err(db)?;
    let currency: String = header.try_get(2).map_err(db)?;
    let status: Status = status
        .parse()
        .map_err(|()| StoreError::Internal(format!("bad status '{status}'")))?;
    if !matches!(status, Status::Open | Status::Receiving) {
        return Err(StoreError::rejected(
            Rule::InvalidStatus,
            None,
            None,
            format!(
                "purchase order {id} is '{status}'; products can be received only while 'open' or 'receiving'"
            ),
        ));
    }

    let mut order_lines: HashMap<String, OrderLine> = sqlx::query(
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

    let locations = location_warehouses(conn, account, lines).await?;
    let problems = receiving_rules::check(
        id,
        WarehouseId(warehouse),
        lines,
        &locations,
        &mut order_lines,
    );
    if !problems.is_empty() {
        return Err(StoreError::Rejected(problems));
    }

    let now = now();
    let receipt: i64 = sqlx::query_scalar(
        "INSERT INTO receipts (account_id, purchase_order_id, request_id, received_at) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(account.0)
    .bind(id.0)
    .bind(request_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;

    for (line_no, line) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO receipt_lines (receipt_id, line_no, sku, location_id, received_quantity, rejected_quantity,
                                        lot, expiration_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(receipt)
        .bind(line_no as i64)
        .bind(line.sku.as_str())
        .bind(line.location_id.0)
        .bind(line.received_quantity)
        .bind(line.rejected_quantity)
        .bind(&line.lot)
        .bind(line.expiration_date)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        sqlx::query(
            "UPDATE purchase_order_lines
             SET received_quantity = received_quantity + $3, rejected_quantity = rejected_quantity + $4
             WHERE purchase_order_id = $1 AND sku = $2",
        )
        .bind(id.0)
        .bind(line.sku.as_str())
        .bind(line.received_quantity)
        .bind(line.rejected_quantity)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        if line.received_quantity > 0 {
            let cost = order_lines
                .get(line.sku.as_str())
                .and_then(|l| l.cost_micros);
            let (cost_units, cost_total) = match cost {
                Some(unit) => (line.received_quantity, line.received_quantity * unit),
                None => (0, 0),
            };
            sqlx::query(
                "INSERT INTO inventory_levels AS il (account_id, sku, warehouse_id, location_id, lot, on_hand,
                                                     cost_units, cost_total_micros, currency_code)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 > 0 THEN $9::text END)
                 ON CONFLICT (account_id, location_id, sku, lot) DO UPDATE SET
                     on_hand = il.on_hand + excluded.on_hand,
                     cost_units = il.cost_units + excluded.cost_units,
                     cost_total_micros = il.cost_total_micros + excluded.cost_total_micros,
                     currency_code = CASE
                         WHEN excluded.currency_code IS NULL THEN il.currency_code
                         WHEN il.currency_code IS NULL OR il.currency_code = excluded.currency_code
                             THEN excluded.currency_code
                         ELSE '*' END",
            )
            .bind(account.0)
            .bind(line.sku.as_str())
            .bind(warehouse)
            .bind(line.location_id.0)
            .bind(line.lot.as_deref().unwrap_or(""))
            .bind(line.received_quantity)
            .bind(cost_units)
            .bind(cost_total)
            .bind(&currency)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        }
    }

    let complete = receiving_rules::complete(&order_lines);
    let next = if complete {
        Status::Received
    } else {
        Status::Receiving
    };
    sqlx::query("UPDATE purchase_orders SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0)
        .bind(next.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if next != status {
        super::purchase_orders::count_status(conn, account, status, next).await?;
    }
    Ok(next)
}

/// The warehouse of each entry's location (`None` when it is not a location of the account).
/// Each location is key-share locked, so it cannot be deleted before this receipt commits.
async fn location_warehouses(
    conn: &mut PgConnection,
    account: AccountId,
    lines: &[ReceiveLine],
) -> StoreResult<Vec<Option<WarehouseId>>> {
    let mut warehouses = Vec::with_capacity(lines.len());
    for line in lines {
        let warehouse: Option<i64> = sqlx::query_scalar(
            "SELECT warehouse_id FROM inventory_locations WHERE account_id = $1 AND id = $2 FOR KEY SHARE",
        )
        .bind(account.0)
        .bind(line.location_id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        warehouses.push(warehouse.map(WarehouseId));
    }
    Ok(warehouses)
}

pub async fn list_receipts(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
) -> StoreResult<Vec<Receipt>> {
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
    let rows = sqlx::query(
        "SELECT r.id, r.request_id, r.received_at, l.sku, l.location_id, loc.name, l.received_quantity,
                l.rejected_quantity, l.lot, l.expiration_date
         FROM receipts r
         JOIN receipt_lines l ON l.receipt_id = r.id
         JOIN inventory_locations loc ON loc.id = l.location_id
         WHERE r.purchase_order_id = $1
         ORDER BY r.id, l.line_no",
    )
    .bind(id.0)
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
            sku: Sku::parse(&sku).map_err(|_| StoreError::Internal(format!("bad sku '{sku}'")))?,
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
    Ok(receipts)
}

pub async fn list_inventory(
    conn: &mut PgConnection,
    account: AccountId,
    filter: &InventoryFilter,
    page: &PageRequest,
) -> StoreResult<Page<InventoryLevel>> {
    let group = match filter.group_by {
        GroupBy::Location => "sku, location_id",
        GroupBy::Warehouse => "sku, warehouse_id",
    };
    let filters = "account_id = $1 AND ($2::text IS NULL OR sku = $2) AND ($3::bigint IS NULL OR warehouse_id = $3)
                   AND ($4::bigint IS NULL OR location_id = $4)";
    let sku = filter.sku.as_deref();
    let warehouse = filter.warehouse_id.map(|w| w.0);
    let location = filter.location_id.map(|l| l.0);
    let total = match page.known_total() {
        Some(total) => total,
        None => sqlx::query_scalar::<_, i64>(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM inventory_levels WHERE {filters} GROUP BY {group}) AS groups"
        ))
        .bind(account.0)
        .bind(sku)
        .bind(warehouse)
        .bind(location)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)? as u64,
    };
    let (after, limit, offset) = page_bounds(page);
    // A group is identified by the id of its first stock row: stable, unique, newest first.
    let rows = sqlx::query(&format!(
        "SELECT MIN(id) AS first_id, sku, MIN(warehouse_id), MIN(location_id), SUM(on_hand)::bigint,
                SUM(cost_units)::bigint, SUM(cost_total_micros)::bigint, MIN(currency_code),
                COUNT(DISTINCT currency_code)
         FROM inventory_levels WHERE {filters}
         GROUP BY {group} HAVING MIN(id) < $5
         ORDER BY first_id DESC LIMIT $6 OFFSET $7"
    ))
    .bind(account.0)
    .bind(sku)
    .bind(warehouse)
    .bind(location)
    .bind(after)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut levels = Vec::with_capacity(rows.len());
    for r in &rows {
        let first_id: i64 = r.try_get(0).map_err(db)?;
        let sku: String = r.try_get(1).map_err(db)?;
        let cost_units: i64 = r.try_get(5).map_err(db)?;
        let cost_total: i64 = r.try_get(6).map_err(db)?;
        let currency: Option<String> = r.try_get(7).map_err(db)?;
        let currencies: i64 = r.try_get(8).map_err(db)?;
        let average_cost = match (currency, currencies) {
            (Some(code), 1) if cost_units > 0 && code != "*" => {
                let code = CurrencyCode::parse(&code)
                    .map_err(|_| StoreError::Internal(format!("bad currency '{code}'")))?;
                Some((
                    Money::from_micros((cost_total + cost_units / 2) / cost_units),
                    code,
                ))
            }
            _ => None,
        };
        let level = InventoryLevel {
            sku: Sku::parse(&sku).map_err(|_| StoreError::Internal(format!("bad sku '{sku}'")))?,
            warehouse_id: WarehouseId(r.try_get(2).map_err(db)?),
            location_id: (filter.group_by == GroupBy::Location)
                .then_some(LocationId(r.try_get(3).map_err(db)?)),
            on_hand: r.try_get(4).map_err(db)?,
            allocated: 0,
            average_cost,
        };
        levels.push((first_id, level));
    }
    Ok(Page::from_rows(levels, page, total, |(first_id, _)| *first_id).map(|(_, level)| level))
}
