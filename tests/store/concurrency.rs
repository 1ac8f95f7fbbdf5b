//! Rules that must hold when requests race (in one process here; the database enforces them, so
//! they hold across processes too).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use procura::domain::page::PageRequest;
use procura::domain::purchase_order::PurchaseOrderFilter;
use procura::domain::status::Status;
use procura::http::refusals::Rule;
use procura::store::{Store, StoreError};

use crate::harness::{account, contract_tests, line, order, setup, supplier_input, worded};

contract_tests!(
    concurrent_creates_get_distinct_consecutive_order_numbers,
    racing_conflicting_status_changes_have_one_winner,
    racing_suppliers_with_one_name_have_one_winner,
    racing_first_starts_create_exactly_one_account,
    creates_racing_a_warehouse_delete_never_leave_an_order_without_its_warehouse,
);

async fn racing_first_starts_create_exactly_one_account(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_first_account(procura::domain::account::NewApiKey::generate())
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        if task
            .await
            .expect("the task")
            .expect("no store error")
            .is_some()
        {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.list_keys(None).await.unwrap().len(), 1);
    let again = store.create_first_account(procura::domain::account::NewApiKey::generate());
    assert_eq!(again.await.unwrap(), None);
}

async fn concurrent_creates_get_distinct_consecutive_order_numbers(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            let input = order(
                supplier,
                warehouse,
                vec![line(&format!("SKU-{i}"), i + 1, Some("1.25"))],
            );
            tokio::spawn(async move { store.create_purchase_order(account.into(), input).await })
        })
        .collect();
    let mut by_day: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut numbers = HashSet::new();
    for task in tasks {
        let po = task.await.expect("the task").expect("a created order");
        assert!(
            numbers.insert(po.order_number.clone()),
            "{} given twice",
            po.order_number
        );
        let (day, sequence) = po.order_number.split_once('-').expect("MMDDYYYY-NN");
        by_day
            .entry(day.to_owned())
            .or_default()
            .push(sequence.parse().expect("a number"));
    }
    assert_eq!(numbers.len(), 40);
    // Per day, the sequences are exactly 1..=n: nothing skipped, nothing reused.
    for (day, mut sequences) in by_day {
        sequences.sort_unstable();
        assert_eq!(
            sequences,
            (1..=sequences.len() as u32).collect::<Vec<_>>(),
            "day {day}"
        );
    }
}

async fn creates_racing_a_warehouse_delete_never_leave_an_order_without_its_warehouse(
    store: Arc<dyn Store>,
) {
    let (account, supplier, _) = setup(store.as_ref()).await;
    for round in 0..5 {
        let warehouse = crate::harness::warehouse(store.as_ref(), account).await;
        let creates: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                let input = order(
                    supplier,
                    warehouse,
                    vec![line(&format!("R{round}-{i}"), 1, None)],
                );
                tokio::spawn(
                    async move { store.create_purchase_order(account.into(), input).await },
                )
            })
            .collect();
        let delete = {
            let store = store.clone();
            tokio::spawn(async move { store.delete_warehouse(account, warehouse, false).await })
        };
        let mut created = Vec::new();
        for task in creates {
            match task.await.expect("the task") {
                Ok(po) => created.push(po.id),
                Err(StoreError::Rejected(refusals)) => {
                    let problems = worded(&refusals);
                    assert_eq!(problems.len(), 1, "{problems:?}");
                    assert_eq!(problems[0].rule, Rule::UnknownReference);
                    assert_eq!(problems[0].field.as_deref(), Some("warehouse_id"));
                }
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
        match delete.await.expect("the task") {
            Ok(()) => assert!(
                created.is_empty(),
                "the warehouse was deleted under {} order(s)",
                created.len()
            ),
            Err(StoreError::Rejected(refusals)) => {
                let problems = worded(&refusals);
                assert_eq!(problems[0].rule, Rule::InUse, "{problems:?}");
                assert!(!created.is_empty(), "refused, yet no order refers to it");
                store
                    .get_warehouse(account, warehouse)
                    .await
                    .unwrap()
                    .expect("it exists");
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
        for id in created {
            let po = store
                .get_purchase_order(account, id)
                .await
                .unwrap()
                .expect("it exists");
            assert_eq!(po.warehouse_id, warehouse);
        }
    }
}

async fn racing_conflicting_status_changes_have_one_winner(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    // From `open`, `cancelled` and `received` are both allowed, but each forbids the other.
    for round in 0..3 {
        let po = store
            .create_purchase_order(
                account.into(),
                order(supplier, warehouse, vec![line("A", 1, None)]),
            )
            .await
            .unwrap();
        store
            .change_status(account.into(), po.id, Status::Open)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let store = store.clone();
                let to = if (i + round) % 2 == 0 {
                    Status::Cancelled
                } else {
                    Status::Received
                };
                tokio::spawn(
                    async move { (to, store.change_status(account.into(), po.id, to).await) },
                )
            })
            .collect();
        let mut won = HashSet::new();
        let mut lost = 0;
        for task in tasks {
            match task.await.expect("the task") {
                (to, Ok(status)) => {
                    assert_eq!(status.value, to);
                    won.insert(to);
                }
                (_, Err(StoreError::Rejected(refusals))) => {
                    let problems = worded(&refusals);
                    assert_eq!(problems.len(), 1);
                    assert_eq!(problems[0].rule, Rule::InvalidStatus);
                    lost += 1;
                }
                (_, Err(other)) => panic!("unexpected error: {other:?}"),
            }
        }
        assert_eq!(won.len(), 1, "exactly one target status wins, got {won:?}");
        assert_eq!(lost, 10, "every request for the other target is refused");
        let winner = won.into_iter().next().expect("a winner");
        assert_eq!(
            store
                .get_purchase_order(account, po.id)
                .await
                .unwrap()
                .expect("it exists")
                .status,
            winner
        );
    }
    // The per-status counts behind list totals moved with every change, and only once.
    for status in Status::ALL {
        let page = store
            .list_purchase_orders(
                account,
                PurchaseOrderFilter {
                    status: Some(status),
                    ..Default::default()
                },
                PageRequest::first(50),
            )
            .await
            .unwrap();
        assert_eq!(page.total as usize, page.items.len(), "{status}");
    }
}

async fn racing_suppliers_with_one_name_have_one_winner(store: Arc<dyn Store>) {
    let account = account(store.as_ref()).await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            let name = if i % 2 == 0 { "Initech" } else { "INITECH" };
            tokio::spawn(async move {
                store
                    .create_supplier(account.into(), supplier_input(name))
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("the task") {
            Ok(id) => winners.push(id),
            Err(StoreError::Rejected(refusals)) => {
                let problems = worded(&refusals);
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].rule, Rule::Duplicate);
                assert_eq!(problems[0].field.as_deref(), Some("supplier_name"));
                assert!(
                    problems[0].message.ends_with(")"),
                    "{}",
                    problems[0].message
                );
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1);
    let page = store
        .list_suppliers(account, None, procura::domain::page::PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}
