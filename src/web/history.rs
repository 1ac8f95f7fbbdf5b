//! The order page's history: each event of the order, oldest first, said in words, with who made
//! the change (see `store::names`).

use serde_json::Value;

use super::page::PageResult;
use super::{Signed, WebState};
use crate::domain::event::{Event, EventType};
use crate::domain::ids::PurchaseOrderId;
use crate::domain::page::PageRequest;
use crate::store::names::ActorNames;

pub struct HistoryRow {
    pub at: String,
    pub who: String,
    pub what: String,
}

/// The order's history, at most [`PageRequest::MAX_SIZE`] events (the API pages through more).
pub async fn rows(
    state: &WebState,
    signed: &Signed,
    order: PurchaseOrderId,
) -> PageResult<Vec<HistoryRow>> {
    let account = signed.user.account;
    let store = state.store();
    let events = store
        .order_history(account, order, PageRequest::first(PageRequest::MAX_SIZE))
        .await?
        .items;
    let names =
        ActorNames::for_actors(store, account, events.iter().map(|e| e.actor.as_str())).await?;
    Ok(events
        .iter()
        .map(|e| HistoryRow {
            at: e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            who: names.name(&e.actor),
            what: describe(e),
        })
        .collect())
}

/// What an event did, in words.
fn describe(event: &Event) -> String {
    let data = &event.data;
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or("?");
    match event.kind {
        EventType::Created => format!("Created {} as a draft", text("order_number")),
        EventType::Replaced => format!("Edited: {}", changed(data)),
        EventType::ShippingDetailsChanged => format!("Shipping details: {}", changed(data)),
        EventType::StatusChanged => format!("Status {} → {}", text("from"), text("status")),
        EventType::ProductsReceived => {
            let lines = data
                .get("product_receives")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let said: Vec<String> = lines
                .iter()
                .map(|l| {
                    let n = |key: &str| l.get(key).and_then(Value::as_i64).unwrap_or(0);
                    let sku = l.get("sku").and_then(Value::as_str).unwrap_or("?");
                    match (n("received_quantity"), n("rejected_quantity")) {
                        (received, 0) => format!("{received} × {sku}"),
                        (0, rejected) => format!("{rejected} × {sku} rejected"),
                        (received, rejected) => {
                            format!("{received} × {sku} ({rejected} rejected)")
                        }
                    }
                })
                .collect();
            format!("Received {}; status {}", said.join(", "), text("status"))
        }
        EventType::ReceiptReversed => format!(
            "Receipt {} reversed; status {}",
            text("receipt_id"),
            text("status")
        ),
        EventType::SendRequested => format!("Sending to {}", recipients(data)),
        EventType::Sent => format!("Sent to {}", recipients(data)),
        EventType::SendFailed => {
            format!("Could not send to {}: {}", recipients(data), text("error"))
        }
    }
}

/// A mail's `to` and `cc`, in one list.
fn recipients(data: &Value) -> String {
    let addresses = |key: &str| {
        data.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let to = addresses("to");
    let cc = addresses("cc");
    let mut said = to.join(", ");
    if !cc.is_empty() {
        said = format!("{said} (cc {})", cc.join(", "));
    }
    said
}

/// The fields a change names, with their new values where they are short enough to show.
fn changed(data: &Value) -> String {
    let Some(changes) = data.get("changes").and_then(Value::as_object) else {
        return "no fields".to_owned();
    };
    if changes.is_empty() {
        return "no fields".to_owned();
    }
    changes
        .iter()
        .map(|(field, change)| {
            let name = field.replace('_', " ");
            match change.get("after") {
                Some(Value::String(s)) if s.chars().count() <= 40 => format!("{name} {s}"),
                Some(Value::Number(n)) => format!("{name} {n}"),
                Some(Value::Null) => format!("{name} cleared"),
                _ => name,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;

    fn event(kind: EventType, data: Value) -> Event {
        Event {
            id: 1,
            position: 1,
            order: PurchaseOrderId(1),
            kind,
            occurred_at: Utc::now(),
            request_id: None,
            actor: "system".to_owned(),
            data,
        }
    }

    #[test]
    fn each_kind_of_event_is_said_in_words() {
        let said = |kind, data| describe(&event(kind, data));
        assert_eq!(
            said(
                EventType::Created,
                json!({"order_number": "12052026-01", "status": "draft"})
            ),
            "Created 12052026-01 as a draft"
        );
        assert_eq!(
            said(
                EventType::StatusChanged,
                json!({"from": "open", "status": "receiving"})
            ),
            "Status open → receiving"
        );
        assert_eq!(
            said(
                EventType::ShippingDetailsChanged,
                json!({"changes": {
                    "tracking_number": {"before": null, "after": "1Z999"},
                    "shipping_carrier": {"before": "UPS", "after": null},
                }})
            ),
            "Shipping details: shipping carrier cleared, tracking number 1Z999"
        );
        assert_eq!(
            said(
                EventType::Replaced,
                json!({"changes": {"products": {"before": [], "after": [{"sku": "A"}]}}})
            ),
            "Edited: products"
        );
        assert_eq!(
            said(
                EventType::ProductsReceived,
                json!({"receipt_id": "se-1", "status": "receiving", "product_receives": [
                    {"sku": "BOLT-1", "received_quantity": 10, "rejected_quantity": 0},
                    {"sku": "NUT-2", "received_quantity": 2, "rejected_quantity": 1},
                    {"sku": "CAP-3", "received_quantity": 0, "rejected_quantity": 4},
                ]})
            ),
            "Received 10 × BOLT-1, 2 × NUT-2 (1 rejected), 4 × CAP-3 rejected; status receiving"
        );
    }
}
