//! Fresh stores for the contract tests and the macro that runs each test on both databases.

use std::future::Future;
use std::sync::Arc;

use procura::domain::account::NewApiKey;
use procura::domain::ids::{AccountId, SupplierId, WarehouseId};
use procura::domain::money::Money;
use procura::domain::purchase_order::{Details, LineInput, PurchaseOrderInput, Quantity, Sku};
use procura::domain::refusal::Refusal;
use procura::domain::supplier::SupplierInput;
use procura::http::refusals::{Problem, problem};
use procura::store::postgres::{DbOptions, PgStore};
use procura::store::sqlite::SqliteStore;
use procura::store::{Store, StoreError};

pub use crate::fresh_database::{FreshDatabase, POSTGRES_URL_VAR, with_database};

/// Generates, for each named `async fn(Arc<dyn Store>)` of the calling module, a test in
/// `sqlite::` and one in `postgres::`.
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    crate::harness::on_sqlite(super::$name).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    crate::harness::on_postgres(super::$name).await;
                }
            )+
        }
    };
}
pub(crate) use contract_tests;

/// Runs `test` on a new SQLite file in a temporary directory.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("procura.db");
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
        .await
        .expect("the open task")
        .expect("a fresh SQLite store");
    let outcome = tokio::spawn(test(Arc::new(store))).await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Runs `test` on a fresh PostgreSQL database; skips (passes) when `PROCURA_TEST_POSTGRES_URL`
/// is not set, fails when it is set and the server cannot be reached. The database is dropped
/// when the test passes and kept for inspection when it fails.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
        crate::fresh_database::note_postgres_skipped("the store tests");
        return;
    };
    let db = FreshDatabase::create(&base).await;
    let options = DbOptions {
        max_connections: 8,
        ..DbOptions::default()
    };
    let store = Arc::new(
        PgStore::connect(&db.url, &options)
            .await
            .expect("a PgStore on the fresh database"),
    );
    let outcome = tokio::spawn(test(store.clone())).await;
    store.close().await;
    match outcome {
        Ok(()) => db.drop().await,
        Err(err) => {
            eprintln!("kept database {} for inspection", db.name);
            std::panic::resume_unwind(err.into_panic());
        }
    }
}

#[test]
fn database_names_are_swapped_in_urls() {
    assert_eq!(
        with_database("postgres://u@h:5432/test", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/test?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
}

// Builders shared by the tests.

pub async fn account(store: &dyn Store) -> AccountId {
    store
        .create_account(NewApiKey::generate())
        .await
        .expect("an account")
        .0
}

pub fn supplier_input(name: &str) -> SupplierInput {
    SupplierInput {
        supplier_name: name.to_owned(),
        ..SupplierInput::default()
    }
}

pub async fn supplier(store: &dyn Store, account: AccountId, name: &str) -> SupplierId {
    store
        .create_supplier(account.into(), supplier_input(name))
        .await
        .expect("a supplier")
}

pub async fn warehouse(store: &dyn Store, account: AccountId) -> WarehouseId {
    store
        .create_warehouse(account.into(), "Main".into())
        .await
        .expect("a warehouse")
        .id
}

pub fn line(sku: &str, quantity: i64, cost: Option<&str>) -> LineInput {
    LineInput {
        sku: Sku::parse(sku).expect("a SKU"),
        supplier_sku: None,
        quantity: Quantity::parse(quantity).expect("a quantity"),
        cost: cost.map(|c| Money::parse_cost(c).expect("a cost")),
    }
}

pub fn order(
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

/// An account with one supplier and one warehouse.
pub type AccountSetup = (AccountId, SupplierId, WarehouseId);

pub async fn setup(store: &dyn Store) -> AccountSetup {
    let account = account(store).await;
    let supplier = supplier(store, account, "Acme").await;
    let warehouse = warehouse(store, account).await;
    (account, supplier, warehouse)
}

/// The refusals of a `Rejected` as the error envelope words them; panics on anything else.
pub fn problems<T: std::fmt::Debug>(result: Result<T, StoreError>) -> Vec<Problem> {
    match result {
        Err(StoreError::Rejected(refusals)) => worded(&refusals),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

/// Refusals as the error envelope words them: the field, value and message a client sees.
pub fn worded(refusals: &[Refusal]) -> Vec<Problem> {
    refusals.iter().map(problem).collect()
}

/// A lookup of an object that is not in the account answers `None`, not an error.
pub fn assert_missing<T: std::fmt::Debug>(result: Result<Option<T>, StoreError>) {
    assert!(
        matches!(result, Ok(None)),
        "expected Ok(None), got {result:?}"
    );
}

pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
}

#[tokio::test]
async fn postgres_connections_carry_the_statement_timeout() {
    let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
        crate::fresh_database::note_postgres_skipped("the store tests");
        return;
    };
    let db = FreshDatabase::create(&base).await;
    let options = DbOptions {
        max_connections: 2,
        statement_timeout: std::time::Duration::from_secs(1),
        ..DbOptions::default()
    };
    let store = PgStore::connect(&db.url, &options).await.unwrap();
    let setting: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(setting, "1s");
    // A statement past the limit is cancelled and reported as retryable.
    let slow = sqlx::query("SELECT pg_sleep(3)")
        .execute(store.pool())
        .await
        .unwrap_err();
    assert!(matches!(
        procura::store::postgres::db(slow),
        StoreError::Unavailable(_)
    ));
    store.close().await;
    // A closed pool answers Unavailable too.
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
    db.drop().await;
}
