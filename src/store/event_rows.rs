//! An event's row, read the same way from both databases.

use super::StoreResult;
use super::rows::Columns;
use crate::domain::event::{Event, EventType};
use crate::domain::ids::PurchaseOrderId;
use crate::domain::page::{Page, PageRequest, Position};

/// The columns [`read_event`] reads, in its order.
pub(crate) const EVENT_COLUMNS: &str =
    "id, position, purchase_order_id, type, occurred_at, request_id, actor, data";

pub(crate) fn read_event(r: &impl Columns) -> StoreResult<Event> {
    Ok(Event {
        id: r.int(0)?,
        position: r.int(1)?,
        order: PurchaseOrderId(r.int(2)?),
        kind: r.parsed(3, "type", |raw| EventType::parse(raw).ok_or(()))?,
        occurred_at: r.time(4)?,
        request_id: r.opt_text(5)?,
        actor: r.text(6)?,
        data: r.parsed(7, "data", |raw| {
            serde_json::from_str::<serde_json::Value>(raw)
        })?,
    })
}

/// A page of a feed read oldest first from up to `size + 1` events after the request's position.
/// Unlike other lists, the last page has a `next` too: where to look for events written later.
/// `total` is what the first page counted.
pub(crate) fn feed_page(rows: Vec<Event>, request: &PageRequest, counted: u64) -> Page<Event> {
    let mut page = Page::from_rows(rows, request, counted, |e| e.position);
    if page.next_after.is_none() {
        let after = match request.position {
            Position::After { after_id, .. } => after_id,
            Position::Number(_) => 0,
        };
        page.next_after = Some(page.items.last().map_or(after, |e| e.position));
    }
    page
}
