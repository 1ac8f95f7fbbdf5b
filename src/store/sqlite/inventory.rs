//! Stock levels: what receipts have put in each location, by SKU and lot, read and summed.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::SqliteStore;
use super::rows::all;
use super::{db, page_bounds};
use crate::domain::ids::AccountId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::receipt::{GroupBy, InventoryFilter, InventoryLevel};
use crate::domain::stock::StockValue;
use crate::store::{Inventory, StoreResult, rows};

pub fn list_inventory(
    conn: &Connection,
    account: AccountId,
    filter: &InventoryFilter,
    page: &PageRequest,
) -> StoreResult<Page<InventoryLevel>> {
    let group = match filter.group_by {
        GroupBy::Location => "sku, location_id",
        GroupBy::Warehouse => "sku, warehouse_id",
    };
    let filters =
        "account_id = ?1 AND (?2 IS NULL OR sku = ?2) AND (?3 IS NULL OR warehouse_id = ?3)
                   AND (?4 IS NULL OR location_id = ?4)";
    let args = (
        account.0,
        filter.sku.as_deref(),
        filter.warehouse_id.map(|w| w.0),
        filter.location_id.map(|l| l.0),
    );
    let total = match page.known_total() {
        Some(total) => total,
        None => conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM inventory_levels WHERE {filters} GROUP BY {group})"))
            .and_then(|mut s| s.query_row(params![args.0, args.1, args.2, args.3], |r| r.get::<_, i64>(0)))
            .map_err(db)? as u64,
    };
    let (after, limit, offset) = page_bounds(page);
    // A group is identified by the id of its first stock row: stable, unique, newest first.
    let levels = all(
        conn,
        &format!(
            "SELECT MIN(id) AS first_id, sku, warehouse_id, MIN(location_id), SUM(on_hand), SUM(cost_units),
                    GROUP_CONCAT(cost_total_micros), MIN(currency_code), COUNT(DISTINCT currency_code)
             FROM inventory_levels WHERE {filters}
             GROUP BY {group} HAVING MIN(id) < ?5
             ORDER BY first_id DESC LIMIT ?6 OFFSET ?7"
        ),
        params![args.0, args.1, args.2, args.3, after, limit, offset],
        |r| rows::stock_level(r, filter.group_by, sum_values),
    )?;
    Ok(Page::from_rows(levels, page, total, |(first_id, _)| *first_id).map(|(_, level)| level))
}

/// The exact sum of a group's stock values, which `GROUP_CONCAT` lists comma-separated: SQLite has
/// no integer wider than 64 bits, so a wider sum is done here.
fn sum_values(list: &str) -> Result<StockValue, ()> {
    list.split(',').try_fold(StockValue::ZERO, |sum, value| {
        sum.checked_add(value.parse().map_err(|_| ())?).ok_or(())
    })
}

#[async_trait]
impl Inventory for SqliteStore {
    #[tracing::instrument(name = "store.list_inventory", level = "debug", skip_all, fields(account = %account))]
    async fn list_inventory(
        &self,
        account: AccountId,
        filter: InventoryFilter,
        page: PageRequest,
    ) -> StoreResult<Page<InventoryLevel>> {
        self.engine
            .read(move |c| list_inventory(c, account, &filter, &page))
            .await
    }
}
