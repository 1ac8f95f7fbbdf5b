//! Documents are rendered, parsed back with lopdf, and their text compared with the domain values.
//! lopdf decodes text through each font's ToUnicode map, which krilla writes for its embedded
//! subsets, so what a viewer would show is what these tests read.

mod fixtures;

use rust_decimal::Decimal;

use super::pdf::{Fonts, Style};
use super::{Cancel, DocumentError, OrderDocument, amount, order_summary, received_summary};
use fixtures::{Fixture, line, order, sample_order};

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
fn order_summary_prints_the_order_supplier_and_delivery_details() {
    let fixture = Fixture::sample();
    let pages = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap());
    assert_eq!(pages.len(), 1);
    assert_rows(
        &pages[0],
        &[
            &["Purchase Order", "02162026-07"],
            &["Order number", "02162026-07"],
            &["Status", "Receiving"],
            &["Created", "2026-02-16 09:41 UTC"],
            &["Order date", "2026-02-16"],
            &["Expected delivery", "2026-03-02"],
            &["Payment terms", "Net 30"],
            &["Payment status", "Partially paid"],
            &["Currency", "EUR"],
            &[
                "Acme Industrial Supply",
                "12 Foundry Road",
                "Unit 3",
                "Rotterdam, ZH, 3011 AA, NL",
            ],
            &["Email", "orders@acme.example"],
            &["Contact", "Jane Roe"],
            &["Phone", "+31 10 555 0100"],
            &["Warehouse", "Main Warehouse"],
            &["Warehouse id", "se-3"],
            &["Carrier", "DHL Freight"],
            &["Tracking number", "JD014600003828"],
            &["Reference", "REF-8841"],
            &["Note to supplier"],
            &["Page 1 of 1"],
        ],
    );
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
fn order_summary_lists_every_line_with_exact_costs_and_the_total_in_its_currency() {
    let fixture = Fixture::sample();
    let text = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap()).concat();
    assert_rows(
        &text,
        &[
            &["SKU", "Supplier SKU", "Quantity", "Unit cost", "Line total"],
            &["WIDGET-RED", "ACME-100", "12", "9.99", "119.88"],
            &["BOLT-M8", "—", "1000", "0.125", "125.00"],
            &["GASKET-XL", "G-7", "3", "10.00", "30.00"],
            &["SHIM-001", "S-1", "7", "0.001", "0.007"],
            &["Order total", "274.887 EUR"],
        ],
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
            &["Status", "Receiving"],
            &["Warehouse", "Main Warehouse"],
            &["Supplier", "Acme Industrial Supply"],
            &["SKU", "Ordered", "Received", "Rejected", "Outstanding"],
            &["WIDGET-RED", "12", "10", "2", "0"],
            &["BOLT-M8", "1000", "993", "7", "0"],
            &["GASKET-XL", "3", "0", "0", "3"],
            &["Receipt 1 · 2026-02-20 14:30 UTC · request req-5f1c2a"],
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
            &["Receipt 2 · 2026-02-22 08:05 UTC · request req-77e0b9"],
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
             length; the 3 lines of the latest receipts follow. GET \
             /v2/purchase_orders/se-41/receives has the full ledger."
        ),
        "{words}"
    );
    assert_rows(
        &text,
        &[
            // The per-product figures still cover the whole ledger.
            &["BOLT-M8", "1000", "993", "7", "0"],
            &["Receipt 1501 · 2026-02-20 14:30 UTC · request req-5f1c2a"],
            &["Receipt 1502 · 2026-02-22 08:05 UTC · request req-77e0b9"],
        ],
    );
    assert!(!words.contains("Nothing has been received yet."), "{words}");
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
                &["SKU", "Supplier SKU", "Quantity", "Unit cost", "Line total"],
                &[&number],
            ],
        );
    }
    let text = pages.concat();
    for n in 1..=200 {
        let (sku, quantity, total) = (
            format!("PART-{n:04}"),
            n.to_string(),
            amount(Decimal::from(n) * Decimal::new(15, 1)),
        );
        assert_rows(&text, &[&[&sku, "—", &quantity, "1.50", &total]]);
    }
    // 1.5 x (1 + 2 + ... + 200) = 30150
    assert_rows(&text, &[&["Order total", "30150.00 EUR"]]);
}

#[test]
fn huge_amounts_shrink_to_fit_instead_of_losing_digits() {
    let products = vec![line("BIG", None, 1_000_000_000, Some("999999999.999999"))];
    let fixture = Fixture::new(order(products), "Acme");
    let text = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap()).concat();
    assert_rows(
        &text,
        &[
            &[
                "BIG",
                "—",
                "1000000000",
                "999999999.999999",
                "999999999999999000.00",
            ],
            &["Order total", "999999999999999000.00 EUR"],
        ],
    );
}

#[test]
fn long_values_are_cut_and_long_notes_wrapped_without_losing_words() {
    let mut fixture = Fixture::new(sample_order(), &"Acme ".repeat(80));
    let note: String = (1..=400).map(|n| format!("word{n} ")).collect();
    fixture.order.details.note_to_supplier = Some(note.clone());
    let pages = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap());
    let text = pages.concat();
    let printed: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.starts_with("word"))
        .collect();
    assert_eq!(printed, note.split_whitespace().collect::<Vec<_>>());
    let supplier_line = text
        .lines()
        .find(|l| l.starts_with("Acme Acme"))
        .unwrap()
        .trim();
    assert!(
        supplier_line.ends_with('…') && supplier_line.len() < 200,
        "{supplier_line}"
    );
}

#[test]
fn wrapped_and_truncated_text_stays_within_its_width() {
    let fonts = Fonts::load().unwrap();
    let text =
        "A supplier note with averyveryveryveryveryverylongwordthatcannotfitonaline and more words";
    let lines = fonts.wrap(Style::Regular, 9.0, text, 80.0);
    assert!(lines.len() > 3);
    for line in &lines {
        assert!(fonts.width(Style::Regular, 9.0, line) <= 80.0, "{line}");
    }
    assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
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
