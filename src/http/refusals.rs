//! The wire's words for a [`Refusal`]: which request field it concerns, the value, the message,
//! and the ShipStation error type and code. The only place a refusal is worded.

use crate::domain::refusal::{Action, Refusal};
use crate::domain::status::Status;
use crate::domain::stock::MAX_ON_HAND;

/// The kind of a refusal, which gives its error type and code (`error::rejected`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A field names an object that does not exist in the caller's account.
    UnknownReference,
    /// The object's status does not allow this request.
    InvalidStatus,
    /// A value that must be unique is taken.
    Duplicate,
    /// The object is still referred to and cannot be deleted.
    InUse,
    /// A location outside the purchase order's warehouse.
    WarehouseMismatch,
    /// A value that the stored state makes wrong (e.g. more units than remain).
    InvalidValue,
    /// The request's path names an object that does not exist (404).
    Missing,
}

/// One refusal as the error envelope reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub rule: Rule,
    pub field: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

/// Words `refusal` for the error envelope.
pub fn problem(refusal: &Refusal) -> Problem {
    let entry = |i: usize, field: &str| Some(format!("product_receives[{i}].{field}"));
    let (rule, field, value, message) = match refusal {
        Refusal::StatusForbids {
            order,
            status,
            action,
        } => (
            Rule::InvalidStatus,
            None,
            None,
            status_message(*order, *status, *action),
        ),
        Refusal::Transition(err) => (
            Rule::InvalidStatus,
            Some("status".to_owned()),
            Some(err.to.to_string()),
            err.to_string(),
        ),
        Refusal::UnknownSupplier(id) => (
            Rule::UnknownReference,
            Some("supplier_id".to_owned()),
            Some(id.to_string()),
            format!("supplier {id} does not exist"),
        ),
        Refusal::UnknownWarehouse(id) => (
            Rule::UnknownReference,
            Some("warehouse_id".to_owned()),
            Some(id.to_string()),
            format!("inventory warehouse {id} does not exist"),
        ),
        Refusal::UnknownLocationWarehouse(id) => (
            Rule::UnknownReference,
            Some("inventory_warehouse_id".to_owned()),
            Some(id.to_string()),
            format!("inventory warehouse {id} does not exist"),
        ),
        Refusal::SupplierNameTaken { name, by } => (
            Rule::Duplicate,
            Some("supplier_name".to_owned()),
            Some(name.clone()),
            format!("a supplier named '{name}' already exists ({by})"),
        ),
        Refusal::WarehouseInUse { warehouse, orders } => (
            Rule::InUse,
            Some("inventory_warehouse_id".to_owned()),
            Some(warehouse.to_string()),
            format!(
                "warehouse {warehouse} cannot be deleted: {orders} purchase order(s) refer to it"
            ),
        ),
        Refusal::LocationInUse {
            location,
            receipt_lines,
        } => (
            Rule::InUse,
            Some("inventory_location_id".to_owned()),
            Some(location.to_string()),
            format!(
                "inventory location {location} cannot be deleted: {receipt_lines} receipt line(s) refer to it"
            ),
        ),
        Refusal::UnknownReceipt { order, receipt } => (
            Rule::Missing,
            Some("receipt_id".to_owned()),
            Some(receipt.to_string()),
            format!("purchase order {order} has no receipt {receipt}"),
        ),
        Refusal::ReceiptReversed { receipt, at } => (
            Rule::InvalidStatus,
            Some("receipt_id".to_owned()),
            Some(receipt.to_string()),
            format!(
                "receipt {receipt} was reversed at {}; a receipt is reversed once",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ),
        Refusal::StockGone {
            sku,
            location,
            on_hand,
            units,
        } => (
            Rule::InvalidValue,
            Some("receipt_id".to_owned()),
            None,
            format!(
                "the receipt put {units} unit(s) of SKU '{}' at inventory location {location}, which now holds {on_hand}; it cannot be reversed",
                sku.as_str()
            ),
        ),
        Refusal::UnknownLocation { entry: i, location } => (
            Rule::UnknownReference,
            entry(*i, "inventory_location_id"),
            Some(location.to_string()),
            format!("inventory location {location} does not exist"),
        ),
        Refusal::LocationElsewhere {
            entry: i,
            location,
            location_warehouse,
            order,
            order_warehouse,
        } => (
            Rule::WarehouseMismatch,
            entry(*i, "inventory_location_id"),
            Some(location.to_string()),
            format!(
                "inventory location {location} is in warehouse {location_warehouse}, but purchase order {order} is received into warehouse {order_warehouse}"
            ),
        ),
        Refusal::NotALine {
            entry: i,
            sku,
            order,
        } => (
            Rule::InvalidValue,
            entry(*i, "sku"),
            Some(sku.as_str().to_owned()),
            format!(
                "SKU '{}' is not a line of purchase order {order}",
                sku.as_str()
            ),
        ),
        Refusal::OverReceipt {
            entry: i,
            sku,
            remaining,
            ordered,
            units,
        } => (
            Rule::InvalidValue,
            entry(*i, "received_quantity"),
            Some(units.to_string()),
            format!(
                "SKU '{}' has {remaining} unit(s) remaining of the {ordered} ordered; this request receives or rejects {units} more",
                sku.as_str()
            ),
        ),
        Refusal::OnHandLimit {
            entry: i,
            sku,
            on_hand,
            adding,
            warehouse,
        } => (
            Rule::InvalidValue,
            entry(*i, "received_quantity"),
            Some(adding.to_string()),
            format!(
                "SKU '{}' has {on_hand} unit(s) on hand in warehouse {warehouse}; {adding} more would pass \
                 the most one warehouse may hold of one SKU ({MAX_ON_HAND})",
                sku.as_str()
            ),
        ),
    };
    Problem {
        rule,
        field,
        value,
        message,
    }
}

fn status_message(order: impl std::fmt::Display, status: Status, action: Action) -> String {
    match action {
        Action::Replace => format!(
            "purchase order {order} is '{status}'; it can be replaced only while 'draft'{}",
            if status == Status::Open {
                " (use POST .../shipping_details for an open order)"
            } else {
                ""
            }
        ),
        Action::ChangeShippingDetails => format!(
            "purchase order {order} is '{status}'; shipping details can be changed only while 'open'{}",
            if status == Status::Draft {
                " (use PUT for a draft)"
            } else {
                ""
            }
        ),
        Action::Receive => format!(
            "purchase order {order} is '{status}'; products can be received only while 'open' or 'receiving'"
        ),
        Action::Send => format!(
            "purchase order {order} is '{status}'; it can be sent to its supplier only while 'open' or 'receiving'{}",
            if status == Status::Draft {
                " (open it first)"
            } else {
                ""
            }
        ),
        Action::ReverseReceipt => format!(
            "purchase order {order} is '{status}'; receipts can be reversed only while 'receiving' or 'received'"
        ),
        Action::Document { name, allowed } => {
            let allowed: Vec<String> = allowed.iter().map(|s| format!("'{s}'")).collect();
            format!(
                "purchase order {order} is '{status}'; the {name} document is available only when {}",
                allowed.join(", ")
            )
        }
    }
}
