//! Documents are rendered, parsed back with lopdf, and their text compared with the domain values.
//! lopdf decodes text through each font's ToUnicode map, which krilla writes for its embedded
//! subsets, so what a viewer would show is what these tests read.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

use super::pdf::{Fonts, Style};
use super::{OrderDocument, amount, order_summary, received_summary};
use crate::domain::ids::{LocationId, PurchaseOrderId, ReceiptId, SupplierId, WarehouseId};
use crate::domain::money::{CurrencyCode, Money};
use crate::domain::purchase_order::{
    Details, Line, PaymentStatus, PaymentTerms, PurchaseOrder, Sku,
};
use crate::domain::receipt::{Receipt, ReceiptLine};
use crate::domain::status::Status;
use crate::domain::supplier::{Supplier, SupplierInput};
use crate::domain::warehouse::Warehouse;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn line(sku: &str, supplier_sku: Option<&str>, quantity: i64, cost: Option<&str>) -> Line {
    Line {
        sku: Sku::parse(sku).unwrap(),
        supplier_sku: supplier_sku.map(str::to_owned),
        quantity,
        cost: cost.map(|c| Money::parse_cost(c).unwrap()),
        received_quantity: 0,
        rejected_quantity: 0,
    }
}

fn order(products: Vec<Line>) -> PurchaseOrder {
    PurchaseOrder {
        id: PurchaseOrderId(41),
        order_number: "02162026-07".into(),
        supplier_id: SupplierId(5),
        supplier_name: "Acme Industrial Supply".into(),
        warehouse_id: WarehouseId(3),
        status: Status::Receiving,
        details: Details {
            order_date: Some(at(2026, 2, 16, 0, 0)),
            expected_delivery_date: Some(at(2026, 3, 2, 0, 0)),
            payment_terms: PaymentTerms::Net30,
            payment_status: PaymentStatus::PartiallyPaid,
            currency_code: CurrencyCode::parse("EUR").unwrap(),
            shipping_carrier: Some("DHL Freight".into()),
            tracking_number: Some("JD014600003828".into()),
            reference_number: Some("REF-8841".into()),
            note_to_supplier: Some("Please deliver to dock 4 between 8:00 and 14:00. ".repeat(6)),
        },
        create_date: at(2026, 2, 16, 9, 41),
        modify_date: at(2026, 2, 17, 10, 5),
        products,
    }
}

fn supplier(name: &str) -> Supplier {
    Supplier {
        id: SupplierId(5),
        fields: SupplierInput {
            supplier_name: name.into(),
            supplier_email: Some("orders@acme.example".into()),
            address_line_1: Some("12 Foundry Road".into()),
            address_line_2: Some("Unit 3".into()),
            city: Some("Rotterdam".into()),
            state: Some("ZH".into()),
            postal_code: Some("3011 AA".into()),
            country_code: Some("NL".into()),
            contact_name: Some("Jane Roe".into()),
            contact_phone: Some("+31 10 555 0100".into()),
        },
    }
}

fn warehouse() -> Warehouse {
    Warehouse {
        id: WarehouseId(3),
        name: "Main Warehouse".into(),
        created_at: at(2026, 1, 1, 0, 0),
        updated_at: at(2026, 1, 1, 0, 0),
    }
}

fn receipt_line(
    sku: &str,
    location: &str,
    received: i64,
    rejected: i64,
    lot: Option<&str>,
) -> ReceiptLine {
    ReceiptLine {
        sku: Sku::parse(sku).unwrap(),
        location_id: LocationId(8),
        location_name: location.into(),
        received_quantity: received,
        rejected_quantity: rejected,
        lot: lot.map(str::to_owned),
        expiration_date: lot.map(|_| at(2027, 1, 31, 0, 0)),
    }
}

fn receipts() -> Vec<Receipt> {
    vec![
        Receipt {
            id: ReceiptId(1),
            purchase_order_id: PurchaseOrderId(41),
            request_id: "req-5f1c2a".into(),
            received_at: at(2026, 2, 20, 14, 30),
            lines: vec![
                receipt_line("WIDGET-RED", "Aisle 4 Shelf B", 10, 2, Some("LOT-2026-A")),
                receipt_line("BOLT-M8", "Bulk Bay 1", 600, 0, None),
            ],
        },
        Receipt {
            id: ReceiptId(2),
            purchase_order_id: PurchaseOrderId(41),
            request_id: "req-77e0b9".into(),
            received_at: at(2026, 2, 22, 8, 5),
            lines: vec![receipt_line(
                "BOLT-M8",
                "Overflow Cage",
                393,
                7,
                Some("LOT-2026-B"),
            )],
        },
    ]
}

/// Four lines: a cost with two decimals, one with three, a whole one, and a tenth of a cent.
fn sample_order() -> PurchaseOrder {
    let mut products = vec![
        line("WIDGET-RED", Some("ACME-100"), 12, Some("9.99")),
        line("BOLT-M8", None, 1000, Some("0.125")),
        line("GASKET-XL", Some("G-7"), 3, Some("10")),
        line("SHIM-001", Some("S-1"), 7, Some("0.001")),
    ];
    products[0].received_quantity = 10;
    products[0].rejected_quantity = 2;
    products[1].received_quantity = 993;
    products[1].rejected_quantity = 7;
    order(products)
}

/// The text of each page, as lopdf extracts it.
fn pages_of(pdf: &[u8]) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let document = lopdf::Document::load_mem(pdf).unwrap();
    let count = document.get_pages().len() as u32;
    (1..=count)
        .map(|page| document.extract_text(&[page]).unwrap())
        .collect()
}

fn assert_contains(text: &str, expected: &[&str]) {
    for piece in expected {
        assert!(text.contains(piece), "missing {piece:?} in:\n{text}");
    }
}

#[test]
fn order_summary_prints_the_order_supplier_and_delivery_details() {
    let (order, supplier, warehouse) = (
        sample_order(),
        supplier("Acme Industrial Supply"),
        warehouse(),
    );
    let doc = OrderDocument {
        order: &order,
        supplier: &supplier,
        warehouse: &warehouse,
        receipts: &[],
    };
    let pages = pages_of(&order_summary(&doc).unwrap());
    assert_eq!(pages.len(), 1);
    assert_contains(
        &pages[0],
        &[
            "Purchase Order",
            "02162026-07",
            "Receiving",
            "2026-02-16 09:41 UTC",
            "2026-02-16",
            "2026-03-02",
            "Net 30",
            "Partially paid",
            "EUR",
            "Acme Industrial Supply",
            "12 Foundry Road",
            "Unit 3",
            "Rotterdam, ZH, 3011 AA, NL",
            "orders@acme.example",
            "Jane Roe",
            "+31 10 555 0100",
            "Main Warehouse",
            "se-3",
            "DHL Freight",
            "JD014600003828",
            "REF-8841",
            "Please deliver to dock 4",
            "Page 1 of 1",
        ],
    );
}

#[test]
fn order_summary_lists_every_line_with_exact_costs_and_the_total_in_its_currency() {
    let (order, supplier, warehouse) = (
        sample_order(),
        supplier("Acme Industrial Supply"),
        warehouse(),
    );
    let doc = OrderDocument {
        order: &order,
        supplier: &supplier,
        warehouse: &warehouse,
        receipts: &[],
    };
    let text = pages_of(&order_summary(&doc).unwrap()).concat();
    assert_contains(
        &text,
        &[
            "WIDGET-RED",
            "ACME-100",
            "12",
            "9.99",
            "119.88",
            "BOLT-M8",
            "1000",
            "0.125",
            "125.00",
            "GASKET-XL",
            "G-7",
            "10.00",
            "30.00",
            "SHIM-001",
            "S-1",
            "0.001",
            "0.007",
            "Order total",
            "274.887 EUR",
        ],
    );
}

#[test]
fn received_summary_shows_progress_per_line_and_every_receipt_with_lots_and_locations() {
    let (order, supplier, warehouse, receipts) = (
        sample_order(),
        supplier("Acme Industrial Supply"),
        warehouse(),
        receipts(),
    );
    let doc = OrderDocument {
        order: &order,
        supplier: &supplier,
        warehouse: &warehouse,
        receipts: &receipts,
    };
    let pages = pages_of(&received_summary(&doc).unwrap());
    let text = pages.concat();
    assert_contains(
        &text,
        &[
            "Received Summary",
            "02162026-07",
            "Acme Industrial Supply",
            "Main Warehouse",
            "Receiving",
            // Ordered, received, rejected, outstanding of WIDGET-RED and BOLT-M8.
            "Outstanding",
            "12",
            "10",
            "2",
            "0",
            "1000",
            "993",
            "7",
            "3",
            "Receipt 1 · 2026-02-20 14:30 UTC · request req-5f1c2a",
            "Receipt 2 · 2026-02-22 08:05 UTC · request req-77e0b9",
            "Aisle 4 Shelf B",
            "Bulk Bay 1",
            "Overflow Cage",
            "LOT-2026-A",
            "LOT-2026-B",
            "2027-01-31",
            "600",
            "393",
        ],
    );
}

#[test]
fn received_summary_without_receipts_says_nothing_arrived() {
    let (order, supplier, warehouse) = (sample_order(), supplier("Acme"), warehouse());
    let doc = OrderDocument {
        order: &order,
        supplier: &supplier,
        warehouse: &warehouse,
        receipts: &[],
    };
    let text = pages_of(&received_summary(&doc).unwrap()).concat();
    assert_contains(&text, &["Nothing has been received yet."]);
}

#[test]
fn a_two_hundred_line_order_continues_its_table_over_numbered_pages() {
    let products = (1..=200)
        .map(|n| line(&format!("PART-{n:04}"), None, n, Some("1.5")))
        .collect();
    let (order, supplier, warehouse) = (order(products), supplier("Acme"), warehouse());
    let doc = OrderDocument {
        order: &order,
        supplier: &supplier,
        warehouse: &warehouse,
        receipts: &[],
    };
    let pages = pages_of(&order_summary(&doc).unwrap());
    let count = pages.len();
    assert!(count > 1, "{count} pages");
    for (index, page) in pages.iter().enumerate() {
        assert_contains(
            page,
            &[
                "02162026-07",
                "Unit cost",
                "Line total",
                &format!("Page {} of {count}", index + 1),
            ],
        );
    }
    let text = pages.concat();
    for n in 1..=200 {
        assert!(
            text.contains(&format!("PART-{n:04}")),
            "PART-{n:04} missing"
        );
    }
    // 1.5 x (1 + 2 + ... + 200) = 30150
    assert_contains(&text, &["300.00", "30150.00 EUR"]);
}

#[test]
fn huge_amounts_shrink_to_fit_instead_of_losing_digits() {
    let products = vec![line("BIG", None, 1_000_000_000, Some("999999999.999999"))];
    let (order, supplier, warehouse) = (order(products), supplier("Acme"), warehouse());
    let doc = OrderDocument {
        order: &order,
        supplier: &supplier,
        warehouse: &warehouse,
        receipts: &[],
    };
    let text = pages_of(&order_summary(&doc).unwrap()).concat();
    assert_contains(
        &text,
        &[
            "1000000000",
            "999999999.999999",
            "999999999999999000.00 EUR",
        ],
    );
}

#[test]
fn long_values_are_cut_and_long_notes_wrapped_without_losing_words() {
    let mut order = sample_order();
    let note: String = (1..=400).map(|n| format!("word{n} ")).collect();
    order.details.note_to_supplier = Some(note);
    let long_name = "Acme ".repeat(80);
    let (supplier, warehouse) = (supplier(&long_name), warehouse());
    let doc = OrderDocument {
        order: &order,
        supplier: &supplier,
        warehouse: &warehouse,
        receipts: &[],
    };
    let text = pages_of(&order_summary(&doc).unwrap()).concat();
    for n in 1..=400 {
        assert!(text.contains(&format!("word{n}")), "word{n} missing");
    }
    assert_contains(&text, &["Acme Acme", "…"]);
    assert!(!text.contains(long_name.trim()));
}

#[test]
fn wrapped_and_truncated_text_stays_within_its_width() {
    let fonts = Fonts::load().unwrap();
    let text =
        "A supplier note with averyveryveryveryveryverylongwordthatcannotfitonaline and more words";
    for line in fonts.wrap(Style::Regular, 9.0, text, 80.0) {
        assert!(fonts.width(Style::Regular, 9.0, &line) <= 80.0, "{line}");
    }
    let cut = fonts.truncate(Style::Bold, 9.0, text, 60.0);
    assert!(
        cut.ends_with('…') && fonts.width(Style::Bold, 9.0, &cut) <= 60.0,
        "{cut}"
    );
    assert_eq!(fonts.truncate(Style::Bold, 9.0, "short", 60.0), "short");
}

#[test]
fn amounts_keep_every_digit_and_show_at_least_two_decimals() {
    let cases = [
        ("9.99", "9.99"),
        ("0.125", "0.125"),
        ("10", "10.00"),
        ("1.50", "1.50"),
        ("0.000001", "0.000001"),
    ];
    for (raw, shown) in cases {
        assert_eq!(amount(raw.parse::<Decimal>().unwrap()), shown);
    }
}
