//! Databases of their own, files and the inputs the source is built from.

use super::*;

pub(super) fn postgres_base() -> Option<String> {
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
pub(super) struct FreshDatabase {
    pub(super) base: String,
    pub(super) name: String,
    pub(super) url: String,
}

impl FreshDatabase {
    pub(super) async fn create(base: &str) -> Self {
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

    pub(super) async fn drop(self) {
        let mut admin = PgConnection::connect(&self.base).await.unwrap();
        admin
            .execute(format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name).as_str())
            .await
            .unwrap();
        let _ = admin.close().await;
    }
}

/// `base` with its database name replaced by `name` (query parameters kept).
pub(super) fn with_database(base: &str, name: &str) -> String {
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
pub(super) fn file_bytes(path: &Path) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (std::fs::read(path).unwrap(), std::fs::read(wal).ok())
}

pub(super) fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

pub(super) fn named_supplier(name: &str) -> SupplierInput {
    SupplierInput {
        supplier_name: name.to_owned(),
        ..SupplierInput::default()
    }
}

pub(super) fn line(sku: &str, quantity: i64, cost: Option<&str>) -> LineInput {
    LineInput {
        sku: Sku::parse(sku).unwrap(),
        supplier_sku: Some(format!("S-{sku}")),
        quantity: Quantity::parse(quantity).unwrap(),
        cost: cost.map(|c| Money::parse_cost(c).unwrap()),
    }
}

pub(super) fn order(
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

pub(super) fn receive(
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

pub(super) fn max_of(ids: impl Iterator<Item = i64>) -> i64 {
    ids.max().unwrap()
}

/// The order number after `last` (`MMDDYYYY-NN`) on the same UTC day; `-01` if the day turned.
pub(super) fn next_order_number(last: &str) -> String {
    let (day, n) = last.split_once('-').unwrap();
    let today = Utc::now().format("%m%d%Y").to_string();
    if day == today {
        format!("{day}-{:02}", n.parse::<u32>().unwrap() + 1)
    } else {
        format!("{today}-01")
    }
}
