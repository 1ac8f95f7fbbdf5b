//! The received summary: per product what arrived, was refused and is still expected, then each
//! receipt with where the units were put away, their lots and expiration dates.

use super::layout::{Block, Column, Composer, Field};
use super::pdf::{self, Fonts, Op, Style};
use super::{Cancel, DocumentError, OrderDocument, count, date_time, optional_date, or_dash};

pub fn received_summary(doc: &OrderDocument, cancel: &Cancel) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let (title, pages) = received_summary_pages(doc, &fonts, cancel)?;
    pdf::render(&fonts, &title, &pages, doc.logo, cancel)
}

/// The laid-out pages and the document's title, before they are written as PDF.
pub(super) fn received_summary_pages(
    doc: &OrderDocument,
    fonts: &Fonts,
    cancel: &Cancel,
) -> Result<(String, Vec<Vec<Op>>), DocumentError> {
    let order = doc.order;
    let mut page = Composer::new(
        fonts,
        cancel,
        "Received Summary",
        &order.order_number,
        doc.logo.map(|logo| (logo.width, logo.height)),
    );

    let supplier = &doc.supplier.fields;
    let mut order_fields = vec![Field::new("Order number", order.order_number.clone())];
    if let Some(reference) = order
        .details
        .reference_number
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        order_fields.push(Field::new("Our reference", reference));
    }
    order_fields.push(Field::new("Warehouse", doc.warehouse.name.clone()));
    let mut supplier_fields = vec![Field::new("", supplier.supplier_name.clone())];
    if let Some(email) = supplier.supplier_email.as_deref() {
        supplier_fields.push(Field::new("Email", email));
    }
    page.blocks(
        &Block {
            heading: "Order",
            fields: order_fields,
        },
        &Block {
            heading: "Supplier",
            fields: supplier_fields,
        },
    );

    page.gap(14.0);
    page.heading("Products", 40.0);
    page.begin_table(vec![
        Column::left("SKU", 0.40),
        Column::right("Ordered", 0.15),
        Column::right("Received", 0.15),
        Column::right("Rejected", 0.15),
        Column::right("Outstanding", 0.15),
    ]);
    for line in &order.products {
        page.row(
            &[
                line.sku.as_str().to_owned(),
                count(line.quantity),
                count(line.received_quantity),
                count(line.rejected_quantity),
                count(line.outstanding()),
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
             {shown} lines of the latest receipts follow.",
            doc.earlier_lines
        ));
    }
    for (index, receipt) in (1..).zip(doc.receipts) {
        page.gap(6.0);
        let mut heading = format!(
            "Receipt {} · {}",
            doc.earlier_receipts + index,
            date_time(receipt.received_at),
        );
        // The caller has put who recorded it in words (an email, a key's label).
        if let Some(who) = &receipt.recorded_by {
            heading.push_str(&format!(" · recorded by {who}"));
        }
        if let Some(at) = receipt.reversed_at {
            heading.push_str(&format!(" · reversed {}: not counted", date_time(at)));
        }
        page.heading(&heading, 50.0);
        page.begin_table(vec![
            Column::left("SKU", 0.24),
            Column::left("Location", 0.20),
            Column::left("Lot", 0.16),
            Column::left("Expires", 0.14),
            Column::right("Received", 0.13),
            Column::right("Rejected", 0.13),
        ]);
        for line in &receipt.lines {
            page.row(
                &[
                    line.sku.as_str().to_owned(),
                    line.location_name.clone(),
                    or_dash(line.lot.as_deref()),
                    optional_date(line.expiration_date),
                    count(line.received_quantity),
                    count(line.rejected_quantity),
                ],
                Style::Regular,
            )?;
        }
        page.end_table();
    }

    let title = format!("Received summary {}", order.order_number);
    let pages = page.finish(&title);
    Ok((title, pages))
}
