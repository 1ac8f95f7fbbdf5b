//! What happened to purchase orders: the account's event feed (`GET /v2/events`) and one order's
//! history (`GET /v2/purchase_orders/{id}/history`), Procura additions to ShipStation's API.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiResult, ErrorResponse};
use super::extract::{Account, QueryObject};
use super::fields::{Fields, Obj};
use super::json::Json;
use super::pagination::{Links, ListUrl, PAGE_PARAMS};
use super::path::{OrNotFound, Path};
use super::timestamp::Timestamp;
use crate::domain::event::Event;
use crate::domain::ids::PurchaseOrderId;
use crate::domain::page::Page;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v2/events", get(feed)).route(
        "/v2/purchase_orders/{purchase_order_id}/history",
        get(history),
    )
}

/// One change to a purchase order, as it was recorded in the change's transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    #[schema(example = "ev-41")]
    pub event_id: String,
    /// The event's place in the account's feed, in commit order.
    #[schema(example = 41)]
    pub position: i64,
    /// `purchase_order.created`, `.replaced`, `.shipping_details_changed`, `.status_changed` or
    /// `.products_received`.
    #[schema(example = "purchase_order.status_changed")]
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(value_type = String, example = "se-234")]
    pub purchase_order_id: PurchaseOrderId,
    #[schema(format = DateTime, value_type = String)]
    pub occurred_at: Timestamp,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: Option<String>,
    /// Who made the change: `api_key:se-<id>`, `user:se-<id>` (a person in the web app), or
    /// `system` for a command.
    #[schema(example = "api_key:se-1")]
    pub actor: String,
    /// What changed: the fields before and after for edits, `from` and `status` for a status
    /// change, the lines of a receipt.
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<Event> for EventBody {
    fn from(e: Event) -> Self {
        Self {
            event_id: format!("ev-{}", e.id),
            position: e.position,
            kind: e.kind.as_str(),
            purchase_order_id: e.order,
            occurred_at: Timestamp(e.occurred_at),
            request_id: e.request_id,
            actor: e.actor,
            data: e.data,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub events: Vec<EventBody>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub links: Links,
}

impl EventList {
    fn of(page: Page<Event>, url: &ListUrl) -> Self {
        Self {
            links: url.links(&page),
            total: page.total,
            page: page.page,
            pages: page.pages(),
            events: page.items.into_iter().map(EventBody::from).collect(),
        }
    }
}

/// The account's events, oldest first. Every page has `links.next`, the last one too: following
/// it later returns the events written since, each exactly once.
#[utoipa::path(get, path = "/v2/events", operation_id = "list_events", tag = "events",
    params(
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Events per page; default 50"),
        ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1"),
        ("cursor" = Option<String>, Query, description = "Opaque position, from `links.next.href`"),
    ),
    responses((status = 200, body = EventList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn feed(
    State(state): State<AppState>,
    Account(account): Account,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<EventList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let page = url.read_page(&mut f, &q);
    f.deny_unknown(&q, &PAGE_PARAMS);
    f.finish()?;
    let page = state.store.list_events(account, page).await?;
    Ok(Json(EventList::of(page, &url)))
}

/// One order's events, oldest first.
#[utoipa::path(get, path = "/v2/purchase_orders/{purchase_order_id}/history",
    operation_id = "get_purchase_order_history", tag = "events",
    params(
        ("purchase_order_id" = String, Path, example = "se-234"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Events per page; default 50"),
        ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1"),
        ("cursor" = Option<String>, Query, description = "Opaque position, from `links.next.href`"),
    ),
    responses((status = 200, body = EventList), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn history(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<EventList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let page = url.read_page(&mut f, &q);
    f.deny_unknown(&q, &PAGE_PARAMS);
    f.finish()?;
    let page = state
        .store
        .order_history(account, id, page)
        .await
        .or_not_found(id)?;
    Ok(Json(EventList::of(page, &url)))
}
