//! Why the stored state refuses a request. A refusal is decided here, in the domain, from what a
//! store has read; it carries the facts its message needs and, for an entry of a receive
//! request, the entry's index. The HTTP layer names the field and words the message
//! (`http::refusals`), so that neither a store nor a rule knows the wire's field paths.

use super::ids::{LocationId, PurchaseOrderId, ReceiptId, SupplierId, WarehouseId};
use super::purchase_order::Sku;
use super::status::{InvalidTransition, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The order's status does not allow `action`.
    StatusForbids {
        order: PurchaseOrderId,
        status: Status,
        action: Action,
    },
    /// A status change the status machine does not allow.
    Transition(InvalidTransition),
    /// A purchase order names a supplier that is not in the account.
    UnknownSupplier(SupplierId),
    /// A purchase order names a warehouse that is not in the account.
    UnknownWarehouse(WarehouseId),
    /// A new location names a warehouse that is not in the account.
    UnknownLocationWarehouse(WarehouseId),
    /// Another supplier of the account has this name.
    SupplierNameTaken { name: String, by: SupplierId },
    /// Purchase orders still refer to the warehouse.
    WarehouseInUse { warehouse: WarehouseId, orders: i64 },
    /// Receipt lines still refer to the location.
    LocationInUse {
        location: LocationId,
        receipt_lines: i64,
    },
    /// A receive entry names a location that is not in the account.
    UnknownLocation { entry: usize, location: LocationId },
    /// A receive entry names a location of another warehouse than the order's.
    LocationElsewhere {
        entry: usize,
        location: LocationId,
        location_warehouse: WarehouseId,
        order: PurchaseOrderId,
        order_warehouse: WarehouseId,
    },
    /// A receive entry names a SKU that is not a line of the order.
    NotALine {
        entry: usize,
        sku: Sku,
        order: PurchaseOrderId,
    },
    /// A receive entry takes its line past the ordered quantity (one refusal per SKU).
    OverReceipt {
        entry: usize,
        sku: Sku,
        remaining: i64,
        ordered: i64,
        units: i64,
    },
    /// The order has no receipt by this id.
    UnknownReceipt {
        order: PurchaseOrderId,
        receipt: ReceiptId,
    },
    /// The receipt was reversed already.
    ReceiptReversed {
        receipt: ReceiptId,
        at: chrono::DateTime<chrono::Utc>,
    },
    /// A reversal would take more units from a stock row than it holds now.
    StockGone {
        sku: Sku,
        location: LocationId,
        on_hand: i64,
        units: i64,
    },
    /// A receive entry takes the SKU's stock in the warehouse past the most it may hold.
    OnHandLimit {
        entry: usize,
        sku: Sku,
        on_hand: i64,
        adding: i64,
        warehouse: WarehouseId,
    },
}

/// What a request asks of an order, for [`Refusal::StatusForbids`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `PUT`: replace the whole order.
    Replace,
    /// Change the shipping details.
    ChangeShippingDetails,
    /// Record a receipt.
    Receive,
    /// Email the order to its supplier.
    Send,
    /// Reverse one of its receipts.
    ReverseReceipt,
    /// Render a document, which exists only in the statuses given.
    Document {
        name: &'static str,
        allowed: &'static [Status],
    },
}

impl Action {
    /// The statuses in which an order allows this action.
    pub fn allowed(self) -> &'static [Status] {
        match self {
            Action::Replace => &[Status::Draft],
            Action::ChangeShippingDetails => &[Status::Open],
            Action::Receive | Action::Send => &[Status::Open, Status::Receiving],
            Action::ReverseReceipt => &[Status::Receiving, Status::Received],
            Action::Document { allowed, .. } => allowed,
        }
    }
}

/// Whether an order in `status` allows `action`: the one place each status guard is written.
pub fn ensure_allowed(
    order: PurchaseOrderId,
    status: Status,
    action: Action,
) -> Result<(), Refusal> {
    if action.allowed().contains(&status) {
        Ok(())
    } else {
        Err(Refusal::StatusForbids {
            order,
            status,
            action,
        })
    }
}

impl From<InvalidTransition> for Refusal {
    fn from(err: InvalidTransition) -> Self {
        Refusal::Transition(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_is_allowed_in_its_statuses_only() {
        let order = PurchaseOrderId(7);
        for status in Status::ALL {
            let receivable = matches!(status, Status::Open | Status::Receiving);
            assert_eq!(
                ensure_allowed(order, status, Action::Receive).is_ok(),
                receivable
            );
            assert_eq!(
                ensure_allowed(order, status, Action::Replace).is_ok(),
                status == Status::Draft
            );
            assert_eq!(
                ensure_allowed(order, status, Action::ChangeShippingDetails),
                if status == Status::Open {
                    Ok(())
                } else {
                    Err(Refusal::StatusForbids {
                        order,
                        status,
                        action: Action::ChangeShippingDetails,
                    })
                }
            );
        }
    }
}
