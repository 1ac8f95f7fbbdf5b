//! The received summary: per product what arrived, was refused and is still expected, then each
//! receipt with where the units were put away, their lots and expiration dates.

use super::layout::{Align, Block, Column, Composer, Field};
use super::pdf::{self, Fonts, Style};
use super::{Cancel, DocumentError, OrderDocument, date_time, humanize, optional_date, or_dash};

pub fn received_summary(doc: &OrderDocument, cancel: &Cancel) -> Result<Vec<u8>, DocumentError> {
    let order = doc.order;
    let fonts = Fonts::load()?;
    let mut page = Composer::new(&fonts, cancel, "Received Summary", &order.order_number);

    let supplier = &doc.supplier.fields;
    page.blocks(
        &Block {
            heading: "Order",
            fields: vec![
                Field::new("Order number", order.order_number.clone()),
                Field::new("Status", humanize(order.status.as_str())),
                Field::new("Warehouse", doc.warehouse.name.clone()),
                Field::new("Warehouse id", doc.warehouse.id.to_string()),
            ],
        },
        &Block {
            heading: "Supplier",
            fields: vec![
                Field::new("", supplier.supplier_name.clone()),
                Field::new("Email", or_dash(supplier.supplier_email.as_deref())),
                Field::new(
                    "Reference",
                    or_dash(order.details.reference_number.as_deref()),
                ),
            ],
        },
    );

    page.gap(14.0);
    page.heading("Products", 40.0);
    page.begin_table(vec![
        Column {
            title: "SKU",
            share: 0.40,
            align: Align::Left,
        },
        Column {
            title: "Ordered",
            share: 0.15,
            align: Align::Right,
        },
        Column {
            title: "Received",
            share: 0.15,
            align: Align::Right,
        },
        Column {
            title: "Rejected",
            share: 0.15,
            align: Align::Right,
        },
        Column {
            title: "Outstanding",
            share: 0.15,
            align: Align::Right,
        },
    ]);
    for line in &order.products {
        page.row(
            &[
                line.sku.as_str().to_owned(),
                line.quantity.to_string(),
                line.received_quantity.to_string(),
                line.rejected_quantity.to_string(),
                line.outstanding().to_string(),
            ],
            Style::Regular,
        )?;
    }
    page.end_table();

    page.gap(14.0);
    page.heading("Receipts", 13.0);
    if doc.receipts.is_empty() && doc.earlier_lines == 0 {
        page.paragraph("Nothing has been received yet.");
    }
    if doc.earlier_lines > 0 {
        let shown: usize = doc.receipts.iter().map(|r| r.lines.len()).sum();
        let left_out = match doc.earlier_receipts {
            1 => "Receipt 1 is".to_owned(),
            n => format!("Receipts 1 to {n} are"),
        };
        page.paragraph(&format!(
            "{left_out} left out ({} lines) to keep this document to a readable length; the \
             {shown} lines of the latest receipts follow. GET /v2/purchase_orders/{}/receives \
             has the full ledger.",
            doc.earlier_lines, order.id
        ));
    }
    for (index, receipt) in (1..).zip(doc.receipts) {
        page.gap(6.0);
        let heading = format!(
            "Receipt {} · {} · request {}",
            doc.earlier_receipts + index,
            date_time(receipt.received_at),
            receipt.request_id
        );
        page.heading(&heading, 50.0);
        page.begin_table(vec![
            Column {
                title: "SKU",
                share: 0.24,
                align: Align::Left,
            },
            Column {
                title: "Location",
                share: 0.20,
                align: Align::Left,
            },
            Column {
                title: "Lot",
                share: 0.16,
                align: Align::Left,
            },
            Column {
                title: "Expires",
                share: 0.14,
                align: Align::Left,
            },
            Column {
                title: "Received",
                share: 0.13,
                align: Align::Right,
            },
            Column {
                title: "Rejected",
                share: 0.13,
                align: Align::Right,
            },
        ]);
        for line in &receipt.lines {
            page.row(
                &[
                    line.sku.as_str().to_owned(),
                    line.location_name.clone(),
                    or_dash(line.lot.as_deref()),
                    optional_date(line.expiration_date),
                    line.received_quantity.to_string(),
                    line.rejected_quantity.to_string(),
                ],
                Style::Regular,
            )?;
        }
        page.end_table();
    }

    let title = format!("Received summary {}", order.order_number);
    let pages = page.finish(&format!("{title} · {}", supplier.supplier_name));
    pdf::render(&fonts, &title, &pages, cancel)
}
