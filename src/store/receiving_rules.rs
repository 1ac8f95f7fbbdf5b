//! The rules of a receive request against the stored order, shared by both stores: each store
//! reads (and locks) what it needs in its own SQL, then asks these functions for the verdict.

use std::collections::HashMap;

use crate::domain::ids::{PurchaseOrderId, WarehouseId};
use crate::domain::receipt::ReceiveLine;
use crate::domain::stock::{self, MAX_ON_HAND};

use super::{Problem, Rule};

/// One line of the order as the receipt sees it: ordered, already accounted for, unit cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderLine {
    pub quantity: i64,
    pub done: i64,
    pub cost_micros: Option<i64>,
}

/// Checks every entry: its location (`locations[i]` is the warehouse of entry `i`'s location,
/// `None` when it does not exist in the account) must be in the order's warehouse, its SKU must
/// be a line of the order, and no line may pass its ordered quantity. Adds each entry's units
/// to `order_lines`, so that afterwards they hold the state the receipt leaves. `on_hand` holds
/// the units of each SKU already in the order's warehouse (a SKU without stock may be absent): no
/// entry may take them past [`MAX_ON_HAND`].
pub fn check(
    id: PurchaseOrderId,
    warehouse: WarehouseId,
    lines: &[ReceiveLine],
    locations: &[Option<WarehouseId>],
    order_lines: &mut HashMap<String, OrderLine>,
    on_hand: &HashMap<String, i64>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut over: Vec<&str> = Vec::new();
    let mut stocked: HashMap<&str, i64> = HashMap::new();
    for (i, (line, location)) in lines.iter().zip(locations).enumerate() {
        let at = |field: &str| Some(format!("product_receives[{i}].{field}"));
        match location {
            None => problems.push(Problem {
                rule: Rule::UnknownReference,
                field: at("inventory_location_id"),
                value: Some(line.location_id.to_string()),
                message: format!("inventory location {} does not exist", line.location_id),
            }),
            Some(other) if *other != warehouse => problems.push(Problem {
                rule: Rule::WarehouseMismatch,
                field: at("inventory_location_id"),
                value: Some(line.location_id.to_string()),
                message: format!(
                    "inventory location {} is in warehouse {other}, but purchase order {id} is received into warehouse {warehouse}",
                    line.location_id
                ),
            }),
            Some(_) => {}
        }
        let Some(order_line) = order_lines.get_mut(line.sku.as_str()) else {
            problems.push(Problem {
                rule: Rule::InvalidValue,
                field: at("sku"),
                value: Some(line.sku.as_str().to_owned()),
                message: format!(
                    "SKU '{}' is not a line of purchase order {id}",
                    line.sku.as_str()
                ),
            });
            continue;
        };
        let units = line.received_quantity + line.rejected_quantity;
        let remaining = order_line.quantity - order_line.done;
        if units > remaining && !over.contains(&line.sku.as_str()) {
            over.push(line.sku.as_str());
            problems.push(Problem {
                rule: Rule::InvalidValue,
                field: at("received_quantity"),
                value: Some(units.to_string()),
                message: format!(
                    "SKU '{}' has {remaining} unit(s) remaining of the {} ordered; this request receives or rejects {units} more",
                    line.sku.as_str(),
                    order_line.quantity
                ),
            });
        }
        order_line.done += units;

        let held = stocked
            .entry(line.sku.as_str())
            .or_insert_with(|| on_hand.get(line.sku.as_str()).copied().unwrap_or(0));
        match stock::check_on_hand(*held, line.received_quantity) {
            Ok(total) => *held = total,
            Err(_) => problems.push(Problem {
                rule: Rule::InvalidValue,
                field: at("received_quantity"),
                value: Some(line.received_quantity.to_string()),
                message: format!(
                    "SKU '{}' has {held} unit(s) on hand in warehouse {warehouse}; {} more would pass \
                     the most one warehouse may hold of one SKU ({MAX_ON_HAND})",
                    line.sku.as_str(),
                    line.received_quantity
                ),
            }),
        }
    }
    problems
}

/// Whether every line is complete (received + rejected = ordered) once the receipt applies.
pub fn complete(order_lines: &HashMap<String, OrderLine>) -> bool {
    order_lines.values().all(|l| l.done == l.quantity)
}
