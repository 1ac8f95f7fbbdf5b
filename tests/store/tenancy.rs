use std::sync::Arc;

use procura::domain::page::PageRequest;
use procura::domain::purchase_order::{PurchaseOrderFilter, ShippingDetailsPatch};
use procura::domain::status::Status;
use procura::domain::warehouse::{LocationChange, NewLocation};
use procura::http::refusals::Rule;
use procura::store::Store;

use crate::harness::{
    assert_missing, assert_not_found, contract_tests, line, order, problems, setup, supplier_input,
};

contract_tests!(another_accounts_ids_are_not_found);

async fn another_accounts_ids_are_not_found(store: Arc<dyn Store>) {
    let (owner, supplier, warehouse) = setup(store.as_ref()).await;
    let location = store
        .create_location(
            owner.into(),
            NewLocation {
                warehouse_id: warehouse,
                name: "Shelf".into(),
                barcode: None,
            },
        )
        .await
        .unwrap();
    let po = store
        .create_purchase_order(
            owner.into(),
            order(supplier, warehouse, vec![line("A", 1, None)]),
        )
        .await
        .unwrap();

    let (intruder, own_supplier, own_warehouse) = setup(store.as_ref()).await;
    assert_missing(store.get_supplier(intruder, supplier).await);
    assert_not_found(
        store
            .update_supplier(intruder.into(), supplier, supplier_input("Mine"))
            .await,
    );
    assert_missing(store.get_warehouse(intruder, warehouse).await);
    assert_not_found(
        store
            .rename_warehouse(intruder.into(), warehouse, "Mine".into())
            .await,
    );
    assert_not_found(store.delete_warehouse(intruder, warehouse, true).await);
    assert_missing(store.get_location(intruder, location.id).await);
    assert_not_found(
        store
            .update_location(
                intruder.into(),
                location.id,
                LocationChange {
                    name: Some("X".into()),
                    barcode: None,
                },
            )
            .await,
    );
    assert_not_found(store.delete_location(intruder, location.id, true).await);
    assert_missing(store.get_purchase_order(intruder, po.id).await);
    assert_not_found(
        store
            .replace_purchase_order(
                intruder.into(),
                po.id,
                order(own_supplier, own_warehouse, vec![line("B", 1, None)]),
            )
            .await,
    );
    assert_not_found(
        store
            .update_shipping_details(intruder.into(), po.id, ShippingDetailsPatch::default())
            .await,
    );
    assert_not_found(
        store
            .change_status(intruder.into(), po.id, Status::Cancelled)
            .await,
    );

    // The owner's supplier and warehouse cannot be referred to from the other account.
    let refused = problems(
        store
            .create_purchase_order(
                intruder.into(),
                order(supplier, warehouse, vec![line("A", 1, None)]),
            )
            .await,
    );
    assert_eq!(
        refused
            .iter()
            .map(|p| (p.rule, p.field.as_deref()))
            .collect::<Vec<_>>(),
        [
            (Rule::UnknownReference, Some("supplier_id")),
            (Rule::UnknownReference, Some("warehouse_id"))
        ]
    );
    let refused = problems(
        store
            .create_location(
                intruder.into(),
                NewLocation {
                    warehouse_id: warehouse,
                    name: "X".into(),
                    barcode: None,
                },
            )
            .await,
    );
    assert_eq!(refused[0].rule, Rule::UnknownReference);

    // Lists show only the caller's own rows.
    let pos = store
        .list_purchase_orders(
            intruder,
            PurchaseOrderFilter::default(),
            PageRequest::first(50),
        )
        .await
        .unwrap();
    assert_eq!(pos.total, 0);
    let suppliers = store
        .list_suppliers(intruder, None, PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(
        suppliers.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        [own_supplier]
    );
    let warehouses = store
        .list_warehouses(intruder, PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(
        warehouses.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        [own_warehouse]
    );
    assert_eq!(
        store
            .list_locations(intruder, None, PageRequest::first(50))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .list_locations(intruder, Some(warehouse), PageRequest::first(50))
            .await
            .unwrap()
            .total,
        0
    );

    // And nothing of the owner's changed.
    assert_eq!(
        store
            .get_purchase_order(owner, po.id)
            .await
            .unwrap()
            .expect("it exists"),
        po
    );
    assert_eq!(
        store
            .get_location(owner, location.id)
            .await
            .unwrap()
            .expect("it exists"),
        location
    );
}
