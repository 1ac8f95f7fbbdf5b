use std::sync::Arc;

use procura::domain::ids::SupplierId;
use procura::domain::page::{PageRequest, Position};
use procura::domain::supplier::SupplierInput;
use procura::http::refusals::{Problem, Rule};
use procura::store::Store;

use crate::harness::{
    account, assert_missing, assert_not_found, contract_tests, problems, supplier, supplier_input,
};

contract_tests!(
    suppliers_round_trip_every_field,
    supplier_names_are_unique_per_account_regardless_of_case,
    suppliers_list_newest_first_with_filter_and_cursor,
);

fn full(name: &str) -> SupplierInput {
    SupplierInput {
        supplier_name: name.to_owned(),
        supplier_email: Some("orders@acme.example".into()),
        address_line_1: Some("1 Main St".into()),
        address_line_2: Some("Suite 2".into()),
        city: Some("Austin".into()),
        state: Some("TX".into()),
        postal_code: Some("78701".into()),
        country_code: Some("US".into()),
        contact_name: Some("Ana Ñúñez".into()),
        contact_phone: Some("+1 512 555 0100".into()),
    }
}

async fn suppliers_round_trip_every_field(store: Arc<dyn Store>) {
    let account = account(store.as_ref()).await;
    let id = store
        .create_supplier(account.into(), full("Acme"))
        .await
        .unwrap();
    let stored = store
        .get_supplier(account, id)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(stored.id, id);
    assert_eq!(stored.fields, full("Acme"));

    // A full replacement clears what it omits.
    store
        .update_supplier(account.into(), id, supplier_input("Acme Corp"))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_supplier(account, id)
            .await
            .unwrap()
            .expect("it exists")
            .fields,
        supplier_input("Acme Corp")
    );

    assert_missing(store.get_supplier(account, SupplierId(id.0 + 1000)).await);
    assert_not_found(
        store
            .update_supplier(account.into(), SupplierId(id.0 + 1000), supplier_input("X"))
            .await,
    );
}

async fn supplier_names_are_unique_per_account_regardless_of_case(store: Arc<dyn Store>) {
    let account = account(store.as_ref()).await;
    let acme = supplier(store.as_ref(), account, "Acme Widgets").await;
    let other = supplier(store.as_ref(), account, "Other").await;

    let duplicate = |name: &str| Problem {
        rule: Rule::Duplicate,
        field: Some("supplier_name".into()),
        value: Some(name.to_owned()),
        message: format!("a supplier named '{name}' already exists ({acme})"),
    };
    assert_eq!(
        problems(
            store
                .create_supplier(account.into(), supplier_input("ACME widgets"))
                .await
        ),
        vec![duplicate("ACME widgets")]
    );
    assert_eq!(
        problems(
            store
                .update_supplier(account.into(), other, supplier_input("acme WIDGETS"))
                .await
        ),
        vec![duplicate("acme WIDGETS")]
    );
    assert_eq!(
        store
            .get_supplier(account, other)
            .await
            .unwrap()
            .expect("it exists")
            .fields
            .supplier_name,
        "Other"
    );

    // A supplier may change the case of its own name; another account may use the name.
    store
        .update_supplier(account.into(), acme, supplier_input("ACME WIDGETS"))
        .await
        .unwrap();
    let elsewhere = crate::harness::account(store.as_ref()).await;
    supplier(store.as_ref(), elsewhere, "acme widgets").await;
}

async fn suppliers_list_newest_first_with_filter_and_cursor(store: Arc<dyn Store>) {
    let account = account(store.as_ref()).await;
    let mut ids = Vec::new();
    for name in [
        "Alpha Tools",
        "Beta Parts",
        "alphabet soup",
        "Gamma",
        "ALPHA omega",
    ] {
        ids.push(supplier(store.as_ref(), account, name).await);
    }
    ids.reverse(); // newest first

    let first = store
        .list_suppliers(account, None, PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(first.total, 5);
    assert_eq!(
        first.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        ids[..2]
    );
    let after = first.next_after.expect("a next page");
    let second = store
        .list_suppliers(
            account,
            None,
            PageRequest {
                size: 2,
                position: Position::After {
                    after_id: after,
                    page: 2,
                    total: 5,
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        ids[2..4]
    );
    assert_eq!(second.page, 2);
    let by_number = store
        .list_suppliers(
            account,
            None,
            PageRequest {
                size: 2,
                position: Position::Number(3),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        by_number.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        ids[4..]
    );
    assert_eq!(by_number.next_after, None);

    let alpha = store
        .list_suppliers(account, Some("aLpHa".into()), PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(alpha.total, 3);
    assert_eq!(
        alpha
            .items
            .iter()
            .map(|s| s.fields.supplier_name.as_str())
            .collect::<Vec<_>>(),
        ["ALPHA omega", "alphabet soup", "Alpha Tools"]
    );
    // No LIKE wildcards: `%` and `_` are plain characters.
    assert_eq!(
        store
            .list_suppliers(account, Some("%".into()), PageRequest::first(50))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .list_suppliers(account, Some("a_p".into()), PageRequest::first(50))
            .await
            .unwrap()
            .total,
        0
    );
}
