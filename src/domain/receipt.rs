//! Receiving: what a client reports arriving (`ReceiveLine`), the immutable record kept of each
//! accepted request (`Receipt`), and the stock it adds (`InventoryLevel`).

use chrono::{DateTime, Utc};

use super::Invalid;
use super::ids::{LocationId, PurchaseOrderId, ReceiptId, WarehouseId};
use super::money::{CurrencyCode, Money};
use super::purchase_order::{MAX_QUANTITY, Sku};
use super::text;

/// Most entries one receive request may carry.
pub const MAX_RECEIVE_LINES: usize = 1000;

/// One entry of `product_receives[]`: units of one SKU put away at one location.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiveLine {
    pub sku: Sku,
    pub location_id: LocationId,
    /// Accepted into stock.
    pub received_quantity: i64,
    /// Refused (damaged, missing, failed inspection); counts toward completion, not stock.
    pub rejected_quantity: i64,
    pub lot: Option<String>,
    pub expiration_date: Option<DateTime<Utc>>,
}

/// A receive quantity: 1 or more when given.
pub fn parse_receive_quantity(value: i64) -> Result<i64, Invalid> {
    if (1..=MAX_QUANTITY).contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::value(format!(
            "must be a whole number from 1 to {MAX_QUANTITY}"
        )))
    }
}

pub fn parse_lot(raw: &str) -> Result<Option<String>, Invalid> {
    text::optional(raw, 100)
}

/// A stored line of a receipt, with the location's name for documents.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptLine {
    pub sku: Sku,
    pub location_id: LocationId,
    pub location_name: String,
    pub received_quantity: i64,
    pub rejected_quantity: i64,
    pub lot: Option<String>,
    pub expiration_date: Option<DateTime<Utc>>,
}

/// One accepted receive request. Never changed after it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub id: ReceiptId,
    pub purchase_order_id: PurchaseOrderId,
    /// The `X-Request-Id` of the request that recorded it.
    pub request_id: String,
    pub received_at: DateTime<Utc>,
    /// When the receipt was reversed, if it was: its units no longer count.
    pub reversed_at: Option<DateTime<Utc>>,
    /// Who recorded it, in the events' form (`user:se-2`); `None` for receipts recorded before
    /// this was kept.
    pub recorded_by: Option<String>,
    pub lines: Vec<ReceiptLine>,
}

/// How `GET /v2/inventory` groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One row per SKU and location (the default).
    #[default]
    Location,
    /// One row per SKU and warehouse.
    Warehouse,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InventoryFilter {
    pub sku: Option<String>,
    pub warehouse_id: Option<WarehouseId>,
    pub location_id: Option<LocationId>,
    pub group_by: GroupBy,
}

/// Stock of one SKU at one location (or warehouse, when grouped so).
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryLevel {
    pub sku: Sku,
    pub warehouse_id: WarehouseId,
    /// `None` when grouped by warehouse.
    pub location_id: Option<LocationId>,
    pub on_hand: i64,
    pub allocated: i64,
    /// Average unit cost of the received units that had a cost, with their currency.
    pub average_cost: Option<(Money, CurrencyCode)>,
}

impl InventoryLevel {
    pub fn available(&self) -> i64 {
        self.on_hand - self.allocated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receive_quantities_start_at_one() {
        assert!(parse_receive_quantity(0).is_err());
        assert_eq!(parse_receive_quantity(5), Ok(5));
    }
}
