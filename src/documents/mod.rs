//! The PDF documents of a purchase order: the order summary sent to the supplier and the summary
//! of what was received. Pure rendering: the caller loads the order, its supplier, warehouse and
//! receipts, and decides whether the order's status allows the document (DECISIONS.md section 6).

mod layout;
mod order_summary;
mod pdf;
mod received_summary;
mod shape;
mod slots;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Timelike, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::address::{AccountProfile, Address};
use crate::domain::logo::{ImageType, Logo};
use crate::domain::money::CurrencyCode;
use crate::domain::purchase_order::PurchaseOrder;
use crate::domain::receipt::Receipt;
use crate::domain::supplier::Supplier;
use crate::domain::warehouse::Warehouse;

pub use order_summary::order_summary;
pub use received_summary::received_summary;
pub use slots::{DEFAULT_WAIT, RenderSlot, RenderSlots};

/// Everything a document of one purchase order prints.
#[derive(Debug, Clone, Copy)]
pub struct OrderDocument<'a> {
    /// The buying company; its block says so when the account has no profile yet.
    pub buyer: &'a AccountProfile,
    /// Printed above the title of the first page.
    pub logo: Option<&'a Logo>,
    pub order: &'a PurchaseOrder,
    pub supplier: &'a Supplier,
    pub warehouse: &'a Warehouse,
    /// The warehouse's address, where the goods are delivered.
    pub ship_to: Option<&'a Address>,
    /// Oldest first, as they were recorded: all of them, or the most recent ones when the ledger
    /// is too long to print (see [`RECEIPT_LINES_SHOWN`]).
    pub receipts: &'a [Receipt],
    /// How many receipts, and lines of receipts, were recorded before `receipts` and are left out.
    pub earlier_receipts: u64,
    pub earlier_lines: u64,
}

/// Most receipt lines a received summary lists one by one: a document is for people, and the
/// ledger itself is `GET /v2/purchase_orders/{id}/receives`. The per-product totals, which come
/// from the order's lines, always cover every receipt.
pub const RECEIPT_LINES_SHOWN: usize = 2000;

/// Set once nobody waits for the document any more (the client left, the request timed out); a
/// render checks it between rows and pages and stops with [`DocumentError::Cancelled`].
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The flag itself, for work outside this module (the ledger read) that stops on it too.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    fn check(&self) -> Result<(), DocumentError> {
        if self.is_cancelled() {
            Err(DocumentError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The logo the documents will print from an upload of `image_type`, or why they cannot print it
/// (decoded in full, so that no document fails on it later).
pub fn check_logo(image_type: ImageType, bytes: Vec<u8>) -> Result<Logo, String> {
    pdf::check_logo(image_type, bytes)
}

/// An uploaded logo as `PUT /v2/account/logo` and the settings page take it: its declared
/// `Content-Type` and bytes checked (`domain::logo::check_upload`), then decoded in full. CPU
/// work: run it off the async workers.
pub fn upload_logo(content_type: Option<&str>, bytes: Vec<u8>) -> Result<Logo, String> {
    let image_type = crate::domain::logo::check_upload(content_type, &bytes)?;
    check_logo(image_type, bytes)
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the embedded font could not be loaded")]
    Font,
    #[error("the page layout is invalid")]
    Layout,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("the document was no longer wanted")]
    Cancelled,
}

/// A total as a supplier reads it: rounded to the currency's minor units, thousands grouped:
/// `152,416,048.12` in EUR, `1,235` in JPY, `0.125` in BHD.
pub fn money(value: Decimal, currency: CurrencyCode) -> String {
    let value = match currency.minor_units() {
        Some(units) => {
            let mut value =
                value.round_dp_with_strategy(units, RoundingStrategy::MidpointAwayFromZero);
            value.rescale(units);
            value
        }
        None => value.normalize(),
    };
    grouped(value)
}

/// An order's total with its currency, saying how many lines it leaves out for want of a cost:
/// `USD 99.90 (1 line has no cost)`.
pub fn order_total(order: &crate::domain::purchase_order::PurchaseOrder) -> String {
    let currency = order.details.currency_code;
    let total = format!("{currency} {}", money(order.total(), currency));
    match order.products.iter().filter(|l| l.cost.is_none()).count() {
        0 => total,
        1 => format!("{total} (1 line has no cost)"),
        n => format!("{total} ({n} lines have no cost)"),
    }
}

/// A unit cost: at least the currency's minor units, and every further digit it was agreed with
/// (`0.125` stays `0.125` in EUR), since rounding it would misstate the price.
pub fn unit_cost(value: Decimal, currency: CurrencyCode) -> String {
    let mut value = value.normalize();
    let units = currency.minor_units().unwrap_or(0);
    if value.scale() < units {
        value.rescale(units);
    }
    grouped(value)
}

/// A quantity, grouped like money: `1,000,000`.
fn count(value: i64) -> String {
    grouped(Decimal::from(value))
}

/// `1234567.5` as `1,234,567.5`.
fn grouped(value: Decimal) -> String {
    let text = value.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let mut out = String::from(sign);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// A date, with its time of day only when it has one.
fn date(value: DateTime<Utc>) -> String {
    if value.num_seconds_from_midnight() == 0 {
        value.format("%Y-%m-%d").to_string()
    } else {
        date_time(value)
    }
}

fn date_time(value: DateTime<Utc>) -> String {
    value.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn optional_date(value: Option<DateTime<Utc>>) -> String {
    value.map(date).unwrap_or_else(|| "—".to_owned())
}

/// A party's name over its address lines, each a full-width line of a block.
fn party_fields(name: Option<&str>, address: &Address) -> Vec<layout::Field> {
    name.filter(|n| !n.trim().is_empty())
        .map(str::to_owned)
        .into_iter()
        .chain(address.lines())
        .map(|line| layout::Field::new("", line))
        .collect()
}

fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(value) if !value.trim().is_empty() => value.to_owned(),
        _ => "—".to_owned(),
    }
}
