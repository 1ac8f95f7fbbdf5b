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
use procura::domain::address::{AccountProfile, Address};
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
use procura::domain::warehouse::{Location, NewLocation, Warehouse, WarehouseInput};
use procura::store::Store;
use procura::store::postgres::{DbOptions, PgStore};
use procura::store::prelude::*;
use procura::store::sqlite::SqliteStore;
use sqlx::{Connection, Executor, PgConnection};

mod helpers;
mod snapshot;
mod source;

use helpers::*;
use snapshot::*;
use source::*;

const POSTGRES_URL_VAR: &str = "PROCURA_TEST_POSTGRES_URL";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_moves_to_postgres_with_nothing_lost() {
    let Some(base) = postgres_base() else { return };
    let source = Source::build().await;
    let sqlite = SqliteStore::open(&source.path).unwrap();
    let before: Vec<Snapshot> = snapshot_all(&sqlite, &source.accounts).await;
    let due_before = due_deliveries(&sqlite).await;
    let keys_before = sqlite.list_keys(None).await.unwrap();
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
    assert_eq!(pg.list_keys(None).await.unwrap(), keys_before);
    // The deliveries waiting wait in the same order: the same ones, each order's oldest, are due,
    // and the others (queued on SQLite) are not.
    assert_eq!(due_deliveries(&pg).await, due_before);
    let pending: usize = rusqlite::Connection::open(&source.path)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(pending > due_before.len(), "{pending} pending");

    // Keys: the live ones authenticate as their account, the revoked one does not.
    let first = &source.accounts[0];
    assert_eq!(
        pg.account_for_key(hash_key(&first.secret))
            .await
            .unwrap()
            .map(|(account, _)| account),
        Some(first.id)
    );
    assert_eq!(
        pg.account_for_key(hash_key(&source.accounts[1].secret))
            .await
            .unwrap()
            .map(|(account, _)| account),
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
        .create_supplier(first.id.into(), named_supplier("After the copy"))
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
        .create_warehouse(first.id.into(), "New DC".into())
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
            first.id.into(),
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
            first.id.into(),
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
    pg.change_status(first.id.into(), created.id, Status::Open)
        .await
        .unwrap();
    pg.receive(
        first.id.into(),
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
    assert_eq!(pg.list_keys(None).await.unwrap().len(), 1);
    assert_eq!(pg.list_keys(None).await.unwrap()[0].account_id, account);
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

/// The deliveries due to be sent were every target answering at once, by id.
async fn due_deliveries(store: &dyn Store) -> Vec<i64> {
    let later = Utc::now() + chrono::Duration::days(365);
    let mut due: Vec<i64> = store
        .lease_deliveries(later, later, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id.0)
        .collect();
    due.sort_unstable();
    assert!(due.len() > 1, "the fixture has deliveries due");
    due
}
