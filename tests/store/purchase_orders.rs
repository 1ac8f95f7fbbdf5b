use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use procura::domain::ids::{PurchaseOrderId, SupplierId, WarehouseId};
use procura::domain::money::CurrencyCode;
use procura::domain::page::PageRequest;
use procura::domain::purchase_order::{
    Details, Patch, PaymentStatus, PaymentTerms, PurchaseOrder, PurchaseOrderFilter,
    ShippingDetailsPatch, format_order_number,
};
use procura::domain::status::Status;
use procura::http::refusals::{Problem, Rule};
use procura::store::Store;

use crate::harness::{
    assert_missing, assert_not_found, contract_tests, line, order, problems, setup, supplier,
    warehouse,
};

contract_tests!(
    an_order_round_trips_every_field_and_exact_money,
    order_numbers_count_from_01_per_account_and_day,
    unknown_supplier_and_warehouse_are_both_reported,
    only_a_draft_can_be_replaced,
    only_an_open_order_takes_shipping_details,
    every_status_change_is_checked_against_the_stored_status,
    unknown_orders_are_not_found,
);

fn rich_details() -> Details {
    Details {
        order_date: Some(
            Utc.with_ymd_and_hms(2026, 3, 1, 12, 30, 0).unwrap() + Duration::microseconds(123_456),
        ),
        expected_delivery_date: Some(Utc.with_ymd_and_hms(2026, 3, 15, 0, 0, 0).unwrap()),
        payment_terms: PaymentTerms::Net30,
        payment_status: PaymentStatus::PartiallyPaid,
        currency_code: CurrencyCode::parse("EUR").unwrap(),
        shipping_carrier: Some("UPS".into()),
        tracking_number: Some("1Z999".into()),
        reference_number: Some("REF-1".into()),
        note_to_supplier: Some("Fragile — handle with care".into()),
    }
}

async fn an_order_round_trips_every_field_and_exact_money(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    let mut input = order(
        supplier,
        warehouse,
        vec![
            line("CHEAP", 3, Some("0.1")),
            line("TINY", 7, Some("0.000001")),
            line("HUGE", 1_000_000_000, Some("999999999.999999")),
            line("FREE", 2, Some("0")),
            line("UNPRICED", 5, None),
        ],
    );
    input.products[0].supplier_sku = Some("SUP-CHEAP".into());
    input.details = rich_details();

    let created = store
        .create_purchase_order(account.into(), input.clone())
        .await
        .unwrap();
    assert_eq!(created.status, Status::Draft);
    assert_eq!(created.supplier_name, "Acme");
    assert_eq!(created.details, input.details);
    assert_eq!(created.create_date, created.modify_date);
    let stored = store
        .get_purchase_order(account, created.id)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(stored, created);
    let costs: Vec<String> = stored
        .products
        .iter()
        .map(|l| l.cost.map(|c| c.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(costs, ["0.1", "0.000001", "999999999.999999", "0", ""]);
    assert_eq!(
        stored.products[0].supplier_sku.as_deref(),
        Some("SUP-CHEAP")
    );
    assert_eq!(stored.total().to_string(), "999999999999999000.300007");
}

async fn order_numbers_count_from_01_per_account_and_day(store: Arc<dyn Store>) {
    let (first, supplier_a, warehouse_a) = setup(store.as_ref()).await;
    let (second, supplier_b, warehouse_b) = setup(store.as_ref()).await;
    let mut numbers = Vec::new();
    for (account, supplier, warehouse) in [
        (first, supplier_a, warehouse_a),
        (first, supplier_a, warehouse_a),
        (second, supplier_b, warehouse_b),
        (first, supplier_a, warehouse_a),
    ] {
        let po = store
            .create_purchase_order(
                account.into(),
                order(supplier, warehouse, vec![line("A", 1, None)]),
            )
            .await
            .unwrap();
        numbers.push((
            po.order_number.clone(),
            format_order_number(po.create_date.date_naive(), 0),
        ));
    }
    // Expected from each order's own UTC day (robust to a test that runs across midnight).
    let day = |i: usize| numbers[i].1.trim_end_matches("-00").to_owned();
    assert_eq!(numbers[0].0, format!("{}-01", day(0)));
    assert_eq!(numbers[1].0, format!("{}-02", day(1)));
    assert_eq!(numbers[2].0, format!("{}-01", day(2)));
    assert_eq!(numbers[3].0, format!("{}-03", day(3)));
    let listed = store
        .list_purchase_orders(
            first,
            PurchaseOrderFilter {
                order_number: Some(numbers[1].0.clone()),
                ..Default::default()
            },
            PageRequest::first(50),
        )
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
}

async fn unknown_supplier_and_warehouse_are_both_reported(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    let (s, w) = (
        SupplierId(supplier.0 + 1000),
        WarehouseId(warehouse.0 + 1000),
    );
    assert_eq!(
        problems(
            store
                .create_purchase_order(account.into(), order(s, w, vec![line("A", 1, None)]))
                .await
        ),
        vec![
            Problem {
                rule: Rule::UnknownReference,
                field: Some("supplier_id".into()),
                value: Some(s.to_string()),
                message: format!("supplier {s} does not exist"),
            },
            Problem {
                rule: Rule::UnknownReference,
                field: Some("warehouse_id".into()),
                value: Some(w.to_string()),
                message: format!("inventory warehouse {w} does not exist"),
            },
        ]
    );
    let listed = store
        .list_purchase_orders(
            account,
            PurchaseOrderFilter::default(),
            PageRequest::first(50),
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 0, "a refused create writes nothing");
    let next = store
        .create_purchase_order(
            account.into(),
            order(supplier, warehouse, vec![line("A", 1, None)]),
        )
        .await
        .unwrap();
    assert!(
        next.order_number.ends_with("-01"),
        "a refused create takes no order number, got {}",
        next.order_number
    );
}

fn status_problem(message: String) -> Vec<Problem> {
    vec![Problem {
        rule: Rule::InvalidStatus,
        field: None,
        value: None,
        message,
    }]
}

async fn only_a_draft_can_be_replaced(store: Arc<dyn Store>) {
    let (account, acme, main) = setup(store.as_ref()).await;
    let globex = supplier(store.as_ref(), account, "Globex").await;
    let spare = warehouse(store.as_ref(), account).await;
    let mut first = order(
        acme,
        main,
        vec![line("A", 1, Some("1")), line("B", 2, None)],
    );
    first.details = rich_details();
    let po = store
        .create_purchase_order(account.into(), first)
        .await
        .unwrap();

    let replacement = order(
        globex,
        spare,
        vec![line("B", 5, Some("2.25")), line("C", 1, None)],
    );
    let replaced = store
        .replace_purchase_order(account.into(), po.id, replacement.clone())
        .await
        .unwrap();
    assert_eq!(
        (
            replaced.supplier_id,
            replaced.supplier_name.as_str(),
            replaced.warehouse_id
        ),
        (globex, "Globex", spare)
    );
    assert_eq!(
        replaced.details,
        Details::default(),
        "omitted fields are cleared"
    );
    assert_eq!(
        replaced
            .products
            .iter()
            .map(|l| (l.sku.as_str(), l.quantity))
            .collect::<Vec<_>>(),
        [("B", 5), ("C", 1)]
    );
    assert_eq!(
        (replaced.order_number.as_str(), replaced.create_date),
        (po.order_number.as_str(), po.create_date)
    );
    assert!(replaced.modify_date >= po.modify_date);
    assert_eq!(
        store
            .get_purchase_order(account, po.id)
            .await
            .unwrap()
            .expect("it exists"),
        replaced
    );

    // Unknown references are refused and change nothing.
    let bad = order(SupplierId(globex.0 + 1000), spare, vec![line("Z", 1, None)]);
    assert_eq!(
        problems(
            store
                .replace_purchase_order(account.into(), po.id, bad)
                .await
        )
        .len(),
        1
    );
    assert_eq!(
        store
            .get_purchase_order(account, po.id)
            .await
            .unwrap()
            .expect("it exists"),
        replaced
    );

    store
        .change_status(account.into(), po.id, Status::Open)
        .await
        .unwrap();
    let id = po.id;
    assert_eq!(
        problems(
            store
                .replace_purchase_order(account.into(), po.id, replacement.clone())
                .await
        ),
        status_problem(format!(
            "purchase order {id} is 'open'; it can be replaced only while 'draft' (use POST .../shipping_details for an open order)"
        ))
    );
    store
        .change_status(account.into(), po.id, Status::Cancelled)
        .await
        .unwrap();
    assert_eq!(
        problems(
            store
                .replace_purchase_order(account.into(), po.id, replacement)
                .await
        ),
        status_problem(format!(
            "purchase order {id} is 'cancelled'; it can be replaced only while 'draft'"
        ))
    );
}

async fn only_an_open_order_takes_shipping_details(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    let mut input = order(supplier, warehouse, vec![line("A", 2, Some("3.5"))]);
    input.details = rich_details();
    let po = store
        .create_purchase_order(account.into(), input)
        .await
        .unwrap();
    let id = po.id;
    let patch = || ShippingDetailsPatch {
        tracking_number: Patch::Set(Some("2Z".into())),
        shipping_carrier: Patch::Set(None),
        payment_terms: Patch::Set(None),
        ..ShippingDetailsPatch::default()
    };
    assert_eq!(
        problems(
            store
                .update_shipping_details(account.into(), id, patch())
                .await
        ),
        status_problem(format!(
            "purchase order {id} is 'draft'; shipping details can be changed only while 'open' (use PUT for a draft)"
        ))
    );

    store
        .change_status(account.into(), id, Status::Open)
        .await
        .unwrap();
    let before = store
        .get_purchase_order(account, id)
        .await
        .unwrap()
        .expect("it exists");
    let patched = store
        .update_shipping_details(account.into(), id, patch())
        .await
        .unwrap();
    let mut expected: PurchaseOrder = before.clone();
    expected.details.tracking_number = Some("2Z".into());
    expected.details.shipping_carrier = None;
    expected.details.payment_terms = PaymentTerms::None;
    expected.modify_date = patched.modify_date;
    expected.version = before.version.next();
    assert_eq!(patched, expected);
    assert!(patched.modify_date >= before.modify_date);
    assert_eq!(
        store
            .get_purchase_order(account, id)
            .await
            .unwrap()
            .expect("it exists"),
        patched
    );

    store
        .change_status(account.into(), id, Status::Received)
        .await
        .unwrap();
    assert_eq!(
        problems(
            store
                .update_shipping_details(account.into(), id, patch())
                .await
        ),
        status_problem(format!(
            "purchase order {id} is 'received'; shipping details can be changed only while 'open'"
        ))
    );
}

/// The statuses to pass through, from a new draft, to reach `status`.
fn path_to(status: Status) -> &'static [Status] {
    use Status::*;
    match status {
        Draft => &[],
        Open => &[Open],
        Receiving => &[Open, Receiving],
        Received => &[Open, Received],
        Closed => &[Open, Receiving, Closed],
        Cancelled => &[Cancelled],
    }
}

async fn every_status_change_is_checked_against_the_stored_status(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    for from in Status::ALL {
        for to in Status::ALL {
            let po = store
                .create_purchase_order(
                    account.into(),
                    order(supplier, warehouse, vec![line("A", 1, None)]),
                )
                .await
                .unwrap();
            for step in path_to(from) {
                store
                    .change_status(account.into(), po.id, *step)
                    .await
                    .unwrap();
            }
            let before = store
                .get_purchase_order(account, po.id)
                .await
                .unwrap()
                .expect("it exists");
            assert_eq!(before.status, from);
            let result = store.change_status(account.into(), po.id, to).await;
            let after = store
                .get_purchase_order(account, po.id)
                .await
                .unwrap()
                .expect("it exists");
            match from.transition(to) {
                Ok(expected) => {
                    assert_eq!(result.unwrap().value, expected, "{from} -> {to}");
                    assert_eq!(after.status, expected, "{from} -> {to}");
                    if from == to {
                        assert_eq!(
                            after, before,
                            "asking for the current status changes nothing"
                        );
                    } else {
                        assert!(after.modify_date >= before.modify_date);
                    }
                }
                Err(err) => {
                    assert_eq!(
                        problems(result),
                        vec![Problem {
                            rule: Rule::InvalidStatus,
                            field: Some("status".into()),
                            value: Some(to.to_string()),
                            message: err.to_string(),
                        }],
                        "{from} -> {to}"
                    );
                    assert_eq!(
                        after, before,
                        "{from} -> {to}: a refused change writes nothing"
                    );
                }
            }
        }
    }
}

async fn unknown_orders_are_not_found(store: Arc<dyn Store>) {
    let (account, supplier, warehouse) = setup(store.as_ref()).await;
    let missing = PurchaseOrderId(987_654);
    assert_missing(store.get_purchase_order(account, missing).await);
    assert_not_found(
        store
            .replace_purchase_order(
                account.into(),
                missing,
                order(supplier, warehouse, vec![line("A", 1, None)]),
            )
            .await,
    );
    assert_not_found(
        store
            .update_shipping_details(account.into(), missing, ShippingDetailsPatch::default())
            .await,
    );
    assert_not_found(
        store
            .change_status(account.into(), missing, Status::Open)
            .await,
    );
}
