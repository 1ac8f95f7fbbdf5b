use std::sync::Arc;

use procura::domain::ids::{LocationId, PurchaseOrderId};
use procura::domain::page::PageRequest;
use procura::domain::purchase_order::Sku;
use procura::domain::receipt::{GroupBy, InventoryFilter, ReceiveLine};
use procura::domain::status::Status;
use procura::domain::warehouse::NewLocation;
use procura::http::refusals::{Problem, Rule};
use procura::store::{Store, StoreError};

use crate::harness::{
    AccountSetup, assert_not_found, contract_tests, line, order, problems, setup, warehouse, worded,
};

contract_tests!(
    receipts_count_units_raise_stock_and_move_the_status,
    receipts_that_break_a_rule_are_refused_whole,
    a_location_with_receipts_cannot_be_deleted,
    concurrent_receipts_never_over_receive,
    concurrent_receipts_of_the_same_stock_in_any_order_all_succeed,
);

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

async fn location(store: &dyn Store, setup: &AccountSetup, name: &str) -> LocationId {
    store
        .create_location(
            setup.0.into(),
            NewLocation {
                warehouse_id: setup.2,
                name: name.into(),
                barcode: None,
            },
        )
        .await
        .unwrap()
        .id
}

/// An open order of 10 x A at 2.5 and 5 x B without cost.
async fn open_order(store: &dyn Store, setup: &AccountSetup) -> PurchaseOrderId {
    let po = store
        .create_purchase_order(
            setup.0.into(),
            order(
                setup.1,
                setup.2,
                vec![line("A", 10, Some("2.5")), line("B", 5, None)],
            ),
        )
        .await
        .unwrap();
    store
        .change_status(setup.0.into(), po.id, Status::Open)
        .await
        .unwrap();
    po.id
}

async fn receipts_count_units_raise_stock_and_move_the_status(store: Arc<dyn Store>) {
    let s = setup(store.as_ref()).await;
    let (shelf, bin) = (
        location(store.as_ref(), &s, "Shelf").await,
        location(store.as_ref(), &s, "Bin").await,
    );
    let po = open_order(store.as_ref(), &s).await;

    let first = vec![receive("A", shelf, 4, 1, Some("L1"))];
    assert_eq!(
        store
            .receive(s.0.into(), po, first, "req-1".into())
            .await
            .unwrap()
            .value,
        Status::Receiving
    );
    let stored = store
        .get_purchase_order(s.0, po)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(stored.status, Status::Receiving);
    assert_eq!(
        (
            stored.products[0].received_quantity,
            stored.products[0].rejected_quantity
        ),
        (4, 1)
    );

    // Two entries for one stock row (A, shelf, L1) in one receipt add up.
    let rest = vec![
        receive("A", bin, 3, 0, None),
        receive("A", shelf, 1, 0, Some("L1")),
        receive("A", shelf, 1, 0, Some("L1")),
        receive("B", bin, 5, 0, None),
    ];
    assert_eq!(
        store
            .receive(s.0.into(), po, rest, "req-2".into())
            .await
            .unwrap()
            .value,
        Status::Received
    );
    let stored = store
        .get_purchase_order(s.0, po)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(stored.status, Status::Received);
    let counters: Vec<(i64, i64)> = stored
        .products
        .iter()
        .map(|l| (l.received_quantity, l.rejected_quantity))
        .collect();
    assert_eq!(counters, [(9, 1), (5, 0)]);

    let receipts = store
        .list_receipts(s.0, po, PageRequest::first(100))
        .await
        .unwrap()
        .items;
    assert_eq!(
        receipts
            .iter()
            .map(|r| (r.request_id.as_str(), r.lines.len()))
            .collect::<Vec<_>>(),
        [("req-1", 1), ("req-2", 4)]
    );
    assert_eq!(receipts[0].lines[0].location_name, "Shelf");
    assert_eq!(receipts[0].lines[0].lot.as_deref(), Some("L1"));
    assert_eq!(receipts[1].lines[0].lot, None);
    assert_eq!(receipts[1].lines[3].sku.as_str(), "B");

    let levels = store
        .list_inventory(s.0, InventoryFilter::default(), PageRequest::first(50))
        .await
        .unwrap();
    let mut seen: Vec<(String, Option<LocationId>, i64, Option<String>)> = levels
        .items
        .iter()
        .map(|l| {
            (
                l.sku.as_str().to_owned(),
                l.location_id,
                l.on_hand,
                l.average_cost.map(|(m, c)| format!("{m} {c}")),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("A".into(), Some(shelf), 6, Some("2.5 USD".into())),
            ("A".into(), Some(bin), 3, Some("2.5 USD".into())),
            ("B".into(), Some(bin), 5, None),
        ]
    );
    let by_warehouse = store
        .list_inventory(
            s.0,
            InventoryFilter {
                sku: Some("A".into()),
                group_by: GroupBy::Warehouse,
                ..InventoryFilter::default()
            },
            PageRequest::first(50),
        )
        .await
        .unwrap();
    assert_eq!(by_warehouse.total, 1);
    assert_eq!(
        (
            by_warehouse.items[0].on_hand,
            by_warehouse.items[0].location_id
        ),
        (9, None)
    );
    let at_bin = store
        .list_inventory(
            s.0,
            InventoryFilter {
                location_id: Some(bin),
                ..InventoryFilter::default()
            },
            PageRequest::first(1),
        )
        .await
        .unwrap();
    assert_eq!(at_bin.total, 2);
    assert_eq!(at_bin.items.len(), 1);
    assert!(at_bin.next_after.is_some());
}

async fn receipts_that_break_a_rule_are_refused_whole(store: Arc<dyn Store>) {
    let s = setup(store.as_ref()).await;
    let shelf = location(store.as_ref(), &s, "Shelf").await;
    let elsewhere = warehouse(store.as_ref(), s.0).await;
    let far = store
        .create_location(
            s.0.into(),
            NewLocation {
                warehouse_id: elsewhere,
                name: "Far".into(),
                barcode: None,
            },
        )
        .await
        .unwrap()
        .id;
    let draft = store
        .create_purchase_order(s.0.into(), order(s.1, s.2, vec![line("A", 1, None)]))
        .await
        .unwrap()
        .id;
    assert_eq!(
        problems(
            store
                .receive(
                    s.0.into(),
                    draft,
                    vec![receive("A", shelf, 1, 0, None)],
                    "r".into()
                )
                .await
        ),
        vec![Problem {
            rule: Rule::InvalidStatus,
            field: None,
            value: None,
            message: format!(
                "purchase order {draft} is 'draft'; products can be received only while 'open' or 'receiving'"
            ),
        }]
    );

    let po = open_order(store.as_ref(), &s).await;
    let missing = LocationId(far.0 + 1000);
    let refused = problems(
        store
            .receive(
                s.0.into(),
                po,
                vec![
                    receive("A", shelf, 6, 0, None),
                    receive("A", shelf, 5, 0, None),
                    receive("Z", shelf, 1, 0, None),
                    receive("B", far, 1, 0, None),
                    receive("B", missing, 1, 0, None),
                ],
                "r".into(),
            )
            .await,
    );
    assert_eq!(
        refused,
        vec![
            Problem {
                rule: Rule::InvalidValue,
                field: Some("product_receives[1].received_quantity".into()),
                value: Some("5".into()),
                message: "SKU 'A' has 4 unit(s) remaining of the 10 ordered; this request receives or rejects 5 more".into(),
            },
            Problem {
                rule: Rule::InvalidValue,
                field: Some("product_receives[2].sku".into()),
                value: Some("Z".into()),
                message: format!("SKU 'Z' is not a line of purchase order {po}"),
            },
            Problem {
                rule: Rule::WarehouseMismatch,
                field: Some("product_receives[3].inventory_location_id".into()),
                value: Some(far.to_string()),
                message: format!(
                    "inventory location {far} is in warehouse {elsewhere}, but purchase order {po} is received into warehouse {}",
                    s.2
                ),
            },
            Problem {
                rule: Rule::UnknownReference,
                field: Some("product_receives[4].inventory_location_id".into()),
                value: Some(missing.to_string()),
                message: format!("inventory location {missing} does not exist"),
            },
        ]
    );
    // Nothing of it was written.
    assert!(
        store
            .list_receipts(s.0, po, PageRequest::first(100))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let stored = store
        .get_purchase_order(s.0, po)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(stored.status, Status::Open);
    assert!(
        stored
            .products
            .iter()
            .all(|l| l.received_quantity == 0 && l.rejected_quantity == 0)
    );
    assert_eq!(
        store
            .list_inventory(s.0, InventoryFilter::default(), PageRequest::first(50))
            .await
            .unwrap()
            .total,
        0
    );

    assert_not_found(
        store
            .receive(
                s.0.into(),
                PurchaseOrderId(po.0 + 1000),
                vec![receive("A", shelf, 1, 0, None)],
                "r".into(),
            )
            .await,
    );
    assert_not_found(
        store
            .list_receipts(s.0, PurchaseOrderId(po.0 + 1000), PageRequest::first(100))
            .await,
    );
    let other = crate::harness::account(store.as_ref()).await;
    assert_not_found(
        store
            .receive(
                other.into(),
                po,
                vec![receive("A", shelf, 1, 0, None)],
                "r".into(),
            )
            .await,
    );
    assert_not_found(
        store
            .list_receipts(other, po, PageRequest::first(100))
            .await,
    );
}

async fn a_location_with_receipts_cannot_be_deleted(store: Arc<dyn Store>) {
    let s = setup(store.as_ref()).await;
    let shelf = location(store.as_ref(), &s, "Shelf").await;
    let po = open_order(store.as_ref(), &s).await;
    store
        .receive(
            s.0.into(),
            po,
            vec![receive("A", shelf, 0, 2, None)],
            "r".into(),
        )
        .await
        .unwrap();
    assert_eq!(
        problems(store.delete_location(s.0, shelf, true).await),
        vec![Problem {
            rule: Rule::InUse,
            field: Some("inventory_location_id".into()),
            value: Some(shelf.to_string()),
            message: format!(
                "inventory location {shelf} cannot be deleted: 1 receipt line(s) refer to it"
            ),
        }]
    );
    assert_eq!(
        store
            .get_location(s.0, shelf)
            .await
            .unwrap()
            .expect("it exists")
            .id,
        shelf
    );
}

async fn concurrent_receipts_never_over_receive(store: Arc<dyn Store>) {
    let s = setup(store.as_ref()).await;
    let shelf = location(store.as_ref(), &s, "Shelf").await;
    let po = open_order(store.as_ref(), &s).await;
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let store = store.clone();
            let lines = vec![receive("A", shelf, 1, 0, None)];
            tokio::spawn(async move {
                store
                    .receive(s.0.into(), po, lines, format!("req-{i}"))
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(StoreError::Rejected(refusals)) => {
                let problems = worded(&refusals);
                assert_eq!(problems.len(), 1);
                assert!(
                    matches!(problems[0].rule, Rule::InvalidValue),
                    "{problems:?}"
                );
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(accepted, 10, "exactly the ordered units are accepted");
    let stored = store
        .get_purchase_order(s.0, po)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(stored.products[0].received_quantity, 10);
    assert_eq!(stored.status, Status::Receiving, "B is still outstanding");
    assert_eq!(
        store
            .list_receipts(s.0, po, PageRequest::first(100))
            .await
            .unwrap()
            .items
            .len(),
        10
    );
    let stock = store
        .list_inventory(s.0, InventoryFilter::default(), PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(stock.items.iter().map(|l| l.on_hand).sum::<i64>(), 10);
}

/// Receipts of different orders that raise the same stock rows, listed in opposite orders, must
/// not deadlock: each locks the rows in the same (key) order.
async fn concurrent_receipts_of_the_same_stock_in_any_order_all_succeed(store: Arc<dyn Store>) {
    let s = setup(store.as_ref()).await;
    let (shelf, bin) = (
        location(store.as_ref(), &s, "Shelf").await,
        location(store.as_ref(), &s, "Bin").await,
    );
    let mut tasks = Vec::new();
    for i in 0..16 {
        let po = open_order(store.as_ref(), &s).await;
        let mut lines = vec![
            receive("A", shelf, 1, 0, None),
            receive("A", bin, 1, 0, None),
            receive("B", shelf, 1, 0, None),
            receive("B", bin, 1, 0, None),
        ];
        if i % 2 == 1 {
            lines.reverse();
        }
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .receive(s.0.into(), po, lines, format!("req-{i}"))
                .await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().value, Status::Receiving);
    }
    let stock = store
        .list_inventory(s.0, InventoryFilter::default(), PageRequest::first(50))
        .await
        .unwrap();
    let mut on_hand: Vec<(String, Option<LocationId>, i64)> = stock
        .items
        .iter()
        .map(|l| (l.sku.as_str().to_owned(), l.location_id, l.on_hand))
        .collect();
    on_hand.sort();
    let mut expected = vec![
        ("A".to_owned(), Some(shelf), 16),
        ("A".to_owned(), Some(bin), 16),
        ("B".to_owned(), Some(shelf), 16),
        ("B".to_owned(), Some(bin), 16),
    ];
    expected.sort();
    assert_eq!(on_hand, expected);
}
