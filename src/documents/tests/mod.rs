//! Documents are rendered, parsed back with lopdf, and their text compared with the domain values.
//! lopdf decodes text through each font's ToUnicode map, which krilla writes for its embedded
//! subsets, so what a viewer would show is what these tests read.

mod fixtures;
mod geometry;
mod money;
mod render;

use super::{Cancel, DocumentError, OrderDocument, order_summary, received_summary};
use fixtures::{Fixture, line, order};

/// The text of each page, as lopdf extracts it: one line per piece of text drawn.
fn pages_of(pdf: &[u8]) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let document = lopdf::Document::load_mem(pdf).unwrap();
    let count = document.get_pages().len() as u32;
    (1..=count)
        .map(|page| document.extract_text(&[page]).unwrap())
        .collect()
}

/// Asserts that each row's cells appear in order, one right after the other: a table row, or a
/// label followed by its value.
fn assert_rows(text: &str, rows: &[&[&str]]) {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for row in rows {
        assert!(
            lines.windows(row.len()).any(|w| w == *row),
            "missing row {row:?} in:\n{}",
            lines.join("\n")
        );
    }
}

#[test]
fn order_summary_names_the_buyer_supplier_ship_to_and_terms_a_supplier_acts_on() {
    let fixture = Fixture::sample();
    let pages = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap());
    assert_eq!(pages.len(), 1);
    assert_rows(
        &pages[0],
        &[
            &["Purchase Order", "02162026-07"],
            &["Buyer", "Northwind Trading B.V.", "Keizersgracht 100"],
            &["Amsterdam, 1015 AA, NL"],
            &["Email", "purchasing@northwind.example"],
            &["Phone", "+31 20 555 0199"],
            &["Tax id", "NL123456789B01"],
            &[
                "Supplier",
                "Acme Industrial Supply",
                "12 Foundry Road",
                "Unit 3",
                "Rotterdam, ZH, 3011 AA, NL",
            ],
            &["Contact", "Jane Roe"],
            &["Email", "orders@acme.example"],
            &["Phone", "+31 10 555 0100"],
            &[
                "Ship to",
                "Northwind Trading B.V.",
                "Main Warehouse",
                "Havenstraat 7",
                "Dock 4",
                "Utrecht, 3511 AB, NL",
            ],
            &["Order number", "02162026-07"],
            &["Order date", "2026-02-16"],
            &["Deliver by", "2026-03-02"],
            &["Payment terms", "Net 30 days from invoice"],
            &["Currency", "EUR"],
            &["Our reference", "REF-8841"],
            &["Carrier", "DHL Freight"],
            &["Tracking number", "JD014600003828"],
            &["Note to supplier"],
            &["Page 1 of 1"],
        ],
    );
    // Nothing internal: no status, payment bookkeeping or ids.
    for internal in [
        "Status",
        "Receiving",
        "Payment status",
        "se-",
        "Warehouse id",
    ] {
        assert!(!pages[0].contains(internal), "{internal} in:\n{}", pages[0]);
    }
    let note: String = pages[0]
        .split("Note to supplier")
        .nth(1)
        .unwrap()
        .split("Products")
        .next()
        .unwrap()
        .into();
    let note = note.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(note, fixture.order.details.note_to_supplier.unwrap().trim());
}

#[test]
fn order_summary_lists_every_line_in_the_currencys_minor_units_and_the_total() {
    let fixture = Fixture::sample();
    let text = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap()).concat();
    assert_rows(
        &text,
        &[
            &[
                "SKU",
                "Supplier SKU",
                "Quantity",
                "Unit cost (EUR)",
                "Line total (EUR)",
            ],
            &["WIDGET-RED", "ACME-100", "12", "9.99", "119.88"],
            &["BOLT-M8", "—", "1,000", "0.125", "125.00"],
            &["GASKET-XL", "G-7", "3", "10.00", "30.00"],
            &["SHIM-001", "S-1", "7", "0.001", "0.01"],
            &["Total", "274.89 EUR"],
        ],
    );
}

#[test]
fn a_total_over_lines_without_a_cost_says_which_it_leaves_out() {
    let mut fixture = Fixture::sample();
    fixture.order.products.push(line("QUOTE-ME", None, 5, None));
    let text = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap()).concat();
    assert_rows(
        &text,
        &[
            &["QUOTE-ME", "—", "5", "no cost", "—"],
            &["Subtotal of costed lines", "274.89 EUR"],
        ],
    );
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "1 line has no unit cost and is not included in this total: please quote its price \
             with your confirmation."
        ),
        "{words}"
    );
}

#[test]
fn received_summary_shows_progress_per_line_and_every_receipt_with_lots_and_locations() {
    let fixture = Fixture::sample();
    let text = pages_of(&received_summary(&fixture.doc(), &Cancel::default()).unwrap()).concat();
    assert_rows(
        &text,
        &[
            &["Received Summary", "02162026-07"],
            &["Our reference", "REF-8841"],
            &["Warehouse", "Main Warehouse"],
            &["Supplier", "Acme Industrial Supply"],
            &["SKU", "Ordered", "Received", "Rejected", "Outstanding"],
            &["WIDGET-RED", "12", "10", "2", "0"],
            &["BOLT-M8", "1,000", "993", "7", "0"],
            &["GASKET-XL", "3", "0", "0", "3"],
            &["Receipt 1 · 2026-02-20 14:30 UTC · recorded by clerk@example.com"],
            &["SKU", "Location", "Lot", "Expires", "Received", "Rejected"],
            &[
                "WIDGET-RED",
                "Aisle 4 Shelf B",
                "LOT-2026-A",
                "2027-01-31",
                "10",
                "2",
            ],
            &["BOLT-M8", "Bulk Bay 1", "—", "—", "600", "0"],
            &["Receipt 2 · 2026-02-22 08:05 UTC · recorded by clerk@example.com"],
            &[
                "BOLT-M8",
                "Overflow Cage",
                "LOT-2026-B",
                "2027-01-31",
                "393",
                "7",
            ],
        ],
    );
}

#[test]
fn the_same_order_renders_to_the_same_bytes() {
    let fixture = Fixture::sample();
    let doc = fixture.doc();
    let cancel = Cancel::default();
    assert_eq!(
        order_summary(&doc, &cancel).unwrap(),
        order_summary(&doc, &cancel).unwrap()
    );
    assert_eq!(
        received_summary(&doc, &cancel).unwrap(),
        received_summary(&doc, &cancel).unwrap()
    );
}

#[test]
fn a_render_whose_reader_left_stops_with_cancelled_instead_of_a_document() {
    let fixture = fixtures::large(300, 50, 4);
    let cancel = Cancel::default();
    cancel.cancel();
    assert!(matches!(
        received_summary(&fixture.doc(), &cancel),
        Err(DocumentError::Cancelled)
    ));
    assert!(matches!(
        order_summary(&fixture.doc(), &cancel),
        Err(DocumentError::Cancelled)
    ));
}

#[test]
fn a_ledger_longer_than_the_document_lists_says_what_is_left_out_and_numbers_on() {
    let fixture = Fixture::sample();
    let doc = OrderDocument {
        earlier_receipts: 1500,
        earlier_lines: 4000,
        ..fixture.doc()
    };
    let text = pages_of(&received_summary(&doc, &Cancel::default()).unwrap()).concat();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "Receipts 1 to 1500 are left out (4000 lines) to keep this document to a readable \
             length; the 3 lines of the latest receipts follow."
        ),
        "{words}"
    );
    assert_rows(
        &text,
        &[
            // The per-product figures still cover the whole ledger.
            &["BOLT-M8", "1,000", "993", "7", "0"],
            &["Receipt 1501 · 2026-02-20 14:30 UTC · recorded by clerk@example.com"],
            &["Receipt 1502 · 2026-02-22 08:05 UTC · recorded by clerk@example.com"],
        ],
    );
    assert!(!words.contains("Nothing has been received yet."), "{words}");
    assert!(!words.contains("req-"), "request ids are internal: {words}");
}

#[test]
fn received_summary_without_receipts_says_nothing_arrived() {
    let mut fixture = Fixture::sample();
    fixture.receipts.clear();
    let text = pages_of(&received_summary(&fixture.doc(), &Cancel::default()).unwrap()).concat();
    assert_rows(&text, &[&["Receipts", "Nothing has been received yet."]]);
}

#[test]
fn a_two_hundred_line_order_continues_its_table_over_numbered_pages() {
    let products = (1..=200)
        .map(|n| line(&format!("PART-{n:04}"), None, n, Some("1.5")))
        .collect();
    let fixture = Fixture::new(order(products), "Acme");
    let pages = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap());
    let count = pages.len();
    assert!(count > 1, "{count} pages");
    for (index, page) in pages.iter().enumerate() {
        let number = format!("Page {} of {count}", index + 1);
        assert_rows(
            page,
            &[
                &["Purchase Order", "02162026-07"],
                &[
                    "SKU",
                    "Supplier SKU",
                    "Quantity",
                    "Unit cost (EUR)",
                    "Line total (EUR)",
                ],
                &[&number],
            ],
        );
    }
    let text = pages.concat();
    for n in 1..=200 {
        let (sku, quantity, total) = (
            format!("PART-{n:04}"),
            n.to_string(),
            format!("{}.{}0", n * 3 / 2, if n % 2 == 1 { "5" } else { "0" }),
        );
        assert_rows(&text, &[&[&sku, "—", &quantity, "1.50", &total]]);
    }
    // 1.5 x (1 + 2 + ... + 200) = 30150
    assert_rows(&text, &[&["Total", "30,150.00 EUR"]]);
}

/// The received summary of a large order: 1000 lines and 2000 receipts of five lines each.
/// Ignored: run it by name to measure a render, e.g. under `perf` or `/usr/bin/time`.
#[test]
#[ignore = "a measurement, not a check"]
fn measure_a_large_received_summary() {
    let fixture = fixtures::large(1000, 2000, 5);
    let started = std::time::Instant::now();
    let pdf = received_summary(&fixture.doc(), &Cancel::default()).unwrap();
    eprintln!("{} bytes in {:?}", pdf.len(), started.elapsed());
}
