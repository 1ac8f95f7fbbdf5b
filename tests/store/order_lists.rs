//! Listing purchase orders: every filter, and paging by number and by cursor.

use std::sync::Arc;

use procura::domain::ids::{AccountId, PurchaseOrderId};
use procura::domain::page::{PageRequest, Position};
use procura::domain::purchase_order::PurchaseOrderFilter;
use procura::domain::status::Status;
use procura::store::Store;

use crate::harness::{contract_tests, line, order, setup, supplier, warehouse};

contract_tests!(
    lists_filter_by_every_field,
    lists_page_by_number_and_by_cursor_newest_first,
);

async fn ids(
    store: &dyn Store,
    account: AccountId,
    filter: PurchaseOrderFilter,
) -> Vec<PurchaseOrderId> {
    let page = store
        .list_purchase_orders(account, filter, PageRequest::first(500))
        .await
        .unwrap();
    assert_eq!(page.total as usize, page.items.len());
    page.items.iter().map(|po| po.id).collect()
}

async fn lists_filter_by_every_field(store: Arc<dyn Store>) {
    let (account, acme, main) = setup(store.as_ref()).await;
    let globex = supplier(store.as_ref(), account, "Globex").await;
    let spare = warehouse(store.as_ref(), account).await;
    let create = |supplier, warehouse, reference: Option<&str>| {
        let mut input = order(supplier, warehouse, vec![line("A", 1, Some("1.5"))]);
        input.details.reference_number = reference.map(str::to_owned);
        let store = store.clone();
        async move {
            store
                .create_purchase_order(account.into(), input)
                .await
                .unwrap()
        }
    };
    let a = create(acme, main, Some("R-1")).await;
    let b = create(globex, main, None).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let c = create(acme, spare, Some("R-2")).await;
    let d = create(globex, spare, Some("R-1")).await;
    store
        .change_status(account.into(), b.id, Status::Open)
        .await
        .unwrap();
    let b_modified = store
        .get_purchase_order(account, b.id)
        .await
        .unwrap()
        .expect("it exists")
        .modify_date;

    let all = ids(store.as_ref(), account, PurchaseOrderFilter::default()).await;
    assert_eq!(all, [d.id, c.id, b.id, a.id]);
    let summary = &store
        .list_purchase_orders(
            account,
            PurchaseOrderFilter::default(),
            PageRequest::first(1),
        )
        .await
        .unwrap()
        .items[0];
    assert_eq!(
        (
            summary.supplier_name.as_str(),
            summary.reference_number.as_deref()
        ),
        ("Globex", Some("R-1"))
    );
    assert_eq!(
        (summary.order_number.as_str(), summary.create_date),
        (d.order_number.as_str(), d.create_date)
    );

    let f = PurchaseOrderFilter::default;
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                order_number: Some(c.order_number.clone()),
                ..f()
            }
        )
        .await,
        [c.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                status: Some(Status::Open),
                ..f()
            }
        )
        .await,
        [b.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                status: Some(Status::Draft),
                ..f()
            }
        )
        .await,
        [d.id, c.id, a.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                warehouse_id: Some(spare),
                ..f()
            }
        )
        .await,
        [d.id, c.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                supplier_id: Some(globex),
                ..f()
            }
        )
        .await,
        [d.id, b.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                reference_number: Some("R-1".into()),
                ..f()
            }
        )
        .await,
        [d.id, a.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                create_date_start: Some(c.create_date),
                ..f()
            }
        )
        .await,
        [d.id, c.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                create_date_end: Some(b.create_date),
                ..f()
            }
        )
        .await,
        [b.id, a.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                modify_date_start: Some(b_modified),
                ..f()
            }
        )
        .await,
        [b.id]
    );
    assert_eq!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                supplier_id: Some(acme),
                warehouse_id: Some(spare),
                reference_number: Some("R-2".into()),
                ..f()
            }
        )
        .await,
        [c.id]
    );
    assert!(
        ids(
            store.as_ref(),
            account,
            PurchaseOrderFilter {
                reference_number: Some("nope".into()),
                ..f()
            }
        )
        .await
        .is_empty()
    );
}

async fn lists_page_by_number_and_by_cursor_newest_first(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(
            store
                .create_purchase_order(
                    account.into(),
                    order(supplier, warehouse, vec![line("A", 1, None)]),
                )
                .await
                .unwrap()
                .id,
        );
    }
    created.reverse();

    let mut seen = Vec::new();
    let mut request = PageRequest::first(3);
    loop {
        let page = store
            .list_purchase_orders(account, PurchaseOrderFilter::default(), request)
            .await
            .unwrap();
        assert_eq!(page.total, 7);
        assert_eq!(page.pages(), 3);
        // The same page asked by number has the same rows.
        let by_number = store
            .list_purchase_orders(
                account,
                PurchaseOrderFilter::default(),
                PageRequest {
                    size: 3,
                    position: Position::Number(page.page),
                },
            )
            .await
            .unwrap();
        assert_eq!(by_number.items, page.items);
        seen.extend(page.items.iter().map(|po| po.id));
        match page.next_after {
            Some(after_id) => {
                request = PageRequest {
                    size: 3,
                    position: Position::After {
                        after_id,
                        page: page.page + 1,
                        total: page.total,
                    },
                }
            }
            None => break,
        }
    }
    assert_eq!(seen, created);
    let beyond = store
        .list_purchase_orders(
            account,
            PurchaseOrderFilter::default(),
            PageRequest {
                size: 3,
                position: Position::Number(4),
            },
        )
        .await
        .unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 7);
}
