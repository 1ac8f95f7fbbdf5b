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
use rust_decimal::Decimal;

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
    pub order: &'a PurchaseOrder,
    pub supplier: &'a Supplier,
    pub warehouse: &'a Warehouse,
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

/// An amount with at least two decimals and every digit it has: `9.99`, `0.125`, `10.00`.
fn amount(value: Decimal) -> String {
    let mut value = value.normalize();
    if value.scale() < 2 {
        value.rescale(2);
    }
    value.to_string()
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

/// A wire value as a person reads it: `net_30` becomes `Net 30`.
fn humanize(wire: &str) -> String {
    let spaced = wire.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(value) if !value.trim().is_empty() => value.to_owned(),
        _ => "—".to_owned(),
    }
}
