//! What happened to a purchase order: the immutable events of its history and of the account's
//! feed, and what each one says changed.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::ids::{ApiKeyId, PurchaseOrderId, UserId};
use super::mail::MailSummary;
use super::purchase_order::{Details, PurchaseOrder};
use super::receipt::ReceiveLine;
use super::status::Status;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    ApiKey(ApiKeyId),
    /// A person signed in to the web app.
    User(UserId),
    /// A change made without a request: a command, a test.
    System,
}

impl Actor {
    /// Reads the stored form back.
    pub fn parse(text: &str) -> Option<Self> {
        use super::ids::parse_se_id;
        if text == "system" {
            return Some(Self::System);
        }
        if let Some(id) = text.strip_prefix("api_key:") {
            return parse_se_id(id).map(|n| Self::ApiKey(ApiKeyId(n)));
        }
        text.strip_prefix("user:")
            .and_then(parse_se_id)
            .map(|n| Self::User(UserId(n)))
    }

    /// The stored and answered form: `api_key:se-3`, `user:se-2` or `system`.
    pub fn as_text(&self) -> String {
        match self {
            Self::ApiKey(key) => format!("api_key:{key}"),
            Self::User(user) => format!("user:{user}"),
            Self::System => "system".to_owned(),
        }
    }
}

/// What kind of change an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Created,
    Replaced,
    ShippingDetailsChanged,
    StatusChanged,
    ProductsReceived,
    /// A receipt was reversed: its units are taken back from the lines and the stock.
    ReceiptReversed,
    /// Someone asked for the order to be emailed to its supplier; the mail is queued.
    SendRequested,
    /// The mail server accepted the order's mail.
    Sent,
    /// The order's mail could not be delivered, and will not be tried again.
    SendFailed,
}

impl EventType {
    pub const ALL: [Self; 9] = [
        Self::Created,
        Self::Replaced,
        Self::ShippingDetailsChanged,
        Self::StatusChanged,
        Self::ProductsReceived,
        Self::ReceiptReversed,
        Self::SendRequested,
        Self::Sent,
        Self::SendFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "purchase_order.created",
            Self::Replaced => "purchase_order.replaced",
            Self::ShippingDetailsChanged => "purchase_order.shipping_details_changed",
            Self::StatusChanged => "purchase_order.status_changed",
            Self::ProductsReceived => "purchase_order.products_received",
            Self::ReceiptReversed => "purchase_order.receipt_reversed",
            Self::SendRequested => "purchase_order.send_requested",
            Self::Sent => "purchase_order.sent",
            Self::SendFailed => "purchase_order.send_failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// The ShipStation webhook event a subscriber to this kind of change listens to; `None` for
    /// the steps of a send that only the history records (its webhook event is the send itself).
    pub fn webhook_event(self) -> Option<&'static str> {
        match self {
            Self::Created => Some("purchase_order_created_v2"),
            Self::Replaced | Self::ShippingDetailsChanged => Some("purchase_order_updated_v2"),
            Self::StatusChanged => Some("purchase_order_status_changed_v2"),
            // A reversal too, with negative quantities (issue 21).
            Self::ProductsReceived | Self::ReceiptReversed => {
                Some("purchase_order_products_received_v2")
            }
            Self::Sent => Some("purchase_order_sent_v2"),
            Self::SendRequested | Self::SendFailed => None,
        }
    }
}

/// An event about to be appended, inside the transaction of its change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub order: PurchaseOrderId,
    pub kind: EventType,
    pub data: Value,
}

impl NewEvent {
    /// A new order, in `draft`.
    pub fn created(order: PurchaseOrderId, order_number: &str) -> Self {
        Self {
            order,
            kind: EventType::Created,
            data: json!({ "order_number": order_number, "status": Status::Draft.as_str() }),
        }
    }

    /// A replacement: each field that differs, before and after.
    pub fn replaced(before: &PurchaseOrder, after: &PurchaseOrder) -> Self {
        Self {
            order: after.id,
            kind: EventType::Replaced,
            data: json!({ "changes": changes(&snapshot(before), &snapshot(after)) }),
        }
    }

    pub fn shipping_details_changed(
        order: PurchaseOrderId,
        before: &Details,
        after: &Details,
    ) -> Self {
        Self {
            order,
            kind: EventType::ShippingDetailsChanged,
            data: json!({ "changes": changes(&details(before), &details(after)) }),
        }
    }

    pub fn status_changed(order: PurchaseOrderId, from: Status, to: Status) -> Self {
        Self {
            order,
            kind: EventType::StatusChanged,
            data: json!({ "from": from.as_str(), "status": to.as_str() }),
        }
    }

    /// A receipt: its lines, and the status it left the order in.
    pub fn products_received(
        order: PurchaseOrderId,
        receipt_id: i64,
        lines: &[ReceiveLine],
        status: Status,
    ) -> Self {
        let lines: Vec<Value> = lines
            .iter()
            .map(|l| {
                json!({
                    "sku": l.sku.as_str(),
                    "inventory_location_id": l.location_id.to_string(),
                    "received_quantity": l.received_quantity,
                    "rejected_quantity": l.rejected_quantity,
                })
            })
            .collect();
        Self {
            order,
            kind: EventType::ProductsReceived,
            data: json!({
                "receipt_id": crate::domain::ids::ReceiptId(receipt_id).to_string(),
                "status": status.as_str(),
                "product_receives": lines,
            }),
        }
    }
}

impl NewEvent {
    /// A send asked for: the mail is in the outbox.
    pub fn send_requested(order: PurchaseOrderId, mail: &MailSummary) -> Self {
        Self {
            order,
            kind: EventType::SendRequested,
            data: mail.to_json(),
        }
    }

    /// The mail server took the mail.
    pub fn sent(order: PurchaseOrderId, mail: &MailSummary) -> Self {
        Self {
            order,
            kind: EventType::Sent,
            data: mail.to_json(),
        }
    }

    /// The mail was given up on, with the last reason.
    pub fn send_failed(order: PurchaseOrderId, mail: &MailSummary, reason: &str) -> Self {
        let mut data = mail.to_json();
        data["error"] = reason.into();
        Self {
            order,
            kind: EventType::SendFailed,
            data,
        }
    }
}

impl NewEvent {
    /// A receipt reversed: the entries it took back, and the status it left the order in.
    pub fn receipt_reversed(
        order: PurchaseOrderId,
        receipt: crate::domain::ids::ReceiptId,
        lines: &[ReceiveLine],
        status: Status,
    ) -> Self {
        // The units taken back, as negative quantities: a subscriber that adds up receipts
        // adds this one too and lands on the right counts.
        let negated: Vec<ReceiveLine> = lines
            .iter()
            .map(|l| ReceiveLine {
                received_quantity: -l.received_quantity,
                rejected_quantity: -l.rejected_quantity,
                ..l.clone()
            })
            .collect();
        let mut event = Self::products_received(order, receipt.0, &negated, status);
        event.kind = EventType::ReceiptReversed;
        event.data["reversal"] = true.into();
        event
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    /// The event's place in its account's feed, in commit order.
    pub position: i64,
    pub order: PurchaseOrderId,
    pub kind: EventType,
    pub occurred_at: DateTime<Utc>,
    pub request_id: Option<String>,
    pub actor: String,
    pub data: Value,
}

/// The fields a replacement can change, by their names on the wire.
fn snapshot(order: &PurchaseOrder) -> Map<String, Value> {
    let mut fields = details(&order.details);
    fields.insert("supplier_id".into(), order.supplier_id.to_string().into());
    fields.insert("warehouse_id".into(), order.warehouse_id.to_string().into());
    let products: Vec<Value> = order
        .products
        .iter()
        .map(|l| {
            json!({
                "sku": l.sku.as_str(),
                "supplier_sku": l.supplier_sku,
                "quantity": l.quantity,
                "cost": l.cost.map(|c| c.to_string()),
            })
        })
        .collect();
    fields.insert("products".into(), Value::Array(products));
    fields
}

fn details(d: &Details) -> Map<String, Value> {
    let time = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    };
    let mut fields = Map::new();
    fields.insert("order_date".into(), json!(time(d.order_date)));
    fields.insert(
        "expected_delivery_date".into(),
        json!(time(d.expected_delivery_date)),
    );
    fields.insert("payment_terms".into(), d.payment_terms.as_str().into());
    fields.insert("payment_status".into(), d.payment_status.as_str().into());
    fields.insert("currency_code".into(), d.currency_code.as_str().into());
    fields.insert("shipping_carrier".into(), json!(d.shipping_carrier));
    fields.insert("tracking_number".into(), json!(d.tracking_number));
    fields.insert("reference_number".into(), json!(d.reference_number));
    fields.insert("note_to_supplier".into(), json!(d.note_to_supplier));
    fields
}

/// `{field: {before, after}}` for each field whose value differs.
fn changes(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    after
        .iter()
        .filter(|(name, value)| before.get(*name) != Some(*value))
        .map(|(name, value)| {
            let was = before.get(name).cloned().unwrap_or(Value::Null);
            (name.clone(), json!({ "before": was, "after": value }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_only_the_fields_that_differ() {
        let before = Details::default();
        let after = Details {
            tracking_number: Some("1Z999".into()),
            ..Details::default()
        };
        let event = NewEvent::shipping_details_changed(PurchaseOrderId(4), &before, &after);
        assert_eq!(
            event.data,
            json!({"changes": {"tracking_number": {"before": null, "after": "1Z999"}}})
        );
        assert_eq!(
            event.kind.webhook_event(),
            Some("purchase_order_updated_v2")
        );
    }

    #[test]
    fn actors_read_back_from_their_stored_form() {
        for actor in [
            Actor::System,
            Actor::ApiKey(ApiKeyId(3)),
            Actor::User(UserId(12)),
        ] {
            assert_eq!(Actor::parse(&actor.as_text()), Some(actor));
        }
        assert_eq!(Actor::parse("api_key:3"), None);
        assert_eq!(Actor::parse("robot"), None);
    }

    #[test]
    fn event_types_read_back_from_their_names() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventType::parse("purchase_order.deleted"), None);
    }
}
