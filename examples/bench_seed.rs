//! Loads a database for the benchmark (`bench/run.py`): an account with a key, a supplier, a
//! warehouse with a location, and many purchase orders, written through the store (and so
//! through group commit) by many concurrent tasks.
//!
//! `cargo run --release --example bench_seed -- --database PATH --orders N --open M`
//! prints one JSON object with the key and the id ranges; with `--receipts K --receipts-file F`
//! it also records K receipts on the open orders and lists them in F.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Parser;
use procura::domain::account::NewApiKey;
use procura::domain::ids::{AccountId, LocationId, PurchaseOrderId, SupplierId, WarehouseId};
use procura::domain::money::Money;
use procura::domain::purchase_order::{Details, LineInput, PurchaseOrderInput, Quantity, Sku};
use procura::domain::receipt::ReceiveLine;
use procura::domain::status::Status;
use procura::domain::supplier::SupplierInput;
use procura::domain::warehouse::NewLocation;
use procura::store::Store;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    database: String,
    /// Purchase orders to create (drafts).
    #[arg(long, default_value_t = 10_000)]
    orders: u64,
    /// How many of the first orders to open (for receipts); their lines are large.
    #[arg(long, default_value_t = 1_000)]
    open: u64,
    /// Concurrent writers.
    #[arg(long, default_value_t = 256)]
    tasks: u64,
    /// Receipts of one unit each, spread over the open orders, for the reversal workload.
    #[arg(long, default_value_t = 0)]
    receipts: u64,
    /// Where to write the receipts, one `order_id receipt_id` line each (numbers).
    #[arg(long)]
    receipts_file: Option<std::path::PathBuf>,
}

/// `count` receipts of one unit of R-0, spread over the open orders `first..=last` by `tasks`
/// concurrent writers; then every receipt of those orders, as (order, receipt) ids.
async fn receive_range(
    store: Arc<dyn Store>,
    account: AccountId,
    (first, last): (i64, i64),
    location: LocationId,
    count: u64,
    tasks: u64,
) -> anyhow::Result<Vec<(i64, i64)>> {
    let orders = u64::try_from(last - first + 1).context("no open orders to receive against")?;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut n = t;
            while n < count {
                let line = ReceiveLine {
                    sku: Sku::parse("R-0").map_err(|e| anyhow!("{e}"))?,
                    location_id: location,
                    received_quantity: 1,
                    rejected_quantity: 0,
                    lot: None,
                    expiration_date: None,
                };
                let order = PurchaseOrderId(first + i64::try_from(n % orders)?);
                store
                    .receive(account.into(), order, vec![line], format!("seed-{n}"))
                    .await
                    .map_err(|e| anyhow!("receive: {e}"))?;
                n += tasks;
            }
            anyhow::Ok(())
        }));
    }
    for handle in handles {
        handle.await.context("a receiving task")??;
    }
    let mut pairs = Vec::new();
    for order in first..=last {
        let ledger = store
            .latest_receipts(
                account,
                PurchaseOrderId(order),
                usize::MAX,
                Arc::new(AtomicBool::new(false)),
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        pairs.extend(ledger.receipts.iter().map(|r| (order, r.id.0)));
    }
    Ok(pairs)
}

fn order(
    supplier: SupplierId,
    warehouse: WarehouseId,
    n: u64,
    quantity: i64,
) -> anyhow::Result<PurchaseOrderInput> {
    // Orders to receive against share SKUs R-0..R-2 (bench/lua/receive.lua relies on it).
    let sku = |i: u64| {
        let sku = if quantity > 1000 {
            format!("R-{i}")
        } else {
            format!("SKU-{}", (n * 3 + i) % 5000)
        };
        Sku::parse(&sku).map_err(|e| anyhow!("{e}"))
    };
    let line = |i: u64| -> anyhow::Result<LineInput> {
        Ok(LineInput {
            sku: sku(i)?,
            supplier_sku: Some(format!("SUP-{i}")),
            quantity: Quantity::parse(quantity).map_err(|e| anyhow!("{e}"))?,
            cost: Some(Money::parse_cost("12.34").map_err(|e| anyhow!("{e}"))?),
        })
    };
    Ok(PurchaseOrderInput {
        supplier_id: supplier,
        warehouse_id: warehouse,
        details: Details {
            reference_number: Some(format!("SEED-{n}")),
            ..Details::default()
        },
        products: vec![line(0)?, line(1)?, line(2)?],
    })
}

async fn create_range(
    store: Arc<dyn Store>,
    account: AccountId,
    supplier: SupplierId,
    warehouse: WarehouseId,
    range: std::ops::Range<u64>,
    tasks: u64,
    quantity: i64,
) -> anyhow::Result<(i64, i64)> {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        let range = range.clone();
        handles.push(tokio::spawn(async move {
            let (mut lo, mut hi) = (i64::MAX, i64::MIN);
            let mut n = range.start + t;
            while n < range.end {
                let po = store
                    .create_purchase_order(account.into(), order(supplier, warehouse, n, quantity)?)
                    .await
                    .map_err(|e| anyhow!("create: {e}"))?;
                lo = lo.min(po.id.0);
                hi = hi.max(po.id.0);
                n += tasks;
            }
            anyhow::Ok((lo, hi))
        }));
    }
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for handle in handles {
        let (l, h) = handle.await.context("a seeding task")??;
        lo = lo.min(l);
        hi = hi.max(h);
    }
    Ok((lo, hi))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let store = procura::startup::open_store(&args.database).await?;
    let key = NewApiKey::generate();
    let secret = key.secret.clone();
    let (account, _) = store
        .create_account(key)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let supplier = store
        .create_supplier(
            account.into(),
            SupplierInput {
                supplier_name: "Bench Supplier".into(),
                ..SupplierInput::default()
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let warehouse = store
        .create_warehouse(account.into(), "Bench DC".into())
        .await
        .map_err(|e| anyhow!("{e}"))?
        .id;
    let location = store
        .create_location(
            account.into(),
            NewLocation {
                warehouse_id: warehouse,
                name: "A-1".into(),
                barcode: None,
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?
        .id;

    let started = Instant::now();
    let open = args.open.min(args.orders);
    let tasks = args.tasks.max(1);
    let (open_first, open_last) = if open > 0 {
        create_range(
            store.clone(),
            account,
            supplier,
            warehouse,
            0..open,
            tasks,
            1_000_000_000,
        )
        .await?
    } else {
        (0, -1)
    };
    let opens: Vec<_> = (open_first..=open_last)
        .map(|id| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .change_status(account.into(), PurchaseOrderId(id), Status::Open)
                    .await
            })
        })
        .collect();
    for open in opens {
        open.await
            .context("an opening task")?
            .map_err(|e| anyhow!("{e}"))?;
    }
    if args.receipts > 0 {
        let pairs = receive_range(
            store.clone(),
            account,
            (open_first, open_last),
            location,
            args.receipts,
            tasks,
        )
        .await?;
        let path = args
            .receipts_file
            .as_ref()
            .context("--receipts needs --receipts-file")?;
        let text: String = pairs.iter().map(|(o, r)| format!("{o} {r}\n")).collect();
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let (draft_first, draft_last) = create_range(
        store.clone(),
        account,
        supplier,
        warehouse,
        open..args.orders,
        tasks,
        10,
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} orders in {seconds:.1} s ({:.0}/s)",
        args.orders,
        args.orders as f64 / seconds
    );

    println!(
        "{}",
        serde_json::json!({
            "key": secret,
            "account_id": account.to_string(),
            "supplier_id": supplier.to_string(),
            "warehouse_id": warehouse.to_string(),
            "location_id": location.to_string(),
            "open_first": open_first, "open_last": open_last,
            "draft_first": draft_first, "draft_last": draft_last,
        })
    );
    Ok(())
}
