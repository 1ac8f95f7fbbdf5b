use rusqlite::{Connection, params};

use super::SqliteStore;
use super::rows::{all, one};
use super::{count, db, page_bounds, version_of};
use crate::domain::ids::{AccountId, LocationId, WarehouseId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::refusal::Refusal;
use crate::domain::version::{Precondition, Tag};
use crate::domain::warehouse::{Location, LocationChange, NewLocation, Warehouse, WarehouseInput};
use crate::store::Write;
use crate::store::rows::statement;
use crate::store::write::check;
use crate::store::{StoreError, StoreResult, found};
use crate::store::{Warehouses, rows};
use async_trait::async_trait;

pub fn create(
    conn: &Connection,
    account: AccountId,
    input: &WarehouseInput,
) -> StoreResult<Warehouse> {
    let now = crate::store::now().timestamp_micros();
    let a = input.address.clone().unwrap_or_default();
    conn.prepare_cached(
        "INSERT INTO inventory_warehouses (account_id, name, created_at, updated_at,
             address_line_1, address_line_2, city, state, postal_code, country_code)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            input.name,
            now,
            a.address_line_1,
            a.address_line_2,
            a.city,
            a.state,
            a.postal_code,
            a.country_code
        ])
    })
    .map_err(db)?;
    get(conn, account, WarehouseId(conn.last_insert_rowid()))
}

pub fn get(conn: &Connection, account: AccountId, id: WarehouseId) -> StoreResult<Warehouse> {
    one(
        conn,
        statement!(
            "SELECT {} FROM inventory_warehouses WHERE account_id = ?1 AND id = ?2",
            rows::warehouse::SQL
        ),
        params![account.0, id.0],
        |row| rows::read_warehouse(row),
    )
}

pub fn rename(
    conn: &Connection,
    account: AccountId,
    id: WarehouseId,
    input: &WarehouseInput,
    precondition: Option<&Precondition>,
) -> StoreResult<Tag> {
    let current = version_of(conn, "inventory_warehouses", account, id.0)?;
    check(precondition, Tag::of(current))?;
    let a = input.address.clone().unwrap_or_default();
    conn.prepare_cached(
        "UPDATE inventory_warehouses SET name = ?3, updated_at = ?4, version = ?5,
             address_line_1 = ?6, address_line_2 = ?7, city = ?8, state = ?9, postal_code = ?10,
             country_code = ?11
         WHERE account_id = ?1 AND id = ?2",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            id.0,
            input.name,
            crate::store::now().timestamp_micros(),
            current.next().0,
            a.address_line_1,
            a.address_line_2,
            a.city,
            a.state,
            a.postal_code,
            a.country_code
        ])
    })
    .map_err(db)?;
    Ok(Tag::of(current.next()))
}

/// Deletes a warehouse and its locations. Refused while a purchase order refers to it.
pub fn delete(
    conn: &Connection,
    account: AccountId,
    id: WarehouseId,
    _remove_inventory: bool,
) -> StoreResult<()> {
    get(conn, account, id)?;
    let orders: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM purchase_orders WHERE account_id = ?1 AND warehouse_id = ?2",
            params![account.0, id.0],
            |r| r.get(0),
        )
        .map_err(db)?;
    if orders > 0 {
        return Err(StoreError::rejected(Refusal::WarehouseInUse {
            warehouse: id,
            orders,
        }));
    }
    conn.execute(
        "DELETE FROM inventory_locations WHERE account_id = ?1 AND warehouse_id = ?2",
        params![account.0, id.0],
    )
    .map_err(db)?;
    conn.execute(
        "DELETE FROM inventory_warehouses WHERE account_id = ?1 AND id = ?2",
        params![account.0, id.0],
    )
    .map_err(db)?;
    Ok(())
}

pub fn list(
    conn: &Connection,
    account: AccountId,
    page: &PageRequest,
) -> StoreResult<Page<Warehouse>> {
    let total = count(
        conn,
        page,
        "SELECT COUNT(*) FROM inventory_warehouses WHERE account_id = ?1",
        &[&account.0],
    )?;
    let (after, limit, offset) = page_bounds(page);
    let warehouses = all(
        conn,
        statement!(
            "SELECT {} FROM inventory_warehouses
             WHERE account_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3 OFFSET ?4",
            rows::warehouse::SQL
        ),
        params![account.0, after, limit, offset],
        |row| rows::read_warehouse(row),
    )?;
    Ok(Page::from_rows(warehouses, page, total, |w| w.id.0))
}

pub fn create_location(
    conn: &Connection,
    account: AccountId,
    input: &NewLocation,
) -> StoreResult<Location> {
    if get(conn, account, input.warehouse_id).is_err() {
        return Err(StoreError::rejected(Refusal::UnknownLocationWarehouse(
            input.warehouse_id,
        )));
    }
    let now = crate::store::now().timestamp_micros();
    conn.prepare_cached(
        "INSERT INTO inventory_locations (account_id, warehouse_id, name, barcode, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )
    .and_then(|mut s| s.execute(params![account.0, input.warehouse_id.0, input.name, input.barcode, now]))
    .map_err(db)?;
    get_location(conn, account, LocationId(conn.last_insert_rowid()))
}

pub fn get_location(
    conn: &Connection,
    account: AccountId,
    id: LocationId,
) -> StoreResult<Location> {
    one(
        conn,
        statement!(
            "SELECT {} FROM inventory_locations WHERE account_id = ?1 AND id = ?2",
            rows::location::SQL
        ),
        params![account.0, id.0],
        |row| rows::read_location(row),
    )
}

pub fn update_location(
    conn: &Connection,
    account: AccountId,
    id: LocationId,
    change: LocationChange,
    precondition: Option<&Precondition>,
) -> StoreResult<Tag> {
    let current = get_location(conn, account, id)?;
    check(precondition, current.tag())?;
    let name = change.name.unwrap_or(current.name);
    let barcode = change.barcode.unwrap_or(current.barcode);
    let version = current.version.next();
    conn.prepare_cached(
        "UPDATE inventory_locations SET name = ?3, barcode = ?4, updated_at = ?5, version = ?6 WHERE account_id = ?1 AND id = ?2",
    )
    .and_then(|mut s| s.execute(params![account.0, id.0, name, barcode, crate::store::now().timestamp_micros(), version.0]))
    .map_err(db)?;
    Ok(Tag::of(version))
}

/// Deletes a location. Refused while receipts refer to it (the receipt ledger is never
/// rewritten), which also covers any stock, since stock only comes from receipts.
pub fn delete_location(
    conn: &Connection,
    account: AccountId,
    id: LocationId,
    _remove_inventory: bool,
) -> StoreResult<()> {
    get_location(conn, account, id)?;
    let receipts: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM receipt_lines WHERE location_id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .map_err(db)?;
    if receipts > 0 {
        return Err(StoreError::rejected(Refusal::LocationInUse {
            location: id,
            receipt_lines: receipts,
        }));
    }
    conn.execute(
        "DELETE FROM inventory_locations WHERE account_id = ?1 AND id = ?2",
        params![account.0, id.0],
    )
    .map_err(db)?;
    Ok(())
}

pub fn list_locations(
    conn: &Connection,
    account: AccountId,
    warehouse: Option<WarehouseId>,
    page: &PageRequest,
) -> StoreResult<Page<Location>> {
    let warehouse = warehouse.map(|w| w.0);
    let total = count(
        conn,
        page,
        "SELECT COUNT(*) FROM inventory_locations WHERE account_id = ?1 AND (?2 IS NULL OR warehouse_id = ?2)",
        &[&account.0, &warehouse],
    )?;
    let (after, limit, offset) = page_bounds(page);
    let locations = all(
        conn,
        statement!(
            "SELECT {} FROM inventory_locations
             WHERE account_id = ?1 AND (?2 IS NULL OR warehouse_id = ?2) AND id < ?3
             ORDER BY id DESC LIMIT ?4 OFFSET ?5",
            rows::location::SQL
        ),
        params![account.0, warehouse, after, limit, offset],
        |row| rows::read_location(row),
    )?;
    Ok(Page::from_rows(locations, page, total, |l| l.id.0))
}

#[async_trait]
impl Warehouses for SqliteStore {
    #[tracing::instrument(name = "store.create_warehouse", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_warehouse(
        &self,
        w: Write<Warehouse>,
        input: WarehouseInput,
    ) -> StoreResult<Warehouse> {
        let account = w.account;
        self.write_once(account, w.once, move |c| create(c, account, &input))
            .await
    }

    #[tracing::instrument(name = "store.get_warehouse", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_warehouse(
        &self,
        account: AccountId,
        id: WarehouseId,
    ) -> StoreResult<Option<Warehouse>> {
        found(self.engine.read_now(move |c| get(c, account, id)))
    }

    #[tracing::instrument(name = "store.rename_warehouse", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn rename_warehouse(
        &self,
        w: Write<Tag>,
        id: WarehouseId,
        input: WarehouseInput,
    ) -> StoreResult<Tag> {
        let Write {
            account,
            precondition,
            once,
            ..
        } = w;
        self.write_once(account, once, move |c| {
            rename(c, account, id, &input, precondition.as_ref())
        })
        .await
    }

    #[tracing::instrument(name = "store.delete_warehouse", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn delete_warehouse(
        &self,
        account: AccountId,
        id: WarehouseId,
        remove_inventory: bool,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| delete(c, account, id, remove_inventory))
            .await
    }

    #[tracing::instrument(name = "store.list_warehouses", level = "debug", skip_all, fields(account = %account))]
    async fn list_warehouses(
        &self,
        account: AccountId,
        page: PageRequest,
    ) -> StoreResult<Page<Warehouse>> {
        self.engine.read(move |c| list(c, account, &page)).await
    }

    #[tracing::instrument(name = "store.create_location", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_location(
        &self,
        w: Write<Location>,
        input: NewLocation,
    ) -> StoreResult<Location> {
        let account = w.account;
        self.write_once(account, w.once, move |c| {
            create_location(c, account, &input)
        })
        .await
    }

    #[tracing::instrument(name = "store.get_location", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_location(
        &self,
        account: AccountId,
        id: LocationId,
    ) -> StoreResult<Option<Location>> {
        found(self.engine.read_now(move |c| get_location(c, account, id)))
    }

    #[tracing::instrument(name = "store.update_location", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn update_location(
        &self,
        w: Write<Tag>,
        id: LocationId,
        change: LocationChange,
    ) -> StoreResult<Tag> {
        let Write {
            account,
            precondition,
            once,
            ..
        } = w;
        self.write_once(account, once, move |c| {
            update_location(c, account, id, change.clone(), precondition.as_ref())
        })
        .await
    }

    #[tracing::instrument(name = "store.delete_location", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn delete_location(
        &self,
        account: AccountId,
        id: LocationId,
        remove_inventory: bool,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| delete_location(c, account, id, remove_inventory))
            .await
    }

    #[tracing::instrument(name = "store.list_locations", level = "debug", skip_all, fields(account = %account))]
    async fn list_locations(
        &self,
        account: AccountId,
        warehouse: Option<WarehouseId>,
        page: PageRequest,
    ) -> StoreResult<Page<Location>> {
        self.engine
            .read(move |c| list_locations(c, account, warehouse, &page))
            .await
    }
}
