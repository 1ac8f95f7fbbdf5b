//! A webhook's deliveries as the store keeps them: the outbox the delivery worker leases from,
//! and the log `GET .../deliveries` shows.

use chrono::{DateTime, Utc};

use super::StoreResult;
use super::rows::Columns;
use crate::domain::event::{Event, EventType};
use crate::domain::ids::{DeliveryId, PurchaseOrderId, WebhookId};
use crate::domain::webhook::Header;

/// One event for one webhook, and how sending it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub event_id: i64,
    pub purchase_order_id: PurchaseOrderId,
    /// The order's number, for people reading the log.
    pub order_number: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i64>,
    pub last_response: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The columns [`read_delivery`] reads: `d` the delivery, `o` its order.
pub(crate) const DELIVERY_COLUMNS: &str = "d.id, d.event_id, d.purchase_order_id, d.state, \
     d.attempts, d.next_attempt_at, d.last_status, d.last_response, d.delivered_at, d.created_at, \
     o.order_number";

pub(crate) fn read_delivery(r: &impl Columns) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: DeliveryId(r.int(0)?),
        event_id: r.int(1)?,
        purchase_order_id: PurchaseOrderId(r.int(2)?),
        state: r.text(3)?,
        attempts: r.int(4)?,
        next_attempt_at: r.time(5)?,
        last_status: r.opt_int(6)?,
        last_response: r.opt_text(7)?,
        delivered_at: r.opt_time(8)?,
        created_at: r.time(9)?,
        order_number: r.text(10)?,
    })
}

/// A leased delivery, with what sending it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub url: String,
    pub headers: Vec<Header>,
    pub secret: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub event: Event,
}

/// The columns [`read_due`] reads: `d` the delivery, `w` its webhook, `e` its event.
pub(crate) const DUE_COLUMNS: &str = "d.id, d.webhook_id, w.url, w.headers, w.secret, d.attempts, \
     e.id, e.position, e.purchase_order_id, e.type, e.occurred_at, e.request_id, e.actor, e.data";

pub(crate) fn read_due(r: &impl Columns) -> StoreResult<DueDelivery> {
    Ok(DueDelivery {
        id: DeliveryId(r.int(0)?),
        webhook_id: WebhookId(r.int(1)?),
        url: r.text(2)?,
        headers: r.parsed(3, "headers", |raw| serde_json::from_str::<Vec<Header>>(raw))?,
        secret: r.text(4)?,
        attempts: r.int(5)?,
        event: Event {
            id: r.int(6)?,
            position: r.int(7)?,
            order: PurchaseOrderId(r.int(8)?),
            kind: r.parsed(9, "type", |raw| EventType::parse(raw).ok_or(()))?,
            occurred_at: r.time(10)?,
            request_id: r.opt_text(11)?,
            actor: r.text(12)?,
            data: r.parsed(13, "data", |raw| {
                serde_json::from_str::<serde_json::Value>(raw)
            })?,
        },
    })
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub delivered: bool,
    /// The answer's status, when there was one.
    pub status: Option<i64>,
    /// The first bytes of the answer, or why there was none.
    pub response: String,
    /// When to try again; `None` when the delivery is done (delivered, or out of retries).
    pub retry_at: Option<DateTime<Utc>>,
}

pub(crate) const WEBHOOK_COLUMNS: &str = "id, name, url, event, headers, failing_since";

pub(crate) fn read_webhook(r: &impl Columns) -> StoreResult<crate::domain::webhook::Webhook> {
    Ok(crate::domain::webhook::Webhook {
        id: WebhookId(r.int(0)?),
        name: r.text(1)?,
        url: r.text(2)?,
        event: r.text(3)?,
        headers: r.parsed(4, "headers", |raw| serde_json::from_str::<Vec<Header>>(raw))?,
        failing_since: r.opt_time(5)?,
    })
}
