//! The order summary: what the supplier is asked to deliver, where, and at what cost. Only what a
//! supplier acts on is printed: no internal ids, statuses or payment bookkeeping.

use super::layout::{Block, Column, Composer, Field};
use super::pdf::{self, Fonts, Op, Style};
use super::{
    Cancel, DocumentError, OrderDocument, count, money, optional_date, or_dash, party_fields,
    unit_cost,
};
use crate::domain::purchase_order::PaymentTerms;

pub fn order_summary(doc: &OrderDocument, cancel: &Cancel) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let (title, pages) = order_summary_pages(doc, &fonts, cancel)?;
    pdf::render(&fonts, &title, &pages, doc.logo, cancel)
}

/// The laid-out pages and the document's title, before they are written as PDF.
pub(super) fn order_summary_pages(
    doc: &OrderDocument,
    fonts: &Fonts,
    cancel: &Cancel,
) -> Result<(String, Vec<Vec<Op>>), DocumentError> {
    let order = doc.order;
    let details = &order.details;
    let currency = details.currency_code;
    let mut page = Composer::new(
        fonts,
        cancel,
        "Purchase Order",
        &order.order_number,
        doc.logo.map(|logo| (logo.width, logo.height)),
    );

    page.blocks(&buyer_block(doc), &supplier_block(doc));
    page.gap(10.0);
    page.blocks(&ship_to_block(doc), &order_block(doc));

    if let Some(note) = details
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
        Column::left("SKU", 0.24),
        Column::left("Supplier SKU", 0.20),
        Column::right("Quantity", 0.14),
        Column::right(format!("Unit cost ({currency})"), 0.19),
        Column::right(format!("Line total ({currency})"), 0.23),
    ]);
    for line in &order.products {
        page.row(
            &[
                line.sku.as_str().to_owned(),
                or_dash(line.supplier_sku.as_deref()),
                count(line.quantity),
                line.cost
                    .map(|cost| unit_cost(cost.decimal(), currency))
                    .unwrap_or_else(|| "no cost".to_owned()),
                line.total()
                    .map(|total| money(total, currency))
                    .unwrap_or_else(|| "—".to_owned()),
            ],
            Style::Regular,
        )?;
    }
    page.end_table();

    let uncosted = order.products.iter().filter(|l| l.cost.is_none()).count();
    let total = format!("{} {currency}", money(order.total(), currency));
    if uncosted == 0 {
        page.sum("Total", &total, Style::Bold);
    } else {
        page.sum("Subtotal of costed lines", &total, Style::Bold);
        let lines = if uncosted == 1 {
            "line has"
        } else {
            "lines have"
        };
        page.gap(4.0);
        page.paragraph(&format!(
            "{uncosted} {lines} no unit cost and {} not included in this total: please quote \
             {} with your confirmation.",
            if uncosted == 1 { "is" } else { "are" },
            if uncosted == 1 {
                "its price"
            } else {
                "their prices"
            },
        ));
    }

    let title = format!("Purchase order {}", order.order_number);
    let pages = page.finish(&title);
    Ok((title, pages))
}

fn buyer_block(doc: &OrderDocument) -> Block {
    let buyer = doc.buyer;
    let mut fields = party_fields(buyer.company_name.as_deref(), &buyer.address);
    if fields.is_empty() {
        fields.push(Field::new(
            "",
            "(set the company profile with PUT /v2/account)",
        ));
    }
    for (label, value) in [
        ("Email", &buyer.email),
        ("Phone", &buyer.phone),
        ("Tax id", &buyer.tax_id),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            fields.push(Field::new(label, value));
        }
    }
    Block {
        heading: "Buyer",
        fields,
    }
}

fn supplier_block(doc: &OrderDocument) -> Block {
    let supplier = &doc.supplier.fields;
    let address = supplier.address();
    let mut fields = party_fields(Some(&supplier.supplier_name), &address);
    for (label, value) in [
        ("Contact", &supplier.contact_name),
        ("Email", &supplier.supplier_email),
        ("Phone", &supplier.contact_phone),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            fields.push(Field::new(label, value));
        }
    }
    Block {
        heading: "Supplier",
        fields,
    }
}

fn ship_to_block(doc: &OrderDocument) -> Block {
    let company = doc.buyer.company_name.as_deref();
    let mut fields: Vec<Field> = company.map(|c| Field::new("", c)).into_iter().collect();
    fields.push(Field::new("", doc.warehouse.name.clone()));
    match doc.ship_to.filter(|a| !a.is_empty()) {
        Some(address) => fields.extend(address.lines().into_iter().map(|l| Field::new("", l))),
        None => fields.push(Field::new(
            "",
            "(no address: ask the buyer where to deliver)",
        )),
    }
    Block {
        heading: "Ship to",
        fields,
    }
}

fn order_block(doc: &OrderDocument) -> Block {
    let order = doc.order;
    let details = &order.details;
    let mut fields = vec![
        Field::new("Order number", order.order_number.clone()),
        Field::new(
            "Order date",
            optional_date(details.order_date.or(Some(order.create_date))),
        ),
        Field::new("Deliver by", optional_date(details.expected_delivery_date)),
        Field::new("Payment terms", payment_terms(details.payment_terms)),
        Field::new("Currency", details.currency_code.as_str()),
    ];
    for (label, value) in [
        ("Our reference", &details.reference_number),
        ("Carrier", &details.shipping_carrier),
        ("Tracking number", &details.tracking_number),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            fields.push(Field::new(label, value));
        }
    }
    Block {
        heading: "Order",
        fields,
    }
}

/// The terms as a sentence the supplier's accounts department reads.
fn payment_terms(terms: PaymentTerms) -> String {
    match terms {
        PaymentTerms::None => "As agreed",
        PaymentTerms::CashOnDelivery => "Cash on delivery",
        PaymentTerms::PaymentOnReceipt => "Payment on receipt of the goods",
        PaymentTerms::PaymentInAdvance => "Payment in advance",
        PaymentTerms::Net7 => "Net 7 days from invoice",
        PaymentTerms::Net15 => "Net 15 days from invoice",
        PaymentTerms::Net30 => "Net 30 days from invoice",
        PaymentTerms::Net45 => "Net 45 days from invoice",
        PaymentTerms::Net60 => "Net 60 days from invoice",
    }
    .to_owned()
}
