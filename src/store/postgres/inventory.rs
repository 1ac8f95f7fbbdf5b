//! Stock levels: what receipts have put in each location, by SKU and lot, read and summed.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use super::{db, page_bounds};
use crate::domain::ids::AccountId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::receipt::{GroupBy, InventoryFilter, InventoryLevel};
use crate::store::{Inventory, StoreResult, rows};

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
    let found = sqlx::query(&format!(
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
    let levels = found
        .iter()
        .map(|r| rows::stock_level(r, filter.group_by, |text| text.parse().map_err(drop)))
        .collect::<StoreResult<Vec<_>>>()?;
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
