//! `/v2/purchase_orders`: create, read, edit and move purchase orders through their statuses.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use super::AppState;
use super::conditions::{ConditionalRead, read_answer};
use super::error::{ApiResult, ErrorResponse};
use super::extract::{Account, JsonBody, QueryObject};
use super::fields::{Fields, Obj, parse_date_time, string};
use super::idempotency::{
    KeyedChange, KeyedCreate, Render, WriteHeaders, refused, refused_at, success,
};
use super::json::Json;
use super::pagination::{ListUrl, PAGE_PARAMS};
use super::path::{Found, Path};
use crate::domain::Invalid;
use crate::domain::ids::{PurchaseOrderId, SupplierId, WarehouseId};
use crate::domain::purchase_order::{PurchaseOrder, PurchaseOrderFilter};
use crate::domain::status::Status;
use crate::store::{KeptAnswer, Tagged};

pub mod documents;
mod parse;

// Shared with the other resources that read ShipStation-typed bodies.
pub mod receives;
pub mod send;
pub mod wire;

use wire::{
    PurchaseOrderBody, PurchaseOrderList, PurchaseOrderListItem, PurchaseOrderRequest,
    ShippingDetailsRequest, StatusBody, StatusRequest,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/purchase_orders", get(list).post(create))
        .route(
            "/v2/purchase_orders/{purchase_order_id}",
            get(show).put(update),
        )
        .route(
            "/v2/purchase_orders/{purchase_order_id}/shipping_details",
            post(update_shipping_details),
        )
        .route(
            "/v2/purchase_orders/{purchase_order_id}/status",
            post(update_status),
        )
        .route(
            "/v2/purchase_orders/{purchase_order_id}/receives",
            get(receives::list).post(receives::receive),
        )
        .route(
            "/v2/purchase_orders/{purchase_order_id}/receives/{receipt_id}/reversal",
            post(receives::reverse),
        )
        .route(
            "/v2/purchase_orders/{purchase_order_id}/send",
            post(send::send),
        )
        .route(
            "/v2/purchase_orders/{purchase_order_id}/documents/order_summary",
            get(documents::order_summary),
        )
        .route(
            "/v2/purchase_orders/{purchase_order_id}/documents/received_summary",
            get(documents::received_summary),
        )
}

const FILTERS: [&str; 8] = [
    "order_number",
    "status",
    "warehouse_id",
    "reference_number",
    "create_date_start",
    "supplier_id",
    "create_date_end",
    "modify_date_start",
];

/// [list_purchase_orders](https://docs.shipstation.com/openapi/purchase_orders/list_purchase_orders).
/// Newest first; `links.next.href` carries a keyset cursor.
#[utoipa::path(get, path = "/v2/purchase_orders", operation_id = "list_purchase_orders", tag = "purchase_orders",
    params(
        ("order_number" = Option<String>, Query, example = "02162026-02"),
        ("status" = Option<String>, Query, description = "draft, open, receiving, received, cancelled or closed"),
        ("warehouse_id" = Option<String>, Query),
        ("reference_number" = Option<String>, Query),
        ("create_date_start" = Option<String>, Query, format = DateTime, description = "Inclusive"),
        ("create_date_end" = Option<String>, Query, format = DateTime, description = "Inclusive (Procura addition)"),
        ("modify_date_start" = Option<String>, Query, format = DateTime, description = "Inclusive; for delta sync (Procura addition)"),
        ("supplier_id" = Option<String>, Query, description = "Procura addition"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Default 50"),
        ("page" = Option<u32>, Query, minimum = 1),
        ("cursor" = Option<String>, Query, description = "Opaque position, from `links.next.href`"),
    ),
    responses((status = 200, body = PurchaseOrderList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<PurchaseOrderList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let text = |v: &serde_json::Value| Ok(string(v)?.trim().to_owned());
    let date = |v: &serde_json::Value| parse_date_time(string(v)?);
    let filter = PurchaseOrderFilter {
        order_number: f.optional(&q, "order_number", text),
        status: f.optional(&q, "status", |v| {
            string(v)?.parse().map_err(|()| {
                Invalid::value(
                    "must be one of: draft, open, receiving, received, cancelled, closed",
                )
            })
        }),
        warehouse_id: f.optional(&q, "warehouse_id", |v| WarehouseId::parse_field(string(v)?)),
        supplier_id: f.optional(&q, "supplier_id", |v| SupplierId::parse_field(string(v)?)),
        reference_number: f.optional(&q, "reference_number", text),
        create_date_start: f.optional(&q, "create_date_start", date),
        create_date_end: f.optional(&q, "create_date_end", date),
        modify_date_start: f.optional(&q, "modify_date_start", date),
        sku: None,
    };
    let page = url.read_page(&mut f, &q);
    f.deny_unknown(&q, &[&FILTERS[..], &PAGE_PARAMS[..]].concat());
    f.finish()?;
    let page = state
        .store
        .list_purchase_orders(account, filter, page)
        .await?;
    Ok(Json(PurchaseOrderList {
        links: url.links(&page),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        purchase_orders: page
            .items
            .into_iter()
            .map(PurchaseOrderListItem::from)
            .collect(),
    }))
}

/// [create_purchase_order](https://docs.shipstation.com/openapi/purchase_orders/create_purchase_order).
/// The order starts in `draft` with a new `order_number`.
// The links let fuzzers (schemathesis) follow a created id into the operations that use it.
#[utoipa::path(post, path = "/v2/purchase_orders", operation_id = "create_purchase_order", tag = "purchase_orders", params(KeyedCreate),
    request_body = PurchaseOrderRequest,
    responses((status = 200, body = PurchaseOrderBody, links(
        ("get_purchase_order" = (operation_id = "get_purchase_order", parameters(("purchase_order_id" = "$response.body#/purchase_order_id")))),
        ("update_purchase_order" = (operation_id = "update_purchase_order", parameters(("purchase_order_id" = "$response.body#/purchase_order_id")))),
        ("update_purchase_order_status" = (operation_id = "update_purchase_order_status", parameters(("purchase_order_id" = "$response.body#/purchase_order_id")))),
        ("update_purchase_order_shipping_details" = (operation_id = "update_purchase_order_shipping_details", parameters(("purchase_order_id" = "$response.body#/purchase_order_id")))),
        ("receives_purchase_order_products" = (operation_id = "receives_purchase_order_products", parameters(("purchase_order_id" = "$response.body#/purchase_order_id")))),
        ("get_purchase_order_summary_pdf" = (operation_id = "get_purchase_order_summary_pdf", parameters(("purchase_order_id" = "$response.body#/purchase_order_id")))),
        ("get_purchase_order_received_summary_pdf" = (operation_id = "get_purchase_order_received_summary_pdf", parameters(("purchase_order_id" = "$response.body#/purchase_order_id"))))), headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn create(
    State(state): State<AppState>,
    Account(account): Account,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let input = parse::purchase_order(&body)?;
    let rid = write.request_id();
    let render: Render<PurchaseOrder> = Arc::new(move |outcome| match outcome {
        Ok(order) => order_answer(order),
        Err(err) => refused(err, rid),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.create_purchase_order(w, input)
        })
        .await;
    if let Some(order) = written.value {
        tracing::info!(po.id = %order.id, order_number = %order.order_number, "purchase order created");
    }
    Ok(written.response)
}

/// An order as a write answers it, with its new `ETag`.
fn order_answer(order: &PurchaseOrder) -> KeptAnswer {
    success(
        StatusCode::OK,
        &PurchaseOrderBody::from(order.clone()),
        Some(order.tag()),
    )
}

/// The answer of a write that leaves the order `id` in a status: `body` of the status, with the
/// order's new `ETag`, or the refusal.
pub(super) fn status_render<B: serde::Serialize + 'static>(
    id: PurchaseOrderId,
    rid: uuid::Uuid,
    body: fn(PurchaseOrderId, Status) -> B,
) -> Render<Tagged<Status>> {
    Arc::new(move |outcome| match outcome {
        Ok(status) => success(StatusCode::OK, &body(id, status.value), Some(status.tag)),
        Err(err) => refused_at(err, id, rid),
    })
}

/// The answer of a write to the order `id`: the order, or the refusal.
fn order_render(id: PurchaseOrderId, rid: uuid::Uuid) -> Render<PurchaseOrder> {
    Arc::new(move |outcome| match outcome {
        Ok(order) => order_answer(order),
        Err(err) => refused_at(err, id, rid),
    })
}

/// [get_purchase_order](https://docs.shipstation.com/openapi/purchase_orders/get_purchase_order)
#[utoipa::path(get, path = "/v2/purchase_orders/{purchase_order_id}", operation_id = "get_purchase_order",
    tag = "purchase_orders", params(("purchase_order_id" = String, Path, example = "se-234"), ConditionalRead),
    responses((status = 200, body = PurchaseOrderBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 304, description = "If-None-Match names the current version", headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match")))))]
pub async fn show(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let order = state
        .store
        .get_purchase_order(account, id)
        .await
        .found(id)?;
    let tag = order.tag();
    Ok(read_answer(
        &headers,
        tag,
        Json(PurchaseOrderBody::from(order)),
    ))
}

/// [update_purchase_order](https://docs.shipstation.com/openapi/purchase_orders/update_purchase_order).
/// Draft only; a full replacement.
#[utoipa::path(put, path = "/v2/purchase_orders/{purchase_order_id}", operation_id = "update_purchase_order",
    tag = "purchase_orders", params(("purchase_order_id" = String, Path, example = "se-234"), KeyedChange),
    request_body = PurchaseOrderRequest,
    responses((status = 200, body = PurchaseOrderBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 412, body = ErrorResponse, description = "If-Match names a version the object no longer is"), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn update(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let input = parse::purchase_order(&body)?;
    let render = order_render(id, write.request_id());
    let written = write
        .run(account, &body, render, |w| {
            state.store.replace_purchase_order(w, id, input)
        })
        .await;
    if written.value.is_some() {
        tracing::info!(po.id = %id, "purchase order replaced");
    }
    Ok(written.response)
}

/// [update_purchase_order_shipping_details](https://docs.shipstation.com/openapi/purchase_orders/update_purchase_order_shipping_details).
/// Open only; a patch (omitted fields unchanged, `null` clears).
#[utoipa::path(post, path = "/v2/purchase_orders/{purchase_order_id}/shipping_details",
    operation_id = "update_purchase_order_shipping_details", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234"), KeyedChange), request_body = ShippingDetailsRequest,
    responses((status = 200, body = PurchaseOrderBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 412, body = ErrorResponse, description = "If-Match names a version the object no longer is"), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn update_shipping_details(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let patch = parse::shipping_details(&body)?;
    let render = order_render(id, write.request_id());
    let written = write
        .run(account, &body, render, |w| {
            state.store.update_shipping_details(w, id, patch)
        })
        .await;
    Ok(written.response)
}

/// [update_purchase_order_status](https://docs.shipstation.com/openapi/purchase_orders/update_purchase_order_status).
/// Checked and applied atomically against the stored status; asking for the current status is a no-op.
#[utoipa::path(post, path = "/v2/purchase_orders/{purchase_order_id}/status",
    operation_id = "update_purchase_order_status", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234"), KeyedChange), request_body = StatusRequest,
    responses((status = 200, body = StatusBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 412, body = ErrorResponse, description = "If-Match names a version the object no longer is"), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn update_status(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let to: Status = parse::target_status(&body)?;
    let render = status_render(id, write.request_id(), |purchase_order_id, status| {
        StatusBody {
            purchase_order_id,
            status: status.as_str(),
        }
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.change_status(w, id, to)
        })
        .await;
    if let Some(status) = written.value {
        tracing::info!(po.id = %id, status = %status.value, "purchase order status set");
    }
    Ok(written.response)
}
