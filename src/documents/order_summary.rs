//! The order summary: what the supplier is asked to deliver, where, and at what cost.

use super::layout::{Align, Block, Column, Composer, Field};
use super::pdf::{self, Fonts, Style};
use super::{
    Cancel, DocumentError, OrderDocument, amount, date_time, humanize, optional_date, or_dash,
};

pub fn order_summary(doc: &OrderDocument, cancel: &Cancel) -> Result<Vec<u8>, DocumentError> {
    let order = doc.order;
    let fonts = Fonts::load()?;
    let mut page = Composer::new(&fonts, cancel, "Purchase Order", &order.order_number);

    page.blocks(&order_block(doc), &supplier_block(doc));
    page.gap(10.0);
    page.blocks(&ship_to_block(doc), &shipping_block(doc));

    if let Some(note) = order
        .details
        .note_to_supplier
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        page.gap(10.0);
        page.heading("Note to supplier", 13.0);
        page.paragraph(note);
    }

    page.gap(14.0);
    page.heading("Products", 40.0);
    page.begin_table(vec![
        Column {
            title: "SKU",
            share: 0.27,
            align: Align::Left,
        },
        Column {
            title: "Supplier SKU",
            share: 0.23,
            align: Align::Left,
        },
        Column {
            title: "Quantity",
            share: 0.13,
            align: Align::Right,
        },
        Column {
            title: "Unit cost",
            share: 0.17,
            align: Align::Right,
        },
        Column {
            title: "Line total",
            share: 0.20,
            align: Align::Right,
        },
    ]);
    for line in &order.products {
        page.row(
            &[
                line.sku.as_str().to_owned(),
                or_dash(line.supplier_sku.as_deref()),
                line.quantity.to_string(),
                line.cost
                    .map(|cost| amount(cost.decimal()))
                    .unwrap_or_else(|| "—".to_owned()),
                line.total().map(amount).unwrap_or_else(|| "—".to_owned()),
            ],
            Style::Regular,
        )?;
    }
    let currency = order.details.currency_code.as_str();
    page.row(
        &[
            "Order total".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            format!("{} {currency}", amount(order.total())),
        ],
        Style::Bold,
    )?;
    page.end_table();

    let title = format!("Purchase order {}", order.order_number);
    let pages = page.finish(&format!("{title} · {}", doc.supplier.fields.supplier_name));
    pdf::render(&fonts, &title, &pages, cancel)
}

fn order_block(doc: &OrderDocument) -> Block {
    let order = doc.order;
    let details = &order.details;
    Block {
        heading: "Order",
        fields: vec![
            Field::new("Order number", order.order_number.clone()),
            Field::new("Status", humanize(order.status.as_str())),
            Field::new("Created", date_time(order.create_date)),
            Field::new("Order date", optional_date(details.order_date)),
            Field::new(
                "Expected delivery",
                optional_date(details.expected_delivery_date),
            ),
            Field::new("Payment terms", humanize(details.payment_terms.as_str())),
            Field::new("Payment status", humanize(details.payment_status.as_str())),
            Field::new("Currency", details.currency_code.as_str()),
        ],
    }
}

fn supplier_block(doc: &OrderDocument) -> Block {
    let supplier = &doc.supplier.fields;
    let mut fields = vec![Field::new("", supplier.supplier_name.clone())];
    for line in [&supplier.address_line_1, &supplier.address_line_2]
        .into_iter()
        .flatten()
    {
        fields.push(Field::new("", line.clone()));
    }
    let place = [
        &supplier.city,
        &supplier.state,
        &supplier.postal_code,
        &supplier.country_code,
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .collect::<Vec<_>>()
    .join(", ");
    if !place.is_empty() {
        fields.push(Field::new("", place));
    }
    fields.push(Field::new(
        "Email",
        or_dash(supplier.supplier_email.as_deref()),
    ));
    fields.push(Field::new(
        "Contact",
        or_dash(supplier.contact_name.as_deref()),
    ));
    fields.push(Field::new(
        "Phone",
        or_dash(supplier.contact_phone.as_deref()),
    ));
    Block {
        heading: "Supplier",
        fields,
    }
}

fn ship_to_block(doc: &OrderDocument) -> Block {
    Block {
        heading: "Ship to",
        fields: vec![
            Field::new("Warehouse", doc.warehouse.name.clone()),
            Field::new("Warehouse id", doc.warehouse.id.to_string()),
        ],
    }
}

fn shipping_block(doc: &OrderDocument) -> Block {
    let details = &doc.order.details;
    Block {
        heading: "Shipping",
        fields: vec![
            Field::new("Carrier", or_dash(details.shipping_carrier.as_deref())),
            Field::new(
                "Tracking number",
                or_dash(details.tracking_number.as_deref()),
            ),
            Field::new("Reference", or_dash(details.reference_number.as_deref())),
        ],
    }
}
