use std::sync::Arc;

use procura::domain::ids::{LocationId, WarehouseId};
use procura::domain::page::{PageRequest, Position};
use procura::domain::warehouse::{LocationChange, NewLocation};
use procura::http::refusals::{Problem, Rule};
use procura::store::Store;

use crate::harness::{
    account, assert_missing, assert_not_found, contract_tests, line, order, problems, setup,
};

contract_tests!(
    warehouses_are_created_renamed_listed_and_deleted,
    locations_belong_to_a_warehouse_and_change_field_by_field,
    a_warehouse_an_order_refers_to_cannot_be_deleted,
);

async fn warehouses_are_created_renamed_listed_and_deleted(store: Arc<dyn Store>) {
    let account = account(store.as_ref()).await;
    let east = store
        .create_warehouse(account.into(), "East".into())
        .await
        .unwrap();
    assert_eq!(east.name, "East");
    assert_eq!(east.created_at, east.updated_at);
    assert_eq!(
        store
            .get_warehouse(account, east.id)
            .await
            .unwrap()
            .expect("it exists"),
        east
    );
    let west = store
        .create_warehouse(account.into(), "West".into())
        .await
        .unwrap();
    let north = store
        .create_warehouse(account.into(), "North".into())
        .await
        .unwrap();

    store
        .rename_warehouse(account.into(), east.id, "East Coast".into())
        .await
        .unwrap();
    let renamed = store
        .get_warehouse(account, east.id)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(renamed.name, "East Coast");
    assert_eq!(renamed.created_at, east.created_at);
    assert!(renamed.updated_at >= east.updated_at);

    let page = store
        .list_warehouses(account, PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(
        page.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        [north.id, west.id]
    );
    let rest = store
        .list_warehouses(
            account,
            PageRequest {
                size: 2,
                position: Position::After {
                    after_id: page.next_after.expect("more"),
                    page: 2,
                    total: 3,
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.items, vec![renamed]);
    assert_eq!(rest.next_after, None);

    store
        .delete_warehouse(account, west.id, false)
        .await
        .unwrap();
    assert_missing(store.get_warehouse(account, west.id).await);
    assert_not_found(store.delete_warehouse(account, west.id, false).await);
    assert_not_found(
        store
            .rename_warehouse(account.into(), WarehouseId(west.id.0 + 1000), "X".into())
            .await,
    );
    assert_eq!(
        store
            .list_warehouses(account, PageRequest::first(50))
            .await
            .unwrap()
            .total,
        2
    );
}

async fn locations_belong_to_a_warehouse_and_change_field_by_field(store: Arc<dyn Store>) {
    let account = account(store.as_ref()).await;
    let main = store
        .create_warehouse(account.into(), "Main".into())
        .await
        .unwrap()
        .id;
    let spare = store
        .create_warehouse(account.into(), "Spare".into())
        .await
        .unwrap()
        .id;

    let missing = WarehouseId(spare.0 + 1000);
    assert_eq!(
        problems(
            store
                .create_location(
                    account.into(),
                    NewLocation {
                        warehouse_id: missing,
                        name: "A".into(),
                        barcode: None
                    }
                )
                .await
        ),
        vec![Problem {
            rule: Rule::UnknownReference,
            field: Some("inventory_warehouse_id".into()),
            value: Some(missing.to_string()),
            message: format!("inventory warehouse {missing} does not exist"),
        }]
    );

    let shelf = store
        .create_location(
            account.into(),
            NewLocation {
                warehouse_id: main,
                name: "Shelf 1".into(),
                barcode: Some("B-1".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(shelf.warehouse_id, main);
    assert_eq!(shelf.barcode.as_deref(), Some("B-1"));
    assert_eq!(
        store
            .get_location(account, shelf.id)
            .await
            .unwrap()
            .expect("it exists"),
        shelf
    );
    let bin = store
        .create_location(
            account.into(),
            NewLocation {
                warehouse_id: main,
                name: "Bin 7".into(),
                barcode: None,
            },
        )
        .await
        .unwrap();
    let dock = store
        .create_location(
            account.into(),
            NewLocation {
                warehouse_id: spare,
                name: "Dock".into(),
                barcode: None,
            },
        )
        .await
        .unwrap();

    // Only the name: the barcode stays. Then only the barcode, cleared.
    store
        .update_location(
            account.into(),
            shelf.id,
            LocationChange {
                name: Some("Shelf 1A".into()),
                barcode: None,
            },
        )
        .await
        .unwrap();
    let renamed = store
        .get_location(account, shelf.id)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(
        (renamed.name.as_str(), renamed.barcode.as_deref()),
        ("Shelf 1A", Some("B-1"))
    );
    store
        .update_location(
            account.into(),
            shelf.id,
            LocationChange {
                name: None,
                barcode: Some(None),
            },
        )
        .await
        .unwrap();
    let cleared = store
        .get_location(account, shelf.id)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!((cleared.name.as_str(), cleared.barcode), ("Shelf 1A", None));
    assert_not_found(
        store
            .update_location(
                account.into(),
                LocationId(dock.id.0 + 1000),
                LocationChange::default(),
            )
            .await,
    );

    let all = store
        .list_locations(account, None, PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(
        all.items.iter().map(|l| l.id).collect::<Vec<_>>(),
        [dock.id, bin.id, shelf.id]
    );
    let in_main = store
        .list_locations(account, Some(main), PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(in_main.total, 2);
    assert_eq!(
        in_main.items.iter().map(|l| l.id).collect::<Vec<_>>(),
        [bin.id]
    );

    store.delete_location(account, bin.id, false).await.unwrap();
    assert_missing(store.get_location(account, bin.id).await);
    assert_not_found(store.delete_location(account, bin.id, false).await);

    // Deleting a warehouse takes its locations with it.
    store.delete_warehouse(account, main, false).await.unwrap();
    assert_missing(store.get_location(account, shelf.id).await);
    assert_eq!(
        store
            .get_location(account, dock.id)
            .await
            .unwrap()
            .expect("it exists"),
        dock
    );
}

async fn a_warehouse_an_order_refers_to_cannot_be_deleted(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    store
        .create_purchase_order(
            account.into(),
            order(supplier, warehouse, vec![line("A", 1, None)]),
        )
        .await
        .unwrap();
    assert_eq!(
        problems(store.delete_warehouse(account, warehouse, true).await),
        vec![Problem {
            rule: Rule::InUse,
            field: Some("inventory_warehouse_id".into()),
            value: Some(warehouse.to_string()),
            message: format!(
                "warehouse {warehouse} cannot be deleted: 1 purchase order(s) refer to it"
            ),
        }]
    );
    assert_eq!(
        store
            .get_warehouse(account, warehouse)
            .await
            .unwrap()
            .expect("it exists")
            .id,
        warehouse
    );
}
