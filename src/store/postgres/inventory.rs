//! Stock levels: what receipts have put in each location, by SKU and lot, read and summed.

use async_trait::async_trait;
use sqlx::{PgConnection, Row};

use super::PgStore;
use super::{db, page_bounds};
use crate::domain::ids::{AccountId, LocationId, WarehouseId};
use crate::domain::money::CurrencyCode;
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::Sku;
use crate::domain::receipt::{GroupBy, InventoryFilter, InventoryLevel};
use crate::domain::stock::Stock;
use crate::store::{Inventory, StoreError, StoreResult};

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
                SUM(cost_units)::bigint, SUM(cost_total_micros)::text, MIN(currency_code),
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
        let cost_total: String = r.try_get(6).map_err(db)?;
        let stock = Stock {
            on_hand: r.try_get(4).map_err(db)?,
            cost_units: r.try_get(5).map_err(db)?,
            cost_total: cost_total.parse().map_err(|_| {
                StoreError::Internal(format!("bad stock value '{cost_total}'").into())
            })?,
        };
        let currency: Option<String> = r.try_get(7).map_err(db)?;
        let currencies: i64 = r.try_get(8).map_err(db)?;
        let average_cost = match (currency, currencies) {
            (Some(code), 1) if code != "*" => {
                let code = CurrencyCode::parse(&code)
                    .map_err(|_| StoreError::Internal(format!("bad currency '{code}'").into()))?;
                stock
                    .average_cost()
                    .map_err(|e| StoreError::Internal(format!("stock of '{sku}': {e}").into()))?
                    .map(|cost| (cost, code))
            }
            _ => None,
        };
        let level = InventoryLevel {
            sku: Sku::parse(&sku)
                .map_err(|_| StoreError::Internal(format!("bad sku '{sku}'").into()))?,
            warehouse_id: WarehouseId(r.try_get(2).map_err(db)?),
            location_id: (filter.group_by == GroupBy::Location)
                .then_some(LocationId(r.try_get(3).map_err(db)?)),
            on_hand: stock.on_hand,
            allocated: 0,
            average_cost,
        };
        levels.push((first_id, level));
    }
    Ok(Page::from_rows(levels, page, total, |(first_id, _)| *first_id).map(|(_, level)| level))
}

#[async_trait]
impl Inventory for PgStore {
    #[tracing::instrument(name = "store.list_inventory", level = "debug", skip_all, fields(account = %account))]
    async fn list_inventory(
        &self,
        account: AccountId,
        filter: InventoryFilter,
        page: PageRequest,
    ) -> StoreResult<Page<InventoryLevel>> {
        read!(self, |conn| list_inventory(
            &mut conn, account, &filter, &page
        )
        .await)
    }
}
