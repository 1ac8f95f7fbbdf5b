use sqlx::PgConnection;

use super::PgStore;
use super::{db, page_bounds};
use crate::domain::ids::{AccountId, LocationId, WarehouseId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::refusal::Refusal;
use crate::domain::version::{Precondition, Tag, Version};
use crate::domain::warehouse::{Location, LocationChange, NewLocation, Warehouse, WarehouseInput};
use crate::store::Write;
use crate::store::write::check;
use crate::store::{StoreError, StoreResult, found, now};
use crate::store::{Warehouses, rows};
use async_trait::async_trait;

const WAREHOUSE_COLUMNS: &str = rows::warehouse::SQL;
const LOCATION_COLUMNS: &str = rows::location::SQL;

pub async fn create(
    conn: &mut PgConnection,
    account: AccountId,
    input: &WarehouseInput,
) -> StoreResult<Warehouse> {
    let a = input.address.clone().unwrap_or_default();
    let row = sqlx::query(&format!(
        "INSERT INTO inventory_warehouses (account_id, name, created_at, updated_at,
             address_line_1, address_line_2, city, state, postal_code, country_code)
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9)
         RETURNING {WAREHOUSE_COLUMNS}"
    ))
    .bind(account.0)
    .bind(&input.name)
    .bind(now())
    .bind(a.address_line_1)
    .bind(a.address_line_2)
    .bind(a.city)
    .bind(a.state)
    .bind(a.postal_code)
    .bind(a.country_code)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    rows::read_warehouse(&row)
}

pub async fn get(
    conn: &mut PgConnection,
    account: AccountId,
    id: WarehouseId,
) -> StoreResult<Warehouse> {
    find(conn, account, id, "").await
}

/// Reads a warehouse, with `lock` appended (`FOR UPDATE`, `FOR KEY SHARE`) when the caller's
/// transaction depends on it staying as read.
async fn find(
    conn: &mut PgConnection,
    account: AccountId,
    id: WarehouseId,
    lock: &str,
) -> StoreResult<Warehouse> {
    sqlx::query(&format!("SELECT {WAREHOUSE_COLUMNS} FROM inventory_warehouses WHERE account_id = $1 AND id = $2 {lock}"))
        .bind(account.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .map(|row| rows::read_warehouse(&row))
        .transpose()?
        .ok_or(StoreError::NotFound)
}

/// Whether the warehouse exists, holding a key-share lock on it until the transaction ends so
/// that a concurrent delete waits for (and then sees) what this transaction adds to it.
pub async fn exists_locked(
    conn: &mut PgConnection,
    account: AccountId,
    id: WarehouseId,
) -> StoreResult<bool> {
    match find(conn, account, id, "FOR KEY SHARE").await {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(err) => Err(err),
    }
}

pub async fn rename(
    conn: &mut PgConnection,
    account: AccountId,
    id: WarehouseId,
    input: &WarehouseInput,
    precondition: Option<&Precondition>,
) -> StoreResult<Tag> {
    if precondition.is_some() {
        let current = find(conn, account, id, "FOR UPDATE").await?;
        check(precondition, current.tag())?;
    }
    let a = input.address.clone().unwrap_or_default();
    let version: i64 = sqlx::query_scalar(
        "UPDATE inventory_warehouses SET name = $3, updated_at = $4, version = version + 1,
             address_line_1 = $5, address_line_2 = $6, city = $7, state = $8, postal_code = $9,
             country_code = $10
         WHERE account_id = $1 AND id = $2
         RETURNING version",
    )
    .bind(account.0)
    .bind(id.0)
    .bind(&input.name)
    .bind(now())
    .bind(a.address_line_1)
    .bind(a.address_line_2)
    .bind(a.city)
    .bind(a.state)
    .bind(a.postal_code)
    .bind(a.country_code)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    Ok(Tag::of(Version(version)))
}

/// Deletes a warehouse and its locations. Refused while a purchase order refers to it.
///
/// The row lock (`FOR UPDATE`) waits for every transaction that key-share locked the warehouse
/// to add an order or a location to it, so the count below sees their rows.
pub async fn delete(
    conn: &mut PgConnection,
    account: AccountId,
    id: WarehouseId,
    _remove_inventory: bool,
) -> StoreResult<()> {
    find(conn, account, id, "FOR UPDATE").await?;
    let orders: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM purchase_orders WHERE account_id = $1 AND warehouse_id = $2",
    )
    .bind(account.0)
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if orders > 0 {
        return Err(StoreError::rejected(Refusal::WarehouseInUse {
            warehouse: id,
            orders,
        }));
    }
    sqlx::query("DELETE FROM inventory_locations WHERE account_id = $1 AND warehouse_id = $2")
        .bind(account.0)
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query("DELETE FROM inventory_warehouses WHERE account_id = $1 AND id = $2")
        .bind(account.0)
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

pub async fn list(
    conn: &mut PgConnection,
    account: AccountId,
    page: &PageRequest,
) -> StoreResult<Page<Warehouse>> {
    let total = match page.known_total() {
        Some(total) => total,
        None => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM inventory_warehouses WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)? as u64,
    };
    let (after, limit, offset) = page_bounds(page);
    let rows = sqlx::query(&format!(
        "SELECT {WAREHOUSE_COLUMNS} FROM inventory_warehouses
         WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(account.0)
    .bind(after)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(rows::read_warehouse)
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, total, |w| w.id.0))
}

pub async fn create_location(
    conn: &mut PgConnection,
    account: AccountId,
    input: &NewLocation,
) -> StoreResult<Location> {
    if !exists_locked(conn, account, input.warehouse_id).await? {
        return Err(StoreError::rejected(Refusal::UnknownLocationWarehouse(
            input.warehouse_id,
        )));
    }
    let row = sqlx::query(&format!(
        "INSERT INTO inventory_locations (account_id, warehouse_id, name, barcode, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING {LOCATION_COLUMNS}"
    ))
    .bind(account.0)
    .bind(input.warehouse_id.0)
    .bind(&input.name)
    .bind(&input.barcode)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    rows::read_location(&row)
}

pub async fn get_location(
    conn: &mut PgConnection,
    account: AccountId,
    id: LocationId,
) -> StoreResult<Location> {
    find_location(conn, account, id, "").await
}

async fn find_location(
    conn: &mut PgConnection,
    account: AccountId,
    id: LocationId,
    lock: &str,
) -> StoreResult<Location> {
    sqlx::query(&format!("SELECT {LOCATION_COLUMNS} FROM inventory_locations WHERE account_id = $1 AND id = $2 {lock}"))
        .bind(account.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .map(|row| rows::read_location(&row))
        .transpose()?
        .ok_or(StoreError::NotFound)
}

pub async fn update_location(
    conn: &mut PgConnection,
    account: AccountId,
    id: LocationId,
    change: LocationChange,
    precondition: Option<&Precondition>,
) -> StoreResult<Tag> {
    // Locked: two partial updates (one the name, one the barcode) must not undo each other.
    let current = find_location(conn, account, id, "FOR UPDATE").await?;
    check(precondition, current.tag())?;
    let name = change.name.unwrap_or(current.name);
    let barcode = change.barcode.unwrap_or(current.barcode);
    sqlx::query(
        "UPDATE inventory_locations SET name = $3, barcode = $4, updated_at = $5, version = $6
         WHERE account_id = $1 AND id = $2",
    )
    .bind(account.0)
    .bind(id.0)
    .bind(name)
    .bind(barcode)
    .bind(now())
    .bind(current.version.next().0)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(Tag::of(current.version.next()))
}

/// Deletes a location. Refused while receipts refer to it (the receipt ledger is never
/// rewritten), which also covers any stock, since stock only comes from receipts. The row lock
/// waits for a receipt in flight that key-share locked the location, so the count sees it.
pub async fn delete_location(
    conn: &mut PgConnection,
    account: AccountId,
    id: LocationId,
    _remove_inventory: bool,
) -> StoreResult<()> {
    find_location(conn, account, id, "FOR UPDATE").await?;
    let receipts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM receipt_lines WHERE location_id = $1")
            .bind(id.0)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    if receipts > 0 {
        return Err(StoreError::rejected(Refusal::LocationInUse {
            location: id,
            receipt_lines: receipts,
        }));
    }
    sqlx::query("DELETE FROM inventory_locations WHERE account_id = $1 AND id = $2")
        .bind(account.0)
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

pub async fn list_locations(
    conn: &mut PgConnection,
    account: AccountId,
    warehouse: Option<WarehouseId>,
    page: &PageRequest,
) -> StoreResult<Page<Location>> {
    let warehouse = warehouse.map(|w| w.0);
    let total = match page.known_total() {
        Some(total) => total,
        None => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM inventory_locations WHERE account_id = $1 AND ($2::bigint IS NULL OR warehouse_id = $2)",
        )
        .bind(account.0)
        .bind(warehouse)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)? as u64,
    };
    let (after, limit, offset) = page_bounds(page);
    let rows = sqlx::query(&format!(
        "SELECT {LOCATION_COLUMNS} FROM inventory_locations
         WHERE account_id = $1 AND ($2::bigint IS NULL OR warehouse_id = $2) AND id < $3
         ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(account.0)
    .bind(warehouse)
    .bind(after)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(rows::read_location)
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, total, |l| l.id.0))
}

#[async_trait]
impl Warehouses for PgStore {
    #[tracing::instrument(name = "store.create_warehouse", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_warehouse(
        &self,
        w: Write<Warehouse>,
        input: WarehouseInput,
    ) -> StoreResult<Warehouse> {
        let account = w.account;
        write_once!(self, account, w.once, |tx| create(&mut tx, account, &input)
            .await)
    }

    #[tracing::instrument(name = "store.get_warehouse", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_warehouse(
        &self,
        account: AccountId,
        id: WarehouseId,
    ) -> StoreResult<Option<Warehouse>> {
        found(read!(self, |conn| get(&mut conn, account, id).await))
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
        write_once!(self, account, once, |tx| rename(
            &mut tx,
            account,
            id,
            &input,
            precondition.as_ref()
        )
        .await)
    }

    #[tracing::instrument(name = "store.delete_warehouse", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn delete_warehouse(
        &self,
        account: AccountId,
        id: WarehouseId,
        remove_inventory: bool,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| delete(&mut tx, account, id, remove_inventory)
            .await)
    }

    #[tracing::instrument(name = "store.list_warehouses", level = "debug", skip_all, fields(account = %account))]
    async fn list_warehouses(
        &self,
        account: AccountId,
        page: PageRequest,
    ) -> StoreResult<Page<Warehouse>> {
        read!(self, |conn| list(&mut conn, account, &page).await)
    }

    #[tracing::instrument(name = "store.create_location", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_location(
        &self,
        w: Write<Location>,
        input: NewLocation,
    ) -> StoreResult<Location> {
        let account = w.account;
        write_once!(self, account, w.once, |tx| create_location(
            &mut tx, account, &input
        )
        .await)
    }

    #[tracing::instrument(name = "store.get_location", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_location(
        &self,
        account: AccountId,
        id: LocationId,
    ) -> StoreResult<Option<Location>> {
        found(read!(self, |conn| get_location(&mut conn, account, id).await))
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
        write_once!(self, account, once, |tx| update_location(
            &mut tx,
            account,
            id,
            change.clone(),
            precondition.as_ref()
        )
        .await)
    }

    #[tracing::instrument(name = "store.delete_location", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn delete_location(
        &self,
        account: AccountId,
        id: LocationId,
        remove_inventory: bool,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| delete_location(
            &mut tx,
            account,
            id,
            remove_inventory
        )
        .await)
    }

    #[tracing::instrument(name = "store.list_locations", level = "debug", skip_all, fields(account = %account))]
    async fn list_locations(
        &self,
        account: AccountId,
        warehouse: Option<WarehouseId>,
        page: PageRequest,
    ) -> StoreResult<Page<Location>> {
        read!(self, |conn| list_locations(
            &mut conn, account, warehouse, &page
        )
        .await)
    }
}
