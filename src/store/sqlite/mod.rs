//! The embedded default store: one SQLite file in WAL mode, fsynced on every commit.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, ErrorCode, Row};

use super::key_cache::KeyCache;
use super::{Store, StoreError, StoreResult};
use crate::domain::account::{ApiKeyInfo, NewApiKey};
use crate::domain::ids::{
    AccountId, ApiKeyId, LocationId, PurchaseOrderId, SupplierId, WarehouseId,
};
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::{
    PurchaseOrder, PurchaseOrderFilter, PurchaseOrderInput, PurchaseOrderSummary,
    ShippingDetailsPatch,
};
use crate::domain::receipt::{InventoryFilter, InventoryLevel, Receipt, ReceiveLine};
use crate::domain::status::Status;
use crate::domain::supplier::{Supplier, SupplierInput};
use crate::domain::warehouse::{Location, LocationChange, NewLocation, Warehouse};

mod accounts;
mod engine;

pub use engine::{keep_read_snapshots, release_read_snapshots};
pub(crate) mod migrate;
mod purchase_orders;
mod receiving;
mod suppliers;
mod warehouses;

use engine::Engine;

/// Reader threads: enough to overlap reads with the writer on a small machine.
const READERS: usize = 3;

pub struct SqliteStore {
    engine: Engine,
    keys: KeyCache,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut conn = engine::open(path, false)?;
        migrate::run(&mut conn)?;
        drop(conn);
        Ok(Self {
            engine: Engine::start(path, READERS)?,
            keys: KeyCache::default(),
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Turns a `sqlite:` URL or a plain path into a file path.
pub fn path_from_url(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// A failure of the database itself (locked, full, unreadable): the request may be retried.
fn unavailable(err: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

/// Maps an error from a query: busy and I/O conditions are `Unavailable`, anything else is a bug.
fn db(err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen,
        ) => StoreError::Unavailable(err.to_string()),
        _ => StoreError::Internal(err.to_string()),
    }
}

/// Parses a text column where it lies in SQLite's row, without copying it into a `String`
/// first. A value `parse` refuses is one this program never writes: a damaged database.
fn parse_text<T, E>(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T> {
    let conversion = |message: String| {
        rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, message.into())
    };
    let raw = row
        .get_ref(idx)?
        .as_str()
        .map_err(|e| conversion(format!("{what}: {e}")))?;
    parse(raw).map_err(|_| conversion(format!("bad {what} '{raw}' in the database")))
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn time(micros: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Internal(format!("bad timestamp {micros}")))
}

fn opt_time(micros: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    micros.map(time).transpose()
}

/// Runs `COUNT(*)` for a list unless a cursor already carries the total.
fn count(
    conn: &Connection,
    page: &PageRequest,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> StoreResult<u64> {
    if let Some(total) = page.known_total() {
        return Ok(total);
    }
    let total: i64 = conn
        .prepare_cached(sql)
        .map_err(db)?
        .query_row(params, |row| row.get(0))
        .map_err(db)?;
    Ok(total as u64)
}

fn page_bounds(page: &PageRequest) -> (i64, i64, i64) {
    (
        page.after_id().unwrap_or(i64::MAX),
        page.size as i64 + 1,
        page.offset() as i64,
    )
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_account(&self, key: NewApiKey) -> StoreResult<(AccountId, ApiKeyId)> {
        self.engine
            .write(move |c| accounts::create_account(c, &key))
            .await
    }

    async fn create_key(&self, account: AccountId, key: NewApiKey) -> StoreResult<ApiKeyId> {
        self.engine
            .write(move |c| accounts::create_key(c, account, &key))
            .await
    }

    async fn list_keys(&self) -> StoreResult<Vec<ApiKeyInfo>> {
        self.engine.read(accounts::list_keys).await
    }

    async fn revoke_key(&self, id: ApiKeyId) -> StoreResult<()> {
        let revoked = self
            .engine
            .write(move |c| accounts::revoke_key(c, id))
            .await;
        self.keys.forget_all();
        revoked
    }

    async fn account_for_key(&self, hash: [u8; 32]) -> StoreResult<Option<AccountId>> {
        self.keys
            .account_for(hash, async {
                self.engine
                    .read_now(move |c| accounts::account_for_key(c, &hash))
            })
            .await
    }

    async fn create_first_account(
        &self,
        key: NewApiKey,
    ) -> StoreResult<Option<(AccountId, ApiKeyId)>> {
        // The write transaction (BEGIN IMMEDIATE) excludes every other writer, in any process.
        self.engine
            .write(move |c| {
                if accounts::has_accounts(c)? {
                    return Ok(None);
                }
                accounts::create_account(c, &key).map(Some)
            })
            .await
    }

    async fn has_accounts(&self) -> StoreResult<bool> {
        self.engine.read(accounts::has_accounts).await
    }

    async fn create_supplier(
        &self,
        account: AccountId,
        input: SupplierInput,
    ) -> StoreResult<SupplierId> {
        self.engine
            .write(move |c| suppliers::create(c, account, &input))
            .await
    }

    async fn get_supplier(&self, account: AccountId, id: SupplierId) -> StoreResult<Supplier> {
        self.engine
            .read_now(move |c| suppliers::get(c, account, id))
    }

    async fn update_supplier(
        &self,
        account: AccountId,
        id: SupplierId,
        input: SupplierInput,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| suppliers::update(c, account, id, &input))
            .await
    }

    async fn list_suppliers(
        &self,
        account: AccountId,
        name_contains: Option<String>,
        page: PageRequest,
    ) -> StoreResult<Page<Supplier>> {
        self.engine
            .read(move |c| suppliers::list(c, account, name_contains.as_deref(), &page))
            .await
    }

    async fn create_warehouse(&self, account: AccountId, name: String) -> StoreResult<Warehouse> {
        self.engine
            .write(move |c| warehouses::create(c, account, &name))
            .await
    }

    async fn get_warehouse(&self, account: AccountId, id: WarehouseId) -> StoreResult<Warehouse> {
        self.engine
            .read_now(move |c| warehouses::get(c, account, id))
    }

    async fn rename_warehouse(
        &self,
        account: AccountId,
        id: WarehouseId,
        name: String,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| warehouses::rename(c, account, id, &name))
            .await
    }

    async fn delete_warehouse(
        &self,
        account: AccountId,
        id: WarehouseId,
        remove_inventory: bool,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| warehouses::delete(c, account, id, remove_inventory))
            .await
    }

    async fn list_warehouses(
        &self,
        account: AccountId,
        page: PageRequest,
    ) -> StoreResult<Page<Warehouse>> {
        self.engine
            .read(move |c| warehouses::list(c, account, &page))
            .await
    }

    async fn create_location(
        &self,
        account: AccountId,
        input: NewLocation,
    ) -> StoreResult<Location> {
        self.engine
            .write(move |c| warehouses::create_location(c, account, &input))
            .await
    }

    async fn get_location(&self, account: AccountId, id: LocationId) -> StoreResult<Location> {
        self.engine
            .read_now(move |c| warehouses::get_location(c, account, id))
    }

    async fn update_location(
        &self,
        account: AccountId,
        id: LocationId,
        change: LocationChange,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| warehouses::update_location(c, account, id, change.clone()))
            .await
    }

    async fn delete_location(
        &self,
        account: AccountId,
        id: LocationId,
        remove_inventory: bool,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| warehouses::delete_location(c, account, id, remove_inventory))
            .await
    }

    async fn list_locations(
        &self,
        account: AccountId,
        warehouse: Option<WarehouseId>,
        page: PageRequest,
    ) -> StoreResult<Page<Location>> {
        self.engine
            .read(move |c| warehouses::list_locations(c, account, warehouse, &page))
            .await
    }

    async fn create_purchase_order(
        &self,
        account: AccountId,
        input: PurchaseOrderInput,
    ) -> StoreResult<PurchaseOrder> {
        self.engine
            .write(move |c| purchase_orders::create(c, account, &input))
            .await
    }

    async fn get_purchase_order(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
    ) -> StoreResult<PurchaseOrder> {
        self.engine
            .read_now(move |c| purchase_orders::get(c, account, id))
    }

    async fn list_purchase_orders(
        &self,
        account: AccountId,
        filter: PurchaseOrderFilter,
        page: PageRequest,
    ) -> StoreResult<Page<PurchaseOrderSummary>> {
        self.engine
            .read(move |c| purchase_orders::list(c, account, &filter, &page))
            .await
    }

    async fn replace_purchase_order(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        input: PurchaseOrderInput,
    ) -> StoreResult<PurchaseOrder> {
        self.engine
            .write(move |c| purchase_orders::replace(c, account, id, &input))
            .await
    }

    async fn update_shipping_details(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        patch: ShippingDetailsPatch,
    ) -> StoreResult<PurchaseOrder> {
        self.engine
            .write(move |c| purchase_orders::update_shipping_details(c, account, id, patch.clone()))
            .await
    }

    async fn change_status(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        to: Status,
    ) -> StoreResult<Status> {
        self.engine
            .write(move |c| purchase_orders::change_status(c, account, id, to))
            .await
    }

    async fn receive(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        lines: Vec<ReceiveLine>,
        request_id: String,
    ) -> StoreResult<Status> {
        self.engine
            .write(move |c| receiving::receive(c, account, id, &lines, &request_id))
            .await
    }

    async fn list_receipts(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
    ) -> StoreResult<Vec<Receipt>> {
        self.engine
            .read_now(move |c| receiving::list_receipts(c, account, id))
    }

    async fn list_inventory(
        &self,
        account: AccountId,
        filter: InventoryFilter,
        page: PageRequest,
    ) -> StoreResult<Page<InventoryLevel>> {
        self.engine
            .read(move |c| receiving::list_inventory(c, account, &filter, &page))
            .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.engine
            .read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db))
            .await
    }

    async fn latest_receipts(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        max_lines: usize,
        cancelled: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> StoreResult<crate::store::LatestReceipts> {
        // On a reader thread: reading up to `max_lines` rows is more than a lookup.
        self.engine
            .read(move |c| receiving::latest_receipts(c, account, id, max_lines, &cancelled))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_column_is_parsed_in_place_and_a_bad_one_named_in_the_error() {
        let conn = Connection::open_in_memory().unwrap();
        let parsed = |sql: &str| -> Result<Status, String> {
            conn.query_row(sql, [], |r| {
                parse_text(r, 0, "status", str::parse::<Status>)
            })
            .map_err(|e| db(e).to_string())
        };
        assert_eq!(parsed("SELECT 'open'"), Ok(Status::Open));
        let bogus = parsed("SELECT 'opened'").unwrap_err();
        assert!(
            bogus.contains("bad status 'opened' in the database"),
            "{bogus}"
        );
        let number = parsed("SELECT 7").unwrap_err();
        assert!(number.contains("status: "), "{number}");
    }
}
