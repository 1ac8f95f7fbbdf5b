//! `procura copy`: a SQLite database built through the real store moves to PostgreSQL with
//! nothing lost, ids kept and sequences continuing; a non-empty target is refused; a copy that
//! does not verify is rolled back.
//!
//! Needs `PROCURA_TEST_POSTGRES_URL`; without it every test here is skipped (with a note), with
//! it set and PostgreSQL unreachable they fail.

#![expect(
    clippy::unwrap_used,
    reason = "async helpers outside #[test] fns, where clippy allows unwrap"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use procura::copy::{CopyError, copy};
use procura::domain::account::{NewApiKey, hash_key};
use procura::domain::ids::{AccountId, LocationId, PurchaseOrderId, SupplierId, WarehouseId};
use procura::domain::money::{CurrencyCode, Money};
use procura::domain::page::{Page, PageRequest};
use procura::domain::purchase_order::{
    Details, LineInput, Patch, PaymentTerms, PurchaseOrder, PurchaseOrderFilter,
    PurchaseOrderInput, PurchaseOrderSummary, Quantity, ShippingDetailsPatch, Sku,
};
use procura::domain::receipt::{GroupBy, InventoryFilter, InventoryLevel, Receipt, ReceiveLine};
use procura::domain::status::Status;
use procura::domain::supplier::{Supplier, SupplierInput};
use procura::domain::warehouse::{Location, NewLocation, Warehouse};
use procura::store::Store;
use procura::store::postgres::{DbOptions, PgStore};
use procura::store::prelude::*;
use procura::store::sqlite::SqliteStore;
use sqlx::{Connection, Executor, PgConnection};

const POSTGRES_URL_VAR: &str = "PROCURA_TEST_POSTGRES_URL";

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_moves_to_postgres_with_nothing_lost() {
    let Some(base) = postgres_base() else { return };
    let source = Source::build().await;
    let sqlite = SqliteStore::open(&source.path).unwrap();
    let before: Vec<Snapshot> = snapshot_all(&sqlite, &source.accounts).await;
    let keys_before = sqlite.list_keys().await.unwrap();
    drop(sqlite);
    // The store's threads close their connections; then the file must not change.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let bytes_before = file_bytes(&source.path);

    let db = FreshDatabase::create(&base).await;
    let report = copy(&source.path, &db.url, false).await.unwrap();
    assert!(report.is_verified(), "{report}");
    // Read-only: the file is byte for byte the same. (A read-only SQLite connection to a WAL
    // database may leave an empty -wal file behind; an empty WAL holds nothing.)
    let bytes_after = file_bytes(&source.path);
    assert!(bytes_after.0 == bytes_before.0, "the SQLite file changed");
    assert!(
        bytes_after.1 == bytes_before.1 || bytes_after.1.as_ref().is_some_and(Vec::is_empty),
        "the SQLite WAL changed"
    );
    // Every table has rows, so every table was really exercised.
    for line in report.lines.iter().filter(|l| l.label.ends_with(" rows")) {
        assert!(line.postgres > 0, "{} is empty in the fixture", line.label);
    }
    assert_eq!(report.postgres("accounts rows"), Some(2));
    assert_eq!(report.postgres("api_keys rows"), Some(3));
    assert_eq!(report.postgres("api_keys not revoked"), Some(2));
    // Both accounts' billion units at the largest cost, beside the small receipts.
    let bulk = 2 * 1_000_000_000 * 999_999_999_999_999i128;
    assert!(
        report
            .postgres("sum of inventory_levels.cost_total_micros")
            .is_some_and(|sum| sum > bulk && sum < bulk + 1_000_000_000),
        "{report}"
    );
    println!("{report}");

    let pg = PgStore::connect(&db.url, &DbOptions::default())
        .await
        .unwrap();
    let after = snapshot_all(&pg, &source.accounts).await;
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(before, after);
    }
    assert_eq!(pg.list_keys().await.unwrap(), keys_before);

    // Keys: the live ones authenticate as their account, the revoked one does not.
    let first = &source.accounts[0];
    assert_eq!(
        pg.account_for_key(hash_key(&first.secret)).await.unwrap(),
        Some(first.id)
    );
    assert_eq!(
        pg.account_for_key(hash_key(&source.accounts[1].secret))
            .await
            .unwrap(),
        Some(source.accounts[1].id)
    );
    assert_eq!(
        pg.account_for_key(hash_key(&source.revoked_secret))
            .await
            .unwrap(),
        None
    );

    // New rows continue after the copied ones, and the day's order numbers continue too.
    let (account, key) = pg.create_account(NewApiKey::generate()).await.unwrap();
    assert_eq!(account.0, 3);
    assert_eq!(key.0, 4);
    let supplier = pg
        .create_supplier(first.id, named_supplier("After the copy"))
        .await
        .unwrap();
    assert!(
        supplier.0
            > max_of(
                source
                    .accounts
                    .iter()
                    .flat_map(|a| a.suppliers.iter().map(|s| s.0))
            )
    );
    let warehouse = pg
        .create_warehouse(first.id, "New DC".into())
        .await
        .unwrap();
    assert!(
        warehouse.id.0
            > max_of(
                source
                    .accounts
                    .iter()
                    .flat_map(|a| a.warehouses.iter().map(|w| w.0))
            )
    );
    let location = pg
        .create_location(
            first.id,
            NewLocation {
                warehouse_id: warehouse.id,
                name: "New bin".into(),
                barcode: None,
            },
        )
        .await
        .unwrap();
    assert!(
        location.id.0
            > max_of(
                source
                    .accounts
                    .iter()
                    .flat_map(|a| a.locations.iter().map(|l| l.0))
            )
    );
    let last = pg
        .get_purchase_order(first.id, *first.orders.last().unwrap())
        .await
        .unwrap()
        .expect("it exists");
    let created = pg
        .create_purchase_order(
            first.id,
            order(first.suppliers[0], warehouse.id, vec![line("NEW", 1, None)]),
        )
        .await
        .unwrap();
    assert!(
        created.id.0
            > max_of(
                source
                    .accounts
                    .iter()
                    .flat_map(|a| a.orders.iter().map(|o| o.0))
            )
    );
    assert_eq!(created.order_number, next_order_number(&last.order_number));
    pg.change_status(first.id, created.id, Status::Open)
        .await
        .unwrap();
    pg.receive(
        first.id,
        created.id,
        vec![receive("NEW", location.id, 1, 0, None)],
        "after-copy".into(),
    )
    .await
    .unwrap();
    let receipts = pg
        .list_receipts(first.id, created.id, PageRequest::first(100))
        .await
        .unwrap()
        .items;
    let largest_receipt = before
        .iter()
        .flat_map(|s| s.orders.iter().flat_map(|(_, r)| r.iter().map(|r| r.id.0)))
        .max()
        .unwrap();
    assert!(receipts[0].id.0 > largest_receipt);

    pg.close().await;
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_an_account_is_refused_and_left_alone() {
    let Some(base) = postgres_base() else { return };
    let source = Source::build().await;
    let db = FreshDatabase::create(&base).await;
    let pg = PgStore::connect(&db.url, &DbOptions::default())
        .await
        .unwrap();
    let (account, _) = pg.create_account(NewApiKey::generate()).await.unwrap();

    let err = copy(&source.path, &db.url, false).await.unwrap_err();
    assert!(
        matches!(err, CopyError::TargetNotEmpty(1)),
        "expected a refusal, got {err}"
    );
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(pg.list_keys().await.unwrap().len(), 1);
    assert_eq!(pg.list_keys().await.unwrap()[0].account_id, account);
    assert!(
        pg.list_warehouses(account, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    pg.close().await;
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_does_not_verify_is_rolled_back() {
    let Some(base) = postgres_base() else { return };
    let source = Source::build().await;
    let db = FreshDatabase::create(&base).await;
    // The schema first, then a trigger that changes one line's quantity on its way in: the
    // copy's inserts succeed, and only the verification can notice.
    PgStore::connect(&db.url, &DbOptions::default())
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    conn.execute(
        "CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.line_no = 1 THEN NEW.quantity := NEW.quantity + 1; END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER tamper BEFORE INSERT ON purchase_order_lines
             FOR EACH ROW EXECUTE FUNCTION tamper();",
    )
    .await
    .unwrap();

    let err = copy(&source.path, &db.url, false).await.unwrap_err();
    let CopyError::Mismatch(report) = &err else {
        panic!("expected a verification failure, got {err}");
    };
    let failed: Vec<&str> = report
        .lines
        .iter()
        .filter(|l| !l.is_equal())
        .map(|l| l.label.as_str())
        .collect();
    assert_eq!(failed, ["sum of purchase_order_lines.quantity"]);
    assert!(err.to_string().contains("rolled back"), "{err}");
    assert!(err.to_string().contains("MISMATCH"), "{err}");

    // Nothing stayed behind.
    for table in procura::copy::tables::TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{} kept rows", table.name);
    }
    // Without the tamperer, the same target takes the copy.
    conn.execute("DROP TRIGGER tamper ON purchase_order_lines")
        .await
        .unwrap();
    let report = copy(&source.path, &db.url, false).await.unwrap();
    assert!(report.is_verified());
    let _ = conn.close().await;
    db.drop().await;
}

#[tokio::test]
async fn a_missing_sqlite_file_is_reported_and_nothing_is_written() {
    let Some(base) = postgres_base() else { return };
    let db = FreshDatabase::create(&base).await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let err = copy(&missing, &db.url, false).await.unwrap_err();
    assert!(matches!(err, CopyError::Source(_)), "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!missing.exists(), "the copy created the SQLite file");
    db.drop().await;
}

// ---------------------------------------------------------------------------------------------
// The SQLite database to copy, built through the store

/// What one account holds, by id.
struct Built {
    id: AccountId,
    secret: String,
    suppliers: Vec<SupplierId>,
    warehouses: Vec<WarehouseId>,
    locations: Vec<LocationId>,
    orders: Vec<PurchaseOrderId>,
}

struct Source {
    _dir: tempfile::TempDir,
    path: PathBuf,
    accounts: Vec<Built>,
    revoked_secret: String,
}

impl Source {
    /// Two accounts with suppliers, warehouses, locations, orders in every status and receipts
    /// with lots; a third key, revoked. The store is closed when this returns.
    async fn build() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("procura.db");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        let first = build_account(store.as_ref(), 0).await;
        let revoked = NewApiKey::generate();
        let revoked_secret = revoked.secret.clone();
        let revoked_id = store.create_key(first.id, revoked).await.unwrap();
        store.revoke_key(revoked_id).await.unwrap();
        let second = build_account(store.as_ref(), 1).await;
        // What a server's first start writes: the key of its cursors, copied like any table.
        let secret = store.secret("cursor_hmac", vec![7; 32]).await.unwrap();
        assert_eq!(secret, vec![7; 32]);
        drop(store);
        Self {
            _dir: dir,
            path,
            accounts: vec![first, second],
            revoked_secret,
        }
    }
}

async fn build_account(store: &dyn Store, n: usize) -> Built {
    let key = NewApiKey::generate();
    let secret = key.secret.clone();
    let (id, _) = store.create_account(key).await.unwrap();

    let acme = store
        .create_supplier(
            id,
            SupplierInput {
                supplier_name: format!("Acme {n}"),
                supplier_email: Some("orders@acme.example".into()),
                address_line_1: Some("123 Main St".into()),
                address_line_2: Some("Suite 4".into()),
                city: Some("Austin".into()),
                state: Some("TX".into()),
                postal_code: Some("78701".into()),
                country_code: Some("US".into()),
                contact_name: Some("Ana".into()),
                contact_phone: Some("+1 512 555 0100".into()),
            },
        )
        .await
        .unwrap();
    let globex = store
        .create_supplier(id, named_supplier("Globex"))
        .await
        .unwrap();
    store
        .update_supplier(id, globex, named_supplier("Globex Corporation"))
        .await
        .unwrap();

    let main = store.create_warehouse(id, "Main".into()).await.unwrap().id;
    let north = store.create_warehouse(id, "North".into()).await.unwrap().id;
    store
        .rename_warehouse(id, north, "North DC".into())
        .await
        .unwrap();
    let mut locations = Vec::new();
    for (warehouse, name, barcode) in [
        (main, "A-01", Some("0001")),
        (main, "A-02", None),
        (north, "N-01", Some("N1")),
    ] {
        let location = store
            .create_location(
                id,
                NewLocation {
                    warehouse_id: warehouse,
                    name: name.into(),
                    barcode: barcode.map(str::to_owned),
                },
            )
            .await
            .unwrap();
        locations.push(location.id);
    }

    let mut orders = Vec::new();
    // A draft in euros with every detail set.
    let draft = store
        .create_purchase_order(
            id,
            PurchaseOrderInput {
                supplier_id: acme,
                warehouse_id: main,
                details: Details {
                    order_date: Some(at("2026-03-01T10:00:00.123456Z")),
                    expected_delivery_date: Some(at("2026-03-15T00:00:00Z")),
                    payment_terms: PaymentTerms::Net30,
                    currency_code: CurrencyCode::parse("EUR").unwrap(),
                    reference_number: Some(format!("REF-{n}")),
                    note_to_supplier: Some("Ring twice".into()),
                    ..Details::default()
                },
                products: vec![line("A", 10, Some("2.5")), line("B", 3, None)],
            },
        )
        .await
        .unwrap();
    orders.push(draft.id);
    // Open, with shipping details.
    let open = store
        .create_purchase_order(
            id,
            order(globex, north, vec![line("C", 7, Some("0.000001"))]),
        )
        .await
        .unwrap();
    store
        .change_status(id, open.id, Status::Open)
        .await
        .unwrap();
    store
        .update_shipping_details(
            id,
            open.id,
            ShippingDetailsPatch {
                shipping_carrier: Patch::Set(Some("UPS".into())),
                tracking_number: Patch::Set(Some("1Z999".into())),
                ..ShippingDetailsPatch::default()
            },
        )
        .await
        .unwrap();
    orders.push(open.id);
    // Cancelled.
    let cancelled = store
        .create_purchase_order(id, order(acme, main, vec![line("D", 1, Some("100"))]))
        .await
        .unwrap();
    store
        .change_status(id, cancelled.id, Status::Cancelled)
        .await
        .unwrap();
    orders.push(cancelled.id);
    // Receiving: part of it received into a lot with an expiry date.
    let receiving = store
        .create_purchase_order(
            id,
            order(
                acme,
                main,
                vec![line("A", 20, Some("2.75")), line("E", 4, None)],
            ),
        )
        .await
        .unwrap();
    store
        .change_status(id, receiving.id, Status::Open)
        .await
        .unwrap();
    let mut lot = receive("A", locations[0], 5, 1, Some("L-1"));
    lot.expiration_date = Some(at("2027-01-31T00:00:00Z"));
    store
        .receive(id, receiving.id, vec![lot], format!("req-{n}-1"))
        .await
        .unwrap();
    orders.push(receiving.id);
    // Received in two receipts across locations and warehouses' lots, then closed.
    let closed = store
        .create_purchase_order(
            id,
            order(
                acme,
                main,
                vec![line("A", 6, Some("3")), line("F", 2, Some("1.5"))],
            ),
        )
        .await
        .unwrap();
    store
        .change_status(id, closed.id, Status::Open)
        .await
        .unwrap();
    store
        .receive(
            id,
            closed.id,
            vec![
                receive("A", locations[0], 3, 0, Some("L-1")),
                receive("F", locations[1], 2, 0, None),
            ],
            format!("req-{n}-2"),
        )
        .await
        .unwrap();
    store
        .receive(
            id,
            closed.id,
            vec![receive("A", locations[1], 2, 1, None)],
            format!("req-{n}-3"),
        )
        .await
        .unwrap();
    store
        .change_status(id, closed.id, Status::Closed)
        .await
        .unwrap();
    orders.push(closed.id);
    // A billion units at the largest cost: a stock value past 64 bits, and sums past it too.
    let bulk = store
        .create_purchase_order(
            id,
            order(
                acme,
                main,
                vec![line("BULK", 1_000_000_000, Some("999999999.999999"))],
            ),
        )
        .await
        .unwrap();
    store
        .change_status(id, bulk.id, Status::Open)
        .await
        .unwrap();
    store
        .receive(
            id,
            bulk.id,
            vec![receive("BULK", locations[0], 1_000_000_000, 0, None)],
            format!("req-{n}-bulk"),
        )
        .await
        .unwrap();
    orders.push(bulk.id);
    // The second account has one order more, so that the accounts differ.
    if n == 1 {
        let extra = store
            .create_purchase_order(id, order(globex, north, vec![line("G", 9, Some("9.99"))]))
            .await
            .unwrap();
        orders.push(extra.id);
    }

    Built {
        id,
        secret,
        suppliers: vec![acme, globex],
        warehouses: vec![main, north],
        locations,
        orders,
    }
}

// ---------------------------------------------------------------------------------------------
// Everything an account's data reads back as, through the Store trait

#[derive(Debug, PartialEq)]
struct Snapshot {
    suppliers: Vec<Supplier>,
    supplier_list: Page<Supplier>,
    warehouses: Vec<Warehouse>,
    warehouse_list: Page<Warehouse>,
    locations: Vec<Location>,
    location_list: Page<Location>,
    orders: Vec<(PurchaseOrder, Vec<Receipt>)>,
    order_lists: Vec<Page<PurchaseOrderSummary>>,
    inventory: Vec<Page<InventoryLevel>>,
}

async fn snapshot_all(store: &dyn Store, accounts: &[Built]) -> Vec<Snapshot> {
    let mut all = Vec::new();
    for account in accounts {
        all.push(snapshot(store, account).await);
    }
    all
}

async fn snapshot(store: &dyn Store, a: &Built) -> Snapshot {
    let page = || PageRequest::first(100);
    let mut suppliers = Vec::new();
    for id in &a.suppliers {
        suppliers.push(
            store
                .get_supplier(a.id, *id)
                .await
                .unwrap()
                .expect("it exists"),
        );
    }
    let mut warehouses = Vec::new();
    for id in &a.warehouses {
        warehouses.push(
            store
                .get_warehouse(a.id, *id)
                .await
                .unwrap()
                .expect("it exists"),
        );
    }
    let mut locations = Vec::new();
    for id in &a.locations {
        locations.push(
            store
                .get_location(a.id, *id)
                .await
                .unwrap()
                .expect("it exists"),
        );
    }
    let mut orders = Vec::new();
    for id in &a.orders {
        orders.push((
            store
                .get_purchase_order(a.id, *id)
                .await
                .unwrap()
                .expect("it exists"),
            store
                .list_receipts(a.id, *id, PageRequest::first(100))
                .await
                .unwrap()
                .items,
        ));
    }
    let mut order_lists = vec![
        store
            .list_purchase_orders(a.id, PurchaseOrderFilter::default(), page())
            .await
            .unwrap(),
    ];
    for status in [
        Status::Draft,
        Status::Open,
        Status::Receiving,
        Status::Received,
        Status::Closed,
        Status::Cancelled,
    ] {
        let filter = PurchaseOrderFilter {
            status: Some(status),
            ..PurchaseOrderFilter::default()
        };
        order_lists.push(
            store
                .list_purchase_orders(a.id, filter, page())
                .await
                .unwrap(),
        );
    }
    let mut inventory = Vec::new();
    for group_by in [GroupBy::Location, GroupBy::Warehouse] {
        let filter = InventoryFilter {
            group_by,
            ..InventoryFilter::default()
        };
        inventory.push(store.list_inventory(a.id, filter, page()).await.unwrap());
    }
    let snapshot = Snapshot {
        suppliers,
        supplier_list: store.list_suppliers(a.id, None, page()).await.unwrap(),
        warehouses,
        warehouse_list: store.list_warehouses(a.id, page()).await.unwrap(),
        locations,
        location_list: store.list_locations(a.id, None, page()).await.unwrap(),
        orders,
        order_lists,
        inventory,
    };
    // The fixture must really hold what the copy is meant to carry.
    assert_eq!(snapshot.order_lists[0].items.len(), a.orders.len());
    assert!(snapshot.inventory[0].items.len() >= 3);
    snapshot
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn postgres_base() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) => Some(url),
        Err(_) => {
            use std::io::Write as _;
            static NOTE: std::sync::Once = std::sync::Once::new();
            NOTE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: {POSTGRES_URL_VAR} is not set, so the copy tests (SQLite to \
                     PostgreSQL) did not run (set it, e.g. to \
                     postgres://postgres@127.0.0.1:5432/test, to run them)"
                );
            });
            None
        }
    }
}

/// A database of its own: `CREATE DATABASE procura_test_<random>` on the server `base` names.
struct FreshDatabase {
    base: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    async fn create(base: &str) -> Self {
        let name = format!("procura_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(base).await.unwrap_or_else(|e| {
            panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {e}")
        });
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .unwrap();
        let _ = admin.close().await;
        let url = with_database(base, &name);
        Self {
            base: base.to_owned(),
            name,
            url,
        }
    }

    async fn drop(self) {
        let mut admin = PgConnection::connect(&self.base).await.unwrap();
        admin
            .execute(format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name).as_str())
            .await
            .unwrap();
        let _ = admin.close().await;
    }
}

/// `base` with its database name replaced by `name` (query parameters kept).
fn with_database(base: &str, name: &str) -> String {
    let (main, query) = base
        .split_once('?')
        .map_or((base, None), |(m, q)| (m, Some(q)));
    let (scheme, rest) = main.split_once("://").unwrap();
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// The main file and its WAL, if any.
fn file_bytes(path: &Path) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (std::fs::read(path).unwrap(), std::fs::read(wal).ok())
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn named_supplier(name: &str) -> SupplierInput {
    SupplierInput {
        supplier_name: name.to_owned(),
        ..SupplierInput::default()
    }
}

fn line(sku: &str, quantity: i64, cost: Option<&str>) -> LineInput {
    LineInput {
        sku: Sku::parse(sku).unwrap(),
        supplier_sku: Some(format!("S-{sku}")),
        quantity: Quantity::parse(quantity).unwrap(),
        cost: cost.map(|c| Money::parse_cost(c).unwrap()),
    }
}

fn order(
    supplier: SupplierId,
    warehouse: WarehouseId,
    products: Vec<LineInput>,
) -> PurchaseOrderInput {
    PurchaseOrderInput {
        supplier_id: supplier,
        warehouse_id: warehouse,
        details: Details::default(),
        products,
    }
}

fn receive(
    sku: &str,
    location: LocationId,
    received: i64,
    rejected: i64,
    lot: Option<&str>,
) -> ReceiveLine {
    ReceiveLine {
        sku: Sku::parse(sku).unwrap(),
        location_id: location,
        received_quantity: received,
        rejected_quantity: rejected,
        lot: lot.map(str::to_owned),
        expiration_date: None,
    }
}

fn max_of(ids: impl Iterator<Item = i64>) -> i64 {
    ids.max().unwrap()
}

/// The order number after `last` (`MMDDYYYY-NN`) on the same UTC day; `-01` if the day turned.
fn next_order_number(last: &str) -> String {
    let (day, n) = last.split_once('-').unwrap();
    let today = Utc::now().format("%m%d%Y").to_string();
    if day == today {
        format!("{day}-{:02}", n.parse::<u32>().unwrap() + 1)
    } else {
        format!("{today}-01")
    }
}
