//! Everything an account's data reads back as, through the Store trait.

use super::*;

#[derive(Debug, PartialEq)]
pub(super) struct Snapshot {
    pub(super) profile: AccountProfile,
    pub(super) suppliers: Vec<Supplier>,
    pub(super) supplier_list: Page<Supplier>,
    pub(super) warehouses: Vec<Warehouse>,
    pub(super) warehouse_list: Page<Warehouse>,
    pub(super) locations: Vec<Location>,
    pub(super) location_list: Page<Location>,
    pub(super) orders: Vec<(PurchaseOrder, Vec<Receipt>)>,
    pub(super) order_lists: Vec<Page<PurchaseOrderSummary>>,
    pub(super) inventory: Vec<Page<InventoryLevel>>,
}

pub(super) async fn snapshot_all(store: &dyn Store, accounts: &[Built]) -> Vec<Snapshot> {
    let mut all = Vec::new();
    for account in accounts {
        all.push(snapshot(store, account).await);
    }
    all
}

pub(super) async fn snapshot(store: &dyn Store, a: &Built) -> Snapshot {
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
        profile: store.account_profile(a.id).await.unwrap(),
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
