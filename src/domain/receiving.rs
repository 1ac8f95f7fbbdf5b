//! A receive request decided: what it does to an order, or every reason it may not.
//!
//! Both stores read (and lock) what a receipt depends on in their own SQL, call [`plan`], and
//! write what it returns: one rule, two databases.

use std::collections::HashMap;

use super::ids::{PurchaseOrderId, WarehouseId};
use super::money::Money;
use super::receipt::ReceiveLine;
use super::refusal::Refusal;
use super::status::Status;
use super::stock;

/// One line of the order as a receipt sees it: ordered, already accounted for, unit cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderLine {
    pub quantity: i64,
    /// Received plus rejected so far.
    pub done: i64,
    pub cost_micros: Option<i64>,
}

/// The order being received into, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: PurchaseOrderId,
    pub warehouse: WarehouseId,
    /// The order's lines by SKU.
    pub lines: HashMap<String, OrderLine>,
}

/// What the account holds that the request's entries name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Referenced {
    /// The warehouse of each entry's location, in the entries' order; `None` where the location
    /// is not in the account.
    pub locations: Vec<Option<WarehouseId>>,
    /// Units of each entry's SKU on hand in the order's warehouse; a SKU without stock may be
    /// absent.
    pub on_hand: HashMap<String, i64>,
}

/// What recording the receipt does besides storing its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// For each entry, in order, the unit cost its received units enter stock at (`None` for a
    /// line without a cost).
    pub unit_costs: Vec<Option<Money>>,
    /// The order's status afterwards: `received` once every line is complete (received plus
    /// rejected equals ordered), `receiving` before.
    pub next: Status,
}

/// Judges every entry against the order and the stock: its location must be in the order's
/// warehouse, its SKU a line of the order; no line may pass its ordered quantity and no SKU may
/// pass [`stock::MAX_ON_HAND`] units in the warehouse. Every refusal is reported, not just the first.
/// The order's status is judged before (see [`super::refusal::ensure_allowed`]), so that a
/// refused status costs no further reads.
pub fn plan(
    mut order: Order,
    entries: &[ReceiveLine],
    referenced: &Referenced,
) -> Result<Plan, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let mut over: Vec<&str> = Vec::new();
    let mut stocked: HashMap<&str, i64> = HashMap::new();
    let mut unit_costs = Vec::with_capacity(entries.len());
    for (entry, (line, location)) in entries.iter().zip(&referenced.locations).enumerate() {
        match *location {
            None => refusals.push(Refusal::UnknownLocation {
                entry,
                location: line.location_id,
            }),
            Some(other) if other != order.warehouse => refusals.push(Refusal::LocationElsewhere {
                entry,
                location: line.location_id,
                location_warehouse: other,
                order: order.id,
                order_warehouse: order.warehouse,
            }),
            Some(_) => {}
        }
        let sku = line.sku.as_str();
        let Some(order_line) = order.lines.get_mut(sku) else {
            refusals.push(Refusal::NotALine {
                entry,
                sku: line.sku.clone(),
                order: order.id,
            });
            unit_costs.push(None);
            continue;
        };
        unit_costs.push(order_line.cost_micros.map(Money::from_micros));
        let units = line.received_quantity + line.rejected_quantity;
        let remaining = order_line.quantity - order_line.done;
        if units > remaining && !over.contains(&sku) {
            over.push(sku);
            refusals.push(Refusal::OverReceipt {
                entry,
                sku: line.sku.clone(),
                remaining,
                ordered: order_line.quantity,
                units,
            });
        }
        order_line.done += units;

        let held = stocked
            .entry(sku)
            .or_insert_with(|| referenced.on_hand.get(sku).copied().unwrap_or(0));
        match stock::check_on_hand(*held, line.received_quantity) {
            Ok(total) => *held = total,
            Err(_) => refusals.push(Refusal::OnHandLimit {
                entry,
                sku: line.sku.clone(),
                on_hand: *held,
                adding: line.received_quantity,
                warehouse: order.warehouse,
            }),
        }
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let complete = order.lines.values().all(|l| l.done == l.quantity);
    Ok(Plan {
        unit_costs,
        next: if complete {
            Status::Received
        } else {
            Status::Receiving
        },
    })
}

/// The order's status once a receipt is reversed, from the units still accounted for on all its
/// lines: `receiving` while some remain, `open` when none do. (A reversal leaves at least that
/// receipt's units outstanding, so never `received`.)
pub fn after_reversal(units_done: i64) -> Status {
    if units_done > 0 {
        Status::Receiving
    } else {
        Status::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::LocationId;
    use crate::domain::purchase_order::Sku;

    const MAIN: WarehouseId = WarehouseId(1);

    fn order(lines: &[(&str, i64, i64, Option<i64>)]) -> Order {
        Order {
            id: PurchaseOrderId(9),
            warehouse: MAIN,
            lines: lines
                .iter()
                .map(|&(sku, quantity, done, cost_micros)| {
                    (
                        sku.to_owned(),
                        OrderLine {
                            quantity,
                            done,
                            cost_micros,
                        },
                    )
                })
                .collect(),
        }
    }

    fn entry(sku: &str, received: i64, rejected: i64) -> ReceiveLine {
        ReceiveLine {
            sku: Sku::parse(sku).unwrap(),
            location_id: LocationId(3),
            received_quantity: received,
            rejected_quantity: rejected,
            lot: None,
            expiration_date: None,
        }
    }

    fn referenced(locations: Vec<Option<WarehouseId>>) -> Referenced {
        Referenced {
            locations,
            on_hand: HashMap::new(),
        }
    }

    #[test]
    fn a_receipt_that_completes_every_line_makes_the_order_received() {
        let plan = plan(
            order(&[("A", 10, 4, Some(2_500_000)), ("B", 1, 0, None)]),
            &[entry("A", 5, 1), entry("B", 1, 0)],
            &referenced(vec![Some(MAIN), Some(MAIN)]),
        )
        .unwrap();
        assert_eq!(plan.next, Status::Received);
        assert_eq!(
            plan.unit_costs,
            vec![Some(Money::from_micros(2_500_000)), None]
        );
    }

    #[test]
    fn a_partial_receipt_makes_the_order_receiving() {
        let plan = plan(
            order(&[("A", 10, 0, None)]),
            &[entry("A", 3, 0), entry("A", 2, 0)],
            &referenced(vec![Some(MAIN), Some(MAIN)]),
        )
        .unwrap();
        assert_eq!(plan.next, Status::Receiving);
    }

    #[test]
    fn every_refusal_is_reported_with_its_entry() {
        let refusals = plan(
            order(&[("A", 10, 8, None)]),
            &[
                entry("A", 2, 0),
                entry("A", 1, 0),
                entry("Z", 1, 0),
                entry("A", 5, 0),
            ],
            &referenced(vec![Some(MAIN), None, Some(WarehouseId(2)), Some(MAIN)]),
        )
        .unwrap_err();
        assert_eq!(
            refusals,
            vec![
                Refusal::UnknownLocation {
                    entry: 1,
                    location: LocationId(3)
                },
                Refusal::OverReceipt {
                    entry: 1,
                    sku: Sku::parse("A").unwrap(),
                    remaining: 0,
                    ordered: 10,
                    units: 1
                },
                Refusal::LocationElsewhere {
                    entry: 2,
                    location: LocationId(3),
                    location_warehouse: WarehouseId(2),
                    order: PurchaseOrderId(9),
                    order_warehouse: MAIN
                },
                Refusal::NotALine {
                    entry: 2,
                    sku: Sku::parse("Z").unwrap(),
                    order: PurchaseOrderId(9)
                },
            ],
            "one over-receipt per SKU, at its first entry past the line"
        );
    }

    #[test]
    fn stock_past_the_warehouse_limit_is_refused() {
        let mut referenced = referenced(vec![Some(MAIN)]);
        referenced
            .on_hand
            .insert("A".into(), stock::MAX_ON_HAND - 1);
        let refusals = plan(
            order(&[("A", 10, 0, None)]),
            &[entry("A", 2, 0)],
            &referenced,
        )
        .unwrap_err();
        assert_eq!(
            refusals,
            vec![Refusal::OnHandLimit {
                entry: 0,
                sku: Sku::parse("A").unwrap(),
                on_hand: stock::MAX_ON_HAND - 1,
                adding: 2,
                warehouse: MAIN
            }]
        );
    }
}
